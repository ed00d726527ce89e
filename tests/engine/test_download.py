"""The engine end to end against real loopback servers and real SQLite stores."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

pytest.importorskip("fmtc_nb.store")
pytest.importorskip("fmtc_nb.cover")

from fmtc_nb.cover import TileCover  # noqa: E402, I001 (sorted for when cover/regions/store/zooms exist)
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions, NullCheckpointer  # noqa: E402
from fmtc_nb.engine.downloader import sea_tile  # noqa: E402
from fmtc_nb.engine.validate import image_problem  # noqa: E402
from fmtc_nb.errors import PolicyError, SourceError  # noqa: E402
from fmtc_nb.regions import parse_region  # noqa: E402
from fmtc_nb.source import TileSource  # noqa: E402
from fmtc_nb.store import Root  # noqa: E402
from fmtc_nb.zooms import parse_zooms  # noqa: E402

WORLD = "rect:-180,-85,180,85"
FAULTS = ["404", "500", "503", "429", "html", "reset", "truncate", "chunked-truncate", "stall"]


def job(url: str, zooms: str = "0-4", **options) -> DownloadJob:
    opts = {"parallel": 8, "retries": 2, "backoff_s": 0.02, "read_timeout_s": 0.4, "connect_timeout_s": 1} | options
    return DownloadJob(parse_region(WORLD), parse_zooms(zooms), TileSource(url), "t", DownloadOptions(**opts))


def assert_counts_add_up(snap) -> None:
    assert snap.attempted == snap.successful + snap.failed
    assert snap.successful == snap.cached + snap.skipped_existing + snap.skipped_sea
    assert snap.attempted + snap.remaining == snap.max_tiles
    assert snap.buffered == 0 and snap.flushed == snap.cached


def test_faults_never_store_bad_tiles_and_every_tile_ends_once(fault_server, tmp_path):
    def behaviour(z, x, y, attempt):
        rnd = random.Random(f"{z}/{x}/{y}/{attempt}")
        if (x + y) % 7 == 3:  # these tiles always fail the same way: they must end failed
            return FAULTS[(x + 2 * y) % len(FAULTS)]
        return rnd.choice(FAULTS[1:]) if attempt == 1 and rnd.random() < 0.4 else "ok"

    server = fault_server(behaviour)
    events = []
    the_job = job(server.url_template)
    snap = Download(the_job, tmp_path, on_tile=events.append).run()
    assert_counts_add_up(snap)
    final = [e for e in events if e.outcome != "retry"]
    per_tile = Counter(e.index for e in final)
    assert set(per_tile) == set(range(snap.max_tiles)) and set(per_tile.values()) == {1}
    cover = TileCover(the_job.region, the_job.zooms)
    store = Root(tmp_path).open("t")
    outcome = {e.index: e.outcome for e in final}
    for i, (z, x, y) in enumerate(cover.tiles()):
        data = store.get_tile(z, x, y)
        if outcome[i] == "cached":
            assert data is not None and image_problem(data) is None
        else:
            assert data is None
        # retries stop: 1 + 2 retries in the main pass and again in the final pass; aiohttp itself re-sends
        # once when a kept-alive connection is reset, so resets may count double
        hits = server.hits[(z, x, y)]
        assert hits <= 2 * (1 + 2) * 2
        if (x + y) % 7 == 3:
            expected = "failed_negative" if FAULTS[(x + 2 * y) % len(FAULTS)] == "404" else "failed_request"
            assert outcome[i] == expected
            assert hits == 1 if expected == "failed_negative" else 6 <= hits <= 12
        else:
            assert outcome[i] == "cached"
    assert snap.failed_negative > 0 and snap.failed_request > 0 and snap.cached > 0
    assert snap.status == "completed"


def test_skip_existing_and_sea(fault_server, tmp_path):
    sea_xy = sea_tile()[1:]
    server = fault_server(lambda z, x, y, n: "sea" if (z, x, y) == (8, *sea_xy) or x % 2 else "ok")
    first = Download(job(server.url_template, skip_sea=True), tmp_path).run()
    assert_counts_add_up(first)
    assert first.skipped_sea > 0 and first.cached > 0 and first.failed == 0
    store = Root(tmp_path).open("t")
    cover = TileCover(parse_region(WORLD), parse_zooms("0-4"))
    for z, x, y in cover.tiles():
        assert (store.get_tile(z, x, y) is None) == bool(x % 2)
    hits_before = sum(server.hits.values())
    again = Download(job(server.url_template, skip_sea=True), tmp_path).run()
    assert again.skipped_existing == first.cached and again.skipped_sea == first.skipped_sea
    assert sum(server.hits.values()) - hits_before == first.skipped_sea + 1  # the sea tiles and the sea probe
    stale = Download(job(server.url_template, fresher_than_days=0), tmp_path).run()  # none is fresh enough
    assert stale.skipped_existing == 0 and stale.cached == cover.total


class RecordingCheckpointer(NullCheckpointer):
    def __init__(self):
        super().__init__("rec")
        self.batches: list[tuple[list[int], list]] = []
        self.beats = 0
        self.end = None

    def batch_checkpoint(self, done, failed):
        return self.job_id, f"{sum(len(d) for d, _ in self.batches) + len(done)}"

    def batch_done(self, done, failed):
        self.batches.append((list(done), list(failed)))

    def heartbeat(self, snapshot):
        self.beats += 1

    def finished(self, snapshot, status, reason):
        self.end = (snapshot, status, reason)


def test_pause_resume_cancel_from_another_thread(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    cp = RecordingCheckpointer()
    dl = Download(job(server.url_template, zooms="0-6", rate_limit=400), tmp_path, checkpointer=cp)
    dl.start()
    time.sleep(1.5)
    dl.pause()
    time.sleep(0.3)
    paused = dl.snapshot
    assert paused.buffered == 0 and paused.cached > 0 and paused.status == "paused"
    time.sleep(0.5)
    assert dl.snapshot.attempted - paused.attempted <= 8  # only requests already in flight end
    assert dl.snapshot.rate_limited is False or paused.rate_limited
    dl.resume()
    time.sleep(0.5)
    assert dl.snapshot.attempted > paused.attempted and dl.snapshot.status == "running"
    dl.cancel()
    snap = dl.wait(10)
    assert snap.status == "cancelled" and 0 < snap.attempted < snap.max_tiles
    assert cp.end is not None and cp.end[1] == "cancelled" and cp.beats >= 2
    done = [i for d, _ in cp.batches for i in d]
    assert len(done) == len(set(done)) == snap.attempted
    store = Root(tmp_path).open("t")
    cover = TileCover(parse_region(WORLD), parse_zooms("0-6"))
    assert all(store.get_tile(*cover.tile_at(i)) is not None for i in done)


def test_rate_limit_holds_the_speed(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    seen = []
    snap = Download(job(server.url_template, zooms="0-3", rate_limit=40), tmp_path, on_progress=seen.append).run()
    assert snap.cached == 85 and snap.elapsed_s >= 1.5
    assert any(s.rate_limited for s in seen)


def test_osm_and_generic_user_agent_refused(tmp_path):
    with pytest.raises(PolicyError, match="usage policy|forbids"):
        Download(job("https://tile.openstreetmap.org/{z}/{x}/{y}.png"), tmp_path).run()
    with pytest.raises(SourceError, match="generic"):
        TileSource("http://127.0.0.1:1/{z}/{x}/{y}.png", headers={"User-Agent": "python-requests/2.31"})


def test_user_agent_names_fmtc_nb(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    Download(job(server.url_template, zooms="0-1"), tmp_path).run()
    assert len(server.agents) == 1 and next(iter(server.agents)).startswith("fmtc-nb/")
    the_job = job(server.url_template, zooms="0")
    the_job = DownloadJob(the_job.region, the_job.zooms, TileSource(server.url_template, contact="gis@example.org"),
                          "t2", the_job.options)
    Download(the_job, tmp_path).run()
    assert any(a.startswith("fmtc-nb/") and "gis@example.org" in a for a in server.agents)


def test_job_round_trips_through_json(fault_server):
    import json

    the_job = job("http://127.0.0.1:9/{z}/{x}/{y}.png", skip_sea=True, rate_limit=5.0)
    back = DownloadJob.from_dict(json.loads(json.dumps(the_job.to_dict())))
    assert back.options == the_job.options and back.zooms == the_job.zooms and back.source == the_job.source
    assert back.job_id == the_job.job_id and len(the_job.job_id) == 16 and job("http://127.0.0.1:9/{z}/{x}/{y}.png").job_id != the_job.job_id
    assert TileCover(back.region, back.zooms).total == TileCover(the_job.region, the_job.zooms).total


def test_retry_after_is_honoured_and_backoff_grows(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: ("500" if x else "429" if y == 0 else "503") if n <= 2 else "ok")
    snap = Download(job(server.url_template, zooms="1", backoff_s=0.05), tmp_path).run()
    assert snap.cached == 4 and snap.failed == 0 and snap.retries_queued == 0
    for (_z, x, _y), stamps in server.times.items():
        gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
        assert len(stamps) == 3
        if x == 0:
            assert min(gaps) >= 0.29  # Retry-After: 0.3 s, on 429 (y 0) and on 503 (y 1)
        else:
            assert gaps[0] >= 0.05 * 0.5 and gaps[1] >= 0.05 * 2 * 0.5  # exponential backoff with jitter



def test_backoff_delay_doubles_with_jitter_waits_for_retry_after_and_is_capped():
    opts = DownloadOptions(backoff_s=1.0, max_backoff_s=10.0)
    for attempt in (1, 2, 3):
        delays = [opts.backoff_delay(attempt) for _ in range(50)]
        assert all(0.5 * 2 ** (attempt - 1) <= d <= 1.5 * 2 ** (attempt - 1) for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert all(opts.backoff_delay(1, 4.0) >= 4.0 for _ in range(20))
    assert opts.backoff_delay(1, 3600.0) == opts.backoff_delay(8) == 10.0

def test_sea_probe_is_retried_even_without_tile_retries(fault_server, tmp_path):
    sea_xy = sea_tile()[1:]

    def behaviour(z, x, y, n):
        if (z, x, y) == (8, *sea_xy):
            return "503" if n <= 2 else "sea"
        return "sea" if x % 2 else "ok"

    server = fault_server(behaviour)
    snap = Download(job(server.url_template, zooms="0-3", skip_sea=True, retries=0), tmp_path).run()
    assert server.hits[(8, *sea_xy)] == 3
    assert snap.skipped_sea == sum(1 for z in range(4) for x in range(1 << z) for _ in range(1 << z) if x % 2)
    assert_counts_add_up(snap)


def test_snapshots_at_most_ten_a_second_and_flushes_at_least_once_a_second(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    seen: list[tuple[float, object]] = []
    the_job = job(server.url_template, zooms="0-5", rate_limit=500)  # 1,365 tiles, about 2.7 s
    snap = Download(the_job, tmp_path, on_progress=lambda s: seen.append((time.monotonic(), s))).run()
    assert snap.cached == 1365 and snap.elapsed_s > 2
    assert len(seen) <= 10 * snap.elapsed_s + 2  # about 10 a second, plus the final one
    for t, s in seen:
        assert_counts_add_up_live(s)
        earlier = [e for u, e in seen if u <= t - 1.3]  # what was cached 1.3 s ago is flushed by now
        if earlier:
            assert s.flushed >= earlier[-1].cached


def assert_counts_add_up_live(snap) -> None:
    assert snap.attempted == snap.successful + snap.failed
    assert snap.successful == snap.cached + snap.skipped_existing + snap.skipped_sea
    assert snap.cached == snap.buffered + snap.flushed
    assert snap.cached_bytes == snap.buffered_bytes + snap.flushed_bytes
