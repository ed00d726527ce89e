"""GeoPackage and sqlitedb exports: GDAL opens every GeoPackage (size, zoom levels, attribution), both round
trips are byte-exact, the sqlitedb has the documented OsmAnd/Locus schema, and crafted files are refused."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from fmtc_nb.errors import StoreError
from fmtc_nb.sources.templates import WORLD_HALF_M
from fmtc_nb.store import TileRecord
from fmtc_nb.store.export import export_store
from fmtc_nb.store.importer import import_file

VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")
ATTRIBUTION = "© Example & Co <tiles>"


def image(z: int, x: int, y: int, fmt: str = "PNG", size: int = 256) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), ((x * 40 + z) % 256, (y * 60) % 256, 90)).save(out, fmt)
    return out.getvalue()


def fill(store, zooms=range(0, 4), fmt: str = "PNG", size: int = 256, corner: bool = False
         ) -> dict[tuple[int, int, int], bytes]:
    """Tiles of the eastern half of the world at ``zooms`` (with ``corner``: only the 2 x 2 north-west ones)."""
    tiles = {}
    for z in zooms:
        n = 1 << z
        for x in range(min(2, n)) if corner else range(n // 2, n):
            for y in range(min(2, n)) if corner else range(n):
                tiles[(z, x, y)] = image(z, x, y, fmt, size)
    store.put_tiles([TileRecord(z, x, y, data, 1_700_000_000.0) for (z, x, y), data in tiles.items()])
    store.set_metadata(attribution=ATTRIBUTION, description="field test")
    return tiles


def stored(root, name: str) -> dict[tuple[int, int, int], bytes]:
    with root.open(name, readonly=True) as store:
        return {(t.z, t.x, t.y): t.data for t in store.iter_tiles()}


def gdalinfo(path: Path, *options: str) -> dict:
    done = subprocess.run(["gdalinfo", "-json", *options, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


needs_gdal = pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdal-bin is not installed")


@needs_gdal
@pytest.mark.parametrize(("fmt", "size"), [("PNG", 256), ("JPEG", 256), ("PNG", 512), ("WEBP", 256)])
def test_gdal_opens_every_geopackage_export_with_its_size_zoom_levels_and_attribution(root, tmp_path, fmt, size):
    store = root.create("field", "http://tiles.example/{z}/{x}/{y}.png")
    with store:
        fill(store, fmt=fmt, size=size)
        out = tmp_path / "field.gpkg"
        assert export_store(store, "gpkg", out) == 1 + 1 * 2 + 2 * 4 + 4 * 8
    info = gdalinfo(out)
    assert info["driverShortName"] == "GPKG"
    # the deepest zoom (3) covers the eastern half of the world: 4 x 8 tiles of `size` pixels
    assert info["size"] == [4 * size, 8 * size]
    meta = info["metadata"][""]
    assert meta["attribution"] == ATTRIBUTION and meta["ZOOM_LEVEL"] == "3" and meta["IDENTIFIER"] == "field"
    assert [len(band.get("overviews", [])) for band in info["bands"]][0] >= 2
    for z in range(4):  # every zoom level opens on its own: the same extent at that zoom's resolution
        level = gdalinfo(out, "-oo", f"ZOOM_LEVEL={z}")
        assert level["size"] == [(1 << z) * size // 2, (1 << z) * size]
        assert level["geoTransform"][:2] == [0.0, pytest.approx(2 * WORLD_HALF_M / ((1 << z) * size))]
    if VALIDATOR.exists() and Path("/usr/bin/python3").exists():
        done = subprocess.run(["/usr/bin/python3", str(VALIDATOR), str(out)], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_geopackage_round_trip_is_byte_exact(root, tmp_path):
    with root.create("field", "http://tiles.example/{z}/{x}/{y}.png") as store:
        tiles = fill(store, zooms=range(0, 5))
        export_store(store, "gpkg", tmp_path / "f.gpkg")
    result = import_file(root, tmp_path / "f.gpkg", name="back")
    assert result.action == "created" and result.tiles == len(tiles)
    assert stored(root, "back") == tiles
    with root.open("back", readonly=True) as back:
        meta = back.metadata()
        assert meta["attribution"] == ATTRIBUTION and meta["description"] == "field test"
        assert back.source_url == "http://tiles.example/{z}/{x}/{y}.png" and back.verify() == []


def test_vector_tiles_are_refused_by_the_field_formats(root, tmp_path):
    import gzip

    with root.create("vec", "http://tiles.example/{z}/{x}/{y}.pbf") as store:
        store.put_tiles([TileRecord(0, 0, 0, gzip.compress(b"\x1a\x00"), 0.0)])
        for fmt in ("gpkg", "sqlitedb"):
            with pytest.raises(StoreError, match="vector tiles"):
                export_store(store, fmt, tmp_path / f"v.{fmt}")
            assert not (tmp_path / f"v.{fmt}").exists()


def test_the_sqlitedb_export_has_the_documented_schema_and_reads_back(root, tmp_path):
    with root.create("field", "http://tiles.example/{z}/{x}/{y}.png") as store:
        tiles = fill(store, zooms=[0, 1, 2, 17, 18], corner=True)
        out = tmp_path / "f.sqlitedb"
        assert export_store(store, "sqlitedb", out) == len(tiles)
    db = sqlite3.connect(out)
    columns = {table: [(r[1], r[2].lower(), r[5]) for r in db.execute(f"PRAGMA table_info({table})")]
               for table in ("tiles", "info", "android_metadata")}
    assert columns["tiles"] == [("x", "int", 1), ("y", "int", 2), ("z", "int", 3), ("s", "int", 4), ("image", "blob", 0)]
    info = dict(zip([c[0] for c in columns["info"]], db.execute("SELECT * FROM info").fetchone(), strict=True))
    # BigPlanet numbering: z = 17 - zoom, in the tiles and in info's min/max (so minzoom holds 17 - deepest zoom)
    assert info == {"minzoom": 17 - 18, "maxzoom": 17 - 0, "tilenumbering": "BigPlanet", "tilesize": 256,
                    "timecolumn": "no", "ellipsoid": 0, "inverted_y": 0, "expireminutes": 0}
    assert db.execute("SELECT locale FROM android_metadata").fetchall() == [("en_US",)]
    rows = {(17 - z, x, y): bytes(data) for x, y, z, s, data in db.execute("SELECT x, y, z, s, image FROM tiles")}
    assert rows == tiles and {s for (s,) in db.execute("SELECT DISTINCT s FROM tiles")} == {0}
    db.close()
    assert import_file(root, out, name="back").tiles == len(tiles)
    assert stored(root, "back") == tiles


def make_sqlitedb(path: Path, info_sql: str, rows: list[tuple[int, int, int, bytes]]) -> None:
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE tiles (x int, y int, z int, s int, image blob, PRIMARY KEY (x, y, z, s));"
                     + info_sql)
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, 0, ?)", rows)
    db.commit()
    db.close()


def test_sqlitedb_files_of_other_apps_are_read_by_their_numbering(root, tmp_path):
    tile = image(2, 1, 3)
    rmaps = tmp_path / "rmaps.sqlitedb"  # Locus/RMaps: no tilenumbering column, so BigPlanet
    make_sqlitedb(rmaps, "CREATE TABLE info (minzoom, maxzoom); INSERT INTO info VALUES (15, 15);", [(1, 3, 15, tile)])
    plain = tmp_path / "plain.sqlitedb"  # OsmAnd with plain zooms and TMS rows
    make_sqlitedb(plain, "CREATE TABLE info (minzoom, maxzoom, tilenumbering, inverted_y); "
                         "INSERT INTO info VALUES (2, 2, '', 1);", [(1, 0, 2, tile)])
    assert import_file(root, rmaps).tiles == 1 and stored(root, "rmaps") == {(2, 1, 3): tile}
    assert import_file(root, plain).tiles == 1 and stored(root, "plain") == {(2, 1, 3): tile}


@pytest.mark.parametrize(("build", "phrase"), [
    (lambda db: db.executescript("CREATE TABLE tiles (x int, y int, z int, s int, image blob);"
                                 "CREATE VIEW info AS SELECT 1 AS minzoom;"), "'info' is a view, not a plain table"),
    (lambda db: db.executescript("CREATE TABLE tiles (x int, y int, z int, s int, image blob);"
                                 "CREATE TABLE info (ellipsoid); INSERT INTO info VALUES (1);"), "elliptical-Mercator"),
    (lambda db: db.executescript("CREATE TABLE tiles (x int, y int, z int, s int, image blob);"
                                 "CREATE TABLE info (minzoom); INSERT INTO tiles VALUES (9, 0, 16, 0, x'00');"),
     "not a tile of the grid"),
    (lambda db: db.executescript("CREATE TABLE tiles (x int, y int, z int, s int, image blob);"
                                 "CREATE TABLE info (minzoom); INSERT INTO tiles VALUES (0, 0, 17, 0, 'text');"),
     "with text image"),
])
def test_crafted_sqlitedb_files_are_refused_and_change_nothing(root, tmp_path, build, phrase):
    path = tmp_path / "bad.sqlitedb"
    db = sqlite3.connect(path)
    build(db)
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=phrase):
        import_file(root, path)
    assert root.list() == []


def geopackage(root, tmp_path) -> Path:
    with root.create("src", "http://tiles.example/{z}/{x}/{y}.png") as store:
        fill(store, zooms=range(0, 3))
        export_store(store, "gpkg", tmp_path / "src.gpkg")
    root.delete("src")
    return tmp_path / "src.gpkg"


@pytest.mark.parametrize(("sql", "phrase"), [
    ("UPDATE gpkg_tile_matrix_set SET srs_id = 4326", "not in Web Mercator"),
    ("UPDATE gpkg_tile_matrix_set SET min_x = -20000000", "not the whole Web Mercator square"),
    ("UPDATE gpkg_tile_matrix SET matrix_width = 3 WHERE zoom_level = 2", "not the 2\\^z by 2\\^z grid"),
    ("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('more', 'tiles', 'more')",
     "exactly one tile pyramid"),
    ("ALTER TABLE tiles RENAME TO t0; CREATE VIEW tiles AS SELECT * FROM t0", "'tiles' is a view"),
    ("UPDATE tiles SET tile_column = 99 WHERE zoom_level = 1", "not a tile of its tile matrix"),
    ("UPDATE tiles SET tile_data = 'text' WHERE zoom_level = 0", "with text tile_data"),
    ("ALTER TABLE tiles RENAME TO t0; CREATE TABLE tiles (id INTEGER PRIMARY KEY, zoom_level INTEGER, "
     "tile_column INTEGER, tile_row INTEGER, tile_data BLOB AS (zeroblob(10)) VIRTUAL)", "computed on reading"),
    ("ALTER TABLE tiles RENAME TO t0; CREATE VIRTUAL TABLE tiles USING fts5(zoom_level, tile_column, tile_row, "
     "tile_data)", "'tiles' is a virtual table"),
    ("ALTER TABLE gpkg_tile_matrix RENAME TO m0; CREATE VIEW gpkg_tile_matrix AS WITH RECURSIVE r(n) AS "
     "(SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM m0, r", "'gpkg_tile_matrix' is a view"),
])
def test_crafted_geopackages_are_refused_and_change_nothing(root, tmp_path, sql, phrase):
    path = geopackage(root, tmp_path)
    db = sqlite3.connect(path)
    db.executescript(sql)
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=phrase):
        import_file(root, path)
    assert root.list() == []


def test_the_cli_exports_and_imports_the_field_formats(root, tmp_path, capsys):
    from fmtc_nb.cli import main

    with root.create("field", "http://tiles.example/{z}/{x}/{y}.png") as store:
        tiles = fill(store, zooms=range(0, 3))
    for fmt in ("gpkg", "sqlitedb"):
        out = tmp_path / f"field.{fmt}"  # the format comes from the extension
        assert main(["--root", str(root.path), "store", "export", "field", str(out), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["tiles"] == len(tiles)
        assert main(["--root", str(root.path), "store", "import", str(out), "--as", f"from-{fmt}", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["action"] == "created"
        assert stored(root, f"from-{fmt}") == tiles
        # --overwrite replaces a previous export of the format, never another file or a directory
        assert main(["--root", str(root.path), "store", "export", "field", str(out), "--overwrite"]) == 0
        other = tmp_path / f"notes.{fmt}"
        other.write_text("my notes")
        assert main(["--root", str(root.path), "store", "export", "field", str(other), "--overwrite"]) == 2
        assert other.read_text() == "my notes" and "not a previous export" in capsys.readouterr().err
        folder = tmp_path / f"folder-{fmt}"
        folder.mkdir()
        code = main(["--root", str(root.path), "store", "export", "field", str(folder), "--format", fmt, "--overwrite"])
        assert code == 2 and folder.is_dir() and "Traceback" not in capsys.readouterr().err
