"""Shard plans, shard checkpoints and merges, without a cluster: real covers, real SQLite stores."""

from __future__ import annotations

import time

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.errors import ClusterError, RecoveryError, ShardError
from fmtc_nb.recovery import Checkpoint, IndexRanges
from fmtc_nb.regions import parse_region
from fmtc_nb.scale import Shard, plan_shards
from fmtc_nb.scale.checkpoints import ShardCheckpointer, is_done, part_of, shard_key, todo_count, with_shard
from fmtc_nb.scale.ledger import ShardLedger, recorded_plan
from fmtc_nb.scale.merge import merge_shard
from fmtc_nb.store import Root, TileRecord

URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 20 + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def contiguous(shards: list[Shard], total: int) -> bool:
    return (shards[0].start == 0 and shards[-1].end == total
            and all(a.end == b.start for a, b in zip(shards, shards[1:], strict=False))
            and [s.number for s in shards] == list(range(len(shards))))


def test_shards_are_contiguous_index_ranges_of_the_cover_capped_by_tiles():
    cover = TileCover(parse_region("rect:-10,40,10,55"), "0-11")
    shards = plan_shards(cover.counts, max_tiles=3000)
    assert contiguous(shards, cover.total)
    assert all(1 <= s.tiles <= 3000 for s in shards) and sum(s.tiles for s in shards) == cover.total
    assert len(shards) == -(-cover.total // 3000)  # only the last one is short
    assert shards[3].name == "shard-00003"


def test_shards_sized_by_bytes_hold_fewer_tiles_where_tiles_are_bigger():
    counts = {10: 10_000, 11: 40_000}
    shards = plan_shards(counts, max_tiles=50_000, max_bytes=1_000_000, sizes={10: 1_000.0, 11: 4_000.0})
    assert contiguous(shards, 50_000)
    assert all(s.tiles == 1000 for s in shards if s.end <= 10_000)
    assert all(s.tiles == 250 for s in shards if s.start >= 10_000)
    mixed = plan_shards({3: 50, 4: 200}, max_tiles=1000, max_bytes=100.0, sizes={3: 1.0, 4: 2.0})
    assert [s.tiles for s in mixed] == [75, 50, 50, 50, 25]  # the first shard: 50 tiles of 1 B + 25 of 2 B
    # a zoom without a measured size counts by tiles only
    assert [s.tiles for s in plan_shards({5: 30, 6: 30}, max_tiles=20, max_bytes=10.0, sizes={5: 1.0})] == [10, 10, 10,
                                                                                                           20, 10]


@pytest.mark.parametrize("kwargs", [{"max_tiles": 0}, {"max_tiles": 2.5}, {"max_bytes": -1.0, "sizes": {0: 1.0}},
                                    {"max_bytes": 1e6}, {"max_bytes": float("nan"), "sizes": {0: 1.0}}])
def test_impossible_shard_sizes_are_refused_in_one_sentence(kwargs):
    with pytest.raises(ClusterError) as exc:
        plan_shards({0: 1, 1: 4}, **kwargs)
    assert str(exc.value).endswith(".") and "\n" not in str(exc.value)


def test_a_shards_part_of_a_checkpoint_and_back():
    job = Checkpoint(100)
    job.mark(range(0, 30), [(35, "HTTP 404"), (70, "HTTP 500")])
    shard = Shard(1, 25, 60)
    part = part_of(job, shard)
    assert part.finished.ranges() == [(25, 30), (35, 36)] and list(part.failed) == ["HTTP 404"]
    assert todo_count(part, shard) == 35 - 6 + 1 and not is_done(part, shard)
    checkpointer = ShardCheckpointer(shard_key("j", shard), shard, part)
    assert list(checkpointer.todo(100)) == [*range(30, 35), *range(36, 60), 35]  # missing, then the failed
    key, text = checkpointer.batch_checkpoint(range(30, 60), [])
    assert key == "j/shard-00001" and checkpointer.tiles_done == 5  # counted only once the batch committed
    checkpointer.batch_done(range(30, 60), [])
    assert checkpointer.last_text == text
    assert is_done(checkpointer.checkpoint, shard) and checkpointer.tiles_done == 35 and checkpointer.tiles_failed == 0
    merged = with_shard(job, Checkpoint.from_text(checkpointer.last_text), shard)
    assert merged.finished.ranges() == [(0, 60), (70, 71)]
    assert {k: v.ranges() for k, v in merged.failed.items()} == {"HTTP 500": [(70, 71)]}  # 35 was fetched again
    assert job.finished.ranges() == [(0, 30), (35, 36), (70, 71)]  # the job's own checkpoint is unchanged
    with pytest.raises(RecoveryError):
        ShardCheckpointer("k", shard, Checkpoint.from_text(checkpointer.last_text)).todo(99)


def test_index_ranges_within_a_window():
    r = IndexRanges.of([1, 2, 3, 7, 8, 20])
    assert r.within(2, 8).ranges() == [(2, 4), (7, 8)]
    assert r.within(9, 20).ranges() == [] and r.within(0, 100) == r


def make_shard_store(root: Root, job_id: str, shard: Shard, cover: TileCover, failed: set[int] = frozenset()):
    """A finished shard store as a worker leaves it: its range's tiles and failures, and its checkpoint."""
    store = root.open_or_create(shard.name, URL)
    checkpointer = ShardCheckpointer(shard_key(job_id, shard), shard, Checkpoint())
    list(checkpointer.todo(cover.total))
    records, failures, done, bad = [], [], [], []
    for i, (z, x, y) in zip(range(shard.start, shard.end), cover.tiles(shard.start, shard.end), strict=True):
        if i in failed:
            failures.append((z, x, y, "HTTP 404"))
            bad.append((i, "HTTP 404"))
        else:
            records.append(TileRecord(z, x, y, PNG + bytes([i % 7]), time.time()))
            done.append(i)
    store.put_tiles(records, failures=failures, checkpoint=checkpointer.batch_checkpoint(done, bad))
    checkpointer.batch_done(done, bad)
    store.close()


def test_merging_shards_copies_every_tile_once_and_a_repeated_merge_doubles_nothing(tmp_path):
    cover = TileCover(parse_region("rect:-10,40,10,55"), "0-9")
    shards = plan_shards(cover.counts, max_tiles=900)
    job_root, shard_root = Root(tmp_path / "root"), Root(tmp_path / "shards")
    target = job_root.open_or_create("job", URL)
    checkpoint = Checkpoint(cover.total)
    for shard in shards:
        make_shard_store(shard_root, "j", shard, cover, failed={shard.start + 3} if shard.number == 1 else set())
    for shard in shards[:2]:
        checkpoint, copied = merge_shard(target, shard_root.store_path(shard.name), shard_key("j", shard), shard,
                                         checkpoint, "j")
        assert copied == shard.tiles - (shard.number == 1)
    again, copied = merge_shard(target, shard_root.store_path(shards[0].name), shard_key("j", shards[0]), shards[0],
                                checkpoint, "j")  # a merge cut short before its shard store was removed
    assert again.finished == checkpoint.finished
    for shard in shards[2:]:
        checkpoint, _ = merge_shard(target, shard_root.store_path(shard.name), shard_key("j", shard), shard,
                                    checkpoint, "j")
    stats = target.stats()
    assert stats.tiles == cover.total - 1 and stats.failures == 1 and target.verify() == []
    keys = {(z, x, y) for z in cover.zooms for x, y in target.tile_keys(z)}
    assert keys == set(cover.tiles()) - {cover.tile_at(shards[1].start + 3)}
    stored = Checkpoint.from_text(target.read_checkpoint("j"))  # committed with the last batch of tiles
    assert len(stored.finished) == cover.total and stored.tiles_failed == 1


def test_an_unfinished_shard_is_not_merged(tmp_path):
    cover = TileCover(parse_region("rect:-10,40,10,55"), "0-6")
    shard = Shard(0, 0, cover.total)
    root = Root(tmp_path / "shards")
    store = root.open_or_create(shard.name, URL)
    checkpointer = ShardCheckpointer(shard_key("j", shard), shard, Checkpoint())
    z, x, y = cover.tile_at(0)
    store.put_tiles([TileRecord(z, x, y, PNG, time.time())], checkpoint=checkpointer.batch_checkpoint([0], []))
    store.close()
    target = Root(tmp_path / "root").open_or_create("job", URL)
    with pytest.raises(ShardError, match="not finished"):
        merge_shard(target, root.store_path(shard.name), shard_key("j", shard), shard, Checkpoint(cover.total), "j")
    assert target.stats().tiles == 0 and target.read_checkpoint("j") is None


def test_the_ledger_keeps_a_plan_and_the_shards_states(tmp_path):
    shards = [Shard(0, 0, 10), Shard(1, 10, 15)]
    with ShardLedger(tmp_path) as ledger:
        ledger.record("j", tmp_path / "shards", "local:2", None, shards)
        ledger.update("j", [(1, ("merged", 2, "tcp://127.0.0.1:1", 5, 0, 123, "{}", None))])
        ledger.record("j", tmp_path / "shards", "tcp://127.0.0.1:8786", "out.pmtiles", shards)  # resumed elsewhere
        frame = ledger.frame("j")
    plan = recorded_plan(tmp_path, "j")
    assert plan is not None and plan.shards == shards and plan.cluster == "tcp://127.0.0.1:8786"
    assert plan.pmtiles == "out.pmtiles" and plan.shard_root == tmp_path / "shards"
    assert list(frame["state"]) == ["pending", "merged"] and list(frame["attempts"]) == [0, 2]
    assert recorded_plan(tmp_path, "other") is None
