"""Reading an MBTiles file made by any tool while trusting nothing in it.

Only tables are read, never views (a view, or a computed column, could compute anything, for ever): the
tiles come from a plain ``tiles`` table, or from the tables behind the two common deduplicating layouts
(mbutil's ``map`` + ``images``, and fmtc-nb's own ``fmtc_tiles`` + ``fmtc_blobs``), whose join key must be
unique so a join cannot multiply rows. Blobs are capped at :data:`MAX_BLOB_BYTES`, the file is opened
read-only with an untrusted schema, and every row is checked before a store changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from fmtc_nb.errors import StoreError
from fmtc_nb.sqlitefiles import sqlite_uri
from fmtc_nb.store.schema import objects
from fmtc_nb.store.store import MAX_ZOOM, tms_row

#: Largest tile (or metadata value) read from a file, in bytes.
MAX_BLOB_BYTES = 64 << 20
#: The layouts read: tables that must exist, columns read from each, unique join keys, and the query.
LAYOUTS = (
    ("a plain tiles table", {"tiles": ("zoom_level", "tile_column", "tile_row", "tile_data")}, (),
     "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"),
    ("mbutil's map and images tables",
     {"map": ("zoom_level", "tile_column", "tile_row", "tile_id"), "images": ("tile_id", "tile_data")},
     (("images", "tile_id"),),
     "SELECT m.zoom_level AS zoom_level, m.tile_column AS tile_column, m.tile_row AS tile_row, "
     "i.tile_data AS tile_data FROM map AS m JOIN images AS i ON i.tile_id = m.tile_id"),
    ("an fmtc-nb store's tables",
     {"fmtc_tiles": ("zoom_level", "tile_column", "tile_row", "blob_id"), "fmtc_blobs": ("id", "data")},
     (("fmtc_blobs", "id"),),
     "SELECT t.zoom_level AS zoom_level, t.tile_column AS tile_column, t.tile_row AS tile_row, "
     "b.data AS tile_data FROM fmtc_tiles AS t JOIN fmtc_blobs AS b ON b.id = t.blob_id"),
)


class MBTilesFile:
    """A checked MBTiles file: :attr:`metadata` and :meth:`tiles` (XYZ). ``StoreError`` (one sentence) if the
    file is damaged, not MBTiles, or holds something fmtc-nb will not run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with self._connect() as db:
                self.query = self._check(db)
                self.metadata = {str(k): str(v) for k, v in db.execute("SELECT name, value FROM metadata")
                                 if k is not None and v is not None}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"The file {path} is a damaged or truncated SQLite file ({one_line(str(exc))}).") from None

    def _connect(self) -> _Closing:
        return connect_untrusted(self.path)

    def _check(self, db: sqlite3.Connection) -> str:
        """The query reading the tiles, once the file passed every check."""
        bad = [one_line(row[0]) for row in db.execute("PRAGMA quick_check") if row[0] != "ok"]
        if bad:
            self._refuse(bad[0])
        found = objects(db)
        virtual = virtual_tables(db)
        if found.get("metadata") != "table" or "metadata" in virtual:
            self._refuse("its 'metadata' is missing or not a plain table (fmtc-nb reads tables, never views)")
        self._check_columns(db, "metadata", ("name", "value"))
        for name, tables, unique, query in LAYOUTS:
            if all(found.get(t) == "table" and t not in virtual for t in tables):
                for table, cols in tables.items():
                    self._check_columns(db, table, cols)
                for table, col in unique:
                    if db.execute(f'SELECT 1 FROM "{table}" GROUP BY "{col}" HAVING count(*) > 1 LIMIT 1').fetchone():
                        self._refuse(f"{name} give several tiles the same {col}")
                problem = tile_row_problem(db, query)
                if problem:
                    self._refuse(problem)
                return query
        what = "a view" if found.get("tiles") == "view" else "missing" if "tiles" not in found else "not a plain table"
        self._refuse(f"its 'tiles' is {what}, and no known tile tables were found (fmtc-nb reads tables, never "
                     "views: a plain tiles table, mbutil's map and images, or an fmtc-nb store)")

    def _check_columns(self, db: sqlite3.Connection, table: str, needed: tuple[str, ...]) -> None:
        problem = column_problem(db, table, needed)
        if problem:
            self._refuse(problem)

    def _refuse(self, problem: str) -> NoReturn:
        raise StoreError(f"The file {self.path} is not a usable MBTiles file: {problem}.")

    def tiles(self) -> Iterator[tuple[int, int, int, bytes]]:
        """Every tile as (z, x, y, data), XYZ rows (rows were checked when the file was opened)."""
        try:
            with self._connect() as db:
                for z, x, row, data in db.execute(self.query):
                    yield z, x, tms_row(z, row), bytes(data)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"The file {self.path} cannot be read to the end ({one_line(str(exc))}).") from None


def connect_untrusted(path: Path) -> _Closing:
    """A read-only connection to a file from anywhere: untrusted schema, cell size checks, blobs capped at
    :data:`MAX_BLOB_BYTES` (use it in ``with``: it closes)."""
    db = sqlite3.connect(sqlite_uri(path, mode="ro"), uri=True)
    db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_BLOB_BYTES)
    db.execute("PRAGMA trusted_schema = OFF")
    db.execute("PRAGMA cell_size_check = ON")
    return _Closing(db)


def virtual_tables(db: sqlite3.Connection) -> set[str]:
    """Names of the virtual tables (their module's code would run on reading)."""
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND sql LIKE 'CREATE VIRTUAL TABLE%'")}


def column_problem(db: sqlite3.Connection, table: str, needed: tuple[str, ...]) -> str | None:
    """Why ``table`` lacks a needed column or computes one on reading (a virtual generated column), or None."""
    columns = {row[1]: row[6] for row in db.execute(f'PRAGMA table_xinfo("{table}")')}
    missing = [c for c in needed if c not in columns]
    if missing:
        return f"the {table!r} table lacks column(s) {', '.join(missing)}"
    computed = [c for c in needed if columns[c] not in (0, 3)]
    if computed:
        return f"the {table!r} column {computed[0]!r} is computed on reading, which fmtc-nb does not run"
    return None


class _Closing:
    """``with`` for an sqlite3 connection that closes it (sqlite3's own ``with`` only commits)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, *exc: object) -> None:
        self.db.close()


def one_line(text: str) -> str:
    """The first informative line of an SQLite message (``quick_check`` answers span several)."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("***")]
    return lines[0] if lines else text.strip()


def tile_row_problem(db: sqlite3.Connection, query: str) -> str | None:
    """The first malformed row (types, grid) of the tiles ``query`` yields, found before anything is written,
    so a bad row can never leave a store half merged."""
    row = db.execute(
        f"SELECT zoom_level, tile_column, tile_row, typeof(tile_data) FROM ({query}) "
        "WHERE typeof(zoom_level) != 'integer' OR typeof(tile_column) != 'integer' OR typeof(tile_row) != 'integer' "
        "OR typeof(tile_data) != 'blob' OR zoom_level NOT BETWEEN 0 AND ? "
        "OR tile_column NOT BETWEEN 0 AND (1 << zoom_level) - 1 "
        "OR tile_row NOT BETWEEN 0 AND (1 << zoom_level) - 1 LIMIT 1", (MAX_ZOOM,)).fetchone()
    if row is None:
        return None
    z, x, y, kind = row
    return (f"the tile row zoom_level={z!r}, tile_column={x!r}, tile_row={y!r} with {kind} tile_data is not a "
            f"tile of the grid with image data (z 0-{MAX_ZOOM}, x and y 0 to 2^z - 1, data a blob)")
