"""The SQLite schema of a store: a valid MBTiles 1.3 file over deduplicated tile storage.

MBTiles readers (GDAL, QGIS, tile servers) see the ``metadata`` table and the ``tiles`` view (TMS rows);
fmtc-nb keeps the real data in ``fmtc_*`` tables:

- ``fmtc_blobs``: each distinct tile body once (64-bit key, reference count), found through the
  ``fmtc_hash_new`` / ``fmtc_hash_old`` tables (see ``fmtc_nb.store.blobs``); the key is a sampled SHA-256
  in layout 2 and the whole body's BLAKE2b in layout 1 (``PRAGMA user_version``; older stores keep theirs);
- ``fmtc_tiles``: one row per tile with its blob, size (bytes), fetched/used/expiry times (epoch seconds),
  ETag and Last-Modified; primary key (zoom_level, tile_row, tile_column) so a row of tiles is one range;
- ``fmtc_counters`` / ``fmtc_zooms``: the statistics, updated in the transactions that change tiles;
- ``fmtc_failures``: negative answers per tile; ``fmtc_checkpoints``: download checkpoints per job.
"""

from __future__ import annotations

import sqlite3

#: ``PRAGMA application_id`` of MBTiles files ("MPBX").
MBTILES_APPLICATION_ID = 0x4D504258
#: ``PRAGMA user_version`` of the fmtc-nb store layout.
SCHEMA_VERSION = 2

DDL = """
CREATE TABLE metadata (name TEXT NOT NULL PRIMARY KEY, value TEXT);
CREATE TABLE fmtc_blobs (id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, data BLOB NOT NULL,
                         refs INTEGER NOT NULL);
CREATE TABLE fmtc_tiles (zoom_level INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_column INTEGER NOT NULL,
                         blob_id INTEGER NOT NULL, size INTEGER NOT NULL, fetched_at REAL NOT NULL,
                         used_at REAL NOT NULL, etag TEXT, last_modified TEXT, expires_at REAL,
                         PRIMARY KEY (zoom_level, tile_row, tile_column)) WITHOUT ROWID;
CREATE VIEW tiles AS
    SELECT zoom_level, tile_column, tile_row,
           (SELECT data FROM fmtc_blobs WHERE fmtc_blobs.id = fmtc_tiles.blob_id) AS tile_data
    FROM fmtc_tiles;
CREATE TABLE fmtc_hash_new (hash INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (hash, id)) WITHOUT ROWID;
CREATE TABLE fmtc_hash_old (hash INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (hash, id)) WITHOUT ROWID;
CREATE TABLE fmtc_counters (id INTEGER PRIMARY KEY CHECK (id = 1), tiles INTEGER NOT NULL,
                            tile_bytes INTEGER NOT NULL, blobs INTEGER NOT NULL, blob_bytes INTEGER NOT NULL,
                            hits INTEGER NOT NULL, misses INTEGER NOT NULL, failures INTEGER NOT NULL,
                            created_at REAL NOT NULL, updated_at REAL NOT NULL, hash_new INTEGER NOT NULL);
CREATE TABLE fmtc_zooms (zoom_level INTEGER PRIMARY KEY, tiles INTEGER NOT NULL, bytes INTEGER NOT NULL,
                         min_col INTEGER, max_col INTEGER, min_row INTEGER, max_row INTEGER);
CREATE TABLE fmtc_failures (zoom_level INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_column INTEGER NOT NULL,
                            reason TEXT NOT NULL, failed_at REAL NOT NULL,
                            PRIMARY KEY (zoom_level, tile_row, tile_column)) WITHOUT ROWID;
CREATE TABLE fmtc_checkpoints (job_id TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, updated_at REAL NOT NULL);
"""

#: Tables and views every fmtc-nb store has.
STORE_OBJECTS = ("metadata", "tiles", "fmtc_blobs", "fmtc_hash_new", "fmtc_hash_old", "fmtc_tiles", "fmtc_counters", "fmtc_zooms",
                 "fmtc_failures", "fmtc_checkpoints")
#: Columns an MBTiles reader needs.
MBTILES_COLUMNS = {"metadata": ("name", "value"), "tiles": ("zoom_level", "tile_column", "tile_row", "tile_data")}
LRU_INDEX = "CREATE INDEX IF NOT EXISTS fmtc_tiles_lru ON fmtc_tiles (used_at)"


def create_schema(db: sqlite3.Connection, now: float) -> None:
    """Create an empty store's tables in ``db`` (an autocommit connection to a new file), in WAL mode, and
    leave the transaction that made them open: the caller adds what else the empty store holds and commits
    (every step in one transaction: each commit of a new file waits for the disk, 5-10 ms each)."""
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(f"BEGIN; PRAGMA application_id = {MBTILES_APPLICATION_ID}; "
                     f"PRAGMA user_version = {SCHEMA_VERSION};" + DDL)
    db.execute("INSERT INTO fmtc_counters VALUES (1, 0, 0, 0, 0, 0, 0, 0, ?, ?, 0)", (now, now))


def objects(db: sqlite3.Connection) -> dict[str, str]:
    """Name -> type ('table' or 'view') of the schema objects of ``db``."""
    return dict(db.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')").fetchall())


def columns(db: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The column names of a table or view."""
    return tuple(row[1] for row in db.execute(f'PRAGMA table_info("{table}")'))


def mbtiles_problems(db: sqlite3.Connection) -> list[str]:
    """Sentences naming what keeps ``db`` from being a usable MBTiles file (empty list: none)."""
    problems = []
    found = objects(db)
    for name, needed in MBTILES_COLUMNS.items():
        if name not in found:
            problems.append(f"the MBTiles {name!r} table or view is missing")
            continue
        missing = [c for c in needed if c not in columns(db, name)]
        if missing:
            problems.append(f"the MBTiles {name!r} table lacks column(s) {', '.join(missing)}")
    if not problems:
        keys = {row[0] for row in db.execute("SELECT name FROM metadata")}
        # a store made without a source learns its format from its first tile, so an empty one may lack it
        needed = ("name", "format") if db.execute("SELECT 1 FROM tiles LIMIT 1").fetchone() else ("name",)
        problems += [f"the metadata has no {key!r} entry" for key in needed if key not in keys]
    return problems


def is_fmtc_store(db: sqlite3.Connection) -> bool:
    """True if ``db`` has every table of an fmtc-nb store."""
    found = objects(db)
    return all(name in found for name in STORE_OBJECTS)
