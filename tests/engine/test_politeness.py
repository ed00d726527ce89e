"""One polite voice per server (issue 15): a 429/503 holds every request of the job, a probe goes first, then
concurrency grows back; waiting is never a failed attempt; --rate-limit is kept at the server; --max-wait pauses.

Against real loopback servers (tests/netservers.py). The issue's full 12 s window with Retry-After 3 is
``test_the_issues_twelve_second_window`` (marked slow); the others shorten the window, keeping the rules."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.politeness import Politeness
from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.engine.ratelimit import TokenBucket
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.wire import JobRow
from fmtc_nb.zooms import parse_zooms
from tests.netservers import Throttle, ThrottlingTileServer

WORLD = "rect:-180,-85,180,85"


def job(url: str, zooms: str = "0-3", **options) -> DownloadJob:
    opts = {"parallel": 8, "retries": 2, "backoff_s": 0.05, "read_timeout_s": 5, "connect_timeout_s": 2} | options
    return DownloadJob(parse_region(WORLD), parse_zooms(zooms), TileSource(url), "t", DownloadOptions(**opts))


def run_against(throttle: Throttle, tmp_path, **options):
    seen: list[ProgressSnapshot] = []
    with ThrottlingTileServer(throttle) as server:
        download = Download(job(server.url_template, **options), tmp_path, on_progress=seen.append)
        snap = download.run()
    return server, snap, seen, download


def assert_window_rules(server, snap, seen, parallel: int, window_s: float) -> None:
    assert snap.status == "completed" and snap.failed == 0 and snap.cached == snap.max_tiles == 85
    throttled = server.log.count(429)
    assert 1 <= throttled <= 2 * parallel, throttled
    assert server.window_ended is not None  # the job outlived the window and stored everything after it
    waiting = [s for s in seen if s.waiting_until is not None]
    assert waiting and all("Retry-After" in (s.wait_reason or "") for s in waiting)
    assert min(s.concurrency_now for s in seen if s.status == "running") == 1  # the probe went alone
    assert seen[-1].waiting_until is None


def test_a_window_of_429_holds_the_whole_job_and_no_tile_fails(tmp_path):
    server, snap, seen, _ = run_against(Throttle(after=10, window_s=3.0, retry_after="1"), tmp_path, parallel=8)
    assert_window_rules(server, snap, seen, 8, 3.0)
    assert Root(tmp_path).open("t").stats().tiles == 85


@pytest.mark.slow
def test_the_issues_twelve_second_window(tmp_path):
    """The issue's case: 429 with Retry-After: 3 to everything for 12 s, 16 workers."""
    server, snap, seen, _ = run_against(Throttle(after=10, window_s=12.0, retry_after="3"), tmp_path, parallel=16)
    assert_window_rules(server, snap, seen, 16, 12.0)


def test_503_without_retry_after_gets_an_exponential_pause(tmp_path):
    server, snap, seen, _ = run_against(Throttle(after=10, window_s=1.4, status=503, retry_after=None), tmp_path,
                                        parallel=4, backoff_s=0.1, retries=5)
    assert snap.status == "completed" and snap.failed == 0 and snap.cached == 85
    times = [t for t, s in zip(server.log.times, server.log.statuses, strict=True) if s == 503]
    # the requests in flight when the first 503 came back also got one; after that, lone probes
    probes = [times[0]] + [b for a, b in zip(times, times[1:], strict=False) if b - a > 0.05]
    gaps = [b - a for a, b in zip(probes, probes[1:], strict=False)]
    assert len(gaps) >= 2, gaps
    assert gaps[0] >= 0.1 * 0.9 and all(b >= 1.7 * a for a, b in zip(gaps, gaps[1:], strict=False)), gaps
    assert any("without Retry-After" in (s.wait_reason or "") for s in seen)


def test_rate_limit_is_kept_at_the_server_in_every_one_second_window(tmp_path):
    server, snap, _, _ = run_against(Throttle(), tmp_path, parallel=8, rate_limit=20)
    assert snap.cached == 85
    assert server.log.most_in_one_second() <= 22  # R + 10 %


def test_max_wait_pauses_the_job_resumable_not_failed(tmp_path):
    with ThrottlingTileServer(Throttle(after=6, window_s=60.0, retry_after="2")) as server:
        download = Download(job(server.url_template, parallel=2, max_wait_s=1.0), tmp_path)
        snap = download.run()
        assert snap.status == "paused" and snap.failed == 0, download.reason
        assert "--max-wait" in download.reason and "resume" in download.reason
        assert snap.elapsed_s < 10
        stored = Root(tmp_path).open("t").stats().tiles
        assert stored >= 6
        server.throttle = Throttle()  # the server is answering again: the same job, run again, finishes
        snap = Download(job(server.url_template), tmp_path).run()
    assert snap.status == "completed" and snap.skipped_existing == stored and snap.cached == 85 - stored


