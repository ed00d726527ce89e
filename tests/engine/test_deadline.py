"""The engine's one deadline per request (fmtc_nb.engine.deadline) against a real loopback server whose answers
stall in the middle of the body, and its handling of cancels that are not its own."""

from __future__ import annotations

import asyncio

import pytest

from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.deadline import RequestDeadlines
from fmtc_nb.engine.fetch import FetchResult
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms

from .conftest import tile_png

READ_TIMEOUT_S = 0.4


def job(url: str, **options) -> DownloadJob:
    opts = {"parallel": 1, "retries": 2, "backoff_s": 0.02, "read_timeout_s": READ_TIMEOUT_S,
            "connect_timeout_s": 1, "skip_existing": False} | options
    return DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("1"), TileSource(url), "t",
                       DownloadOptions(**opts))


def test_a_body_that_stalls_fails_at_the_read_timeout_and_is_retried(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "stall-body" if (x, y) == (0, 0) and n == 1 else "ok")
    events = []
    snap = Download(job(server.url_template), tmp_path, on_tile=events.append).run()
    assert snap.cached == 4 and snap.failed == 0 and snap.status == "completed"
    first, second = server.times[(1, 0, 0)]
    # sent again once the deadline passed: after the read timeout; at most twice it (half the body may arrive
    # after the headers were noted, and a body seen growing gets the timeout again), one sweep and the backoff
    # more; long before the server would have sent the rest of the body (3 s)
    assert READ_TIMEOUT_S <= second - first < 2 * READ_TIMEOUT_S + 0.1 + 0.03 + 0.3
    assert [(e.outcome, e.reason) for e in events if (e.x, e.y) == (0, 0)] == [("retry", "timeout"),
                                                                               ("cached", None)]
    store = Root(tmp_path).open("t")
    for x in range(2):  # the stalled connection was dropped, not reused: every stored body is whole and right
        for y in range(2):
            assert store.get_tile(1, x, y) == tile_png(1, x, y)


def test_a_body_that_keeps_coming_outlives_the_read_timeout(fault_server, tmp_path):
    """A large tile on a slow link: 1.2 s of body, a piece every 0.15 s, against a 0.4 s read timeout. The
    timeout is for silence, not for a whole answer: the tile is fetched once and stored whole."""
    server = fault_server(lambda z, x, y, n: "trickle" if (x, y) == (0, 1) else "ok")
    events = []
    snap = Download(job(server.url_template, parallel=2), tmp_path, on_tile=events.append).run()
    assert snap.cached == 4 and snap.failed == 0 and snap.status == "completed"
    assert server.hits[(1, 0, 1)] == 1 and not [e for e in events if e.outcome == "retry"]
    assert Root(tmp_path).open("t").get_tile(1, 0, 1) == tile_png(1, 0, 1)


def test_a_body_that_always_stalls_ends_failed_with_timeout(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "stall-body" if (x, y) == (1, 1) else "ok")
    snap = Download(job(server.url_template, parallel=2, retries=1, final_pass=False), tmp_path).run()
    assert snap.cached == 3 and snap.failed_request == 1 and snap.status == "completed"
    assert server.hits[(1, 1, 1)] == 2
    failures = Root(tmp_path).open("t").failures()
    assert [(f["z"], f["x"], f["y"], f["reason"]) for f in failures] == [(1, 1, 1, "timeout")]


async def _slow(seconds: float) -> FetchResult:
    await asyncio.sleep(seconds)
    return FetchResult("ok", b"tile")


def test_a_quick_request_keeps_its_result_and_a_slow_one_times_out():
    async def main() -> tuple[FetchResult, FetchResult]:
        deadlines = RequestDeadlines(0.2)
        sweep = asyncio.create_task(deadlines.sweep())
        try:
            return await asyncio.gather(deadlines.bound(_slow(0.01)), deadlines.bound(_slow(5)))
        finally:
            sweep.cancel()

    quick, slow = asyncio.run(asyncio.wait_for(main(), 3))
    assert (quick.kind, quick.body) == ("ok", b"tile")
    assert (slow.kind, slow.reason) == ("failed", "timeout")


@pytest.mark.parametrize("also_overdue", [False, True])
def test_a_cancel_from_elsewhere_is_passed_on_not_taken_for_a_timeout(also_overdue):
    async def main() -> None:
        deadlines = RequestDeadlines(0.05)  # no sweep task: overdue requests are cancelled by hand below
        request = asyncio.create_task(deadlines.bound(_slow(5)))
        await asyncio.sleep(0.1)
        if also_overdue:
            deadlines.cancel_overdue()  # the deadline's cancel and another one meet in the same step
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request

    asyncio.run(asyncio.wait_for(main(), 3))
