"""OGC GeoPackage tiles: a store exported as one raster tile pyramid in EPSG:3857 (what QGIS, QField, ArcGIS and
GDAL open), and GeoPackage tile pyramids in Web Mercator imported back.

Layout written (GeoPackage 1.3, ``application_id`` 'GPKG'): ``gpkg_spatial_ref_sys`` (the required -1, 0 and
4326 rows plus 3857), ``gpkg_contents`` (one ``tiles`` row; its extent is that of the deepest zoom's tiles),
``gpkg_tile_matrix_set`` (the whole Web Mercator square), ``gpkg_tile_matrix`` (one row per zoom present,
``matrix_width = 2^z``, so zoom_level is the XYZ zoom), the tile table ``tiles`` (``tile_row`` counted from the
north, like XYZ rows). PNG and JPEG are core GeoPackage tile formats; WebP is registered as the ``gpkg_webp``
extension; vector tiles are refused. The store's metadata (attribution, name, description, format, source
template) travels in ``gpkg_metadata`` as GDAL's metadata XML, so ``gdalinfo`` shows it, and comes back on import.
"""

from __future__ import annotations

import io
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from fmtc_nb.errors import StoreError
from fmtc_nb.sources.templates import WORLD_HALF_M, tile_bbox_3857
from fmtc_nb.store.fieldfile import check_integrity, insert_batches, open_checked, plain_tables, read_tiles
from fmtc_nb.store.formats import sniff_format
from fmtc_nb.store.schema import objects
from fmtc_nb.store.store import MAX_ZOOM, Store

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3
OLD_APPLICATION_IDS = (0x47503130, 0x47503131)  # "GP10", "GP11": GeoPackage 1.0 and 1.1
TABLE = "tiles"
WEB_MERCATOR_IDS = (3857, 900913, 102100, 102113, 3785)
_METADATA_MAX_CHARS = 1_000_000
_GDAL_MD_URI = "http://gdal.org"
#: The GeoPackage tables read on import, with the columns read from each.
_READ = {"gpkg_contents": ("table_name", "data_type", "identifier", "description"),
         "gpkg_spatial_ref_sys": ("srs_id", "organization", "organization_coordsys_id"),
         "gpkg_tile_matrix_set": ("table_name", "srs_id", "min_x", "min_y", "max_x", "max_y"),
         "gpkg_tile_matrix": ("table_name", "zoom_level", "matrix_width", "matrix_height", "tile_width", "tile_height")}
_TILE_COLUMNS = ("zoom_level", "tile_column", "tile_row", "tile_data")
_METADATA_READ = {"gpkg_metadata": ("id", "md_standard_uri", "mime_type", "metadata"),
                  "gpkg_metadata_reference": ("reference_scope", "table_name", "md_file_id")}
_WGS84 = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
          'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,'
          'AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]')
_PSEUDO_MERCATOR = (
    'PROJCS["WGS 84 / Pseudo-Mercator",' + _WGS84.replace(',AXIS["Latitude",NORTH],AXIS["Longitude",EAST]', "")
    + ',PROJECTION["Mercator_1SP"],PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],'
    'PARAMETER["false_easting",0],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],'
    'AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","3857"]]')
_SCHEMA = f"""
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_tile_matrix_set (table_name TEXT NOT NULL PRIMARY KEY, srs_id INTEGER NOT NULL,
  min_x DOUBLE NOT NULL, min_y DOUBLE NOT NULL, max_x DOUBLE NOT NULL, max_y DOUBLE NOT NULL,
  CONSTRAINT fk_gtms_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gtms_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_tile_matrix (table_name TEXT NOT NULL, zoom_level INTEGER NOT NULL,
  matrix_width INTEGER NOT NULL, matrix_height INTEGER NOT NULL, tile_width INTEGER NOT NULL,
  tile_height INTEGER NOT NULL, pixel_x_size DOUBLE NOT NULL, pixel_y_size DOUBLE NOT NULL,
  CONSTRAINT pk_ttm PRIMARY KEY (table_name, zoom_level),
  CONSTRAINT fk_tmm_table_name FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name));
CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
  md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT,
  row_id_value INTEGER, timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL, md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
CREATE TABLE "{TABLE}" (id INTEGER PRIMARY KEY AUTOINCREMENT, zoom_level INTEGER NOT NULL,
  tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL,
  UNIQUE (zoom_level, tile_column, tile_row));
"""
_EXTENSION_DEFINITIONS = {
    "gpkg_webp": "http://www.geopackage.org/spec/#extension_tiles_webp",
    "gpkg_metadata": "http://www.geopackage.org/spec/#extension_metadata",
}


# -- export ------------------------------------------------------------------------------------------------
def write_gpkg(store: Store, path: Path, meta: dict[str, str]) -> int:
    """Write every tile of ``store`` to a new GeoPackage at ``path`` with the metadata ``meta`` (what the store
    shares with others: ``export.shared_metadata``); returns the tiles written."""
    if meta.get("format") == "pbf":
        raise StoreError(f"The store {store.name!r} holds vector tiles; a GeoPackage export holds raster tiles "
                         "(PNG, JPEG, WebP). Export it as mbtiles or pmtiles.")
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {USER_VERSION}")
        db.executescript(_SCHEMA)  # a scratch file: the schema may commit on its own
        db.execute("BEGIN")
        pyramid = _Pyramid()
        count = insert_batches(db, f'INSERT INTO "{TABLE}" (zoom_level, tile_column, tile_row, tile_data) '
                                   "VALUES (?, ?, ?, ?)", pyramid.rows(store))
        _describe(db, store.name, meta, pyramid)
        db.execute("COMMIT")
    finally:
        db.close()
    return count


class _Pyramid:
    """Per zoom, while the tiles stream by: tile size (pixels, from the first tile) and the column/row extent;
    the image formats seen."""

    def __init__(self) -> None:
        self.sizes: dict[int, tuple[int, int]] = {}
        self.extents: dict[int, list[int]] = {}
        self.formats: set[str] = set()

    def rows(self, store: Store) -> Iterator[tuple[int, int, int, bytes]]:
        from PIL import Image

        for record in store.iter_tiles():
            z, x, y, data = record.z, record.x, record.y, record.data
            fmt = sniff_format(data)
            if fmt not in ("png", "jpg", "webp"):
                raise StoreError(f"The tile {z}/{x}/{y} of store {store.name!r} is not a PNG, JPEG or WebP image, "
                                 "which is all a GeoPackage tile pyramid may hold.")
            self.formats.add(fmt)
            if z not in self.sizes:
                try:
                    self.sizes[z] = Image.open(io.BytesIO(data)).size
                except (OSError, ValueError) as exc:
                    raise StoreError(f"The tile {z}/{x}/{y} of store {store.name!r} is not a readable image ({exc}).") from exc
                self.extents[z] = [x, y, x, y]
            e = self.extents[z]
            e[0], e[1], e[2], e[3] = min(e[0], x), min(e[1], y), max(e[2], x), max(e[3], y)
            yield z, x, y, data


