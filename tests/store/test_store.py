"""Store behaviour on real SQLite files: writing, reading, dedup, counters, failures, checkpoints, metadata."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time

import pytest

from fmtc_nb.errors import StoreError, StoreExists, StoreNotFound
from fmtc_nb.store import Root, TileRecord, tms_row
from fmtc_nb.store.blobs import (
    MAX_SAME_KEY,
    SAMPLE_EDGE,
    SAMPLE_STRIDE,
    SAMPLED_SINCE_VERSION,
    BlobKeys,
    full_key,
    legacy_blob_hash,
    sample_key,
)
from fmtc_nb.store.schema import SCHEMA_VERSION

from .conftest import URL, png, records


def test_tiles_round_trip_and_mbtiles_view_shows_tms_rows(store):
    store.put_tiles(records(3, range(2), range(3)))
    assert store.get_tile(3, 1, 2) == png(3, 1, 2)
    assert store.get_tile(3, 5, 5) is None and not store.has_tile(3, 5, 5) and store.has_tile(3, 0, 0)
    db = sqlite3.connect(store.path)
    row = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = 3 AND tile_column = 1 AND tile_row = ?",
                     (tms_row(3, 2),)).fetchone()
    assert row[0] == png(3, 1, 2)
    assert db.execute("SELECT count(*) FROM tiles").fetchone()[0] == 6
    db.close()


def test_identical_tiles_are_stored_once(store):
    store.put_tiles(records(5, range(10), range(10), blank=True) + records(5, range(10, 12), range(1)))
    stats = store.stats()
    assert (stats.tiles, stats.unique_blobs) == (102, 3)
    assert stats.tile_bytes == 100 * len(png(0, 0, 0, blank=True)) + len(png(5, 10, 0)) + len(png(5, 11, 0))
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT count(*) FROM fmtc_blobs").fetchone()[0] == 3
    db.close()
    assert store.verify() == []


def test_hash_collisions_never_merge_different_tiles(store):
    store.blob_keys = BlobKeys(lambda data: 42, lambda data: 42)
    store.put_tiles(records(4, range(3), range(1)))
    store.put_tiles(records(4, range(3, 5), range(1)))
    assert [store.get_tile(4, x, 0) for x in range(5)] == [png(4, x, 0) for x in range(5)]
    assert store.stats().unique_blobs == 5 and store.verify() == []


def test_colliding_and_identical_bodies_in_one_batch_are_told_apart(store):
    store.blob_keys = BlobKeys(lambda data: 7, lambda data: 7)  # only the byte comparison tells bodies apart
    batch = records(5, range(3), range(1)) + records(5, range(3, 6), range(1), blank=True)
    store.put_tiles(batch)
    store.put_tiles(records(5, range(6, 8), range(1), blank=True) + records(5, range(1), range(1, 2)))
    assert [store.get_tile(5, x, 0) for x in range(8)] == [r.data for r in batch] + [png(0, 0, 0, blank=True)] * 2
    assert store.get_tile(5, 0, 1) == png(5, 0, 1)
    assert store.stats().unique_blobs == 3 + 1 + 1 and store.verify() == []


def sha64(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "little", signed=True)


def big_body(tag: int, size: int = 40_000) -> bytes:
    """A JPEG-sized body; ``tag`` changes 4 bytes in the middle, between the bytes the sampled key reads."""
    body = bytearray(random.Random(1).randbytes(size))
    middle = size // 2 - (size // 2 - SAMPLE_EDGE) % SAMPLE_STRIDE + 1  # just after a sampled byte
    body[middle:middle + 4] = tag.to_bytes(4, "little")
    return bytes(body)


def test_new_stores_key_short_bodies_whole_and_long_ones_by_a_sample(store):
    small, big = png(4, 0, 0), big_body(0)
    store.put_tiles([TileRecord(4, 0, 0, small, time.time()), TileRecord(4, 1, 0, big, time.time())])
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == SAMPLED_SINCE_VERSION
    stored = dict(db.execute("SELECT data, hash FROM fmtc_blobs"))
    db.close()
    sample = len(big).to_bytes(8, "little") + big[:SAMPLE_EDGE] + big[-SAMPLE_EDGE:] + \
        big[SAMPLE_EDGE:-SAMPLE_EDGE:SAMPLE_STRIDE]
    assert stored == {small: sha64(small), big: sha64(sample)}
    assert sample_key(big) != full_key(big) and sample_key(small) == full_key(small)


def test_bodies_differing_between_sampled_bytes_stay_apart_and_lookups_stay_short(store):
    bodies = [big_body(tag) for tag in range(10)]
    assert len({sample_key(b) for b in bodies}) == 1 and len(set(bodies)) == 10
    store.put_tiles([TileRecord(6, x, 0, body, time.time()) for x, body in enumerate(bodies[:6])])
    store.put_tiles([TileRecord(6, x, 1, body, time.time()) for x, body in enumerate(bodies)])
    store.put_tiles([TileRecord(6, x, 2, body, time.time()) for x, body in enumerate(bodies)])
    assert [store.get_tile(6, x, y) for y in range(3) for x in range(10) if y or x < 6] == \
        bodies[:6] + bodies + bodies
    assert store.stats().unique_blobs == 10 and store.verify() == []
    db = sqlite3.connect(store.path)
    keys = [h for (h,) in db.execute("SELECT hash FROM fmtc_blobs ORDER BY id")]
    db.close()
    # beyond MAX_SAME_KEY blobs under the sampled key, new bodies go under their full hash: a lookup never
    # reads more than MAX_SAME_KEY blobs of one sampled key (here 6, stored in one batch before it was crowded)
    assert keys == [sample_key(bodies[0])] * 6 + [full_key(b) for b in bodies[6:]]
    assert MAX_SAME_KEY <= 6


def test_layout_1_stores_keep_deduplicating_with_blake2b(root):
    root.create("old", URL).close()
    db = sqlite3.connect(root.store_path("old"))
    db.execute("PRAGMA user_version = 1")  # as the first fmtc-nb versions made them
    db.close()
    with root.open("old") as old:
        old.put_tiles(records(4, range(2), range(1), blank=True) + [TileRecord(4, 0, 1, big_body(1), time.time())])
    with root.open("old") as old:
        old.put_tiles(records(4, range(2, 4), range(1), blank=True) + records(4, range(4, 5), range(1)) +
                      [TileRecord(4, 1, 1, big_body(1), time.time())])
        assert old.stats().unique_blobs == 3 and old.stats().tiles == 7 and old.verify() == []
    db = sqlite3.connect(root.store_path("old"))
    stored = db.execute("SELECT hash, data FROM fmtc_blobs").fetchall()
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    assert version == 1 and len(stored) == 3
    assert all(h == legacy_blob_hash(data) == int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little",
                                                              signed=True) for h, data in stored)


def test_replacing_tiles_keeps_counters_and_references_true(store):
    store.put_tiles(records(6, range(4), range(4), blank=True))
    newer = [TileRecord(6, x, 0, png(6, x, 0), time.time(), etag=f'"{x}"') for x in range(4)]
    store.put_tiles(newer + records(6, range(4, 6), range(1)))
    stats = store.stats()
    assert stats.tiles == 18 and stats.unique_blobs == 1 + 4 + 2 and stats.zooms == {6: 18}
    assert store.get_tile_record(6, 2, 0).etag == '"2"'
    store.put_tiles(records(6, range(6), range(4), blank=True))  # every tile blank again: 6 blobs die
    assert store.stats().unique_blobs == 1 and store.stats().tiles == 24
    assert store.verify() == []


@pytest.mark.parametrize("recorded", [3, 40])  # fewer failures than the batch's tiles (read), and more
def test_a_batch_clears_exactly_the_failures_of_the_tiles_it_stores(store, recorded):
    failed = [(6, x, 9, "HTTP 500") for x in range(recorded)]
    store.put_tiles([], failures=failed)
    store.put_tiles(records(6, range(2), range(8, 12)))  # 8 tiles, among them (6, 0, 9) and (6, 1, 9)
    left = sorted((f["x"], f["y"]) for f in store.failures())
    assert left == [(x, 9) for x in range(2, recorded)]
    assert store.stats().failures == recorded - 2
    store.put_tiles(records(6, range(recorded), range(9, 10)), failures=[(6, 0, 20, "timeout")])
    assert [(f["x"], f["y"], f["reason"]) for f in store.failures()] == [(0, 20, "timeout")]
    assert store.stats().failures == 1 and store.verify() == []


def test_failures_are_recorded_and_cleared_by_a_stored_tile(store):
    store.put_tiles([], failures=[(7, 1, 2, "HTTP 404"), (7, 3, 3, "timeout")])
    assert [(f["z"], f["x"], f["y"], f["reason"]) for f in store.failures()] == [(7, 3, 3, "timeout"), (7, 1, 2, "HTTP 404")]
    store.put_tiles(records(7, range(1, 2), range(2, 3)))
    assert [(f["x"], f["y"]) for f in store.failures()] == [(3, 3)]
    assert store.stats().failures == 1


def test_checkpoint_is_written_with_the_tiles_or_not_at_all(store):
    store.put_tiles(records(2, range(2), range(1)), checkpoint=("job-1", "cp-1"))
    assert store.read_checkpoint("job-1") == "cp-1"
    with pytest.raises(StoreError):  # the failure row breaks NOT NULL after the tiles went in
        store.put_tiles(records(2, range(2, 4), range(1)), failures=[(2, 0, 0, None)], checkpoint=("job-1", "cp-2"))
    assert store.read_checkpoint("job-1") == "cp-1"
    assert store.stats().tiles == 2 and not store.has_tile(2, 2, 0)
    store.delete_checkpoint("job-1")
    assert store.read_checkpoint("job-1") is None


def test_existing_in_row_and_freshness(store):
    old, new = time.time() - 10 * 86400, time.time()
    store.put_tiles(records(8, range(10, 15), range(3, 4), fetched_at=old) + records(8, range(15, 18), range(3, 4), new))
    assert store.existing_in_row(8, 3, 0, 255) == set(range(10, 18))
    assert store.existing_in_row(8, 3, 12, 15) == {12, 13, 14, 15}
    assert store.existing_in_row(8, 3, 0, 255, fresher_than=new - 86400) == {15, 16, 17}
    assert store.existing_in_row(8, 4, 0, 255) == set()


def test_metadata_is_kept_true_as_tiles_arrive(store):
    meta = store.metadata()
    assert meta["format"] == "png" and meta["fmtc_source_url"] == URL and meta["name"] == "s"
    store.put_tiles(records(10, range(512, 514), range(300, 302)))
    store.put_tiles(records(8, range(128, 129), range(75, 76)))
    meta = store.metadata()
    assert (meta["minzoom"], meta["maxzoom"]) == ("8", "10")
    west, south, east, north = map(float, meta["bounds"].split(","))
    assert west == pytest.approx(0.0) and east == pytest.approx(0.703125)
    assert 40 < south < north < 65
    lon, lat, zoom = meta["center"].split(",")
    assert west < float(lon) < east and south < float(lat) < north and 8 <= int(zoom) <= 10


def test_iter_tiles_yields_every_tile_once(store):
    store.put_tiles(records(3, range(8), range(8)) + records(1, range(2), range(2)))
    seen = [(r.z, r.x, r.y) for r in store.iter_tiles(page=7)]
    assert len(seen) == len(set(seen)) == 68
    assert all(store.get_tile(z, x, y) == png(z, x, y) for z, x, y in seen)


def test_prune_removes_old_tiles_only(store):
    old = time.time() - 100 * 86400
    store.put_tiles(records(5, range(4), range(1), fetched_at=old) + records(5, range(4, 6), range(1)))
    assert store.prune(time.time() - 50 * 86400) == 4
    assert store.stats().tiles == 2 and store.has_tile(5, 4, 0) and not store.has_tile(5, 0, 0)
    assert store.metadata()["minzoom"] == "5" and store.verify() == []


def test_max_tiles_evicts_least_recently_used(store):
    store.put_tiles(records(4, range(10), range(1)))
    store.record_browse(3, 1, used=[(4, 0, 0), (4, 1, 0)])
    assert store.set_max_tiles(5) == 5
    assert store.has_tile(4, 0, 0) and store.has_tile(4, 1, 0)
    store.put_tiles(records(4, range(10, 13), range(1)))  # eviction on write keeps the limit
    stats = store.stats()
    assert stats.tiles == 5 and (stats.hits, stats.misses) == (3, 1)
    assert store.has_tile(4, 12, 0) and store.verify() == []


def test_clear_keeps_source_and_metadata(store):
    store.put_tiles(records(2, range(4), range(4)), failures=[(2, 9, 9, "x")], checkpoint=("j", "c"))
    store.clear()
    stats = store.stats()
    assert (stats.tiles, stats.unique_blobs, stats.failures, stats.zooms) == (0, 0, 0, {})
    assert store.source_url == URL and store.read_checkpoint("j") is None and "maxzoom" not in store.metadata()


def test_root_create_open_list_rename_reset_delete(root):
    assert root.list() == []
    with root.create("a", URL, attribution="© test") as a:
        a.put_tiles(records(1, range(2), range(2)))
    with pytest.raises(StoreExists):
        root.create("a", URL)
    root.create("b", None).close()
    assert root.list() == ["a", "b"]
    assert root.store_path("a") == root.path / "stores" / "a.mbtiles"
    root.rename("a", "c")
    with pytest.raises(StoreNotFound):
        root.open("a")
    with pytest.raises(StoreExists):
        root.rename("c", "b")
    with root.open("c") as c:
        assert c.stats().tiles == 4 and c.metadata()["name"] == "c" and c.metadata()["attribution"] == "© test"
    root.reset("c")
    with root.open("c") as c:
        assert c.stats().tiles == 0
    root.delete("c")
    assert root.list() == ["b"]
    with pytest.raises(StoreNotFound):
        root.delete("c")


def test_open_or_create_refuses_another_source_and_adopts_one_if_none(root):
    root.open_or_create("s", URL).close()
    with pytest.raises(StoreError, match="another source"):
        root.open_or_create("s", "http://other.example/{z}/{x}/{y}.png")
    root.create("bare").close()
    with root.open_or_create("bare", URL) as s:
        assert s.source_url == URL


def test_root_accepts_a_root_and_honours_env(tmp_path, monkeypatch):
    monkeypatch.setenv("FMTC_NB_ROOT", str(tmp_path / "env-root"))
    assert Root().path == tmp_path / "env-root"
    assert Root(Root(tmp_path / "x")).path == tmp_path / "x"


def test_a_foreign_sqlite_file_is_not_opened_as_a_store(root):
    root.stores_dir.mkdir(parents=True)
    sqlite3.connect(root.store_path("foreign")).execute("CREATE TABLE t (a)").connection.close()
    with pytest.raises(StoreError, match="not an fmtc-nb store"):
        root.open("foreign")
    root.store_path("junk").write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        root.open("junk")


def test_rename_and_delete_are_refused_while_another_connection_has_the_store_open(root):
    root.create("busy", URL).close()
    reader = root.open("busy", readonly=True)
    reader.stats()
    for action in (lambda: root.rename("busy", "other"), lambda: root.delete("busy")):
        with pytest.raises(StoreError, match="open in another program"):
            action()
    reader.close()
    root.rename("busy", "other")
    root.delete("other")
    assert root.list() == []


@pytest.mark.parametrize("z,x,y", [(3, 8, 0), (3, 0, 8), (3, -1, 0), (31, 0, 0), (-1, 0, 0)])
def test_tiles_outside_the_grid_are_refused_and_nothing_is_written(store, z, x, y):
    with pytest.raises(StoreError, match="does not exist"):
        store.put_tiles(records(3, range(2), range(2)) + [TileRecord(z, x, y, b"\x89PNG", 0.0)], checkpoint=("j", "c"))
    assert store.stats().tiles == 0 and store.read_checkpoint("j") is None


def test_a_backup_copy_in_rollback_journal_mode_is_switched_back_to_wal(root, store):
    store.put_tiles(records(2, range(2), range(2)))
    root.stores_dir.joinpath("copy.mbtiles").touch()
    target = sqlite3.connect(root.store_path("copy"))
    store.db.backup(target)
    target.execute("PRAGMA journal_mode = DELETE")
    target.close()
    with root.open("copy") as copy:
        assert copy.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert copy.stats().tiles == 4 and copy.verify() == []


def test_dedup_finds_blobs_in_both_hash_tables_across_merges(store, monkeypatch):
    import fmtc_nb.store.blobs as blobs

    monkeypatch.setattr(blobs, "MERGE_AT", 7)
    for x in range(5):  # five batches of five distinct bodies: two merges into fmtc_hash_old, five left new
        store.put_tiles(records(6, range(x * 5, x * 5 + 5), range(1)))
    same = [TileRecord(6, r.x, 1, r.data, r.fetched_at) for r in records(6, range(25), range(1))]
    store.put_tiles(same)  # the same 25 bodies one row further: found in both tables
    db = store.db
    assert db.execute("SELECT count(*) FROM fmtc_hash_old").fetchone()[0] > 0
    assert db.execute("SELECT count(*) FROM fmtc_hash_new").fetchone()[0] > 0
    assert store.stats().unique_blobs == 25 and store.stats().tiles == 50 and store.verify() == []
    assert store.prune(time.time() + 1) == 50
    assert store.stats().unique_blobs == 0 and store.verify() == []
    assert db.execute("SELECT (SELECT count(*) FROM fmtc_hash_old) + (SELECT count(*) FROM fmtc_hash_new)").fetchone()[0] == 0
