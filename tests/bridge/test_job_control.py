"""Jobs against a hostile or unlucky client: covers too large to compute, cancels that wait on a rate
limit or meet a kill, and job-id prefixes in every endpoint. Virtual devices in real subprocesses."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from fmtc_nb.device import DeviceClient, build_job
from fmtc_nb.errors import DeviceError
from fmtc_nb.recovery import RecoveryRegistry
from tests.bridge.conftest import api, pair_token

REGION = "rect:6.0,46.0,6.5,46.5"


def comb(teeth: int) -> dict:
    """A GeoJSON polygon of ``2 * teeth + 2`` vertices whose edges each run from 80 N to 80 S: a cheap body
    whose cover is expensive at deep zooms."""
    ring = [[-170 + 340 * k / (2 * teeth - 1), 80 if k % 2 == 0 else -80] for k in range(2 * teeth)]
    ring += [[170, -84.9], [0, -84.9], [-170, -84.9], ring[0]]  # a vertex at 0: the long way round is meant
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_a_huge_cover_is_refused_fast_and_every_other_call_keeps_answering(device, tile_server):
    token = pair_token(device)
    body = build_job(REGION, "0-3", tile_server.url_template, "comb").to_dict()
    body.update(region=comb(20), zooms=[18])
    latencies: list[float] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            started = time.monotonic()
            assert api(device.url, "GET", "/api/v1/device", token=token)[0] == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        time.sleep(0.2)
        status, _, answer = api(device.url, "POST", "/api/v1/jobs", body, token=token)
        time.sleep(0.2)
    finally:
        done.set()
        poller.join()
    assert status == 422 and "limit of 2,000,000" in answer["error"], answer
    assert max(latencies) < 1.0, f"another call waited {max(latencies):.2f} s"  # counted off the event loop
    assert peak_rss_mb(device.info["pid"]) < 400
    assert api(device.url, "GET", "/api/v1/jobs", token=token)[2]["jobs"] == []


def test_cancel_of_a_job_waiting_on_its_rate_limit_is_prompt_and_frees_the_phone(device, tile_server):
    client = DeviceClient(device.url, pair_token(device))
    row = client.dispatch(REGION, "0-8", url=tile_server.url_template, store="slowest", rate_limit=1e-6, parallel=1)
    deadline = time.monotonic() + 10
    while client.job(row["id"])["snapshot"]["attempted"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)  # the first tile goes at once; the next waits for the rate limit
    assert device.screen()["wake_lock"] and device.screen()["foreground"]
    started = time.monotonic()
    assert client.cancel(row["id"])["status"] in ("cancelling", "cancelled")
    while client.job(row["id"])["status"] not in ("cancelled", "failed", "completed"):
        assert time.monotonic() - started < 3.0, "the cancel waited on the rate limit"
        time.sleep(0.05)
    screen = device.screen()
    assert not screen["wake_lock"] and not screen["foreground"] and screen["notification"] is None
    assert client.info()["active_jobs"] == 0
    assert client.job(row["id"])["status"] == "cancelled"


def test_a_cancel_is_durable_even_if_the_device_is_killed_at_once(device, tile_server):
    client = DeviceClient(device.url, pair_token(device))
    row = client.dispatch(REGION, "0-8", url=tile_server.url_template, store="killed", rate_limit=1e-6, parallel=1)
    client.cancel(row["id"])
    device.kill()  # before the job's thread had a chance to end
    device.restart()
    assert device.info["resumed"] == []
    assert client.job(row["id"])["status"] == "cancelled"
    assert client.info()["active_jobs"] == 0
    with RecoveryRegistry(device.root) as registry:
        assert registry.get(row["id"]).status == "cancelled"


def test_stopping_the_service_does_not_wait_on_a_rate_limit(device, tile_server):
    client = DeviceClient(device.url, pair_token(device))
    row = client.dispatch(REGION, "0-8", url=tile_server.url_template, store="held", rate_limit=1e-6, parallel=1)
    time.sleep(0.5)
    started = time.monotonic()
    assert device.stop() == 0
    assert time.monotonic() - started < 5.0
    with RecoveryRegistry(device.root) as registry:
        assert registry.get(row["id"]).status == "paused"
    device.start()
    assert device.info["resumed"] == [row["id"]]
    client.cancel(row["id"])
    assert client.watch(row["id"])["status"] == "cancelled"


def test_job_id_prefixes_work_in_every_endpoint_like_the_cli(device, tile_server):
    client = DeviceClient(device.url, pair_token(device))
    url = tile_server.url_template
    client.dispatch(REGION, "0-8", url=url, store="prefixed", job_id="trip-alps-1", rate_limit=4, parallel=1)
    other = client.dispatch(REGION, "0-2", url=url, store="other", job_id="trip-jura-1")
    assert client.watch(other["id"])["status"] == "completed"
    try:
        assert client.job("trip-a")["id"] == "trip-alps-1"
        assert client.pause("trip-al")["status"] == "paused"
        assert client.resume("trip-alp")["status"] == "running"
        first = next(iter(client.events("trip-alps")))
        assert first[1]["job_id"] == "trip-alps-1"
        with pytest.raises(DeviceError, match="several jobs") as exc:
            client.job("trip-")
        assert exc.value.status == 400
        with pytest.raises(DeviceError) as exc:
            client.pause("trip-x")
        assert exc.value.status == 404
    finally:
        client.cancel("trip-alps")
    assert client.watch("trip-alps-")["status"] == "cancelled"
    assert client.job("trip-j")["status"] == "completed"
    with pytest.raises(DeviceError, match="already completed"):
        client.cancel("trip-jura")
