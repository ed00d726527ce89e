"""Who runs a job, and whether that runner is still there.

An owner is either a process (host name, pid and the process start time, so a reused pid is not mistaken
for the original process) or a device (a paired phone or the virtual device; its bridge answers for it).

:func:`owner_alive` answers True (known alive), False (known gone) or None (cannot be asked: another host,
a device without a liveness callable, or a platform without ``/proc``).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

#: ``(device_id, job_id) -> True | False | None``: registered by the device bridge to answer for its jobs.
DeviceLiveness = Callable[[str, str], "bool | None"]


@cache
def this_host() -> str:
    """The name of this host as owners record it."""
    return socket.gethostname()


@cache
def boot_id() -> str:
    """An id of the current boot of this host ('' where the kernel does not expose one)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_stat(pid: int) -> tuple[str, int] | None:
    """``(state letter, start time in clock ticks since boot)`` of ``pid`` from ``/proc/<pid>/stat``;
    None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = raw[raw.rindex(")") + 2:].split()  # the command name may hold spaces and brackets
    return rest[0], int(rest[19])  # fields 3 (state) and 22 (starttime) of proc(5)


def process_started(pid: int) -> str | None:
    """A token naming when ``pid`` started (boot id and start ticks); None without ``/proc`` or process."""
    stat = process_stat(pid) if _has_proc() else None
    return None if stat is None else f"{boot_id()}:{stat[1]}"


@cache
def _has_proc() -> bool:
    return Path("/proc/self/stat").exists()


@dataclass(frozen=True)
class Owner:
    """A job's runner: ``kind`` is "process" (``host``, ``pid``, ``started``) or "device" (``device_id``)."""

    kind: str
    host: str = ""
    pid: int = 0
    started: str = ""
    device_id: str = ""

    @classmethod
    def this_process(cls) -> Owner:
        """The calling process."""
        return cls.process(os.getpid())

    @classmethod
    def process(cls, pid: int) -> Owner:
        """Process ``pid`` of this host, identified by its start time."""
        return cls("process", host=this_host(), pid=pid, started=process_started(pid) or "")

    @classmethod
    def device(cls, device_id: str) -> Owner:
        """A device whose bridge answers for its jobs."""
        return cls("device", device_id=device_id)

    def describe(self) -> str:
        """Where the job runs, for sentences: 'process 123 on host h' or 'device pixel-7'."""
        if self.kind == "device":
            return f"device {self.device_id}"
        return f"process {self.pid} on host {self.host}"

    def to_json(self) -> str:
        """JSON text for the registry."""
        return json.dumps({k: v for k, v in asdict(self).items() if v not in ("", 0)}, separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, text: str) -> Owner:
        """Inverse of :meth:`to_json`."""
        return cls(**json.loads(text))


def owner_alive(owner: Owner, job_id: str, device_liveness: DeviceLiveness | None = None) -> bool | None:
    """True if ``owner`` is known alive, False if known gone, None if it cannot be asked.

    A process on this host is gone when its pid is free, a zombie, or now names a process that started at
    another time (pid reuse) or in another boot. A device is asked through ``device_liveness``.
    """
    if owner.kind == "device":
        if device_liveness is None:
            return None
        try:
            answer = device_liveness(owner.device_id, job_id)
        except Exception:  # a bridge that cannot answer is "cannot be asked", never "gone"
            return None
        return None if answer is None else bool(answer)
    if owner.host != this_host():
        return None
    if not _has_proc():
        return _signal_probe(owner.pid)
    stat = process_stat(owner.pid)
    if stat is None or stat[0] in ("Z", "X"):
        return False
    if not owner.started:
        return None
    return f"{boot_id()}:{stat[1]}" == owner.started


def _signal_probe(pid: int) -> bool | None:
    """Without /proc: a free pid is gone; an existing one cannot be told from a reused one (None)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return None
    return None
