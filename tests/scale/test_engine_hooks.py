"""The two engine hooks sharding needs, on a real engine and real loopback servers: a todo range far into the
cover is reached by seeking (not by walking the tiles before it), and a server's Retry-After holds the whole job."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.hooks import Pacer
from fmtc_nb.engine.ratelimit import TokenBucket
from fmtc_nb.recovery import Checkpoint
from fmtc_nb.regions import parse_region
from fmtc_nb.scale import Shard
from fmtc_nb.scale.checkpoints import ShardCheckpointer
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from tests.engine.conftest import FaultServer


def test_a_shard_deep_in_a_huge_cover_fetches_its_range_only_and_seeks_to_it(tile_server, tmp_path, monkeypatch):
    region = parse_region("rect:-180,-85,180,85")
    cover = TileCover(region, "0-14")  # 358 million tiles: walking to the shard would take a minute or more
    shard = Shard(7, 300_000_000, 300_000_400)
    job = DownloadJob(region, cover.zooms, TileSource(tile_server.url_template), "deep", DownloadOptions(parallel=4))
    streamed = [0]  # tiles the engine drew from any TileCover stream: the shard's own, not the 300 million before
    real_tiles = TileCover.tiles

    def counted_tiles(self: TileCover, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, int]]:
        for tile in real_tiles(self, start, end):
            streamed[0] += 1
            if streamed[0] > 10 * shard.tiles:
                raise RuntimeError("the engine walked the cover instead of seeking to the shard")
            yield tile

    monkeypatch.setattr(TileCover, "tiles", counted_tiles)
    snap = Download(job, tmp_path, checkpointer=ShardCheckpointer("k", shard, Checkpoint())).run()
    assert streamed[0] <= shard.tiles + 1, f"{streamed[0]} tiles streamed for a shard of {shard.tiles}"
    assert snap.cached == shard.tiles and snap.failed == 0
    assert set(tile_server.hits()) == set(cover.tiles(shard.start, shard.end))
    with Root(tmp_path).open("deep", readonly=True) as store:
        assert store.stats().tiles == shard.tiles


def test_a_retry_after_holds_every_request_of_the_job_not_only_the_tile(tmp_path):
    slow_tile = (2, 1, 1)
    with FaultServer(lambda z, x, y, n: "429" if (z, x, y) == slow_tile and n == 1 else "ok") as server:
        job = DownloadJob(parse_region("rect:-180,-85,180,85"), [0, 1, 2, 3], TileSource(server.url_template), "held",
                          DownloadOptions(parallel=4, backoff_s=0.01))
        snap = Download(job, tmp_path).run()
    assert snap.cached == TileCover(job.region, job.zooms).total and snap.failed == 0
    told = server.times[slow_tile][0]  # the 429 said Retry-After: 0.3
    during = [t for stamps in server.times.values() for t in stamps if told + 0.05 < t < told + 0.28]
    assert during == [], "no request starts while the server asked the job to wait"


def test_the_token_bucket_is_the_engines_pacer_and_holds_for_a_slow_down():
    bucket = TokenBucket(None)
    assert isinstance(bucket, Pacer) and not bucket.limiting

    async def held() -> float:
        bucket.slow_down(0.2)
        start = time.monotonic()
        await bucket.acquire()
        return time.monotonic() - start

    assert asyncio.run(held()) >= 0.19 and bucket.limiting
