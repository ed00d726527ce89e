"""One store: an SQLite file that is a valid MBTiles 1.3, written in batches, read by anyone.

A :class:`Store` owns one connection. It may be used from any thread (calls are serialised by a lock), but
the engine keeps it on one dedicated thread; other readers (GDAL, the tile proxy, ``fmtc-nb store stats``
in another process) open their own connections and, thanks to WAL mode, see the last committed batch while
a download writes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from fmtc_nb.errors import StoreError
from fmtc_nb.store.blobs import add_blobs, assign_blobs, blob_keys, release_blobs
from fmtc_nb.store.connection import BUSY_TIMEOUT_S, connect, database_error, insert_rows
from fmtc_nb.store.formats import sniff_format
from fmtc_nb.store.maintenance import delete_tiles, verify_problems
from fmtc_nb.store.metadata import SOURCE_KEY, ZoomRow, extent_entries, read_metadata, write_metadata
from fmtc_nb.store.records import StoreStats, TileRecord
from fmtc_nb.store.schema import LRU_INDEX, is_fmtc_store

#: Deepest zoom level a store accepts.
MAX_ZOOM = 30
#: Metadata key of the optional tile limit (least-recently-used eviction).
MAX_TILES_KEY = "fmtc_max_tiles"
Failure = tuple[int, int, int, str]  # z, x, y, reason
_TILE_COLUMNS = "zoom_level, tile_row, tile_column, blob_id, size, fetched_at, used_at, etag, last_modified, expires_at"
_INSERT_TILE = f"INSERT INTO fmtc_tiles ({_TILE_COLUMNS})"  # + VALUES rows (insert_rows) + ON CONFLICT DO NOTHING
_SELECT_RECORD = ("SELECT b.data, t.fetched_at, t.etag, t.last_modified, t.expires_at FROM fmtc_tiles t "
                  "JOIN fmtc_blobs b ON b.id = t.blob_id WHERE t.zoom_level = ? AND t.tile_row = ? AND t.tile_column = ?")


def tms_row(z: int, y: int) -> int:
    """The TMS row (counted from the south) of XYZ row ``y`` at zoom ``z``; the mapping is its own inverse."""
    return (1 << z) - 1 - y


class Store:
    """A tile store: ``put_tiles`` in batches, ``get_tile`` by XYZ, ``stats`` in O(1).

    Open stores through :class:`fmtc_nb.store.Root` (``open``, ``create``, ``open_or_create``).
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False,
                 busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = connect(self.path, readonly=readonly, busy_timeout_s=busy_timeout_s)
        try:
            ok = is_fmtc_store(self._db)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"The file {self.path} is not a readable SQLite store ({exc}).") from exc
        if not ok:
            self.close()
            raise StoreError(f"The file {self.path} is not an fmtc-nb store; import it with 'fmtc-nb store import'.")
        #: How this store keys its blobs (sampled SHA-256 since layout 2, whole-body BLAKE2b in layout 1).
        self.blob_keys = blob_keys(self._db.execute("PRAGMA user_version").fetchone()[0])
        if not readonly:
            with contextlib.suppress(sqlite3.OperationalError):  # copies made by SQLite backup arrive in DELETE mode
                self._db.execute("PRAGMA journal_mode = WAL")

    # -- plumbing --------------------------------------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        """The open connection (StoreError once closed)."""
        if self._db is None:
            raise StoreError(f"The store {self.name!r} is closed.")
        return self._db

    @property
    def name(self) -> str:
        """The store's name (its file name without ``.mbtiles``)."""
        return self.path.name.removesuffix(".mbtiles")

    @contextlib.contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """The connection, held exclusively; SQLite errors become one-sentence StoreErrors."""
        with self._lock:
            try:
                yield self.db
            except (sqlite3.DatabaseError, OSError) as exc:
                raise database_error(exc, self.name, self.path, self.busy_timeout_s) from exc

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction opened with ``begin``: committed at the end, rolled back on any error."""
        with self._using() as db:
            db.execute(begin)
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _write(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A write transaction holding the write lock from its start (``BEGIN IMMEDIATE``)."""
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A read transaction: every query inside sees the same committed state."""
        return self._transaction("BEGIN")

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- writing ---------------------------------------------------------------------------------------
    def put_tiles(self, records: Iterable[TileRecord], *, failures: Sequence[Failure] = (),
                  checkpoint: tuple[str, str] | None = None) -> None:
        """Store ``records`` (replacing tiles at the same place), record ``failures`` (z, x, y, reason) and
        upsert ``checkpoint`` = (job_id, text), all in ONE transaction; a stored tile clears its failure."""
        latest = {(record.z, record.x, record.y): record for record in records}  # the last of a place wins
        now = time.time()
        with self._write() as db:
            if latest:
                self._put(db, list(latest.values()), now)
            if failures:
                db.executemany(
                    "INSERT INTO fmtc_failures VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                    "reason = excluded.reason, failed_at = excluded.failed_at",
                    [(z, tms_row(z, y), x, reason, now) for z, x, y, reason in failures])
            recorded = db.execute("SELECT failures FROM fmtc_counters").fetchone()[0] + len(failures) if latest else 0
            if failures or recorded:
                if latest:
                    self._clear_failures(db, [(z, tms_row(z, y), x) for z, x, y in latest], recorded)
                db.execute("UPDATE fmtc_counters SET failures = (SELECT count(*) FROM fmtc_failures)")
            if latest:
                self._evict(db)
            if checkpoint is not None:
                db.execute("INSERT INTO fmtc_checkpoints VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET "
                           "checkpoint = excluded.checkpoint, updated_at = excluded.updated_at",
                           (checkpoint[0], checkpoint[1], now))
            db.execute("UPDATE fmtc_counters SET updated_at = ?", (now,))

    def _put(self, db: sqlite3.Connection, records: list[TileRecord], now: float) -> None:
        # one pass per step over the batch, no per-tile calls: this is the store thread's work for every tile
        bodies = []
        for r in records:
            z = r.z
            if not (0 <= z <= MAX_ZOOM and 0 <= r.x < 1 << z and 0 <= r.y < 1 << z):
                raise StoreError(f"The tile {z}/{r.x}/{r.y} does not exist (x and y run from 0 to 2^z - 1, z to {MAX_ZOOM}).")
            bodies.append(r.data)
        ids, new = assign_blobs(db, bodies, self.blob_keys)
        rows = [(r.z, (1 << r.z) - 1 - r.y, r.x, blob_id, len(r.data), r.fetched_at, now, r.etag,  # TMS row
                 r.last_modified, r.expires_at) for r, blob_id in zip(records, ids, strict=True)]
        refs: dict[int, int] = Counter(ids)
        zooms = self._zoom_rows(db)
        before = db.total_changes
        db.execute("SAVEPOINT put")
        insert_rows(db, _INSERT_TILE, rows, "ON CONFLICT DO NOTHING")
        replaced: list[tuple[int, int, int, int, int]] = []
        if db.total_changes - before != len(rows):  # some places held a tile: replace them one by one
            db.execute("ROLLBACK TO put")
            replaced = self._take_old(db, rows)
            insert_rows(db, _INSERT_TILE, rows, "ON CONFLICT DO NOTHING")
        db.execute("RELEASE put")
        for _, _, _, blob_id, _ in replaced:
            refs[blob_id] = refs.get(blob_id, 0) - 1
        add_blobs(db, [(i, h, data, refs.pop(i)) for i, h, data in new])
        db.executemany("UPDATE fmtc_blobs SET refs = refs + ? WHERE id = ?",
                       [(n, i) for i, n in refs.items() if n])
        gone = release_blobs(db, [i for i, n in refs.items() if n < 0])
        new_bytes = sum(len(data) for _, _, data in new)
        added_bytes = sum(row[4] for row in rows) - sum(old[4] for old in replaced)
        db.execute("UPDATE fmtc_counters SET tiles = tiles + ?, tile_bytes = tile_bytes + ?, blobs = blobs + ?, "
                   "blob_bytes = blob_bytes + ?", (len(rows) - len(replaced), added_bytes, len(new) - gone[0],
                                                   new_bytes - gone[1]))
        self._count_zooms(db, zooms, rows, replaced)
        if records and "format" not in read_metadata(db):
            fmt = sniff_format(records[0].data)
            if fmt:
                write_metadata(db, {"format": fmt})

    @staticmethod
    def _clear_failures(db: sqlite3.Connection, places: list[tuple[int, int, int]], recorded: int) -> None:
        """Delete the recorded failures at ``places`` (zoom, TMS row, column), which now hold a tile. With at
        most as many failures recorded (``recorded``, at most) as places, they are read and only those among
        the places deleted, rather than a DELETE per place (a batch after a resume with a few failures left)."""
        if recorded <= len(places):
            failed = set(db.execute("SELECT zoom_level, tile_row, tile_column FROM fmtc_failures"))
            places = [place for place in places if place in failed]
        if places:
            db.executemany("DELETE FROM fmtc_failures WHERE zoom_level = ? AND tile_row = ? AND tile_column = ?",
                           places)

    @staticmethod
    def _take_old(db: sqlite3.Connection, rows: list[tuple]) -> list[tuple[int, int, int, int, int]]:
        """Delete and return (z, row, col, blob_id, size) of the tiles ``rows`` will replace."""
        old = []
        for row in rows:
            found = db.execute("SELECT zoom_level, tile_row, tile_column, blob_id, size FROM fmtc_tiles "
                               "WHERE zoom_level = ? AND tile_row = ? AND tile_column = ?", row[:3]).fetchone()
            if found:
                old.append(found)
        db.executemany("DELETE FROM fmtc_tiles WHERE zoom_level = ? AND tile_row = ? AND tile_column = ?",
                       [o[:3] for o in old])
        return old

    @staticmethod
    def _zoom_rows(db: sqlite3.Connection) -> dict[int, list[int]]:
        return {z: [n, size, *rng] for z, n, size, *rng in db.execute("SELECT * FROM fmtc_zooms")}

    @staticmethod
    def _count_zooms(db: sqlite3.Connection, zooms: dict[int, list[int]], rows: list[tuple],
                     replaced: list[tuple[int, int, int, int, int]]) -> None:
        """Apply the batch to the per-zoom counts and ranges; rewrite the extent metadata if it changed."""
        touched: dict[int, list[int]] = {}
        grew = False
        by_zoom: dict[int, list[tuple]] = {}
        for row in rows:
            by_zoom.setdefault(row[0], []).append(row)
        for z, group in by_zoom.items():
            tms_rows, cols = [r[1] for r in group], [r[2] for r in group]
            span = [min(cols), max(cols), min(tms_rows), max(tms_rows)]
            base = zooms.get(z)
            if base and base[0] > 0:
                cur = list(base)
                if span[0] < cur[2] or span[1] > cur[3] or span[2] < cur[4] or span[3] > cur[5]:
                    cur[2:] = [min(cur[2], span[0]), max(cur[3], span[1]), min(cur[4], span[2]), max(cur[5], span[3])]
                    grew = True
            else:
                cur, grew = [0, 0, *span], True
            cur[0] += len(group)
            cur[1] += sum(r[4] for r in group)
            touched[z] = cur
        for z, _, _, _, size in replaced:
            touched[z][0] -= 1
            touched[z][1] -= size
        db.executemany("INSERT OR REPLACE INTO fmtc_zooms VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(z, *v) for z, v in touched.items()])
        if grew:
            merged: dict[int, ZoomRow] = {z: (v[0], v[2], v[3], v[4], v[5]) for z, v in (zooms | touched).items()}
            write_metadata(db, extent_entries(merged))

    # -- reading ---------------------------------------------------------------------------------------
    def existing_in_row(self, z: int, y: int, x0: int, x1: int, fresher_than: float | None = None) -> set[int]:
        """The x of stored tiles in row ``y`` of zoom ``z`` with x0 <= x <= x1 (only those fetched at or after
        epoch ``fresher_than`` if given)."""
        sql = "SELECT tile_column FROM fmtc_tiles WHERE zoom_level = ? AND tile_row = ? AND tile_column BETWEEN ? AND ?"
        args: tuple = (z, tms_row(z, y), x0, x1)
        if fresher_than is not None:
            sql, args = sql + " AND fetched_at >= ?", (*args, fresher_than)
        with self._using() as db:
            return {x for (x,) in db.execute(sql, args)}

    def zoom_extents(self) -> dict[int, tuple[int, int, int, int]]:
        """Zoom -> (min x, max x, min y, max y), XYZ, of the tiles stored at each zoom that has any (O(zooms))."""
        with self._using() as db:
            rows = db.execute("SELECT zoom_level, min_col, max_col, min_row, max_row FROM fmtc_zooms "
                              "WHERE tiles > 0").fetchall()
        return {z: (x0, x1, tms_row(z, row1), tms_row(z, row0)) for z, x0, x1, row0, row1 in rows}

    def get_tile(self, z: int, x: int, y: int) -> bytes | None:
        """The bytes of tile z/x/y (XYZ), or None if not stored."""
        record = self.get_tile_record(z, x, y)
        return record.data if record else None

    def get_tile_record(self, z: int, x: int, y: int) -> TileRecord | None:
        """Tile z/x/y with its fetched time and HTTP validators, or None if not stored."""
        with self._using() as db:
            row = db.execute(_SELECT_RECORD, (z, tms_row(z, y), x)).fetchone()
        return TileRecord(z, x, y, *row) if row else None

    def has_tile(self, z: int, x: int, y: int) -> bool:
        """True if tile z/x/y (XYZ) is stored."""
        with self._using() as db:
            return db.execute("SELECT 1 FROM fmtc_tiles WHERE zoom_level = ? AND tile_row = ? AND tile_column = ?",
                                   (z, tms_row(z, y), x)).fetchone() is not None

    def iter_tiles(self, page: int = 1000) -> Iterator[TileRecord]:
        """Every tile, ordered by zoom, TMS row, column; read in pages of ``page`` tiles so writes may interleave."""
        key = (-1, -1, -1)
        while True:
            with self._using() as db:
                rows = db.execute(
                    "SELECT t.zoom_level, t.tile_row, t.tile_column, b.data, t.fetched_at, t.etag, t.last_modified, "
                    "t.expires_at FROM fmtc_tiles t JOIN fmtc_blobs b ON b.id = t.blob_id "
                    "WHERE (t.zoom_level, t.tile_row, t.tile_column) > (?, ?, ?) "
                    "ORDER BY t.zoom_level, t.tile_row, t.tile_column LIMIT ?", (*key, page)).fetchall()
            for z, row, col, *rest in rows:
                yield TileRecord(z, col, tms_row(z, row), *rest)
            if len(rows) < page:
                return
            key = rows[-1][:3]

    def tile_keys(self, z: int) -> list[tuple[int, int]]:
        """(x, y) of every tile stored at zoom ``z``."""
        with self._using() as db:
            rows = db.execute("SELECT tile_column, tile_row FROM fmtc_tiles WHERE zoom_level = ?", (z,)).fetchall()
        return [(x, tms_row(z, row)) for x, row in rows]

    def stats(self) -> StoreStats:
        """The store's statistics in O(1): counters and per-zoom counts from one consistent read."""
        with self._read() as db:
            tiles, tile_bytes, blobs, blob_bytes, hits, misses, failures, created, updated = db.execute(
                "SELECT tiles, tile_bytes, blobs, blob_bytes, hits, misses, failures, created_at, updated_at "
                "FROM fmtc_counters").fetchone()
            zooms = {z: n for z, n in db.execute("SELECT zoom_level, tiles FROM fmtc_zooms WHERE tiles > 0")}
            source = db.execute("SELECT value FROM metadata WHERE name = ?", (SOURCE_KEY,)).fetchone()
        disk = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return StoreStats(self.name, source[0] if source else None, tiles, tile_bytes, blobs, blob_bytes, disk, zooms,
                          hits, misses, failures, created, updated)

    def failures(self) -> list[dict[str, object]]:
        """Recorded negative answers: [{z, x, y, reason, failed_at}] ordered by zoom, row, column."""
        with self._using() as db:
            rows = db.execute("SELECT zoom_level, tile_row, tile_column, reason, failed_at FROM fmtc_failures "
                                   "ORDER BY zoom_level, tile_row, tile_column").fetchall()
        return [{"z": z, "x": col, "y": tms_row(z, row), "reason": reason, "failed_at": at}
                for z, row, col, reason, at in rows]

    # -- checkpoints -----------------------------------------------------------------------------------
    def read_checkpoint(self, job_id: str) -> str | None:
        """The checkpoint text last stored for ``job_id`` by :meth:`put_tiles`, or None."""
        with self._using() as db:
            row = db.execute("SELECT checkpoint FROM fmtc_checkpoints WHERE job_id = ?", (job_id,)).fetchone()
        return row[0] if row else None

    def delete_checkpoint(self, job_id: str) -> None:
        """Forget ``job_id``'s checkpoint (no error if there is none)."""
        with self._write() as db:
            db.execute("DELETE FROM fmtc_checkpoints WHERE job_id = ?", (job_id,))

    # -- metadata --------------------------------------------------------------------------------------
    @property
    def source_url(self) -> str | None:
        """The URL template of the store's tile source (None for imported stores without one)."""
        return self.metadata().get(SOURCE_KEY)

    def metadata(self) -> dict[str, str]:
        """The MBTiles metadata table as a dict."""
        with self._using() as db:
            return read_metadata(db)

    def set_metadata(self, **entries: object) -> None:
        """Set metadata entries (a value of None deletes the key)."""
        with self._write() as db:
            write_metadata(db, entries)

    # -- management ------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Remove every tile, failure, checkpoint and browse count; metadata and source stay."""
        with self._write() as db:
            delete_tiles(db, "1")
            db.execute("DELETE FROM fmtc_failures")
            db.execute("DELETE FROM fmtc_checkpoints")
            db.execute("UPDATE fmtc_counters SET hits = 0, misses = 0, failures = 0, updated_at = ?", (time.time(),))

    def prune(self, older_than: float) -> int:
        """Delete tiles fetched before epoch ``older_than``; returns how many."""
        with self._write() as db:
            count = delete_tiles(db, "fetched_at < ?", (older_than,))
            db.execute("UPDATE fmtc_counters SET updated_at = ?", (time.time(),))
        return count

    @property
    def max_tiles(self) -> int | None:
        """The tile limit enforced by least-recently-used eviction after each write (None: no limit)."""
        value = self.metadata().get(MAX_TILES_KEY)
        return int(value) if value else None

    def set_max_tiles(self, limit: int | None) -> int:
        """Set (or with None remove) the tile limit and evict down to it now; returns tiles evicted."""
        if limit is not None and limit < 0:
            raise StoreError("The maximum tile count must be zero or more.")
        with self._write() as db:
            write_metadata(db, {MAX_TILES_KEY: limit})
            if limit is not None:
                db.execute(LRU_INDEX)
        return self.evict()

    def evict(self) -> int:
        """Delete the least recently used tiles beyond :attr:`max_tiles`; returns how many."""
        with self._write() as db:
            return self._evict(db)

    @staticmethod
    def _evict(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT value FROM metadata WHERE name = ?", (MAX_TILES_KEY,)).fetchone()
        if not row or row[0] is None:
            return 0
        excess = db.execute("SELECT tiles FROM fmtc_counters").fetchone()[0] - int(row[0])
        if excess <= 0:
            return 0
        return delete_tiles(db, "(zoom_level, tile_row, tile_column) IN (SELECT zoom_level, tile_row, tile_column "
                                    "FROM fmtc_tiles ORDER BY used_at, zoom_level, tile_row, tile_column LIMIT ?)",
                                (excess,))

    def record_browse(self, hits: int, misses: int, used: Iterable[tuple[int, int, int]] = ()) -> None:
        """Count browse hits and misses (tile proxy) and mark tiles ``used`` (z, x, y) as used now (for LRU)."""
        now = time.time()
        with self._write() as db:
            db.execute("UPDATE fmtc_counters SET hits = hits + ?, misses = misses + ?", (hits, misses))
            db.executemany("UPDATE fmtc_tiles SET used_at = ? WHERE zoom_level = ? AND tile_row = ? AND tile_column = ?",
                           [(now, z, tms_row(z, y), x) for z, x, y in used])

    def verify(self) -> list[str]:
        """Problems found by SQLite's integrity check, the MBTiles schema check and a recount (empty: fine)."""
        try:
            with self._lock:
                return verify_problems(self.db)
        except sqlite3.DatabaseError as exc:
            return [f"SQLite cannot read the file: {exc}"]
