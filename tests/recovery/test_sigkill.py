"""The issue's test: a real ``fmtc-nb download`` killed with SIGKILL at random moments and in the middle of
buffer flushes, resumed each time; at the end the store holds exactly the region's tiles, and the only tiles
fetched twice are those a kill caught in flight or in the unflushed buffer."""

from __future__ import annotations

from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.store import Root
from fmtc_nb.tileserver import start_server

from .killcycle import kill_cycles

REGION, ZOOMS, PARALLEL, KILLS = "rect:-10,35,30,60", "0-9", 8, 12
BATCH = 500  # DownloadOptions.batch_size, the CLI's default
# tiles/s: 12 runs of at most 2.6 s fetch at most 3,744 of the region's 4,338 tiles, so every kill lands
RATE_LIMIT = 120


def test_sigkilled_download_resumes_exactly(tmp_path):
    server = start_server(latency_s=0.01)
    try:
        result = kill_cycles(tmp_path, server, REGION, ZOOMS, parallel=PARALLEL, kills=KILLS, seed=5,
                              rate_limit=RATE_LIMIT)
    finally:
        server.stop()
    cover = result.cover
    assert len(result.runs) >= 10, f"only {len(result.runs)} kills landed before the job finished"
    assert {r.mode for r in result.runs} == {"random", "flush"}
    assert result.final_code == 0, result.final_stderr
    for run in result.runs:
        # the checkpoint committed with the tiles names exactly the tiles the store holds: never more, never less
        assert run.committed_after == run.stored_after
        assert run.committed_before <= run.committed_after
        # nothing already committed is fetched again
        assert not run.requested & run.committed_before
        # the registry sees the owner gone and counts what the store holds
        assert run.registry_status == "failed" and run.registry_done == len(run.committed_after)
        # refetched tiles were in flight or in the buffer: at most one buffer being committed, one filling
        assert len(run.refetch) <= 2 * (BATCH + PARALLEL)
    # every tile was fetched once, plus once for each kill that caught it in flight or unflushed
    expected = {tile: 1 + sum(tile in run.refetch for run in result.runs) for tile in cover.tiles()}
    assert dict(result.hits) == expected
    with Root(tmp_path).open("k", readonly=True) as store:
        assert {(r.z, r.x, r.y) for r in store.iter_tiles()} == set(cover.tiles())
        assert store.read_checkpoint(result.job_id) is not None
    with RecoveryRegistry(tmp_path) as registry:
        info = registry.get(result.job_id)
    assert (info.status, info.tiles_done, info.tiles_failed, info.tiles_total) == ("completed", cover.total, 0,
                                                                                   cover.total)
    assert info.runs == len(result.runs) + 1
