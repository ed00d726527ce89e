"""The service entry point with the real bridge on a desktop JVM: Android 15 ends the dataSync time mid-job,
the job is checkpointed and left resumable, and the next start of the service finishes it exactly."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms

REGION = "rect:6.0,45.9,8.0,47.0"
ZOOMS = "0-12"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stored_tiles(root: Path, name: str) -> set[tuple[int, int, int]]:
    """(z, x, y) of every tile in the device's store, read through the store's own API."""
    store = Root(root).open(name)
    try:
        return {(z, x, y) for z in range(23) for x, y in store.tile_keys(z)}
    finally:
        store.close()


@pytest.fixture(scope="module")
def tile_server():
    from fmtc_nb.tileserver import start_server

    server = start_server(latency_s=0.01)
    yield server
    server.stop()


def test_timeout_checkpoints_the_job_and_the_next_start_finishes_it(run_scenario, tile_server, tmp_path):
    root = tmp_path / "phone"
    env = {
        "FMTC_SCENARIO_ROOT": str(root),
        "FMTC_SCENARIO_PORT": str(free_port()),
        "FMTC_SCENARIO_CONFIG": str(tmp_path / "notebook-config"),
        "FMTC_SCENARIO_REGION": REGION,
        "FMTC_SCENARIO_ZOOMS": ZOOMS,
        "FMTC_TILE_URL": tile_server.url_template,
    }
    cover = TileCover(parse_region(REGION), parse_zooms(ZOOMS))

    first = run_scenario("service_timeout", env, sdk=35, vendor="samsung", ignoring="true")
    result, calls = first["result"], first["calls"]
    assert result["handled"] and result["service_returned"], "the service stopped after onTimeout"
    assert result["tiles_total"] == cover.total
    assert (
        result["device"]["vendor"] == "samsung" and result["device"]["battery_optimisation_ignored"] is True
    )

    before = calls[: calls.index("OS calls onTimeout")]
    after = calls[calls.index("OS calls onTimeout") + 1 :]
    starts = [line for line in before if line.startswith("Service.startForeground id=1 type=1 ")]
    assert "title=fmtc-nb bridge ready text=Listening on 127.0.0.1:" in starts[0], "foreground at once"
    assert "title=Downloading an offline map region text=0% · 0 / " in starts[1], "then the job's progress"
    assert "WakeLock.acquire" in before
    assert after.count("Service.stopSelf") == 1 and after.count("WakeLock.release") == 1
    assert after.index("WakeLock.release") < after.index("Service.stopSelf")
    assert "Service.stopForeground flags=1" in after

    job_id = result["job_id"]
    with RecoveryRegistry(root) as registry:
        info = registry.get(job_id)
    assert info.status == "paused", "checkpointed and resumable, not failed"
    stored = stored_tiles(root, "alps")
    assert 0 < len(stored) < cover.total
    assert info.tiles_done == len(stored), "the checkpoint claims exactly the stored tiles"

    second = run_scenario("service_restart", dict(env, FMTC_SCENARIO_JOB=job_id), sdk=35)
    final = second["result"]["final"]
    assert final["status"] == "completed", final
    assert final["tiles_done"] == cover.total
    assert stored_tiles(root, "alps") == set(cover.tiles())
