"""Export to MBTiles / PMTiles / directories and import of files made by other tools, on real files."""

from __future__ import annotations

import mmap
import os
import sqlite3

import pytest
from pmtiles.reader import Reader, all_tiles
from pmtiles.tile import (
    Compression,
    TileType,
    deserialize_directory,
    deserialize_header,
    serialize_directory,
    serialize_header,
    zxy_to_tileid,
)
from pmtiles.writer import write

from fmtc_nb.errors import StoreError, StoreExists
from fmtc_nb.store import TileRecord, tms_row
from fmtc_nb.store.export import export_store
from fmtc_nb.store.importer import import_file

from .conftest import URL, png, records


@pytest.fixture
def filled(store):
    store.put_tiles(records(0, range(1), range(1)) + records(2, range(4), range(4)) + records(3, range(2), range(8), blank=True))
    return store


def _expected(store):
    return {(r.z, r.x, r.y): r.data for r in store.iter_tiles()}


def test_pmtiles_export_reads_back_byte_for_byte(filled, tmp_path):
    out = tmp_path / "out.pmtiles"
    assert export_store(filled, "pmtiles", out) == 33
    with out.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        get = lambda offset, length: m[offset:offset + length]  # noqa: E731
        got = {zxy: data for zxy, data in all_tiles(get)}
        reader = Reader(get)
        header = reader.header()
        assert reader.get(2, 3, 1) == png(2, 3, 1)
        assert reader.metadata()["fmtc_source_url"] == URL
    assert got == _expected(filled)
    assert (header["min_zoom"], header["max_zoom"], header["tile_type"]) == (0, 3, TileType.PNG)
    assert header["clustered"] and header["tile_contents_count"] == 1 + 16 + 1


def test_mbtiles_export_is_a_plain_mbtiles(filled, tmp_path):
    (tmp_path / "exports").mkdir()
    out = tmp_path / "exports" / "out.mbtiles"
    export_store(filled, "mbtiles", out)
    db = sqlite3.connect(out)
    rows = {(z, x, tms_row(z, r)): bytes(d) for z, x, r, d in db.execute("SELECT * FROM tiles")}
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    db.close()
    assert rows == _expected(filled) and meta["format"] == "png" and meta["maxzoom"] == "3"


def test_dir_export_and_refusal_to_overwrite(filled, tmp_path):
    out = tmp_path / "tiles"
    export_store(filled, "dir", out)
    assert (out / "2" / "3" / "1.png").read_bytes() == png(2, 3, 1)
    assert len(list(out.rglob("*.png"))) == 33 and (out / "metadata.json").exists()
    with pytest.raises(StoreError, match="exists already"):
        export_store(filled, "dir", out)
    with pytest.raises(StoreError, match="Unknown export format"):
        export_store(filled, "zip", tmp_path / "x.zip")


def test_overwrite_replaces_only_a_previous_export_of_the_same_kind(filled, tmp_path):
    """Issue 21 item 2: a file is no previous directory export, and a directory is never replaced by a
    single-file export (see test_export_targets.py for users' folders and documents)."""
    (tmp_path / "exports").mkdir()
    out = tmp_path / "exports" / "target"
    out.write_text("an old file")
    with pytest.raises(StoreError, match="not a directory"):
        export_store(filled, "dir", out, overwrite=True)
    assert out.read_text() == "an old file"
    out.unlink()
    assert export_store(filled, "dir", out) == 33 and export_store(filled, "dir", out, overwrite=True) == 33
    with pytest.raises(StoreError, match="is a directory"):
        export_store(filled, "mbtiles", out, overwrite=True)
    assert (out / "metadata.json").exists() and [p.name for p in out.parent.iterdir()] == ["target"]


def test_a_target_held_open_on_windows_is_one_sentence_and_kept(filled, tmp_path, monkeypatch):
    """Windows refuses to replace a file another program (QGIS) holds open; that refusal is faked here."""
    (tmp_path / "exports").mkdir()
    out = tmp_path / "exports" / "out.mbtiles"
    export_store(filled, "mbtiles", out)
    before = out.read_bytes()

    def held_open(src, dst):
        raise PermissionError(13, "Access is denied", str(src), None, str(dst))

    monkeypatch.setattr(os, "replace", held_open)
    with pytest.raises(StoreError, match=r"cannot be replaced \(Access is denied\); close any program"):
        export_store(filled, "mbtiles", out, overwrite=True)
    assert out.read_bytes() == before and [p.name for p in out.parent.iterdir()] == ["out.mbtiles"]


