"""Import MBTiles and PMTiles files made by any tool into a store, with a conflict strategy.

The file is checked completely before anything in the root changes; a new or replacing store is built in a
hidden scratch file and moved into place only when every tile is in, so a failed import loses nothing.
"""

from __future__ import annotations

import json
import mmap
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmtc_nb.errors import StoreError, StoreExists
from fmtc_nb.files import move_unless_exists
from fmtc_nb.store.formats import PMTILES_MAGIC, SQLITE_MAGIC
from fmtc_nb.store.metadata import SOURCE_KEY
from fmtc_nb.store.names import check_name
from fmtc_nb.store.records import TileRecord
from fmtc_nb.store.root import Root, checkpoint_wal, ensure_idle, remove_with_side_files, write_empty_store
from fmtc_nb.store.schema import mbtiles_problems
from fmtc_nb.store.store import MAX_ZOOM, Store, tms_row

CONFLICTS = ("skip", "replace", "rename", "merge")
#: Metadata the store recomputes from its own tiles instead of copying.
_DERIVED = {"minzoom", "maxzoom", "bounds", "center", "name"}
_BATCH = 2000


@dataclass(frozen=True)
class ImportResult:
    """What an import did: ``action`` is created, skipped, replaced, renamed or merged."""

    name: str
    action: str
    tiles: int


class TileArchive:
    """A checked MBTiles or PMTiles file: its metadata and a stream of its tiles (XYZ)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            raise StoreError(f"{path} is a directory; import takes one MBTiles or PMTiles file.")
        if not path.is_file():
            raise StoreError(f"There is no file {path} to import.")
        with path.open("rb") as f:
            head = f.read(16)
        if head.startswith(SQLITE_MAGIC):
            self.kind = "mbtiles"
            self.metadata = self._check_mbtiles()
        elif head.startswith(PMTILES_MAGIC):
            self.kind = "pmtiles"
            self.metadata = self._check_pmtiles()
        else:
            raise StoreError(f"The file {path} is neither an MBTiles (SQLite) nor a PMTiles archive.")
        self.fetched_at = path.stat().st_mtime

    # -- MBTiles -----------------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)

    def _check_mbtiles(self) -> dict[str, str]:
        try:
            db = self._connect()
            try:
                bad = [row[0] for row in db.execute("PRAGMA quick_check") if row[0] != "ok"]
                problems = bad or mbtiles_problems(db) or _tile_row_problems(db)
                meta = {} if problems else dict(db.execute("SELECT name, value FROM metadata"))
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"The file {self.path} is a damaged or truncated SQLite file ({exc}).") from exc
        if problems:
            raise StoreError(f"The file {self.path} is not a usable MBTiles file: {problems[0]}.")
        return {str(k): str(v) for k, v in meta.items() if v is not None}

    def _mbtiles_tiles(self) -> Iterator[tuple[int, int, int, bytes]]:  # rows checked by _tile_row_problems
        db = self._connect()
        try:
            for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
                yield z, x, tms_row(z, row), bytes(data)
        finally:
            db.close()

    # -- PMTiles -----------------------------------------------------------------------------------------
    def _check_pmtiles(self) -> dict[str, str]:
        from pmtiles.reader import Reader
        from pmtiles.tile import TileType

        size = self.path.stat().st_size
        try:
            with self.path.open("rb") as f:
                header_bytes = f.read(127)
            from pmtiles.tile import deserialize_header

            header = deserialize_header(header_bytes)
            if header_bytes[7] != 3:
                raise StoreError(f"The file {self.path} is a PMTiles v{header_bytes[7]} archive; only v3 is supported.")
            fields: dict[str, Any] = dict(header)
            ends = [fields[f"{part}_offset"] + fields[f"{part}_length"]
                    for part in ("root", "metadata", "leaf_directory", "tile_data")]
            if len(header_bytes) < 127 or max(ends) > size:
                raise StoreError(f"The PMTiles archive {self.path} is truncated ({size} bytes, needs {max(ends)}).")
            with self.path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
                meta = Reader(lambda offset, length: mapping[offset:offset + length]).metadata()
                problem = _pmtiles_directory_problem(lambda offset, length: mapping[offset:offset + length], fields)
            if problem:
                raise StoreError(f"The file {self.path} is a damaged PMTiles archive ({problem}).")
        except StoreError:
            raise
        except Exception as exc:  # the pmtiles reader raises whatever its parsing hits
            raise StoreError(f"The file {self.path} is a damaged PMTiles archive ({exc}).") from exc
        formats = {TileType.MVT: "pbf", TileType.PNG: "png", TileType.JPEG: "jpg", TileType.WEBP: "webp"}
        out = {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in dict(meta).items()}
        if header["tile_type"] in formats:
            out["format"] = formats[header["tile_type"]]
        return out

    def _pmtiles_tiles(self) -> Iterator[tuple[int, int, int, bytes]]:
        from pmtiles.reader import all_tiles

        with self.path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
            for (z, x, y), data in all_tiles(lambda offset, length: mapping[offset:offset + length]):
                yield z, x, y, bytes(data)

    # -- both --------------------------------------------------------------------------------------------
    def records(self) -> Iterator[list[TileRecord]]:
        """The tiles in batches, fetched time = the file's modification time."""
        source = self._mbtiles_tiles() if self.kind == "mbtiles" else self._pmtiles_tiles()
        batch: list[TileRecord] = []
        for z, x, y, data in source:
            batch.append(TileRecord(z, x, y, data, self.fetched_at))
            if len(batch) >= _BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    @property
    def source_url(self) -> str | None:
        """The tile source recorded by fmtc-nb exports (None for other tools' files)."""
        return self.metadata.get(SOURCE_KEY) or None


