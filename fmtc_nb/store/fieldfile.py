"""What the field formats (GeoPackage, OsmAnd/Locus sqlitedb) share when read or written: a read-only SQLite
connection to a file from any tool, checks that run before anything is imported (integrity, real tables rather
than views), and the batched writer of an export."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

from fmtc_nb.errors import StoreError

#: Tiles per INSERT batch of an export.
BATCH = 1000
A = TypeVar("A")


class FieldArchive(Protocol):
    """A checked tile file of another format: ``kind``, MBTiles-style ``metadata`` and its tiles (XYZ rows)."""

    kind: str
    metadata: dict[str, str]

    def tiles(self) -> Iterator[tuple[int, int, int, bytes]]:
        """Every tile as (z, x, y, bytes)."""
        ...


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to ``path`` (a StoreError sentence if SQLite cannot open it)."""
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"The file {path} cannot be opened as SQLite ({exc}).") from exc


def object_types(db: sqlite3.Connection) -> dict[str, str]:
    """{name: 'table' | 'view' | ...} of the schema's objects."""
    return {name: kind for name, kind in db.execute("SELECT name, type FROM sqlite_master")}


def require_tables(db: sqlite3.Connection, names: Iterable[str], path: Path, what: str) -> None:
    """Refuse unless every one of ``names`` is a real table: a view can run any query (recursive ones
    included) when read, so files from elsewhere are read from tables only."""
    kinds = object_types(db)
    for name in names:
        if kinds.get(name) != "table":
            found = f"a {kinds[name]}" if name in kinds else "missing"
            raise StoreError(f"The {what} {path} is not usable: {name!r} is {found}, not a table.")


def check_integrity(db: sqlite3.Connection, path: Path, what: str) -> None:
    """SQLite's quick_check over the whole file."""
    bad = [row[0] for row in db.execute("PRAGMA quick_check") if row[0] != "ok"]
    if bad:
        raise StoreError(f"The {what} {path} is damaged ({bad[0]}).")


def insert_batches(db: sqlite3.Connection, sql: str, rows: Iterable[tuple[object, ...]]) -> int:
    """Run ``sql`` for every row, :data:`BATCH` rows at a time; returns the rows inserted."""
    count = 0
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            db.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    db.executemany(sql, batch)
    return count + len(batch)


def open_checked(path: Path, recognise: Callable[[sqlite3.Connection], bool],
                 archive: Callable[[Path, sqlite3.Connection], A], what: str) -> A | None:
    """``archive(path, db)`` (which checks the file) if ``recognise(db)`` says the SQLite file at ``path`` is of its
    format, else None; SQLite errors while checking become a sentence naming ``what``."""
    db = connect_readonly(path)
    try:
        return archive(path, db) if recognise(db) else None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"The {what} {path} cannot be read ({exc}).") from exc
    finally:
        db.close()
