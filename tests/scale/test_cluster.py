"""Sharded downloads on a real LocalCluster (2 worker processes) against nginx on loopback: exact results,
a worker SIGKILLed mid-shard, a cancelled job resumed from its finished shards, one rate limit for all workers."""

from __future__ import annotations

import os
import signal
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.scale import ShardedDownload, download, resume
from fmtc_nb.scale.ledger import ShardLedger
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root

pytestmark = pytest.mark.timeout(600)


def stored_keys(root, name: str) -> set[tuple[int, int, int]]:
    with Root(root).open(name, readonly=True) as store:
        return {(z, x, y) for z in range(0, 23) for x, y in store.tile_keys(z)}


def wait_for(predicate, timeout: float = 120.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def running(sharded: ShardedDownload) -> Iterator[ShardedDownload]:
    """``sharded`` started in its thread; cancelled and waited for if the test fails, so that no paused or
    running shard keeps the cluster's workers from the next test."""
    sharded.start()
    try:
        yield sharded
    finally:
        if sharded._thread is not None and sharded._thread.is_alive():
            sharded.resume()
            sharded.cancel()
            sharded._thread.join(120)


def test_fifty_thousand_tiles_arrive_exactly_once(client, tile_server, tmp_path):
    region = parse_region("rect:-15,38,25,58")  # 53,307 tiles at z0-11
    cover = TileCover(region, "0-11")
    assert cover.total >= 50_000
    snapshots = []
    start = time.monotonic()
    final = download(region, "0-11", tile_server.url_template, "big", tmp_path, cluster=client,
                     shard_tiles=8_000, parallel=8, batch_size=1000, on_progress=snapshots.append)
    seconds = time.monotonic() - start
    print(f"\n{cover.total} tiles in {seconds:.1f} s ({cover.total / seconds:.0f} tiles/s) on 2 workers")
    assert final.status == "completed" and final.cached == final.max_tiles == cover.total and final.failed == 0
    assert stored_keys(tmp_path, "big") == set(cover.tiles())
    hits = tile_server.hits()
    assert set(hits) == set(cover.tiles()) and set(hits.values()) == {1}  # no tile fetched twice
    with Root(tmp_path).open("big", readonly=True) as store:
        assert store.verify() == [] and store.stats().tiles == cover.total
    for snap in snapshots:  # the aggregated stream keeps the engine's invariants
        assert snap.attempted == snap.successful + snap.failed and snap.attempted + snap.remaining == snap.max_tiles
    assert [s.attempted for s in snapshots] == sorted(s.attempted for s in snapshots)
    with RecoveryRegistry(tmp_path) as registry:
        (info,) = registry.jobs()
    assert info.status == "completed" and info.tiles_done == cover.total
    assert not (tmp_path / "shards" / info.id / "stores").exists() or not list((tmp_path / "shards" / info.id /
                                                                                  "stores").glob("*.mbtiles"))


def test_a_worker_killed_mid_shard_has_its_shard_rescheduled_from_its_checkpoint(client, tile_server, tmp_path):
    region = parse_region("rect:-10,40,10,55")
    cover = TileCover(region, "0-11")
    options = DownloadOptions(parallel=4, batch_size=100, flush_interval_s=0.5, rate_limit=1500.0)
    job = DownloadJob(region, cover.zooms, TileSource(tile_server.url_template), "killed", options)
    with RecoveryRegistry(tmp_path) as registry:
        tracker = registry.start(job)
        sharded = ShardedDownload(job, tmp_path, cluster=client, tracker=tracker, shard_tiles=5000)

        def victim():
            with sharded._lock:
                return next((s for s in sharded.states if s.state == "running" and 600 <= s.tiles_done <= 3000), None)

        with running(sharded):
            wait_for(lambda: victim() is not None, what="a shard half way")
            shard = victim()
            assert shard.worker in client.scheduler_info()["workers"]
            pid = client.run(os.getpid, workers=[shard.worker])[shard.worker]  # the worker process running the shard
            os.kill(pid, signal.SIGKILL)
            committed = shard.tiles_done
            final = sharded.wait(300)
    assert sharded.error is None and final.status == "completed" and final.failed == 0
    assert stored_keys(tmp_path, "killed") == set(cover.tiles())
    state = sharded.states[shard.shard.number]
    assert state.state == "merged" and state.attempts == 2
    hits = tile_server.hits()
    assert set(hits) == set(cover.tiles())
    again = {t for t, n in hits.items() if n > 1}
    in_shard = set(cover.tiles(shard.shard.start, shard.shard.end))
    assert again <= in_shard, "only the killed shard's tiles are fetched again"
    # fetched again: at most what the dead attempt had not committed (its buffer and requests in flight)
    assert len(again) <= options.batch_size + 2 * options.parallel, len(again)
    assert sum(hits.values()) - cover.total == len(again) and max(hits.values()) <= 2
    print(f"\nkilled with {committed} tiles committed; {len(again)} tiles fetched again; second attempt "
          f"fetched {state.todo} of the shard's {shard.shard.tiles}")


def test_a_cancelled_job_resumes_from_its_finished_shards(client, tile_server, tmp_path):
    region = parse_region("rect:-10,40,10,55")
    cover = TileCover(region, "0-11")
    job = DownloadJob(region, cover.zooms, TileSource(tile_server.url_template), "cancelled",
                      DownloadOptions(parallel=4, rate_limit=2000.0))
    with RecoveryRegistry(tmp_path) as registry:
        tracker = registry.start(job)
        sharded = ShardedDownload(job, tmp_path, cluster=client, tracker=tracker, shard_tiles=2500)
        tracker.bind(sharded)
        with running(sharded):
            wait_for(lambda: sum(s.state == "merged" for s in sharded.states) >= 2, what="two merged shards")
            registry.cancel(job.job_id)  # as `fmtc-nb recovery cancel` does: the coordinator obeys at its heartbeat
            first = sharded.wait(120)
        assert first.status == "cancelled" and registry.get(job.job_id).status == "cancelled"
    merged_before = [s.shard for s in sharded.states if s.state == "merged"]
    assert 2 <= len(merged_before) < len(sharded.states)
    hits_before = tile_server.hits()
    tile_server.clear()
    final = resume(job.job_id, tmp_path, cluster=client)
    assert final.status == "completed" and stored_keys(tmp_path, "cancelled") == set(cover.tiles())
    hits_after = tile_server.hits()
    assert not any(t in hits_after for s in merged_before for t in cover.tiles(s.start, s.end))
    total = hits_before + hits_after
    assert set(total) == set(cover.tiles()) and set(total.values()) == {1}  # a cancel loses nothing in flight
    assert final.max_tiles == cover.total - sum(hits_before.values())
    with RecoveryRegistry(tmp_path) as registry:
        info = registry.get(job.job_id)
    assert info.status == "completed" and info.runs == 2 and info.tiles_done == cover.total


def test_the_rate_limit_holds_across_workers(client, tile_server, tmp_path):
    rate = 120.0
    region = parse_region("rect:-10,40,10,55")
    final = download(region, "0-9", tile_server.url_template, "paced", tmp_path, cluster=client, shard_tiles=300,
                     parallel=8, rate_limit=rate)
    assert final.status == "completed"
    stamps = sorted(t for t, _ in tile_server.requests())
    per_second = Counter(int(t) for t in stamps)
    full = [per_second[s] for s in range(int(stamps[0]) + 1, int(stamps[-1]))]  # whole seconds only
    print(f"\nrequests per second at the server: {full}")
    assert len(full) >= 4 and max(full) <= rate * 1.1 + 2
    assert statistics.mean(full) >= rate * 0.6  # the workers share the rate, not half of it each
    with RecoveryRegistry(tmp_path) as registry:
        (info,) = registry.jobs()
    with ShardLedger(tmp_path) as ledger:
        frame = ledger.frame(info.id)
    assert set(frame["state"]) == {"merged"} and frame["worker"].nunique() == 2


def test_a_slow_down_answer_holds_every_worker(client):
    from fmtc_nb.scale.pacing import reset_pacer

    def paced(job_id: str, rate: float, slow_at: float | None, seconds: float) -> list[float]:
        import asyncio

        from fmtc_nb.scale.pacing import SharedPacer

        pacer = SharedPacer(job_id, rate)

        async def go() -> list[float]:
            times, end, slowed = [], time.time() + seconds, slow_at is None
            while time.time() < end:
                await pacer.acquire()
                times.append(time.time())
                if not slowed and times[-1] >= slow_at:
                    pacer.slow_down(2.0)  # as the engine does on a 429 with Retry-After: 2
                    slowed = True
            return times

        try:
            return asyncio.run(go())
        finally:
            pacer.close()

    reset_pacer(client, "hold-test")
    a, b = list(client.scheduler_info()["workers"])
    t0 = time.time() + 2.0
    first = client.submit(paced, "hold-test", 20.0, t0 + 0.5, 3.5, workers=[a], pure=False)
    second = client.submit(paced, "hold-test", 20.0, None, 3.5, workers=[b], pure=False)
    times_a, times_b = first.result(60), second.result(60)
    hold_start = next(t for t in times_a if t >= t0 + 0.5)
    # slots leased before the hold still go: a lease is LEASE_S (0.2 s) of slots, at most two leases ahead
    quiet = [round(t - hold_start, 3) for t in times_a + times_b if hold_start + 0.45 < t < hold_start + 1.95]
    assert quiet == [], "no worker requests while the server's Retry-After holds"
    assert any(t > hold_start + 2.0 for t in times_b), "the other worker goes on after the hold"
    both = sorted(t for t in times_a + times_b if t0 <= t < hold_start)
    if len(both) > 2:  # before the hold both shared one rate of 20 a second
        assert len(both) / (both[-1] - both[0]) <= 20 * 1.3


def test_pause_holds_every_shard_and_resume_finishes_the_job(client, tile_server, tmp_path):
    region = parse_region("rect:-10,40,10,55")
    job = DownloadJob(region, list(range(10)), TileSource(tile_server.url_template), "paused",
                      DownloadOptions(parallel=4, rate_limit=300.0))
    sharded = ShardedDownload(job, tmp_path, cluster=client, shard_tiles=300)
    with running(sharded):
        wait_for(lambda: sharded.snapshot.attempted > 100, what="some progress")
        sharded.pause()
        wait_for(lambda: sharded.snapshot.status == "paused" and all(
            s.snapshot.status == "paused" for s in sharded.states if s.state == "running"), what="every shard paused")
        time.sleep(2.5)  # workers read the command once a second: a shard that just started has seen it by now
        before = len(tile_server.requests())
        time.sleep(1.5)
        assert len(tile_server.requests()) == before
        wait_for(lambda: sharded.snapshot.buffered == 0, 5, "paused shards to flush (the workers relay once a second)")
        frame = sharded.shards_frame()
        assert list(frame.columns[:6]) == ["shard", "start", "end", "tiles", "state", "attempts"]
        assert (frame["state"] == "running").sum() >= 1 and frame["tiles"].sum() == TileCover(region, job.zooms).total
        sharded.resume()
        final = sharded.wait(120)
    assert final.status == "completed" and final.cached == final.max_tiles
    assert set(tile_server.hits().values()) == {1}


def test_a_pause_pressed_as_a_shard_ends_holds_the_shard_its_worker_starts_next(client, tile_server, tmp_path):
    """The worker starts the next shard as one ends, which is when a user may press pause: that shard must
    start paused (it once read "run" and fetched its whole range in its first second, unseen by the
    coordinator, whose first news of it came a second later)."""
    region = parse_region("rect:-10,40,10,55")
    job = DownloadJob(region, list(range(10)), TileSource(tile_server.url_template), "edge",
                      DownloadOptions(parallel=4, rate_limit=600.0))
    sharded = ShardedDownload(job, tmp_path, cluster=client, shard_tiles=400)
    with running(sharded):
        wait_for(lambda: any(s.state in ("finished", "merged") for s in sharded.states), what="a shard to end")
        sharded.pause()
        wait_for(lambda: all(s.snapshot.status == "paused" and not s.snapshot.buffered
                             for s in sharded.states if s.state == "running"), what="every running shard paused")
        before = len(tile_server.requests())
        time.sleep(1.5)
        assert len(tile_server.requests()) == before, "a shard fetched after every known shard said it was paused"
        sharded.resume()
        final = sharded.wait(120)
    assert final.status == "completed" and final.cached == final.max_tiles
    assert set(tile_server.hits().values()) == {1}


def test_a_job_paused_before_it_starts_fetches_nothing_until_resumed(client, tile_server, tmp_path):
    region = parse_region("rect:-10,40,10,55")
    job = DownloadJob(region, list(range(8)), TileSource(tile_server.url_template), "early",
                      DownloadOptions(parallel=4))
    sharded = ShardedDownload(job, tmp_path, cluster=client, shard_tiles=100)
    sharded.pause()
    with running(sharded):
        wait_for(lambda: sum(s.state == "running" for s in sharded.states) == 2, what="both workers' shards to start")
        time.sleep(2.5)  # a shard that read "run" as it started would fetch until its relay obeys (a second)
        assert tile_server.requests() == [], "a shard fetched although the job was paused before it started"
        assert sharded.snapshot.status == "paused" and sharded.snapshot.attempted == 0
        sharded.resume()
        final = sharded.wait(120)
    assert final.status == "completed" and final.cached == final.max_tiles == TileCover(region, job.zooms).total
    assert set(tile_server.hits().values()) == {1}


def test_a_completed_job_can_also_be_written_as_pmtiles(client, tile_server, tmp_path):
    from fmtc_nb.store.importer import import_file

    region = parse_region("rect:-10,40,10,55")
    out = tmp_path / "out.pmtiles"
    final = download(region, "0-8", tile_server.url_template, "both", tmp_path / "root", cluster=client,
                     shard_tiles=100, pmtiles=out)
    assert final.status == "completed"
    copy = Root(tmp_path / "copy")
    assert import_file(copy, out, name="copy").tiles == TileCover(region, "0-8").total
    assert stored_keys(tmp_path / "copy", "copy") == stored_keys(tmp_path / "root", "both")