def test_export_never_replaces_a_store_or_the_stores_directory(filled, root):
    """--overwrite onto the store's own file, another store's file, the stores directory or the root is refused."""
    other = root.create("other", URL)
    other.put_tiles(records(1, range(2), range(2)))
    other.close()
    before = _expected(filled)
    targets = [("mbtiles", filled.path), ("pmtiles", root.store_path("other")), ("dir", root.stores_dir),
               ("dir", root.path), ("dir", root.stores_dir / "sub")]
    for fmt, target in targets:
        with pytest.raises(StoreError, match="stores directory"):
            export_store(filled, fmt, target, overwrite=True)
    assert _expected(filled) == before and filled.verify() == []
    with root.open("other") as s:
        assert s.stats().tiles == 4 and s.verify() == []


def _foreign_mbtiles(path, tiles):
    """An MBTiles as mbutil/gdal write it: plain tables, no fmtc metadata."""
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE metadata (name text, value text);"
                     "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob);")
    db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "foreign"), ("format", "png"),
                                                          ("attribution", "© them")])
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, tms_row(z, y), d) for (z, x, y), d in tiles.items()])
    db.commit()
    db.close()


def _foreign_pmtiles(path, tiles):
    with write(str(path)) as w:
        for (z, x, y), data in sorted(tiles.items(), key=lambda kv: zxy_to_tileid(*kv[0])):
            w.write_tile(zxy_to_tileid(z, x, y), data)
        w.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE, "min_zoom": 0, "max_zoom": 4,
                    "min_lon_e7": -1800000000, "min_lat_e7": -850000000, "max_lon_e7": 1800000000,
                    "max_lat_e7": 850000000, "center_zoom": 0, "center_lon_e7": 0, "center_lat_e7": 0},
                   {"attribution": "© pm"})


TILES = {(4, x, y): png(4, x, y) for x in range(3) for y in range(2)}


@pytest.mark.parametrize("maker,suffix", [(_foreign_mbtiles, "mbtiles"), (_foreign_pmtiles, "pmtiles")])
def test_import_files_made_by_other_tools(root, tmp_path, maker, suffix):
    path = tmp_path / f"foreign.{suffix}"
    maker(path, TILES)
    result = import_file(root, path)
    assert (result.name, result.action, result.tiles) == ("foreign", "created", 6)
    with root.open("foreign") as s:
        assert {(r.z, r.x, r.y): r.data for r in s.iter_tiles()} == TILES
        assert s.metadata()["format"] == "png" and s.metadata()["maxzoom"] == "4" and s.source_url is None
        assert s.verify() == []


def test_conflict_strategies(root, tmp_path, store):
    store.put_tiles(records(4, range(1), range(1), blank=True) + records(5, range(1), range(1)))
    store.close()
    path = tmp_path / "s.mbtiles"
    _foreign_mbtiles(path, TILES)
    with pytest.raises(StoreExists, match="on-conflict"):
        import_file(root, path)
    assert import_file(root, path, on_conflict="skip").action == "skipped"
    assert import_file(root, path, on_conflict="rename").name == "s-2"
    assert import_file(root, path, on_conflict="rename").name == "s-3"
    merged = import_file(root, path, on_conflict="merge")
    assert merged.action == "merged"
    with root.open("s") as s:
        assert s.stats().tiles == 7 and s.get_tile(4, 0, 0) == png(4, 0, 0) and s.has_tile(5, 0, 0)
        assert s.source_url == URL and s.verify() == []
    import_file(root, path, on_conflict="replace")
    with root.open("s") as s:
        assert s.stats().tiles == 6 and not s.has_tile(5, 0, 0) and s.verify() == []


