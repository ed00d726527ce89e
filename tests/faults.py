"""Real faults for the data-loss tests: a small file system that fills up (tmpfs, needs root) and another
process holding a SQLite write lock."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_disk(path: Path, size: str = "3m") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` at ``path`` (created) for the block; skips the test if mounting is impossible."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root, and this test runs as another user")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here ({done.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, options: str) -> None:
    """Remount the tmpfs at ``path`` with ``options`` (e.g. ``size=64m`` or ``ro``)."""
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True, capture_output=True)


def fill(path: Path) -> int:
    """Write a filler file in ``path`` until its file system is full; returns the bytes written."""
    written = 0
    with contextlib.suppress(OSError), (path / "filler").open("wb") as f:
        while True:
            f.write(b"\0" * 4096)
            f.flush()
            written += 4096
    return written


def hold_write_lock(db: Path, begin: str = "IMMEDIATE") -> subprocess.Popen[str]:
    """Another process holding ``db``'s write lock (``BEGIN IMMEDIATE``, or ``begin="EXCLUSIVE"``) until it is
    killed; returns once held."""
    assert begin in ("IMMEDIATE", "EXCLUSIVE")
    code = ("import sqlite3, sys, time\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            f"db.execute('BEGIN {begin}')\n"
            "print('locked', flush=True)\n"
            "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc
