"""Crafted MBTiles and PMTiles files for the import fuzz tests (issue 21 item 3): each tiny, each built to
hang, eat memory or confuse a reader that trusts the file."""

from __future__ import annotations

import gzip
import io
import sqlite3
import zlib
from collections.abc import Callable
from pathlib import Path

from pmtiles.tile import Compression, Entry, TileType, serialize_directory, serialize_header, write_varint

from .conftest import png

PNG = png(0, 0, 0)


# -- MBTiles ----------------------------------------------------------------------------------------------
def _sqlite(path: Path, script: str, rows: list[tuple[str, tuple]] = ()) -> None:
    db = sqlite3.connect(path)
    db.executescript(script)
    for sql, args in rows:
        db.execute(sql, args)
    db.commit()
    db.close()


META = "CREATE TABLE metadata (name TEXT, value TEXT); INSERT INTO metadata VALUES ('name', 'x'), ('format', 'png');"


def mbtiles_recursive_view(path: Path) -> None:
    _sqlite(path, META + "CREATE VIEW tiles AS WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c) "
                         "SELECT 0 AS zoom_level, 0 AS tile_column, 0 AS tile_row, x'89504e47' AS tile_data FROM c;")


def mbtiles_huge_blob_view(path: Path) -> None:
    _sqlite(path, META + "CREATE VIEW tiles AS WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c "
                         "WHERE n < 20) SELECT 20 AS zoom_level, n AS tile_column, 0 AS tile_row, "
                         "randomblob(300000000) AS tile_data FROM c;")


def mbtiles_generated_column(path: Path) -> None:
    _sqlite(path, META + "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                         "tile_data BLOB GENERATED ALWAYS AS (zeroblob(300000000)) VIRTUAL);"
                         "INSERT INTO tiles (zoom_level, tile_column, tile_row) VALUES (0, 0, 0), (1, 0, 0);")


def mbtiles_metadata_view(path: Path) -> None:
    _sqlite(path, "CREATE VIEW metadata AS WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c) "
                  "SELECT 'k' || n AS name, 'v' AS value FROM c;"
                  "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);")


def mbtiles_circular_views(path: Path) -> None:
    _sqlite(path, META + "CREATE VIEW a AS SELECT * FROM tiles; CREATE VIEW tiles AS SELECT * FROM a;")


def mbtiles_virtual_table(path: Path) -> None:
    _sqlite(path, META + "CREATE VIRTUAL TABLE tiles USING fts5(zoom_level, tile_column, tile_row, tile_data);"
                         "INSERT INTO tiles VALUES (0, 0, 0, 'x');")


def mbtiles_mbutil_fan_out(path: Path) -> None:
    """mbutil's layout (map + images behind a tiles view) with every map row and every image sharing one id:
    a join yields rows x images (4 million rows of 1 KB from a file of a few MB)."""
    _sqlite(path, META + "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);"
                         "CREATE TABLE images (tile_data BLOB, tile_id TEXT);"
                         "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column, "
                         "map.tile_row AS tile_row, images.tile_data AS tile_data FROM map JOIN images "
                         "ON images.tile_id = map.tile_id;"
                         "WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < 1999) "
                         "INSERT INTO map SELECT 11, n, 0, 'a' FROM c;"
                         "WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < 1999) "
                         "INSERT INTO images SELECT randomblob(1000), 'a' FROM c;")


def mbtiles_bad_max_tiles(value: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        _sqlite(path, META + "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                             "tile_data BLOB);", [("INSERT INTO tiles VALUES (0, 0, 0, ?)", (PNG,)),
                                                  ("INSERT INTO metadata VALUES ('fmtc_max_tiles', ?)", (value,))])
    return make


def mbtiles_good(path: Path, tiles: int = 30, extra_meta: dict[str, str] | None = None) -> None:
    _sqlite(path, META + "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                         "tile_data BLOB);",
            [("INSERT INTO tiles VALUES (?, ?, ?, ?)", (5, i, 3, png(5, i, 3))) for i in range(tiles)]
            + [("INSERT INTO metadata VALUES (?, ?)", kv) for kv in (extra_meta or {}).items()])


# -- PMTiles ----------------------------------------------------------------------------------------------
def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed in a streaming way (about size / 1000 bytes)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as f:
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            f.write(chunk)
    return out.getvalue()


