"""The engine against the embedded demo tile server: injected faults, 429 bursts, sea tiles, a killed server."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

pytest.importorskip("fmtc_nb.store")

from fmtc_nb.cover import TileCover  # noqa: E402, I001
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions  # noqa: E402
from fmtc_nb.regions import parse_region  # noqa: E402
from fmtc_nb.source import TileSource  # noqa: E402
from fmtc_nb.store import Root  # noqa: E402
from fmtc_nb.tileserver import render_tile, running_server, sea_tile  # noqa: E402
from fmtc_nb.zooms import parse_zooms  # noqa: E402

WORLD = "rect:-180,-85,180,85"


def world_job(url: str, zooms: str = "0-4", **options) -> DownloadJob:
    opts = {"parallel": 8, "retries": 3, "backoff_s": 0.02, "max_backoff_s": 0.5, "read_timeout_s": 2,
            "connect_timeout_s": 1} | options
    return DownloadJob(parse_region(WORLD), parse_zooms(zooms), TileSource(url), "t", DownloadOptions(**opts))


def test_faults_and_429_bursts_end_with_every_tile_stored_exactly_as_rendered(tmp_path):
    with running_server(failure_rate=0.3, burst_429="60:6:0.2", seed=11) as server:
        events = []
        the_job = world_job(server.url_template, skip_sea=True, retries=6)  # 14 tries: ~2e-4 that a tile fails
        snap = Download(the_job, tmp_path, on_tile=events.append).run()
        statuses = server.app.statuses
    assert {"429", "500", "503", "truncate", "html"} <= set(statuses)
    assert snap.status == "completed" and snap.failed == 0
    assert snap.attempted == snap.successful == snap.cached + snap.skipped_sea == snap.max_tiles == 341
    assert snap.skipped_sea > 50 and snap.flushed == snap.cached and snap.buffered == 0
    final = Counter(e.index for e in events if e.outcome != "retry")
    assert set(final.values()) == {1} and len(final) == snap.max_tiles
    store = Root(tmp_path).open("t")
    for z, x, y in TileCover(the_job.region, the_job.zooms).tiles():
        expected = render_tile(z, x, y)
        stored = store.get_tile(z, x, y)
        assert stored == (None if expected == sea_tile() else expected), (z, x, y)


def test_a_killed_server_ends_the_job_with_failed_requests_and_no_bad_tile(tmp_path):
    with running_server(subprocess=True, latency_s=0.05) as server:
        the_job = world_job(server.url_template, zooms="0-5", retries=1, final_pass=False)
        some_stored = threading.Event()  # kill once tiles arrive, however slow the machine is
        download = Download(the_job, tmp_path,
                            on_tile=lambda event: event.outcome == "cached" and event.index > 20 and some_stored.set())
        killer = threading.Thread(target=lambda: some_stored.wait(60) and server.kill())
        killer.start()
        snap = download.run()
        killer.join()
    assert snap.status == "completed" and snap.failed_request > 0 and snap.cached > 0
    assert snap.attempted == snap.successful + snap.failed == snap.max_tiles
    store = Root(tmp_path).open("t")
    stored = 0
    for z, x, y in TileCover(the_job.region, the_job.zooms).tiles():
        data = store.get_tile(z, x, y)
        if data is not None:
            stored += 1
            assert data == render_tile(z, x, y)
    assert stored == snap.cached
    assert len(store.failures()) == snap.failed_request
