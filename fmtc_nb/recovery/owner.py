"""Who runs a job, and whether that runner is still there.

An owner is either a process (host name, pid and the process start token of
:mod:`fmtc_nb.recovery.liveness`, so a reused pid is not mistaken for the original process) or a device (a
paired phone or the virtual device; its bridge answers for it).

:func:`owner_alive` answers True (known alive), False (known gone) or None (cannot be asked: another host,
a device without a liveness callable, or a platform that cannot tell, such as Windows without psutil).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from fmtc_nb.recovery.liveness import process_alive, start_token

#: ``(device_id, job_id) -> True | False | None``: registered by the device bridge to answer for its jobs.
DeviceLiveness = Callable[[str, str], "bool | None"]


@cache
def this_host() -> str:
    """The name of this host as owners record it."""
    return socket.gethostname()


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
        return cls("process", host=this_host(), pid=pid, started=start_token(pid) or "")

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

    A process on this host is asked through :func:`~fmtc_nb.recovery.liveness.process_alive`: gone when its
    pid is free, a zombie, or now names a process that started at another time (pid reuse) or in another
    boot. A device is asked through ``device_liveness``.
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
    return process_alive(owner.pid, owner.started)
