"""The ``.sqlitedb`` tile file OsmAnd and Locus Map open offline (the "BigPlanet"/RMaps SQLite layout as
extended by OsmAnd), written from a store and imported back.

Schema, as documented by OsmAnd (https://osmand.net/docs/technical/osmand-file-formats/osmand-sqlite/, read
with ``SQLiteTileSource``: an ``info`` table without ``tilenumbering`` means BigPlanet numbering) and as Locus
Map writes it (the RMaps layout: ``tiles (x, y, z, s, image)`` with ``z = 17 - zoom``, ``info (minzoom,
maxzoom)``, ``android_metadata (locale)``; described at
https://thejeshgn.com/2014/06/12/tiled-map-storage-in-sqlite/):

- ``tiles (x int, y int, z int, s int, image blob, PRIMARY KEY (x, y, z, s))``: ``x``, ``y`` are XYZ tile
  numbers (rows from the north), ``z = 17 - zoom`` (BigPlanet numbering; zooms above 17 give negative ``z``,
  which OsmAnd reads by the same formula), ``s = 0``;
- ``info``: one row; ``minzoom``/``maxzoom`` in the same inverted numbering (``minzoom = 17 - deepest zoom``),
  ``tilenumbering = 'BigPlanet'``, ``tilesize`` (pixels), ``timecolumn = 'no'``, ``ellipsoid = 0`` (spherical Web
  Mercator), ``inverted_y = 0``, ``expireminutes = 0``; no ``url``, so the app never goes online for more tiles;
- ``android_metadata (locale)``: ``en_US``.

The format has no place for an attribution or other metadata, so none travels. On import, ``tilenumbering``
other than BigPlanet means plain zooms, ``inverted_y = 1`` TMS rows, and ``ellipsoid = 1`` (Yandex's elliptical
Mercator) is refused.
"""

from __future__ import annotations

import contextlib
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from fmtc_nb.errors import StoreError
from fmtc_nb.store.fieldfile import check_integrity, insert_batches, open_checked, plain_tables, read_tiles
from fmtc_nb.store.schema import objects
from fmtc_nb.store.store import MAX_ZOOM, Store

#: BigPlanet numbering: the ``z`` column holds ``INVERT_FROM - zoom``.
INVERT_FROM = 17
_SCHEMA = """
CREATE TABLE tiles (x int, y int, z int, s int, image blob, PRIMARY KEY (x, y, z, s));
CREATE TABLE info (minzoom int, maxzoom int, tilenumbering text, tilesize int, timecolumn text, ellipsoid int,
  inverted_y int, expireminutes int);
CREATE TABLE android_metadata (locale text);
"""


def write_sqlitedb(store: Store, path: Path) -> int:
    """Write every tile of ``store`` to a new ``.sqlitedb`` at ``path``; returns the tiles written."""
    from PIL import Image

    if store.metadata().get("format") == "pbf":
        raise StoreError(f"The store {store.name!r} holds vector tiles; OsmAnd and Locus read raster tiles from "
                         ".sqlitedb files. Export it as mbtiles or pmtiles.")
    zooms: set[int] = set()
    sizes: list[int] = []

    def rows() -> Iterator[tuple[int, int, int, int, bytes]]:
        for record in store.iter_tiles():
            if not sizes:
                with contextlib.suppress(OSError, ValueError):  # not an image: OsmAnd learns the size itself
                    sizes.append(Image.open(io.BytesIO(record.data)).size[0])
            zooms.add(record.z)
            yield record.x, record.y, INVERT_FROM - record.z, 0, record.data

    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.executescript(_SCHEMA)  # a scratch file: the schema may commit on its own
        db.execute("BEGIN")
        count = insert_batches(db, "INSERT INTO tiles VALUES (?, ?, ?, ?, ?)", rows())
        low, high = (min(zooms), max(zooms)) if zooms else (0, 0)
        db.execute("INSERT INTO info VALUES (?, ?, 'BigPlanet', ?, 'no', 0, 0, 0)",
                   (INVERT_FROM - high, INVERT_FROM - low, sizes[0] if sizes else 256))
        db.execute("INSERT INTO android_metadata VALUES ('en_US')")
        db.execute("COMMIT")
    finally:
        db.close()
    return count


