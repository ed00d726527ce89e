"""Opening SQLite files by URI: exact names (any bytes), and reading files that cannot be written.

A file in WAL mode needs its ``-shm`` file even to be read; on a read-only medium (a write-protected stick,
a read-only share) or a full disk SQLite cannot make it. Such a file is then read in SQLite's immutable
mode, which needs no side file; that is safe only when nobody can change the file meanwhile, so it is used
on read-only media, and on a full disk only while no write-ahead log holds data (no writer is under way).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import urllib.parse
from pathlib import Path


def sqlite_uri(path: Path, **params: str) -> str:
    """A ``file:`` URI for SQLite naming ``path`` exactly (any bytes, also names that are not UTF-8)."""
    quoted = urllib.parse.quote(os.fsencode(path.resolve()), safe="/")
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"file:{quoted}" + (f"?{query}" if query else "")


def read_only_medium(path: Path) -> bool:
    """True if ``path`` lies on a file system mounted read-only."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


#: Free bytes below which a disk counts as full for opening files (SQLite's shared-memory file takes 32 KiB).
FULL_BELOW_BYTES = 65536


def disk_full(path: Path) -> bool:
    """True if the file system holding ``path`` has (almost) no space left."""
    try:
        return shutil.disk_usage(path).free < FULL_BELOW_BYTES
    except OSError:
        return False


def wal_empty(path: Path) -> bool:
    """True if the write-ahead log of ``path`` is absent or empty: everything committed is in the file."""
    try:
        return os.path.getsize(f"{path}-wal") == 0
    except OSError:
        return True


def immutable_is_safe(path: Path) -> bool:
    """True if ``path`` (a file) may be read in immutable mode: nobody can write it where it is (a read-only
    medium, or a full disk) and its write-ahead log holds nothing (no commit is missed, no writer under way)."""
    return (read_only_medium(path.parent) or disk_full(path.parent)) and wal_empty(path)


def connect_immutable(path: Path, *, timeout: float = 5.0) -> sqlite3.Connection:
    """A read-only connection to ``path`` in immutable mode (see :func:`immutable_is_safe`)."""
    return sqlite3.connect(sqlite_uri(path, mode="ro", immutable="1"), uri=True, isolation_level=None,
                           check_same_thread=False, timeout=timeout)
