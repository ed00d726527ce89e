"""The sharded panel in a notebook's process: a job on a real LocalCluster (2 worker processes) against nginx
on loopback, watched through the panel's widgets: aggregated figures, the shards table, the dashboard link,
pause and resume reaching every shard, and the job recorded for recovery."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.scale.task import RELAY_S
from fmtc_nb.source import TileSource
from fmtc_nb.widgets import ShardedPanel
from tests.scale.test_cluster import stored_keys, wait_for

pytestmark = pytest.mark.timeout(600)


def buttons(panel: ShardedPanel) -> tuple[bool, bool, bool]:
    """(pause, resume, cancel) usable."""
    c = panel.controls
    return (not c.pause_button.disabled, not c.resume_button.disabled, not c.cancel_button.disabled)


def every_running_shard_paused_and_flushed(panel: ShardedPanel) -> Callable[[], bool]:
    """A condition: every shard the coordinator knows to run reports itself paused with an empty buffer."""
    return lambda: all(s.snapshot.status == "paused" and not s.snapshot.buffered
                       for s in panel.sharded.states if s.state == "running")


def test_the_panel_follows_shards_pauses_them_all_and_ends_with_the_exact_cover(client, tile_server, tmp_path):
    region = parse_region("rect:-10,40,10,55")
    cover = TileCover(region, "0-9")
    job = DownloadJob(region, list(range(0, 10)), TileSource(tile_server.url_template), "panel",
                      DownloadOptions(parallel=4, rate_limit=600))
    panel = ShardedPanel.for_job(job, tmp_path, cluster=client, shard_tiles=400)
    assert buttons(panel) == (False, False, False) and "Waiting to start" in panel.controls.header.value
    panel.start()
    try:
        wait_for(lambda: panel.snapshot.attempted >= 300, what="the shards to get under way")
        assert "shards on" in panel.dashboard.value and "dashboard" in panel.dashboard.value
        assert buttons(panel) == (True, False, True) and "Downloading" in panel.controls.header.value
        panel.pause()
        wait_for(every_running_shard_paused_and_flushed(panel), what="every running shard to report itself paused")
        # A shard that started as the pause was pressed read "run" and obeys at its relay's first tick (within
        # about a second, as pause() promises); the coordinator may have seen its neighbour end before its first
        # message arrived. After RELAY_S and a margin, every started shard is known and must report itself paused.
        time.sleep(2 * RELAY_S + 0.5)
        wait_for(every_running_shard_paused_and_flushed(panel), what="late-started shards to report themselves paused")
        hits = len(tile_server.requests())
        time.sleep(1.5)  # a stretch of time in which a shard that kept going would fetch
        assert len(tile_server.requests()) == hits, "a shard kept fetching while the panel was paused"
        assert panel.status == "paused" and buttons(panel) == (False, True, True)
        assert "Paused" in panel.controls.header.value and "speed</td><td>none" in panel.view.figures.value
        panel.resume()
    finally:
        if panel.status not in ("completed", "failed", "cancelled"):
            panel.resume()
    final = panel.wait(300)
    assert final.status == "completed" and final.cached == final.max_tiles == cover.total
    assert stored_keys(tmp_path, "panel") == set(cover.tiles())
    assert buttons(panel) == (False, False, False) and "Completed" in panel.controls.header.value
    assert f"{cover.total:,} of {cover.total:,} (100.0%)" in panel.view.figures.value
    frame = panel.shards_frame()
    assert len(frame) == -(-cover.total // 400) and set(frame["state"]) == {"merged"}
    assert f"{len(frame)} merged" in panel.table.value and panel.table.value.count("<tr") == len(frame) + 1
    attempted = [row["attempted"] for row in panel.recorder.samples]
    assert attempted == sorted(attempted) and attempted[-1] == cover.total
    with RecoveryRegistry(tmp_path) as registry:
        (info,) = registry.jobs()
        assert (info.status, info.tiles_done) == ("completed", cover.total)


def test_a_store_of_another_source_is_refused_before_anything_is_recorded(client, tile_server, tmp_path):
    from fmtc_nb.errors import StoreError
    from fmtc_nb.store import Root

    Root(tmp_path).open_or_create("taken", "http://127.0.0.1:9/{z}/{x}/{y}.png").close()
    job = DownloadJob(parse_region("rect:0,0,1,1"), [0, 1], TileSource(tile_server.url_template), "taken",
                      DownloadOptions())
    with pytest.raises(StoreError):
        ShardedPanel.for_job(job, tmp_path, cluster=client)
    with RecoveryRegistry(tmp_path) as registry:
        assert registry.jobs() == []
