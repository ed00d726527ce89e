"""Export a store: a plain MBTiles file, a PMTiles v3 archive (written by the ``pmtiles`` package), a
``z/x/y.ext`` directory, or a field app's format (GeoPackage: :mod:`fmtc_nb.store.gpkg`; OsmAnd/Locus sqlitedb:
:mod:`fmtc_nb.store.sqlitedb`). Every export is written beside its target and moved into place when complete."""

from __future__ import annotations

import gzip
import os
import sqlite3
from pathlib import Path

from fmtc_nb.errors import StoreError
from fmtc_nb.files import built_beside
from fmtc_nb.source import redact_url
from fmtc_nb.store.connection import target_error
from fmtc_nb.store.formats import PMTILES_MAGIC, SQLITE_MAGIC
from fmtc_nb.store.metadata import SOURCE_KEY
from fmtc_nb.store.schema import MBTILES_APPLICATION_ID
from fmtc_nb.store.store import Store, tms_row

FORMATS = ("mbtiles", "pmtiles", "dir", "gpkg", "sqlitedb")
#: The single-file formats: what a previous export starts with, and what it is called in sentences.
_FILE_KINDS = {"mbtiles": (SQLITE_MAGIC, "an MBTiles file"), "pmtiles": (PMTILES_MAGIC, "a PMTiles archive"),
               "gpkg": (SQLITE_MAGIC, "a GeoPackage"), "sqlitedb": (SQLITE_MAGIC, "a sqlitedb file")}


def archive_bytes(fmt: str | None, data: bytes) -> bytes:
    """Tile bytes as MBTiles and PMTiles archives expect them: vector tiles (pbf) gzip-compressed."""
    if fmt == "pbf" and not data.startswith(b"\x1f\x8b"):
        return gzip.compress(data, mtime=0)
    return data


def previous_export_problem(out: Path, fmt: str) -> str | None:
    """Why ``out`` (which exists) may not be replaced by an export in ``fmt``, or None if it is a previous
    export of that kind: an MBTiles, GeoPackage or sqlitedb (SQLite) file, a PMTiles file, or a ``z/x/y``
    directory with ``metadata.json`` and nothing else. A user's folder or document is never deleted to make room."""
    if fmt != "dir":
        if out.is_dir():
            return f"{out} is a directory, and a {fmt} export is one file; choose a file name"
        try:
            with out.open("rb") as f:
                head = f.read(16)
        except OSError as exc:
            return f"{out} cannot be read ({exc.strerror or exc}), so it is not known to be a previous export"
        magic, kind = _FILE_KINDS[fmt]
        return None if head.startswith(magic) else f"{out} is not {kind}, so it is not a previous export"
    if not out.is_dir() or out.is_symlink():
        return f"{out} is not a directory, so it is not a previous tile export"
    for entry in out.iterdir():
        if entry.name == "metadata.json" and entry.is_file():
            continue
        if not (entry.name.isdigit() and entry.is_dir() and not entry.is_symlink()
                and all(x.name.isdigit() and x.is_dir() for x in entry.iterdir())):
            return f"{out} holds {entry.name!r}, so it is not a previous tile export"
    if not (out / "metadata.json").is_file():
        return f"{out} has no metadata.json, so it is not a previous tile export"
    return None


def _check_target(out: Path, fmt: str, overwrite: bool) -> None:
    """Refuse ``out`` if it exists, unless ``overwrite`` and it is a previous export (see
    :func:`previous_export_problem`)."""
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise StoreError(f"The export target {out} exists already; remove it or choose another path.")
        problem = previous_export_problem(out, fmt)
        if problem:
            raise StoreError(f"The export target {problem}; --overwrite replaces only a previous export.")


def _refuse_stores_dir(store: Store, out: Path) -> None:
    """Refuse a target in, equal to, or above the stores directory: writing (or with ``overwrite`` replacing) it
    would turn a store into a plain export or delete stores."""
    stores_dir, target = store.path.resolve().parent, out.resolve()
    if target == stores_dir or stores_dir in target.parents or target in stores_dir.parents:
        raise StoreError(f"The export target {out} is in or around the stores directory {stores_dir}; "
                         "exporting there could replace stores, so choose a path outside it.")