def _describe(db: sqlite3.Connection, name: str, meta: dict[str, str], pyramid: _Pyramid) -> None:
    """The reference system, contents, tile matrix set and matrices, extensions and metadata rows."""
    db.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
        ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84, "longitude/latitude coordinates in decimal degrees on WGS 84"),
        ("WGS 84 / Pseudo-Mercator", 3857, "EPSG", 3857, _PSEUDO_MERCATOR, "Web Mercator")])
    if pyramid.extents:
        deepest = max(pyramid.extents)
        x0, y0, x1, y1 = pyramid.extents[deepest]
        west, _, _, north = tile_bbox_3857(deepest, x0, y0)
        _, south, east, _ = tile_bbox_3857(deepest, x1, y1)
    else:
        west, south, east, north = -WORLD_HALF_M, -WORLD_HALF_M, WORLD_HALF_M, WORLD_HALF_M
    db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, "
               "max_y, srs_id) VALUES (?, 'tiles', ?, ?, ?, ?, ?, ?, 3857)",
               (TABLE, meta.get("name") or name, meta.get("description", ""), west, south, east, north))
    db.execute("INSERT INTO gpkg_tile_matrix_set VALUES (?, 3857, ?, ?, ?, ?)",
               (TABLE, -WORLD_HALF_M, -WORLD_HALF_M, WORLD_HALF_M, WORLD_HALF_M))
    for z, (width, height) in sorted(pyramid.sizes.items()):
        n = 1 << z
        db.execute("INSERT INTO gpkg_tile_matrix VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (TABLE, z, n, n, width, height, 2 * WORLD_HALF_M / (n * width), 2 * WORLD_HALF_M / (n * height)))
    extensions: list[tuple[str, str | None, str, str]] = []
    if "webp" in pyramid.formats:
        extensions.append((TABLE, "tile_data", "gpkg_webp", "read-write"))
    extensions += [("gpkg_metadata", None, "gpkg_metadata", "read-write"),
                   ("gpkg_metadata_reference", None, "gpkg_metadata", "read-write")]
    db.executemany("INSERT INTO gpkg_extensions VALUES (?, ?, ?, ?, ?)",
                   [(t, c, e, _EXTENSION_DEFINITIONS[e], s) for t, c, e, s in extensions])
    items = "".join(f"<MDI key={quoteattr(k)}>{escape(v)}</MDI>" for k, v in sorted(meta.items()))
    db.execute("INSERT INTO gpkg_metadata (id, md_scope, md_standard_uri, mime_type, metadata) "
               "VALUES (1, 'dataset', ?, 'text/xml', ?)",
               (_GDAL_MD_URI, f"<GDALMultiDomainMetadata><Metadata>{items}</Metadata></GDALMultiDomainMetadata>"))
    db.execute("INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) VALUES ('table', ?, 1)",
               (TABLE,))


# -- import ------------------------------------------------------------------------------------------------
def is_geopackage(db: sqlite3.Connection) -> bool:
    """True if the SQLite file says it is a GeoPackage (its application id, or a ``gpkg_contents`` table)."""
    app_id = db.execute("PRAGMA application_id").fetchone()[0] & 0xFFFFFFFF
    return app_id == APPLICATION_ID or app_id in OLD_APPLICATION_IDS or "gpkg_contents" in objects(db)


class GpkgArchive:
    """A checked GeoPackage holding one tile pyramid in Web Mercator: ``metadata`` and ``tiles()`` (XYZ)."""

    kind = "gpkg"

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        problem = check_integrity(db) or plain_tables(db, _READ)
        if problem:
            raise StoreError(f"The GeoPackage {path} is not usable: {problem}.")
        pyramids = [row[0] for row in db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'tiles' "
                                                 "ORDER BY table_name LIMIT 10")]
        if len(pyramids) != 1:
            found = "none" if not pyramids else ", ".join(repr(p) for p in pyramids)
            raise StoreError(f"The GeoPackage {path} must hold exactly one tile pyramid to be imported as a store; "
                             f"it holds {found}.")
        self.table = str(pyramids[0])
        problem = plain_tables(db, {self.table: _TILE_COLUMNS})
        if problem:
            raise StoreError(f"The GeoPackage {path} is not usable: {problem}.")
        self.zooms = self._matrices(db)
        self._check_rows(db)
        self.metadata = self._metadata(db)

    def _matrices(self, db: sqlite3.Connection) -> dict[int, int]:
        """{zoom_level: XYZ zoom} after checking the set is the Web Mercator square and each matrix a zoom's grid."""
        row = db.execute("SELECT s.organization, s.organization_coordsys_id, m.min_x, m.min_y, m.max_x, m.max_y "
                         "FROM gpkg_tile_matrix_set m LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = m.srs_id "
                         "WHERE m.table_name = ?", (self.table,)).fetchone()
        if row is None or str(row[0]).upper() != "EPSG" or row[1] not in WEB_MERCATOR_IDS:
            raise StoreError(f"The GeoPackage {self.path} is not in Web Mercator (EPSG:3857), so its tiles are no "
                             "XYZ tiles.")
        zooms: dict[int, int] = {}
        finest = 2 * WORLD_HALF_M
        for level, width, height, tile_w, tile_h in db.execute(
                "SELECT zoom_level, matrix_width, matrix_height, tile_width, tile_height FROM gpkg_tile_matrix "
                "WHERE table_name = ? LIMIT 64", (self.table,)):
            ok = all(isinstance(v, int) and v > 0 for v in (width, height, tile_w, tile_h)) and isinstance(level, int)
            z = width.bit_length() - 1 if ok else -1
            if not (ok and width == height == 1 << z and z <= MAX_ZOOM):
                raise StoreError(f"The GeoPackage {self.path} has a tile matrix (zoom_level {level!r}) that is not the "
                                 f"2^z by 2^z grid of an XYZ zoom up to {MAX_ZOOM}.")
            zooms[level] = z
            finest = min(finest, 2 * WORLD_HALF_M / (width * tile_w))
        corners = (-WORLD_HALF_M, -WORLD_HALF_M, WORLD_HALF_M, WORLD_HALF_M)
        if not all(isinstance(got, int | float) and abs(got - want) <= finest / 2
                   for got, want in zip(row[2:], corners, strict=True)):
            raise StoreError(f"The GeoPackage {self.path} has a tile matrix set that is not the whole Web Mercator "
                             "square, so its tiles are no XYZ tiles.")
        return zooms

    def _check_rows(self, db: sqlite3.Connection) -> None:
        """The first tile row that is not a tile of its matrix with a blob, found before anything is written."""
        bad = db.execute(
            f'SELECT t.zoom_level, t.tile_column, t.tile_row, typeof(t.tile_data) FROM "{_quoted(self.table)}" t '
            "LEFT JOIN gpkg_tile_matrix m ON m.table_name = ? AND m.zoom_level = t.zoom_level "
            "WHERE m.zoom_level IS NULL OR typeof(t.tile_column) != 'integer' OR typeof(t.tile_row) != 'integer' "
            "OR typeof(t.tile_data) != 'blob' OR t.tile_column NOT BETWEEN 0 AND m.matrix_width - 1 "
            "OR t.tile_row NOT BETWEEN 0 AND m.matrix_height - 1 LIMIT 1", (self.table,)).fetchone()
        if bad is not None:
            z, x, y, kind = bad
            raise StoreError(f"The GeoPackage {self.path} has a tile row zoom_level={z!r}, tile_column={x!r}, "
                             f"tile_row={y!r} with {kind} tile_data that is not a tile of its tile matrix.")

    def _metadata(self, db: sqlite3.Connection) -> dict[str, str]:
        """MBTiles-style metadata: GDAL metadata items of the pyramid (or the whole GeoPackage) and the
        contents' identifier and description."""
        meta: dict[str, str] = {}
        if plain_tables(db, _METADATA_READ) is None:
            for (text,) in db.execute(
                    "SELECT m.metadata FROM gpkg_metadata m JOIN gpkg_metadata_reference r ON r.md_file_id = m.id "
                    "WHERE m.md_standard_uri = ? AND m.mime_type = 'text/xml' AND (r.reference_scope = 'geopackage' "
                    "OR (r.reference_scope = 'table' AND r.table_name = ?)) ORDER BY r.reference_scope LIMIT 8",
                    (_GDAL_MD_URI, self.table)):
                meta |= _gdal_items(text)
        identifier, description = db.execute("SELECT identifier, description FROM gpkg_contents WHERE table_name = ?",
                                             (self.table,)).fetchone()
        if identifier and "name" not in meta:
            meta["name"] = str(identifier)
        if description and "description" not in meta:
            meta["description"] = str(description)
        return meta

    def tiles(self) -> Iterator[tuple[int, int, int, bytes]]:
        """Every tile as (z, x, y, bytes); rows were checked on opening."""
        query = f'SELECT zoom_level, tile_column, tile_row, tile_data FROM "{_quoted(self.table)}"'
        for level, x, y, data in read_tiles(self.path, query, "GeoPackage"):
            yield self.zooms[level], x, y, bytes(data)


def _quoted(identifier: str) -> str:
    return identifier.replace('"', '""')


def _gdal_items(text: object) -> dict[str, str]:
    """The default-domain ``<MDI key=...>`` items of GDAL's metadata XML (nothing for anything else)."""
    if not isinstance(text, str) or len(text) > _METADATA_MAX_CHARS or "<!ENTITY" in text:
        return {}
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return {}
    items: dict[str, str] = {}
    for domain in root.iter("Metadata"):
        if domain.get("domain") in (None, ""):
            for item in domain.iter("MDI"):
                if item.get("key"):
                    items[str(item.get("key"))] = item.text or ""
    return items


def open_archive(path: Path) -> GpkgArchive | None:
    """The GeoPackage at ``path`` checked for import, or None if the SQLite file is no GeoPackage."""
    return open_checked(path, is_geopackage, GpkgArchive, "GeoPackage")