def is_sqlitedb(db: sqlite3.Connection) -> bool:
    """True if the SQLite file has the sqlitedb layout: an ``info`` table and ``tiles`` with x, y, z, image."""
    if not {"info", "tiles"} <= set(objects(db)):
        return False
    columns = {row[1] for row in db.execute("PRAGMA table_info(tiles)")}
    return {"x", "y", "z", "image"} <= columns


class SqlitedbArchive:
    """A checked OsmAnd/Locus ``.sqlitedb``: ``metadata`` (empty: the format has none) and ``tiles()`` (XYZ)."""

    kind = "sqlitedb"

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        info_columns = tuple(row[1] for row in db.execute("PRAGMA table_xinfo(info)"))
        problem = check_integrity(db) or plain_tables(db, {"tiles": ("x", "y", "z", "image"), "info": info_columns})
        if problem:
            raise StoreError(f"The sqlitedb file {path} is not usable: {problem}.")
        cursor = db.execute("SELECT * FROM info LIMIT 1")
        names = [d[0].lower() for d in cursor.description]
        info = dict(zip(names, cursor.fetchone() or (), strict=False))
        self.inverted_zoom = str(info.get("tilenumbering", "BigPlanet")).lower() == "bigplanet" \
            if "tilenumbering" in info else True
        self.inverted_y = str(info.get("inverted_y", "0")) == "1"
        if str(info.get("ellipsoid", "0")) == "1":
            raise StoreError(f"The sqlitedb file {path} holds elliptical-Mercator tiles (ellipsoid = 1), which are no "
                             "Web Mercator XYZ tiles.")
        self.has_s = plain_tables(db, {"tiles": ("s",)}) is None
        self._check_rows(db)
        self.metadata: dict[str, str] = {}

    def _zoom_sql(self) -> str:
        return f"({INVERT_FROM} - z)" if self.inverted_zoom else "z"

    def _check_rows(self, db: sqlite3.Connection) -> None:
        zoom = self._zoom_sql()
        bad = db.execute(
            f"SELECT x, y, z, typeof(image) FROM tiles WHERE typeof(x) != 'integer' OR typeof(y) != 'integer' "
            f"OR typeof(z) != 'integer' OR typeof(image) != 'blob' OR {zoom} NOT BETWEEN 0 AND ? "
            f"OR x NOT BETWEEN 0 AND (1 << {zoom}) - 1 OR y NOT BETWEEN 0 AND (1 << {zoom}) - 1 LIMIT 1",
            (MAX_ZOOM,)).fetchone()
        if bad is not None:
            x, y, z, kind = bad
            raise StoreError(f"The sqlitedb file {self.path} has a tile row x={x!r}, y={y!r}, z={z!r} with {kind} image "
                             f"that is not a tile of the grid (zoom 0-{MAX_ZOOM}, x and y 0 to 2^zoom - 1, a blob).")

    def tiles(self) -> Iterator[tuple[int, int, int, bytes]]:
        """Every tile as (z, x, y, bytes), rows of higher ``s`` last (they win); rows were checked on opening."""
        order = " ORDER BY s" if self.has_s else ""
        for x, y, z, data in read_tiles(self.path, f"SELECT x, y, {self._zoom_sql()}, image FROM tiles{order}",
                                        "sqlitedb file"):
            yield z, x, (1 << z) - 1 - y if self.inverted_y else y, bytes(data)


def open_archive(path: Path) -> SqlitedbArchive | None:
    """The sqlitedb at ``path`` checked for import, or None if the SQLite file has another layout."""
    return open_checked(path, is_sqlitedb, SqlitedbArchive, "sqlitedb file")