def _pmtiles_directory_problem(read: Callable[[int, int], bytes], header: dict[str, Any]) -> str | None:
    """Why the PMTiles directories are unusable, or None: every entry must point inside the leaf-directory and
    tile-data sections and name a tile up to MAX_ZOOM, and the tiles must add up to the header's count (when
    given). Walks the directories only, not the tile data, before anything is written."""
    from pmtiles.tile import deserialize_directory, zxy_to_tileid

    end_id = zxy_to_tileid(MAX_ZOOM + 1, 0, 0)
    tiles = 0
    pending = [(header["root_offset"], header["root_length"], 0)]
    while pending:
        offset, length, depth = pending.pop()
        if depth > 3:
            return "directories nest deeper than the format allows"
        for entry in deserialize_directory(read(offset, length)):
            if entry.run_length == 0:
                if entry.offset < 0 or entry.offset + entry.length > header["leaf_directory_length"]:
                    return "a leaf directory lies outside its section"
                pending.append((header["leaf_directory_offset"] + entry.offset, entry.length, depth + 1))
            elif entry.offset < 0 or entry.offset + entry.length > header["tile_data_length"]:
                return "a tile lies outside the tile data section"
            elif entry.tile_id + entry.run_length > end_id:
                return f"a tile is deeper than zoom {MAX_ZOOM}"
            else:
                tiles += entry.run_length
    if header["addressed_tiles_count"] and tiles != header["addressed_tiles_count"]:
        return f"the directories address {tiles} tiles, the header says {header['addressed_tiles_count']}"
    return None


def _tile_row_problems(db: sqlite3.Connection) -> list[str]:
    """The first malformed row of the MBTiles ``tiles`` table (types, grid), found before anything is written, so
    a bad row can never leave a store half merged."""
    row = db.execute(
        "SELECT zoom_level, tile_column, tile_row, typeof(tile_data) FROM tiles WHERE typeof(zoom_level) != 'integer' "
        "OR typeof(tile_column) != 'integer' OR typeof(tile_row) != 'integer' OR typeof(tile_data) != 'blob' "
        "OR zoom_level NOT BETWEEN 0 AND ? OR tile_column NOT BETWEEN 0 AND (1 << zoom_level) - 1 "
        "OR tile_row NOT BETWEEN 0 AND (1 << zoom_level) - 1 LIMIT 1", (MAX_ZOOM,)).fetchone()
    if row is None:
        return []
    z, x, y, kind = row
    return [f"the tile row zoom_level={z!r}, tile_column={x!r}, tile_row={y!r} with {kind} tile_data is not a "
            f"tile of the grid with image data (z 0-{MAX_ZOOM}, x and y 0 to 2^z - 1, data a blob)"]


def import_file(root: Root, file: str | os.PathLike[str], *, name: str | None = None,
                on_conflict: str | None = None) -> ImportResult:
    """Import ``file`` (MBTiles or PMTiles) as store ``name`` (default: the file name without extension).

    If the store exists, ``on_conflict`` decides: ``skip`` (leave it), ``replace`` (swap in the import when
    complete), ``rename`` (import as ``name-2``, ``name-3``...), ``merge`` (add the imported tiles, replacing
    tiles at the same place). Without a strategy an existing store is an error (StoreExists).
    """
    if on_conflict is not None and on_conflict not in CONFLICTS:
        raise StoreError(f"Unknown conflict strategy {on_conflict!r}; choose one of {', '.join(CONFLICTS)}.")
    archive = TileArchive(Path(file))
    name = check_name(name if name is not None else Path(file).stem)
    if not root.exists(name):
        return ImportResult(name, "created", _build(root, archive, name, replace=False))
    if on_conflict is None:
        raise StoreExists(f"A store named {name!r} exists already; choose --on-conflict skip, replace, rename or merge.")
    if on_conflict == "skip":
        return ImportResult(name, "skipped", 0)
    if on_conflict == "replace":
        return ImportResult(name, "replaced", _build(root, archive, name, replace=True))
    if on_conflict == "rename":
        n = 2
        while root.exists(f"{name}-{n}"):
            n += 1
        return ImportResult(f"{name}-{n}", "renamed", _build(root, archive, f"{name}-{n}", replace=False))
    return ImportResult(name, "merged", _merge(root, archive, name))


def _build(root: Root, archive: TileArchive, name: str, *, replace: bool) -> int:
    """Build store ``name`` from ``archive`` in a scratch file, then move it into place."""
    tmp = root.scratch_path(name)
    final = root.store_path(name)
    meta = {k: v for k, v in archive.metadata.items() if k not in _DERIVED and k != SOURCE_KEY}
    count = 0
    try:
        write_empty_store(tmp, name, archive.source_url, meta)
        with Store(tmp) as store:
            for batch in archive.records():
                store.put_tiles(batch)
                count += len(batch)
        checkpoint_wal(tmp)
        if replace:
            ensure_idle(final, name, "replace")  # its WAL must hold nothing that could be replayed onto the new file
            os.replace(tmp, final)
        else:
            try:
                move_unless_exists(tmp, final)
            except FileExistsError:
                raise StoreExists(f"A store named {name!r} appeared while importing; nothing was changed.") from None
    finally:
        remove_with_side_files(tmp)
    return count


def _merge(root: Root, archive: TileArchive, name: str) -> int:
    """Add the archive's tiles to existing store ``name`` (one transaction per batch)."""
    count = 0
    with root.open(name) as store:
        recorded = store.source_url
        if archive.source_url and recorded and archive.source_url != recorded:
            raise StoreError(f"The store {name!r} holds tiles of {recorded} but the file holds tiles of "
                             f"{archive.source_url}; merging tiles of another source is refused.")
        for batch in archive.records():
            store.put_tiles(batch)
            count += len(batch)
    return count
