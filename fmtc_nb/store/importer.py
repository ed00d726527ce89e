"""Import MBTiles, PMTiles, GeoPackage and OsmAnd/Locus sqlitedb files made by any tool into a store, with a
conflict strategy (the field formats are read by :mod:`fmtc_nb.store.gpkg` and :mod:`fmtc_nb.store.sqlitedb`).

The file is checked completely before anything in the root changes; a new or replacing store is built in a
hidden scratch file and moved into place only when every tile is in, so a failed import loses nothing (and
the scratch file of an import killed half way is removed by the next one, see ``fmtc_nb.store.scratch``).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fmtc_nb.errors import StoreError, StoreExists
from fmtc_nb.files import move_unless_exists
from fmtc_nb.source import recorded_url
from fmtc_nb.store.connection import database_error
from fmtc_nb.store.fieldfile import FieldArchive
from fmtc_nb.store.formats import PMTILES_MAGIC, SQLITE_MAGIC
from fmtc_nb.store.mbtiles_read import MBTilesFile
from fmtc_nb.store.metadata import SOURCE_KEY
from fmtc_nb.store.names import check_name
from fmtc_nb.store.pmtiles_read import PMTilesFile
from fmtc_nb.store.records import TileRecord
from fmtc_nb.store.root import Root, checkpoint_wal, ensure_idle, remove_with_side_files, write_empty_store
from fmtc_nb.store.store import MAX_TILES_KEY, MAX_ZOOM, Store

CONFLICTS = ("skip", "replace", "rename", "merge")
#: Metadata the store recomputes from its own tiles instead of copying.
_DERIVED = {"minzoom", "maxzoom", "bounds", "center", "name"}
_BATCH = 2000
_BATCH_BYTES = 32 << 20


@dataclass(frozen=True)
class ImportResult:
    """What an import did: ``action`` is created, skipped, replaced, renamed or merged."""

    name: str
    action: str
    tiles: int


class TileArchive:
    """A checked MBTiles, PMTiles, GeoPackage or sqlitedb file: its metadata and a stream of its tiles (XYZ).
    Nothing in the file is trusted (see ``mbtiles_read``, ``pmtiles_read``, ``gpkg``, ``sqlitedb``); bad input is
    one ``StoreError`` sentence."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.field: FieldArchive | None = None
        if path.is_dir():
            raise StoreError(f"{path} is a directory; import takes one MBTiles, PMTiles, GeoPackage or sqlitedb file.")
        if not path.is_file():
            raise StoreError(f"There is no file {path} to import.")
        try:
            with path.open("rb") as f:
                head = f.read(16)
            self.fetched_at = path.stat().st_mtime
        except OSError as exc:
            raise StoreError(f"The file {path} cannot be read ({exc.strerror or exc}).") from None
        self.reader: MBTilesFile | PMTilesFile | FieldArchive
        if head.startswith(SQLITE_MAGIC) and (field := _field_archive(path)) is not None:
            self.reader = field  # a GeoPackage or an OsmAnd/Locus sqlitedb
            self.metadata = field.metadata
        elif head.startswith(SQLITE_MAGIC):
            self.reader = MBTilesFile(path)
            self.metadata = self.reader.metadata
        elif head.startswith(PMTILES_MAGIC):
            self.reader = PMTilesFile(path, MAX_ZOOM)
            self.metadata = dict(self.reader.metadata)
            if self.reader.tile_format:
                self.metadata["format"] = self.reader.tile_format
        else:
            raise StoreError(f"The file {path} is neither an MBTiles (SQLite) nor a PMTiles archive.")
        check_imported_limit(path, self.metadata.get(MAX_TILES_KEY))

    def records(self) -> Iterator[list[TileRecord]]:
        """The tiles in batches (at most ``_BATCH`` tiles and about ``_BATCH_BYTES`` bytes each), fetched
        time = the file's modification time."""
        batch: list[TileRecord] = []
        size = 0
        for z, x, y, data in self.reader.tiles():
            batch.append(TileRecord(z, x, y, data, self.fetched_at))
            size += len(data)
            if len(batch) >= _BATCH or size >= _BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    @property
    def source_url(self) -> str | None:
        """The tile source recorded by fmtc-nb exports (None for other tools' files)."""
        return self.metadata.get(SOURCE_KEY) or None


def check_imported_limit(path: Path, value: str | None) -> None:
    """Refuse a file whose ``fmtc_max_tiles`` is not a positive whole number, as ``store limit`` would."""
    if value is None:
        return
    text = value.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,18}", text):
        raise StoreError(f"The file {path} sets fmtc_max_tiles to {value[:40]!r}, which is not a whole number of "
                         "tiles; remove that metadata entry or fix it.")
    if int(text) <= 0:
        raise StoreError(f"The file {path} sets fmtc_max_tiles to {text}, but a tile limit must be positive "
                         "(0 would evict every tile); remove that metadata entry or fix it.")


def _field_archive(path: Path) -> FieldArchive | None:
    """The GeoPackage or sqlitedb at ``path``, checked, or None for another SQLite file (MBTiles)."""
    from fmtc_nb.store import gpkg, sqlitedb

    return gpkg.open_archive(path) or sqlitedb.open_archive(path)


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
        try:
            write_empty_store(tmp, name, archive.source_url, meta)
            with Store(tmp) as store:
                for batch in archive.records():
                    store.put_tiles(batch)
                    count += len(batch)
            checkpoint_wal(tmp)
        except (OSError, sqlite3.Error) as exc:  # a full disk, say: the scratch file goes, nothing else changed
            raise database_error(exc, name, final, root.busy_timeout_s) from None
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
        incoming = recorded_url(archive.source_url) if archive.source_url else None
        if incoming and recorded and incoming != recorded:
            raise StoreError(f"The store {name!r} holds tiles of {recorded} but the file holds tiles of "
                             f"{incoming}; merging tiles of another source is refused.")
        for batch in archive.records():
            store.put_tiles(batch)
            count += len(batch)
    return count
