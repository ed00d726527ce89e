"""End to end: a virtual device in a real subprocess, paired by code, running a job against the demo tile
server while the test watches live progress; SIGKILL mid-job, restart, resumed by recovery, finished with
exactly the region's tiles; the pulled store opens as MBTiles."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import time

from fmtc_nb.cover import TileCover
from fmtc_nb.device import pair
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.recovery.report import COLUMNS as RECOVERY_COLUMNS
from fmtc_nb.regions import parse_region
from fmtc_nb.zooms import parse_zooms

REGION = "rect:5.9,45.8,10.5,47.8"  # Switzerland
ZOOMS = "0-11"
RATE = 120  # tiles per second, so the job lasts a few seconds and the kill lands mid-job


def stored_tiles(path) -> set[tuple[int, int, int]]:
    """(z, x, y) of every tile in an MBTiles file (rows are TMS)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall()
    finally:
        db.close()
    return {(z, x, (1 << z) - 1 - row) for z, x, row in rows}


def test_kill_restart_resume_pull(device, tile_server, config_dir, tmp_path):
    client = pair(device.url, device.code, "phone")
    assert stat.S_IMODE(os.stat(config_dir / "devices.json").st_mode) == 0o600
    cover = TileCover(parse_region(REGION), parse_zooms(ZOOMS))
    expected = set(cover.tiles())

    row = client.dispatch(REGION, ZOOMS, url=tile_server.url_template, store="swiss", rate_limit=RATE, parallel=4)
    job_id = row["id"]
    assert row["status"] == "running" and row["tiles_total"] == cover.total

    seen, screen_mid = [], None
    started = time.monotonic()
    for name, data in client.events(job_id):
        assert name == "progress"
        seen.append(data)
        if screen_mid is None and data["tiles_done"] >= cover.total // 5:
            screen_mid = device.screen()
            # asked while it runs, by the notebook (through the bridge) or by another process reading the
            # device's registry directly, the background job is running: never failed
            record = {r["id"]: r for r in client.recovery()}[job_id]
            assert record["status"] == "running" and record["running_here"] and record["heartbeat_age_s"] < 3
            with RecoveryRegistry(device.root) as registry:
                assert registry.get(job_id).status == "running"
        if data["tiles_done"] >= cover.total // 2:
            device.kill()
            break
    killed_at = seen[-1]["tiles_done"]
    assert len(seen) >= 5, "live progress arrives several times a second"
    assert [d["tiles_done"] for d in seen] == sorted(d["tiles_done"] for d in seen)
    assert {"max_tiles", "attempted", "cached", "flushed", "buffered", "percentage", "tiles_per_s"} <= set(seen[-1])
    assert screen_mid["foreground"] and screen_mid["wake_lock"]
    note = screen_mid["notification"]
    assert note["max_tiles"] == cover.total and 0 < note["attempted"] < cover.total and note["ongoing"]
    assert f"/ {cover.total:,} tiles" in note["text"]
    assert screen_mid["notification_updates"] <= time.monotonic() - started + 1, "at most once a second"

    # The killed device cannot answer; whoever reads its registry meanwhile never calls the job failed.
    with RecoveryRegistry(device.root) as registry:
        assert registry.get(job_id).status in ("running", "stale")

    device.restart()
    assert device.info["resumed"] == [job_id]
    final = client.watch(job_id)
    assert final["status"] == "completed", final
    assert final["tiles_done"] == cover.total and final["tiles_failed"] == 0
    after = device.screen()
    assert not after["foreground"] and not after["wake_lock"] and after["notification"] is None

    records = {r["id"]: r for r in client.recovery()}
    assert records[job_id]["status"] == "completed" and records[job_id]["runs"] == 2
    jobs = client.jobs_frame()
    assert jobs.loc[job_id, "status"] == "completed" and jobs.loc[job_id, "tiles_done"] == cover.total
    frame = client.recovery_frame()
    assert frame.loc[job_id, "tiles_done"] == frame.loc[job_id, "tiles_total"] and frame.loc[job_id, "runs"] == 2
    assert list(frame.columns) == list(RECOVERY_COLUMNS[1:]) and str(frame["started"].dtype).startswith("datetime64")
    stores = client.stores_frame()
    assert stores.loc["swiss", "tiles"] == cover.total
    assert all(stores.loc["swiss", f"z{z}"] == n for z, n in cover.counts.items())

    # Tiles fetched twice are only those in flight or in the unflushed buffer (about a second) at the kill.
    refetched = sum(tile_server.app.hits[t] - 1 for t in expected if tile_server.app.hits[t] > 1)
    assert refetched <= RATE * 1.5 + 4, (refetched, killed_at)
    assert all(tile_server.app.hits[t] >= 1 for t in expected)

    local = client.pull("swiss", tmp_path / "local")
    assert stored_tiles(local) == expected
    db = sqlite3.connect(local)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    db.close()
    assert meta["format"] == "png" and "bounds" in meta and "name" in meta
    if shutil.which("gdalinfo"):
        out = subprocess.run(["gdalinfo", str(local)], capture_output=True, text=True, timeout=60)
        assert "MBTiles" in out.stdout, out.stderr


def test_sigterm_pauses_and_a_paused_job_stays_paused_across_a_kill(device, tile_server, config_dir):
    client = pair(device.url, device.code, "phone")
    region, zooms = "rect:8.0,46.5,9.0,47.2", "0-11"
    total = TileCover(parse_region(region), parse_zooms(zooms)).total
    job_id = client.dispatch(region, zooms, url=tile_server.url_template, store="term", rate_limit=60,
                             parallel=2)["id"]
    for _, data in client.events(job_id):
        if data["tiles_done"] >= 30:
            break
    assert device.stop() == 0, "SIGTERM ends the service cleanly"
    with RecoveryRegistry(device.root) as registry:
        info = registry.get(job_id)
    assert info.status == "paused" and "service stopped" in info.reason and 0 < info.tiles_done < total

    device.restart()
    assert device.info["resumed"] == [job_id]
    assert client.pause(job_id)["status"] == "paused"
    time.sleep(0.3)
    assert not device.screen()["wake_lock"], "no wake lock while nothing downloads"
    device.kill()
    device.restart()
    assert device.info["resumed"] == [job_id]
    assert client.job(job_id)["status"] == "paused", "the user's pause outlives the kill"
    assert client.resume(job_id)["status"] == "running"
    final = client.watch(job_id)
    assert final["status"] == "completed" and final["tiles_done"] == total
