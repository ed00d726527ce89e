"""The CLI's closing line of a paused download counts only the tiles written to the store: with another process
holding the store's write lock (BEGIN EXCLUSIVE), the tiles fetched meanwhile are not stored, and the line must not
call them stored. A resume then completes exactly."""

from __future__ import annotations

import re
import time

from fmtc_nb.cli.download import PAUSED_EXIT, run_with_bar
from fmtc_nb.cover import TileCover
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms
from tests.faults import hold_write_lock


def stored_count(root: Root, zooms: list[int]) -> int:
    with root.open("s", readonly=True) as store:
        return sum(len(list(store.tile_keys(z))) for z in zooms)


def test_a_paused_download_says_how_many_tiles_were_written_not_how_many_were_fetched(fault_server, tmp_path,
                                                                                       capsys):
    server = fault_server(lambda z, x, y, n: "ok")
    job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-5"), TileSource(server.url_template), "s",
                      DownloadOptions(parallel=4, batch_size=50, flush_interval_s=0.3))
    root = Root(tmp_path, busy_timeout_s=0.5)
    with root.open_or_create("s", server.url_template):
        pass
    registry = RecoveryRegistry(tmp_path)
    tracker = registry.start(job)
    download = Download(job, root, checkpointer=tracker)
    tracker.bind(download)
    locker = hold_write_lock(root.store_path("s"), begin="EXCLUSIVE")  # locked before the first tile arrives
    try:
        code = run_with_bar(download, json_out=False)
    finally:
        locker.kill()
        locker.wait()
    out, err = capsys.readouterr()
    assert code == PAUSED_EXIT
    assert err.count("fmtc-nb: paused:") == 1 and "write lock" in err and "Traceback" not in err
    written = stored_count(root, job.zooms)
    final = download.snapshot
    assert final.status == "paused" and final.cached > final.flushed == written
    line = out.strip().splitlines()[-1]
    assert re.match(rf"paused: {written} stored \({final.cached - written} more fetched but not written", line), line
    # the resume writes exactly the cover
    time.sleep(0.1)
    resumed_job, resumed_tracker = registry.resume(tracker.job_id)
    resumed = Download(resumed_job, root, checkpointer=resumed_tracker)
    resumed_tracker.bind(resumed)
    assert run_with_bar(resumed, json_out=False) == 0
    assert stored_count(root, job.zooms) == TileCover(job.region, job.zooms).total
    assert capsys.readouterr().out.strip().startswith("completed:")
    registry.close()