def shared_metadata(store: Store) -> dict[str, str]:
    """The store's metadata as an export carries it to others: the source URL with credentials redacted
    (stores made before redaction may still hold a key in it)."""
    meta = dict(store.metadata())
    if meta.get(SOURCE_KEY):
        meta[SOURCE_KEY] = redact_url(meta[SOURCE_KEY])
    return meta


def export_store(store: Store, fmt: str, out: str | os.PathLike[str], *, overwrite: bool = False) -> int:
    """Write every tile of ``store`` to ``out`` in format ``fmt`` (one of :data:`FORMATS`); returns tiles written."""
    if fmt not in FORMATS:
        raise StoreError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if store.stats().tiles == 0 and fmt == "pmtiles":
        raise StoreError(f"The store {store.name!r} holds no tiles, and a PMTiles archive needs at least one.")
    _refuse_stores_dir(store, Path(out))
    from fmtc_nb.store.gpkg import write_gpkg
    from fmtc_nb.store.sqlitedb import write_sqlitedb

    writer = {"mbtiles": _to_mbtiles, "pmtiles": _to_pmtiles, "dir": _to_dir,
              "gpkg": lambda s, p: write_gpkg(s, p, shared_metadata(s)), "sqlitedb": write_sqlitedb}[fmt]
    _check_target(Path(out), fmt, overwrite)
    try:
        with built_beside(Path(out), StoreError) as tmp:
            return writer(store, tmp)
    except (OSError, sqlite3.Error) as exc:  # the target's medium (read-only, full): the store is only read
        raise target_error(exc, Path(out)) from exc


def _to_mbtiles(store: Store, path: Path) -> int:
    """A standalone MBTiles 1.3 with a real ``tiles`` table (what every reader and writer expects)."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute(f"PRAGMA application_id = {MBTILES_APPLICATION_ID}")
        db.executescript(
            "CREATE TABLE metadata (name TEXT NOT NULL PRIMARY KEY, value TEXT);"
            "CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, "
            "tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);")
        db.execute("BEGIN")
        meta = shared_metadata(store)
        db.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
        count = 0
        batch: list[tuple[int, int, int, bytes]] = []
        for record in store.iter_tiles():
            batch.append((record.z, record.x, tms_row(record.z, record.y), archive_bytes(meta.get("format"), record.data)))
            if len(batch) >= 1000:
                count += _flush(db, batch)
        count += _flush(db, batch)
        db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        db.execute("COMMIT")
    finally:
        db.close()
    return count


def _flush(db: sqlite3.Connection, batch: list[tuple[int, int, int, bytes]]) -> int:
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", batch)
    n = len(batch)
    batch.clear()
    return n


def _to_pmtiles(store: Store, path: Path) -> int:
    """A PMTiles v3 archive, tiles in tile-id (Hilbert) order so the archive is clustered."""
    from pmtiles.convert import mbtiles_to_header_json
    from pmtiles.tile import TileType, zxy_to_tileid
    from pmtiles.writer import write

    meta = shared_metadata(store)
    meta.setdefault("format", "")
    header, meta = mbtiles_to_header_json(meta)
    if meta.get("format") == "jpg":
        header["tile_type"] = TileType.JPEG
    count = 0
    with write(str(path)) as writer:
        for z in sorted(store.stats().zooms):
            ids = sorted((zxy_to_tileid(z, x, y), x, y) for x, y in store.tile_keys(z))
            for tile_id, x, y in ids:
                data = store.get_tile(z, x, y)
                if data is not None:
                    writer.write_tile(tile_id, archive_bytes(meta.get("format"), data))
                    count += 1
        writer.finalize(header, meta)
    return count


def _to_dir(store: Store, path: Path) -> int:
    """``z/x/y.<format>`` files (XYZ rows) plus ``metadata.json``."""
    import json

    meta = shared_metadata(store)
    ext = meta.get("format") or "bin"
    path.mkdir()
    (path / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    count = 0
    for record in store.iter_tiles():
        folder = path / str(record.z) / str(record.x)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{record.y}.{ext}").write_bytes(record.data)
        count += 1
    return count
