"""A download in a background thread (as notebooks run it) while the same registry is read and acted on
from the main thread: progress shows up, cancel stops it, resume finishes exactly the rest."""

from __future__ import annotations

import time
from dataclasses import replace

from fmtc_nb.engine import Download
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.store import Root
from fmtc_nb.tileserver import start_server

from .conftest import small_job


def test_background_download_is_followed_cancelled_and_resumed_from_the_main_thread(tmp_path):
    server = start_server(latency_s=0.02)
    try:
        job = small_job(server.url_template, zooms="0-10", parallel=2)  # 486 tiles, ~5 s at this pace
        total = job.cover().total
        with RecoveryRegistry(tmp_path) as registry:
            tracker = registry.start(job)
            download = Download(job, Root(tmp_path), checkpointer=tracker)
            tracker.bind(download)
            download.start()
            deadline = time.monotonic() + 30
            while registry.get(job.job_id).tiles_done < 20:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            info = registry.get(job.job_id)
            assert info.status == "running" and info.tiles_total == total
            registry.cancel(job.job_id)
            snap = download.wait(15)
            assert snap.status == "cancelled" and registry.get(job.job_id).status == "cancelled"
            done_before = registry.get(job.job_id).tiles_done
            assert 20 <= done_before < total
            hits_before = sum(server.app.hits.values())
            again, resumed = registry.resume(job.job_id)
            faster = replace(again, options=replace(again.options, parallel=8))  # same job, more requests at once
            final = Download(faster, Root(tmp_path), checkpointer=resumed).run()
            assert final.status == "completed" and final.cached == total - done_before
            assert sum(server.app.hits.values()) - hits_before == total - done_before
            info = registry.get(job.job_id)
            assert (info.status, info.tiles_done, info.runs) == ("completed", total, 2)
    finally:
        server.stop()
