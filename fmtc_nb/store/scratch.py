"""Scratch files in the stores directory: hidden, named after the process that made them, and removed by the
next process once that one is gone (an import killed half way leaves no litter behind for good).

Names look like ``.<store>.<host>-<pid>-<ns>.tmp`` where ``host`` is a short hash of the host name, so a
directory shared by several machines is cleaned only of this machine's dead processes' files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import time
from pathlib import Path

_SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
_PATTERN = re.compile(r"^\..+\.([0-9a-f]{8})-(\d+)-\d+\.tmp$")
#: Bytes a running download keeps in reserve beside its store (see :class:`SpaceReserve`).
RESERVE_BYTES = 256 * 1024


def host_tag() -> str:
    """Eight hex digits naming this host in scratch file names."""
    return hashlib.blake2b(socket.gethostname().encode(), digest_size=4).hexdigest()


def scratch_name(name: str) -> str:
    """A hidden, unique file name for work on store ``name`` by this process."""
    return f".{name}.{host_tag()}-{os.getpid()}-{time.monotonic_ns()}.tmp"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # it exists but belongs to someone else
        return False
    return False


def remove_stale_scratch(directory: Path) -> list[Path]:
    """Delete the scratch files (and their SQLite side files) that processes of this host left in ``directory``
    when they died; returns the files removed. Files of live processes and of other hosts are kept."""
    removed: list[Path] = []
    host = host_tag()
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            match = _PATTERN.match(entry.name)
            if not match or match.group(1) != host or not _process_gone(int(match.group(2))):
                continue
            for path in (Path(entry.path), *(Path(entry.path + s) for s in _SIDE_SUFFIXES)):
                with contextlib.suppress(FileNotFoundError, PermissionError):
                    path.unlink()
                    removed.append(path)
    return removed


class SpaceReserve:
    """:data:`RESERVE_BYTES` of real disk blocks held in ``path`` while a download runs; released when the
    disk has filled up, so the job's last words (its paused status and reason in the registry) still fit.
    Nothing is reserved (silently) when the disk is already too full for it, or without a ``path``."""

    def __init__(self, path: Path | None, size: int = RESERVE_BYTES) -> None:
        self.path = path
        if path is None:
            return
        try:
            with path.open("wb") as f:
                f.write(bytes(size))  # written, not sparse: the blocks are really taken
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
            self.path = None

    def release(self) -> None:
        """Give the space back (idempotent)."""
        path, self.path = self.path, None
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