def pmtiles_bytes(root: bytes, *, metadata: bytes | None = None, leaves: bytes = b"", tile_data: bytes = PNG,
                  **header: object) -> bytes:
    """A PMTiles v3 archive laid out header | root | metadata | leaves | tile data, header fields overridable."""
    metadata = _gzip(b'{"name": "x"}') if metadata is None else metadata
    fields: dict = {"root_offset": 127, "root_length": len(root), "metadata_offset": 127 + len(root),
                    "metadata_length": len(metadata), "leaf_directory_offset": 127 + len(root) + len(metadata),
                    "leaf_directory_length": len(leaves),
                    "tile_data_offset": 127 + len(root) + len(metadata) + len(leaves),
                    "tile_data_length": len(tile_data), "addressed_tiles_count": 0, "tile_entries_count": 0,
                    "tile_contents_count": 1, "clustered": True, "internal_compression": Compression.GZIP,
                    "tile_compression": Compression.NONE, "tile_type": TileType.PNG, "min_zoom": 0, "max_zoom": 20}
    fields.update(header)
    return serialize_header(fields) + root + metadata + leaves + tile_data


def pmtiles_good(tiles: int = 40) -> bytes:
    data = b"".join(png(10, i, 5) for i in range(tiles))
    entries, offset = [], 0
    for i in range(tiles):
        length = len(png(10, i, 5))
        entries.append(Entry(349525 + 3 * i, offset, length, 1))  # zoom 10
        offset += length
    return pmtiles_bytes(serialize_directory(entries), tile_data=data, addressed_tiles_count=tiles)


def pmtiles_run_length(run: int = 10**9) -> bytes:
    return pmtiles_bytes(serialize_directory([Entry(100, 0, len(PNG), run)]))


def pmtiles_shared_leaves(fan: int = 1000) -> bytes:
    """Three levels of directories whose every entry points at one shared leaf: fan^3 x fan tiles from a few
    KB (the reader walks the same leaf over and over)."""
    tile_leaf = serialize_directory([Entry(i, 0, len(PNG), 1) for i in range(fan)])
    to_tiles = serialize_directory([Entry(i * fan, 0, len(tile_leaf), 0) for i in range(fan)])
    leaves = tile_leaf + to_tiles
    middle = serialize_directory([Entry(i * fan * fan, len(tile_leaf), len(to_tiles), 0) for i in range(fan)])
    leaves += middle
    root = serialize_directory([Entry(i * fan ** 3, len(tile_leaf) + len(to_tiles), len(middle), 0)
                                for i in range(fan)])
    return pmtiles_bytes(root, leaves=leaves)


def pmtiles_metadata_bomb(size: int = 400 << 20) -> bytes:
    return pmtiles_bytes(serialize_directory([Entry(5, 0, len(PNG), 1)]), metadata=gzip_bomb(size))


def pmtiles_directory_bomb(size: int = 400 << 20) -> bytes:
    return pmtiles_bytes(gzip_bomb(size))


def pmtiles_entry_count_lie() -> bytes:
    raw = io.BytesIO()
    write_varint(raw, 1 << 62)  # claims 2^62 entries, holds none
    return pmtiles_bytes(_gzip(raw.getvalue()))


def pmtiles_endless_varint() -> bytes:
    return pmtiles_bytes(_gzip(b"\xff" * 100000))


def pmtiles_leaf_cycle() -> bytes:
    """A leaf directory whose only entry points at itself."""
    leaf = serialize_directory([Entry(0, 0, 0, 0)])
    leaf = serialize_directory([Entry(0, 0, len(leaf), 0)])
    return pmtiles_bytes(serialize_directory([Entry(0, 0, len(leaf), 0)]), leaves=leaf)


def pmtiles_unknown_compression() -> bytes:
    archive = bytearray(pmtiles_good(3))
    archive[97] = 9  # internal compression 9: not in the format
    return bytes(archive)


def pmtiles_deep_json_metadata() -> bytes:
    return pmtiles_bytes(serialize_directory([Entry(5, 0, len(PNG), 1)]), metadata=_gzip(b"[" * 200000))


def pmtiles_uncompressed_directory_lie() -> bytes:
    root = zlib.compress(b"\x01\x05\x01\x08\x01")  # zlib, not gzip, while the header says gzip
    return pmtiles_bytes(root)


HOSTILE_MBTILES = {
    "recursive-view": mbtiles_recursive_view, "huge-blob-view": mbtiles_huge_blob_view,
    "generated-column": mbtiles_generated_column, "metadata-view": mbtiles_metadata_view,
    "circular-views": mbtiles_circular_views, "virtual-table": mbtiles_virtual_table,
    "mbutil-fan-out": mbtiles_mbutil_fan_out,
}
HOSTILE_PMTILES = {
    "run-length-1e9": pmtiles_run_length, "shared-leaves": pmtiles_shared_leaves,
    "metadata-gzip-bomb": pmtiles_metadata_bomb, "directory-gzip-bomb": pmtiles_directory_bomb,
    "entry-count-lie": pmtiles_entry_count_lie, "endless-varint": pmtiles_endless_varint,
    "leaf-cycle": pmtiles_leaf_cycle, "unknown-compression": pmtiles_unknown_compression,
    "deep-json-metadata": pmtiles_deep_json_metadata, "zlib-not-gzip": pmtiles_uncompressed_directory_lie,
}
