"""Connections to store files: the store's pragmas, a busy timeout, read-only opening where nothing may be
written (immutable mode, see ``fmtc_nb.sqlitefiles``), and SQLite errors turned into one sentence."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from fmtc_nb.errors import DiskFull, StoreBusy, StoreError
from fmtc_nb.sqlitefiles import connect_immutable, immutable_is_safe, read_only_medium, sqlite_uri, wal_empty
from fmtc_nb.units import human_bytes

#: Page cache per connection (KiB) and write-ahead-log pages between automatic checkpoints.
CACHE_KIB = 32768
WAL_CHECKPOINT_PAGES = 16384
#: Seconds a write waits for another connection's write lock before it fails (``StoreBusy``).
BUSY_TIMEOUT_S = 30.0
#: Rows one multi-row INSERT of :func:`insert_rows` carries at most (fewer if the parameter limit says so),
#: and the bytes of its ``bytes`` values beyond which it ends early (all of a statement's values sit in memory
#: at once: past a few hundred KB of tile bodies that costs more in cache misses than the steps it saves).
ROWS_PER_INSERT = 500
BYTES_PER_INSERT = 256 * 1024


def connect(path: Path, *, readonly: bool = False, busy_timeout_s: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """An autocommit connection to ``path`` (which must exist) with the store's pragmas.

    A store opened for reading on a read-only file system, or on a full disk that leaves no room for SQLite's
    shared-memory file, is read in immutable mode (see ``fmtc_nb.sqlitefiles``); ``busy_timeout_s`` is how
    long a write waits for another connection's write lock.
    """
    try:
        db = _open(path, readonly, busy_timeout_s)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        if not readonly:
            # a large WAL lets hot pages (the blob hash index) be rewritten many times per checkpoint
            db.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            db.execute(f"PRAGMA journal_size_limit = {WAL_CHECKPOINT_PAGES * 4096}")
        db.execute("PRAGMA foreign_keys = OFF")
    except sqlite3.Error as exc:
        if not readonly and (read_only_medium(path.parent) or not os.access(path, os.W_OK)):
            raise StoreError(f"The store file {path} cannot be written: it is read-only ({exc}); it can still be "
                             "read.") from exc
        raise StoreError(f"The file {path} cannot be opened as SQLite ({exc}).") from exc
    return db


def insert_rows(db: sqlite3.Connection, head: str, rows: Sequence[Sequence[object]], tail: str = "",
                body: int | None = None) -> None:
    """``{head} VALUES (?, ...), (?, ...), ... {tail}`` for every row of ``rows`` (all of one width), as a few
    multi-row statements rather than one step per row (``executemany``); ``body``: the index of a ``bytes``
    column whose sizes also end a statement (at :data:`BYTES_PER_INSERT`).

    Each SQLite step lets go of the GIL and takes it back; on the engine's store thread a step per row meant a
    hand-over per row to and from the event loop's thread, which then waited for the GIL after every socket
    call. A few steps per batch keep the event loop running while the store writes."""
    if not rows:
        return
    width = len(rows[0])
    per = max(1, min(ROWS_PER_INSERT, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    group = "(" + ", ".join("?" * width) + ")"
    start = 0
    while start < len(rows):
        end = min(start + per, len(rows))
        if body is not None:
            size, stop = 0, start
            while stop < end and size < BYTES_PER_INSERT:
                size += len(rows[stop][body])  # type: ignore[arg-type]  # the caller names a bytes column
                stop += 1
            end = stop
        chunk = rows[start:end]
        db.execute(f"{head} VALUES {', '.join([group] * len(chunk))} {tail}", [v for row in chunk for v in row])
        start = end


def _open(path: Path, readonly: bool, busy_timeout_s: float) -> sqlite3.Connection:
    """A normal connection; for reading, one in immutable mode on a read-only medium, or when the normal one
    cannot be made (a full disk leaves no room for the shared-memory file) and that is safe."""
    if readonly and read_only_medium(path.parent) and wal_empty(path):
        return connect_immutable(path, timeout=busy_timeout_s)
    db = sqlite3.connect(sqlite_uri(path, mode="ro" if readonly else "rw"), uri=True, isolation_level=None,
                         check_same_thread=False, timeout=busy_timeout_s)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the file (and its -shm) now
        return db
    except sqlite3.OperationalError:
        db.close()
        if not (readonly and immutable_is_safe(path)):
            raise
    return connect_immutable(path, timeout=busy_timeout_s)


def database_error(exc: sqlite3.Error | OSError, name: str, path: Path, busy_timeout_s: float) -> StoreError:
    """The one-sentence error for an SQLite or OS error met while reading or writing store ``name``: a held
    lock (``StoreBusy``), a full disk (``DiskFull``), a read-only medium, or damage."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return store_busy(name, busy_timeout_s)
    if primary == sqlite3.SQLITE_FULL or getattr(exc, "errno", None) == errno.ENOSPC:
        free = free_bytes(path.parent)
        return DiskFull(f"The disk holding store {name!r} ({path.parent}) is full ({human_bytes(free)} free), "
                        "so the write was not made.")
    if primary == sqlite3.SQLITE_READONLY or getattr(exc, "errno", None) in (errno.EROFS, errno.EACCES) or \
            (primary == sqlite3.SQLITE_CANTOPEN and not os.access(path.parent, os.W_OK)):  # a file to be made there
        where = path if path.exists() else path.parent
        return StoreError(f"The store {name!r} cannot be written: {where} is read-only ({exc}).")
    return StoreError(f"The store {name!r} cannot be read or written ({exc}); "
                      f"'fmtc-nb store verify {name}' checks it.")


def store_busy(name: str, waited_s: float) -> StoreBusy:
    """The one-sentence error for a write to store ``name`` given up after waiting ``waited_s`` seconds in all
    for another program's write lock."""
    return StoreBusy(f"Another program held the write lock of store {name!r} for more than {waited_s:.0f} s "
                     "(a download, an import or a GIS tool writing to it), so the write was not made.")


def target_error(exc: sqlite3.Error | OSError, target: Path) -> StoreError:
    """The one-sentence error for an SQLite or OS error met while writing ``target``, a file or folder outside
    the stores (an export): a full disk (``DiskFull``), else what the file system said."""
    code = getattr(exc, "sqlite_errorcode", None)
    if (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL) or getattr(exc, "errno", None) == errno.ENOSPC:
        return DiskFull(f"The disk holding {target} is full ({human_bytes(free_bytes(target.parent))} free), so "
                        "nothing was written there.")
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if target.parent.is_dir() and not os.access(target.parent, os.W_OK):
        return StoreError(f"{target} cannot be written: {target.parent} is read-only ({why}).")
    return StoreError(f"{target} cannot be written ({why}); check that its folder exists, is writable and has "
                      "space.")


def free_bytes(directory: Path) -> int:
    """Bytes an ordinary user may still write in ``directory``'s file system (0 if it cannot be asked)."""
    try:
        return shutil.disk_usage(directory).free
    except OSError:
        return 0