def test_probe_then_additive_increase_and_halving_on_each_new_throttle():
    async def scenario() -> list[int]:
        polite = Politeness(TokenBucket(None), 8, backoff_s=0.01)
        seen = [polite.concurrency_now]
        tickets = [await polite.acquire() for _ in range(8)]
        assert await polite.done(tickets[0], 429, 0.0)  # the first throttle: a probe goes alone, window 4
        for ticket in tickets[1:]:
            assert await polite.done(ticket, 429, None)  # sent before the hold: not halved again
        seen.append(polite.concurrency_now)
        for _ in range(40):
            ticket = await polite.acquire()
            assert not await polite.done(ticket, 200, None)
            seen.append(polite.concurrency_now)
        assert polite.throttles == 8 and polite.successes == 40
        ticket = await polite.acquire()
        await polite.done(ticket, 503, None)
        seen.append(polite.concurrency_now)
        return seen

    seen = asyncio.run(scenario())
    assert seen[0] == 8 and seen[1] == 1  # probe
    assert seen[2] == 4  # the probe succeeded: the halved window
    growth = seen[2:-1]
    assert growth == sorted(growth) and growth[-1] == 8 and len(set(growth)) == 5  # 4, 5, 6, 7, 8 step by step
    assert seen[-1] == 1


def test_the_wait_crosses_the_wire():
    snap = ProgressSnapshot(max_tiles=10, waiting_until=1.8e9, wait_reason="HTTP 429, Retry-After 3 s",
                            concurrency_now=2)
    again = ProgressSnapshot.from_dict(snap.to_dict())
    assert (again.waiting_until, again.wait_reason, again.concurrency_now) == (1.8e9, "HTTP 429, Retry-After 3 s", 2)
    row = JobRow(id="j", store="s", status="running", snapshot=snap)
    assert JobRow.from_dict(row.to_dict()).snapshot == snap


def test_the_notebook_table_and_the_cli_bar_say_why_the_job_waits():
    from fmtc_nb.cli.download import wait_words
    from fmtc_nb.widgets.progress_view import figures_html

    snap = ProgressSnapshot(max_tiles=10, status="running", waiting_until=time.time() + 5,
                            wait_reason="HTTP 429, Retry-After 5 s", concurrency_now=1)
    page = figures_html(snap)
    assert "waiting for the server" in page and "HTTP 429, Retry-After 5 s" in page and "requests in flight" in page
    assert wait_words(snap).endswith("s: HTTP 429, Retry-After 5 s")
    assert wait_words(ProgressSnapshot(status="running")) is None
    assert "waiting for the server" not in figures_html(ProgressSnapshot(max_tiles=10, status="running"))


def test_cli_max_wait_exits_75_paused_with_the_reason(tmp_path):
    with ThrottlingTileServer(Throttle(after=3, window_s=60.0, retry_after="5")) as server:
        done = subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(tmp_path), "download", WORLD,
                               "--zoom", "0-2", "--url", server.url_template, "--store", "s", "--no-recovery",
                               "--parallel", "2", "--max-wait", "1"], capture_output=True, text=True, timeout=60,
                              env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert done.returncode == 75, done.stderr
    assert "paused" in done.stdout and "--max-wait" in done.stderr and "Traceback" not in done.stderr


def test_a_sharded_jobs_summed_snapshot_tells_the_longest_wait():
    pytest.importorskip("dask")
    from fmtc_nb.scale.plan import Shard
    from fmtc_nb.scale.progress import ShardState, aggregate

    waiting = ProgressSnapshot(status="running", waiting_until=2e9, wait_reason="HTTP 429, Retry-After 9 s",
                               concurrency_now=1)
    states = [ShardState(Shard(0, 0, 10), 10, state="running", snapshot=waiting),
              ShardState(Shard(1, 10, 20), 10, state="running",
                         snapshot=ProgressSnapshot(status="running", waiting_until=1.9e9, wait_reason="HTTP 503",
                                                   concurrency_now=3)),
              ShardState(Shard(2, 20, 30), 10, state="completed",
                         snapshot=ProgressSnapshot(status="completed", concurrency_now=8))]
    summed = aggregate(states, 1.0, "running")
    assert (summed.waiting_until, summed.wait_reason, summed.concurrency_now) == (2e9, waiting.wait_reason, 4)


def test_a_pause_during_a_hold_sends_nothing_when_the_hold_ends(tmp_path):
    """Requests waiting for the end of a server's Retry-After when the job is paused are not sent when it ends:
    a paused job is silent until it is resumed, then it finishes every tile."""
    with ThrottlingTileServer(Throttle(after=5, window_s=0.2, retry_after="1")) as server:
        download = Download(job(server.url_template, zooms="0-3"), tmp_path)
        download.start()
        deadline = time.monotonic() + 10
        while 429 not in server.log.statuses and time.monotonic() < deadline:
            time.sleep(0.01)
        download.pause()
        time.sleep(0.3)  # requests already on the wire end
        seen = len(server.log.statuses)
        time.sleep(1.5)  # the hold (1 s from the first 429) ends while paused
        assert len(server.log.statuses) == seen and download.snapshot.status == "paused"
        download.resume()
        snap = download.wait(30)
    assert snap.status == "completed" and snap.cached == 85 and snap.failed == 0
