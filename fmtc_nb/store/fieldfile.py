"""What the field formats (GeoPackage, OsmAnd/Locus sqlitedb) share when read or written: files from any tool
are read as untrusted as MBTiles files are (``mbtiles_read``: read-only, untrusted schema, blobs capped, plain
tables only, never views, virtual tables or computed columns), every check runs before anything is imported,
and an export inserts its tiles in batches."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Protocol, TypeVar

from fmtc_nb.errors import StoreError
from fmtc_nb.store.mbtiles_read import column_problem, connect_untrusted, one_line, virtual_tables
from fmtc_nb.store.schema import objects

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


def plain_tables(db: sqlite3.Connection, tables: Mapping[str, tuple[str, ...]]) -> str | None:
    """Why one of ``tables`` ({table: columns read}) is not a plain table with those columns stored, or None."""
    found, virtual = objects(db), virtual_tables(db)
    for table, needed in tables.items():
        if found.get(table) != "table" or table in virtual:
            what = f"a {found[table]}" if found.get(table) not in (None, "table") else \
                "a virtual table" if table in virtual else "missing"
            return f"{table!r} is {what}, not a plain table (fmtc-nb reads tables, never views)"
        problem = column_problem(db, table, needed)
        if problem:
            return problem
    return None


def check_integrity(db: sqlite3.Connection) -> str | None:
    """SQLite's quick_check over the whole file: the first problem, or None."""
    bad = [one_line(row[0]) for row in db.execute("PRAGMA quick_check") if row[0] != "ok"]
    return bad[0] if bad else None


def open_checked(path: Path, recognise: Callable[[sqlite3.Connection], bool],
                 archive: Callable[[Path, sqlite3.Connection], A], what: str) -> A | None:
    """``archive(path, db)`` (which checks the file) if ``recognise(db)`` says the SQLite file at ``path`` is of its
    format, else None; SQLite errors while checking become a sentence naming ``what``."""
    try:
        with connect_untrusted(path) as db:
            return archive(path, db) if recognise(db) else None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"The {what} {path} is damaged or cannot be read ({one_line(str(exc))}).") from None


def read_tiles(path: Path, query: str, what: str) -> Iterator[tuple]:
    """The rows of ``query`` over the untrusted file at ``path``; a failure half way is one sentence."""
    try:
        with connect_untrusted(path) as db:
            yield from db.execute(query)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"The {what} {path} cannot be read to the end ({one_line(str(exc))}).") from None


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
