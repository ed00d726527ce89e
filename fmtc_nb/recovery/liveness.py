"""Is a process of this host still the one a job recorded? On Linux, Android, macOS and Windows.

A process is named by its pid and a *start token* read when it is recorded, so that a pid the system has
since given to another process, or a pid of an earlier boot, is not mistaken for the original. Where the
answer comes from depends on the platform (:func:`backend`):

========================  =================================  =============================================
platform                  source                             start token
========================  =================================  =============================================
Linux, Android            ``/proc/<pid>/stat`` (also where   ``<kernel boot id>:<start, clock ticks since
                          psutil is installed)               boot>``; exact, and read the same by every
                                                             process of the host
macOS, Windows, BSD       psutil                             ``created:<creation time, s since the epoch>``
macOS, BSD, no psutil     ``os.kill(pid, 0)``                none: a free pid is gone, a taken one cannot
                                                             be told from a reused one
Windows, no psutil        nothing                            none: cannot be asked (``os.kill(pid, 0)``
                                                             would send Ctrl-C there)
========================  =================================  =============================================

Linux reads ``/proc`` even with psutil: psutil's creation time there is the boot time of ``/proc/stat``
(which moves when the wall clock is stepped) plus these ticks, so two processes could disagree on it.
On macOS and Windows the creation time is a timestamp, so a process of another boot has another one.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

#: Two creation times (s) at most this far apart name the same process (psutil reports microseconds).
SAME_START_S = 0.001
_CREATED = "created:"


@dataclass(frozen=True)
class Seen:
    """What the platform says about a pid now: ``exists`` True, False or None (cannot tell), and its start
    token (None when the process is gone or its start cannot be read)."""

    exists: bool | None
    token: str | None = None


GONE = Seen(False)
UNKNOWN = Seen(None)


def backend() -> str:
    """Where liveness is read on this platform: ``"proc"``, ``"psutil"``, ``"signal"`` or ``"none"``."""
    if sys.platform.startswith(("linux", "android")):  # Android's CPython said "linux" before 3.13
        return "proc" if _proc_mounted() else "signal"
    if _psutil() is not None:
        return "psutil"
    return "none" if os.name == "nt" else "signal"


def look(pid: int) -> Seen:
    """Whether process ``pid`` of this host exists now, and its start token."""
    if pid <= 0:  # 0 and negative pids name process groups to os.kill, never one process
        return GONE
    way = backend()
    if way == "proc":
        return _look_proc(pid)
    if way == "psutil":
        return _look_psutil(pid)
    if way == "signal":
        return _look_signal(pid)
    return UNKNOWN


def start_token(pid: int) -> str | None:
    """The start token of process ``pid`` of this host; None if it is gone or its start cannot be read."""
    return look(pid).token


def process_alive(pid: int, token: str) -> bool | None:
    """True if ``pid`` is still the process whose start token was ``token``, False if that process is known
    gone (pid free, a zombie, or now held by a process that started at another time or boot), None if it
    cannot be told (no way to ask, or no token was recorded and the pid is taken)."""
    seen = look(pid)
    if seen.exists is not True:
        return seen.exists
    if not token or seen.token is None:
        return None
    return same_start(token, seen.token)


def same_start(recorded: str, now: str) -> bool:
    """Whether two start tokens name the same process start (creation times within :data:`SAME_START_S`)."""
    if recorded.startswith(_CREATED) and now.startswith(_CREATED):
        try:
            return abs(float(recorded[len(_CREATED):]) - float(now[len(_CREATED):])) <= SAME_START_S
        except ValueError:
            return False
    return recorded == now


# -- /proc (Linux, Android) ------------------------------------------------------------------------------
@cache
def _proc_mounted() -> bool:
    return Path("/proc/self/stat").exists()


@cache
def boot_id() -> str:
    """The kernel's id of the current boot ('' where it cannot be read; start ticks then stand alone)."""
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


def _look_proc(pid: int) -> Seen:
    stat = process_stat(pid)
    if stat is None or stat[0] in ("Z", "X", "x"):  # zombie or dead: it will never run again
        return GONE
    return Seen(True, f"{boot_id()}:{stat[1]}")


# -- psutil (macOS, Windows, BSD) ------------------------------------------------------------------------
def _psutil() -> ModuleType | None:
    try:
        import psutil
    except ImportError:
        return None
    return psutil


def _look_psutil(pid: int) -> Seen:
    psutil = _psutil()
    if psutil is None:
        return UNKNOWN
    try:
        if not psutil.pid_exists(pid):
            return GONE
        process = psutil.Process(pid)
        if process.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return GONE
        return Seen(True, f"{_CREATED}{process.create_time():.6f}")
    except psutil.NoSuchProcess:  # also ZombieProcess, its subclass
        return GONE
    except psutil.AccessDenied:  # another user's process: it exists, its start is hidden
        return Seen(True)


# -- signal 0 (POSIX without /proc or psutil; never on Windows) ------------------------------------------
def _look_signal(pid: int) -> Seen:
    if os.name == "nt":  # signal 0 is CTRL_C_EVENT there: it would interrupt the process, not probe it
        return UNKNOWN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return GONE
    except PermissionError:  # taken by another user's process
        return Seen(True)
    return Seen(True)
