"""The download panel under a real store fault: another process holds the store's write lock past the busy
timeout, so the run ends paused; the panel says why in its header and no button pretends the run goes on."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.tileserver import start_server
from fmtc_nb.widgets import DownloadPanel
from tests.faults import hold_write_lock


@pytest.fixture(scope="module")
def server() -> Iterator[object]:
    handle = start_server()
    yield handle
    handle.stop()


def test_a_run_paused_by_a_locked_store_shows_the_reason_and_no_live_buttons(server, tmp_path):
    job = DownloadJob(parse_region("rect:-180,-85,180,85"), list(range(0, 7)), TileSource(server.url_template), "s",
                      DownloadOptions(parallel=4, batch_size=50, flush_interval_s=0.5, rate_limit=400))
    root = Root(tmp_path, busy_timeout_s=0.5)
    with RecoveryRegistry(tmp_path) as registry:
        tracker = registry.start(job)
        panel = DownloadPanel(job, root, checkpointer=tracker)
        panel.start()
        deadline = time.monotonic() + 60
        while panel.snapshot.attempted < 300:
            assert time.monotonic() < deadline, "the download did not get under way"
            time.sleep(0.02)
        locker = hold_write_lock(root.store_path("s"))
        try:
            final = panel.wait(90)
        finally:
            locker.kill()
            locker.wait()
        assert final.status == "paused" and panel.status == "paused"
        header = panel.header.value
        assert "Paused" in header and "write lock" in header and "resume it" in header
        assert (panel.pause_button.disabled, panel.resume_button.disabled, panel.cancel_button.disabled) == \
            (True, True, True)
        assert registry.get(tracker.job_id).status == "paused"
        with root.open("s", readonly=True) as store:
            written = sum(len(list(store.tile_keys(z))) for z in job.zooms)
        assert final.flushed == written < final.cached  # the figures count what the store holds
        assert (f"<td>{written:,} (+{final.cached - written:,} fetched, not written: fetched again on resume) / "
                in panel.view.figures.value), panel.view.figures.value
