"""Android 12+ refuses a foreground start from the background: through the real HTTP API of a virtual device
(its platform applies ``lifecycle_rules``' row), the job is kept paused and recoverable, nothing holds a wake
lock, the notebook gets one sentence, and opening the app (or a kill and a start) lets it finish."""

from __future__ import annotations

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from android_bridge.platform.virtual import change_settings
from fmtc_nb.cover import TileCover
from fmtc_nb.device import pair
from fmtc_nb.device.http import DeviceHTTPError
from fmtc_nb.errors import DeviceError
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.zooms import parse_zooms

REGION, ZOOMS = "rect:8.0,46.5,9.0,47.2", "0-9"


@pytest.fixture
def device(tmp_path, monkeypatch):
    monkeypatch.setenv("FMTC_NB_CONFIG", str(tmp_path / "config"))
    dev = VirtualDeviceProcess(tmp_path / "phone").start()
    yield dev
    dev.stop()


def in_background(dev: VirtualDeviceProcess, **more: object) -> None:
    """The user leaves the app (Android 14, battery optimisation on): what Android 12+ refuses."""
    change_settings(dev.root / "bridge", sdk_int=34, app_visible=False, battery_optimisation_ignored=False, **more)


def test_refused_start_keeps_the_job_paused_and_says_open_the_app(device, tile_server):
    client = pair(device.url, device.code, "phone")
    in_background(device)
    with pytest.raises(DeviceHTTPError) as refused:
        client.dispatch(REGION, ZOOMS, url=tile_server.url_template, store="alps", rate_limit=400)
    assert refused.value.status == 503, "a sentence, not a 500"
    sentence = str(refused.value)
    assert "open the fmtc-nb app on the phone" in sentence and "battery optimisation" in sentence
    assert "internal error" not in sentence and "unchanged" not in sentence

    (row,) = client.jobs()
    job_id = row["id"]
    assert row["status"] == "paused" and row["reason"].startswith("Android did not let the phone start")
    screen = device.screen()
    assert not screen["foreground"] and not screen["wake_lock"], "a refused start holds nothing"
    with RecoveryRegistry(device.root) as registry:
        assert registry.get(job_id).status == "paused", "recovery says paused, never running"

    with pytest.raises(DeviceHTTPError) as again:  # dispatching it again names what to do, not a bare 409
        client.dispatch(REGION, ZOOMS, url=tile_server.url_template, store="alps", rate_limit=400, job_id=job_id)
    assert again.value.status == 409 and "open the fmtc-nb app" in str(again.value)
    with pytest.raises(DeviceHTTPError) as still:
        client.resume(job_id)
    assert still.value.status == 503 and not device.screen()["wake_lock"]

    change_settings(device.root / "bridge", app_visible=True)  # the user opens the app
    assert client.resume(job_id)["status"] == "running"
    final = client.watch(job_id)
    total = TileCover(parse_region(REGION), parse_zooms(ZOOMS)).total
    assert final["status"] == "completed" and final["tiles_done"] == total
    after = device.screen()
    assert not after["foreground"] and not after["wake_lock"]


def test_a_waiting_job_survives_a_kill_and_starts_with_the_service(device, tile_server):
    client = pair(device.url, device.code, "phone")
    in_background(device)
    with pytest.raises(DeviceHTTPError):
        client.dispatch(REGION, ZOOMS, url=tile_server.url_template, store="alps", rate_limit=400)
    (row,) = client.jobs()
    device.kill()  # Android stops the idle background service (and python-for-android ends the process)
    with pytest.raises(DeviceError, match="open the fmtc-nb bridge app"):
        client.info()
    change_settings(device.root / "bridge", app_visible=True)  # opening the app starts the service again
    device.restart()
    assert device.info["resumed"] == [row["id"]]
    final = client.watch(row["id"])
    assert final["status"] == "completed"


def test_battery_exemption_lets_the_job_start_from_the_background(device, tile_server):
    client = pair(device.url, device.code, "phone")
    in_background(device)
    change_settings(device.root / "bridge", battery_optimisation_ignored=True)
    row = client.dispatch(REGION, ZOOMS, url=tile_server.url_template, store="alps", rate_limit=400)
    assert row["status"] == "running" and row["reason"] is None
    assert client.watch(row["id"])["status"] == "completed"