def _with_root_directory(archive: bytes, kind: str) -> bytes:
    """``archive`` with its root directory replaced: garbage, an entry past the tile data, or a zoom-31 tile."""
    header = deserialize_header(archive[:127])
    start, end = header["root_offset"], header["root_offset"] + header["root_length"]
    entries = deserialize_directory(archive[start:end])
    if kind == "pmtiles-dir-not-gzip":
        root = bytes(b ^ 0x5A for b in archive[start:end])
    elif kind == "pmtiles-dir-tile-outside":
        entries[0].offset = header["tile_data_length"]
        root = serialize_directory(entries)
    else:
        entries[-1].tile_id = zxy_to_tileid(31, 0, 0)
        root = serialize_directory(entries)
    delta = len(root) - header["root_length"]
    header["root_length"] = len(root)
    for part in ("metadata", "leaf_directory", "tile_data"):
        header[f"{part}_offset"] += delta
    return serialize_header(header) + root + archive[end:]


def _snapshot(root, name):
    with root.open(name) as s:
        return s.stats().tiles, {(r.z, r.x, r.y): r.data for r in s.iter_tiles()}


@pytest.mark.parametrize("kind", ["text", "truncated-sqlite", "no-tiles-table", "truncated-pmtiles", "empty",
                                  "bad-row-null", "bad-row-text-zoom", "bad-row-outside", "bad-row-text-data",
                                  "pmtiles-dir-not-gzip", "pmtiles-dir-tile-outside", "pmtiles-dir-too-deep"])
def test_bad_files_are_refused_and_nothing_changes(root, tmp_path, store, kind):
    store.put_tiles(records(3, range(3), range(3)))
    store.close()
    before = _snapshot(root, "s")
    path = tmp_path / "bad.mbtiles"
    if kind == "text":
        path.write_text("hello, I am not a tile archive\n" * 50)
    elif kind == "truncated-sqlite":
        good = tmp_path / "good.mbtiles"
        _foreign_mbtiles(good, {(4, x, y): png(4, x, y, size=64) for x in range(16) for y in range(16)})
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "no-tiles-table":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.commit()
        db.close()
    elif kind.startswith("bad-row"):  # good rows first, so a merge would already have written some of them
        tiles = {(6, x, y): png(6, x, y) for x in range(64) for y in range(40)}  # more than one import batch
        _foreign_mbtiles(path, tiles)
        bad = {"bad-row-null": "(5, 0, 0, NULL)", "bad-row-text-zoom": "('a', 0, 0, x'00')",
               "bad-row-outside": "(2, 4, 0, x'00')", "bad-row-text-data": "(5, 0, 0, 'png?')"}[kind]
        db = sqlite3.connect(path)
        db.execute(f"INSERT INTO tiles VALUES {bad}")
        db.commit()
        db.close()
    elif kind.startswith("pmtiles-dir"):  # header and metadata fine, the root directory is not
        good = tmp_path / "good.pmtiles"
        _foreign_pmtiles(good, TILES)
        path.write_bytes(_with_root_directory(good.read_bytes(), kind))
    elif kind == "truncated-pmtiles":
        good = tmp_path / "good.pmtiles"
        _foreign_pmtiles(good, TILES)
        path.write_bytes(good.read_bytes()[:-40])
    else:
        path.write_bytes(b"")
    for strategy in (None, "replace", "merge"):
        with pytest.raises(StoreError) as info:
            import_file(root, path, name="s", on_conflict=strategy)
        assert "\n" not in str(info.value)
    assert _snapshot(root, "s") == before
    assert root.list() == ["s"]
    assert not [p for p in root.stores_dir.iterdir() if p.name.startswith(".")], "no scratch file left behind"


def test_vector_tiles_are_gzipped_in_archives_as_the_specs_require(root, tmp_path):
    import gzip

    with root.create("vec", "http://v.example/{z}/{x}/{y}.pbf") as s:
        raw = b"\x1a\x05layer" * 10  # uncompressed MVT-like bytes, as aiohttp hands them over
        s.put_tiles([TileRecord(1, 0, 0, raw, 0.0)])
        export_store(s, "pmtiles", tmp_path / "v.pmtiles")
        export_store(s, "mbtiles", tmp_path / "v.mbtiles")
    with (tmp_path / "v.pmtiles").open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        reader = Reader(lambda offset, length: m[offset:offset + length])
        assert reader.header()["tile_type"] == TileType.MVT and gzip.decompress(reader.get(1, 0, 0)) == raw
    db = sqlite3.connect(tmp_path / "v.mbtiles")
    assert gzip.decompress(db.execute("SELECT tile_data FROM tiles").fetchone()[0]) == raw
    db.close()
