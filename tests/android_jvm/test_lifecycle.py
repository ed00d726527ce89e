"""Android's lifecycle rules (android_bridge/lifecycle_rules.py), each a scenario the real bridge meets in
python-for-android's real PythonService on a desktop JVM: a swipe, Android 8's idle stop, Android 12's refusal
of a foreground start from the background, Android 15's six hours of dataSync, POST_NOTIFICATIONS denied or
revoked, the Stop button. Whatever ends the process, the job stays recoverable (a checkpoint that claims
exactly the stored tiles), no wake lock outlives it, the notebook gets a sentence, and a later start finishes
exactly the region's tiles."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from android_bridge.android_service import STOPPED, TIMED_OUT
from fmtc_nb.cover import TileCover
from fmtc_nb.device import connect
from fmtc_nb.errors import DeviceError
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.recovery.checkpoint import Checkpoint
from fmtc_nb.regions import parse_region
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms

REGION, ZOOMS = "rect:6.0,45.9,8.0,47.0", "0-11"
SMALL_ZOOMS = "0-8"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def phone(tmp_path, tile_server):
    """The scenario environment: the phone's root, its port, the notebook's config, the job."""
    return {"FMTC_SCENARIO_ROOT": str(tmp_path / "phone"), "FMTC_SCENARIO_PORT": str(free_port()),
            "FMTC_SCENARIO_CONFIG": str(tmp_path / "notebook"), "FMTC_SCENARIO_REGION": REGION,
            "FMTC_SCENARIO_ZOOMS": ZOOMS, "FMTC_SCENARIO_RATE": "60", "FMTC_TILE_URL": tile_server.url_template}


def cover(zooms: str = ZOOMS) -> TileCover:
    return TileCover(parse_region(REGION), parse_zooms(zooms))


def stored(root: Path, job_id: str | None = None) -> tuple[set[tuple[int, int, int]], Checkpoint]:
    """The store's tiles (z, x, y) and ``job_id``'s checkpoint, as the next run will read them."""
    store = Root(root).open("alps")
    try:
        tiles = {(z, x, y) for z in range(23) for x, y in store.tile_keys(z)}
        return tiles, Checkpoint.from_text(store.read_checkpoint(job_id) if job_id else None)
    finally:
        store.close()


def recovered(phone: dict) -> tuple[str, object]:
    """(the job's id, its recovery record) after the process died: resumable, checkpoint == stored tiles."""
    root = Path(phone["FMTC_SCENARIO_ROOT"])
    with RecoveryRegistry(root) as registry:
        (info,) = registry.jobs()
    assert info.status in ("running", "paused", "stale"), "resumable; never failed, completed or cancelled"
    tiles, checkpoint = stored(root, info.id)
    assert 0 < len(tiles) < cover().total
    assert checkpoint.tiles_done == len(tiles), "the checkpoint claims exactly the stored tiles"
    return info.id, info


def unreachable_sentence(phone: dict) -> str:
    with pytest.raises(DeviceError) as gone:
        connect("phone", directory=Path(phone["FMTC_SCENARIO_CONFIG"])).info()
    return str(gone.value)


def finishes(run_scenario, phone: dict, job_id: str, how: str = "open", **device: object) -> dict:
    answer = run_scenario("restart", dict(phone, FMTC_SCENARIO_JOB=job_id, FMTC_SCENARIO_RESTART=how), **device)
    final = answer["result"]["final"]
    assert final["status"] == "completed", final
    assert final["tiles_done"] == cover().total
    assert stored(Path(phone["FMTC_SCENARIO_ROOT"]))[0] == set(cover().tiles())
    return answer


def after(calls: list[str], marker: str) -> list[str]:
    return calls[next(i for i, c in enumerate(calls) if c.startswith(marker)) + 1:]


def test_swipe_leaves_the_sticky_service_downloading(run_scenario, phone):
    answer = run_scenario("job_then_swipe", phone)
    assert answer["result"]["final"]["status"] == "completed"
    assert answer["result"]["final"]["tiles_done"] == cover().total
    swiped = after(answer["calls"], "User: swipes the app away")
    assert "Service.stopSelf" not in swiped and not any("onDestroy" in c for c in swiped)
    assert "WakeLock.release" in swiped and not answer["result"]["foreground_after"]


def test_swipe_stops_a_non_sticky_service_and_the_job_is_recoverable(run_non_sticky, run_scenario, phone):
    answer = run_non_sticky("job_then_swipe", phone, expect_death=True,
                            )
    swiped = after(answer["calls"], "User: swipes the app away")
    assert swiped.index("Service.stopSelf") < swiped.index("System: onDestroy ServiceBridge (stopSelf)")
    assert swiped.index("python on_stopping done") < swiped.index("Process ends (Process.killProcess(myPid))")
    assert swiped.index("WakeLock.release") < swiped.index("python on_stopping done")
    assert "System: the dead process's wake lock is released" not in swiped
    job_id, info = recovered(phone)
    assert info.status == "paused" and info.reason == STOPPED
    assert "open the fmtc-nb bridge app" in unreachable_sentence(phone)
    finishes(run_scenario, phone, job_id)


def test_idle_background_service_is_stopped_on_android_8_and_later(run_scenario, phone):
    waiting = dict(phone, FMTC_SCENARIO_WAIT="6")
    answer = run_scenario("idle_in_background", waiting, expect_death=True)
    left = after(answer["calls"], "User: leaves the app")
    assert left[0] == "scenario: app left, nothing to download"
    assert "System: the app is idle; stopping its background service ServiceBridge" in left
    assert left.index("python on_stopping done") < left.index("Process ends (Process.killProcess(myPid))")
    assert not any(c.startswith("Service.startForeground") for c in answer["calls"]), (
        "an idle bridge never spends dataSync time")
    assert "open the fmtc-nb bridge app" in unreachable_sentence(phone)


def test_idle_background_service_keeps_running_before_android_8(run_scenario, phone):
    answer = run_scenario("idle_in_background", dict(phone, FMTC_SCENARIO_WAIT="3"), sdk=25, release="7.1")
    assert answer["result"] == {"still_running": True, "listening": True}


@pytest.mark.parametrize(("sdk", "exempt", "refused"), [(34, "false", True), (34, "true", False), (30, "false", False)])
def test_foreground_start_from_the_background(run_scenario, phone, sdk, exempt, refused):
    phone = dict(phone, FMTC_SCENARIO_ZOOMS=SMALL_ZOOMS)
    answer = run_scenario("dispatch_from_background", phone, sdk=sdk, ignoring=exempt, idleStopMs=30000)
    result = answer["result"]
    assert result["final"]["status"] == "completed"
    assert result["final"]["tiles_done"] == cover(SMALL_ZOOMS).total
    assert result["wake_locks_after"] == 0
    if not refused:
        assert result["dispatched"] == "running"
        return
    assert result["status"] == 503 and "open the fmtc-nb app on the phone" in result["sentence"]
    assert "ForegroundServiceStartNotAllowedException" in result["sentence"]
    assert result["row"]["status"] == "paused" and result["row"]["reason"].startswith("Android did not let")
    assert result["wake_locks_while_waiting"] == 0 and result["recovery_status"] == "paused"
    opened = after(answer["calls"], "scenario: the user opens the app")
    assert "python on_started_again begins" in opened
    assert any(c.startswith("Service.startForeground id=1 type=1") for c in opened)


def test_data_sync_timeout_on_android_15_checkpoints_and_the_app_resumes(run_scenario, phone):
    answer = run_scenario("job_then_leave", phone, expect_death=True, dataSyncBudgetMs=1500,
                          granted="android.permission.POST_NOTIFICATIONS")
    left = after(answer["calls"], "User: leaves the app")
    order = ["System: six hours of dataSync used up; onTimeout", "python on_timeout begins",  # jobs checkpoint,
             "WakeLock.release", "Service.stopForeground flags=1", "python on_timeout done",  # then let go,
             "Service.stopForeground flags=1", "Service.stopSelf",  # DataSyncService.stopAfterTimeout,
             "System: onDestroy ServiceBridge (stopSelf)", "Process ends (Process.killProcess(myPid))"]  # p4a
    seen = [c for c in left if c in order]
    assert seen == order, "\n".join(seen)
    assert not any(c.startswith("Process ends (RemoteServiceException") for c in left)
    job_id, info = recovered(phone)
    assert info.status == "paused" and info.reason == TIMED_OUT
    # Recreated in the background (sticky), the service may not enter the foreground (Android 12+): the job
    # waits, paused, for the app; it is opened within Android's idle window (else the idle service is stopped
    # again and the job waits on disk), then the job runs.
    restarted = finishes(run_scenario, phone, job_id, how="sticky", sdk=35, idleStopMs=30000)
    assert restarted["result"]["row_in_background"]["status"] == "paused"
    assert restarted["result"]["row_in_background"]["reason"].startswith("Android did not let")


def test_no_timeout_before_android_15(run_scenario, phone):
    phone = dict(phone, FMTC_SCENARIO_ZOOMS="0-9")
    answer = run_scenario("job_then_leave", phone, sdk=34, dataSyncBudgetMs=300,
                          granted="android.permission.POST_NOTIFICATIONS")
    assert answer["result"]["final"]["status"] == "completed"
    assert not any("onTimeout" in c for c in answer["calls"])


def test_notifications_denied_on_android_13_pairing_through_the_status_page(run_scenario, phone):
    phone = dict(phone, FMTC_SCENARIO_ZOOMS=SMALL_ZOOMS)
    answer = run_scenario("notifications_denied", phone, sdk=33, release="13", granted="")
    result = answer["result"]
    assert result["final"]["status"] == "completed" and result["device"]["notifications_allowed"] is False
    assert "Pairing code" not in result["plain"] and "<form" not in result["plain"]
    assert "/s/" in result["keyed_url"] and "Notifications are off" in result["page"]
    calls = answer["calls"]
    assert any(c.startswith("Notification id=8765 not shown (no POST_NOTIFICATIONS)") for c in calls)
    assert any(c.startswith("Service.startForeground id=1 type=1") for c in calls), "the service runs anyway"
    assert not any(c.startswith("NotificationManager.notify") for c in calls)


def test_revoking_notifications_kills_the_process_and_the_job_resumes(run_scenario, phone):
    answer = run_scenario("job_then_revoke", phone, expect_death=True)
    revoked = after(answer["calls"], "scenario: job")
    assert revoked[-2:] == ["System: the dead process's wake lock is released",
                            "Process ends (permissions revoked: android.permission.POST_NOTIFICATIONS)"]
    job_id, _ = recovered(phone)
    assert "open the fmtc-nb bridge app" in unreachable_sentence(phone)
    restarted = finishes(run_scenario, phone, job_id, granted="")
    assert restarted["result"]["device"]["notifications_allowed"] is False


def test_stop_button_checkpoints_before_the_process_ends(run_scenario, phone):
    answer = run_scenario("job_then_stop", phone, expect_death=True)
    stopped = after(answer["calls"], "Context.stopService")
    assert stopped.index("python on_stopping done") < stopped.index("Process ends (Process.killProcess(myPid))")
    job_id, info = recovered(phone)
    assert info.status == "paused" and info.reason == STOPPED
    finishes(run_scenario, phone, job_id)
