"""The registry's SQLite file ``<root>/recovery.sqlite``: schema and connections (WAL, several processes).

The registry keeps every job's specification, request headers included (an ``Authorization`` header for a
tile provider, say), so the file is private to its user (mode 0600; SQLite gives its ``-wal`` and ``-shm``
files the database file's mode), and one left readable by an older version is made private when opened.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from fmtc_nb.errors import RecoveryError
from fmtc_nb.sqlitefiles import connect_immutable, disk_full, immutable_is_safe, read_only_medium

FILE_NAME = "recovery.sqlite"
SCHEMA_VERSION = 1
#: Mode of the registry and its -wal and -shm files.
PRIVATE_FILE = 0o600

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    store TEXT NOT NULL,
    spec TEXT NOT NULL,            -- DownloadJob.to_dict() as JSON (region GeoJSON, zooms, source, options)
    region_kind TEXT NOT NULL,
    zooms TEXT NOT NULL,           -- JSON list
    owner TEXT NOT NULL,           -- Owner.to_json()
    held INTEGER NOT NULL,         -- 1 while a runner holds the job (its status then depends on the owner)
    claim INTEGER NOT NULL,        -- bumped at every claim; a runner writes only under its own claim
    status TEXT NOT NULL,          -- running, paused, failed, cancelled, completed (stale is derived)
    reason TEXT,
    tiles_total INTEGER,
    tiles_done INTEGER NOT NULL DEFAULT 0,
    tiles_failed INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,   -- bytes stored by the job over all its runs
    active_s REAL NOT NULL DEFAULT 0,   -- seconds spent running over all runs
    runs INTEGER NOT NULL DEFAULT 1,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,      -- Unix seconds
    heartbeat_at REAL NOT NULL,    -- Unix seconds of the last heartbeat
    finished_at REAL               -- Unix seconds the last run ended (NULL while held)
);
CREATE INDEX IF NOT EXISTS jobs_by_store ON jobs (store);
"""


def connect(root_dir: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (callers use ``BEGIN IMMEDIATE`` for read-modify-write), WAL,
    usable from several threads under the caller's lock; the schema is created on first use."""
    root_dir.mkdir(parents=True, exist_ok=True)
    path = root_dir / FILE_NAME
    try:
        _make_private(path)
        return _open(path)
    except sqlite3.OperationalError as exc:  # a full disk or read-only medium: reading may still be possible
        if path.is_file() and immutable_is_safe(path):
            return _read_only(path)
        if read_only_medium(path.parent) or disk_full(path.parent):
            where = "a read-only file system" if read_only_medium(path.parent) else "a full disk; free some space"
            raise RecoveryError(f"The recovery registry {path} cannot be opened: it is on {where}.") from None
        raise RecoveryError(f"The recovery registry {path} cannot be used ({exc}).") from None
    except sqlite3.DatabaseError as exc:  # not a database, damaged, locked for too long ...
        raise RecoveryError(f"The recovery registry {path} cannot be used ({exc}); if it is damaged, move it "
                            "aside to start a new one (stores keep their tiles).") from None


def _read_only(path: Path) -> sqlite3.Connection:
    """The registry for reading only (its writes fail with ``sqlite3.OperationalError``, which the registry
    skips where a write is only bookkeeping): what a full disk or a read-only medium allows."""
    db = connect_immutable(path)
    db.row_factory = sqlite3.Row
    return db


def _make_private(path: Path) -> None:
    """Create the registry file 0600 before SQLite does (SQLite would follow the umask), and make an existing
    one and its -wal/-shm files 0600. Where that is not possible (read-only media, another user's file) the
    files are left as they are, and SQLite says what it can or cannot do with them."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(OSError):
            os.chmod(name, PRIVATE_FILE)


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=15.0, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA busy_timeout = 15000")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            db.executescript(f"BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
    except sqlite3.DatabaseError:
        db.close()
        raise
    return db
