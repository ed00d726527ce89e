"""The Android adapter's pyjnius calls, executed on a real JVM against recording stub ``android.*`` classes."""

from __future__ import annotations

import pytest

from android_bridge.platform.android import progress_bar

LOW = 2  # NotificationManager.IMPORTANCE_LOW
DATA_SYNC = 1  # ServiceInfo.FOREGROUND_SERVICE_TYPE_DATA_SYNC
REMOVE = 1  # Service.STOP_FOREGROUND_REMOVE
PARTIAL_WAKE_LOCK = 1


def lines(answer: dict, prefix: str) -> list[str]:
    return [line for line in answer["calls"] if line.startswith(prefix)]


def test_device_info_reads_build_and_permission_state(run_scenario):
    answer = run_scenario(
        "device_info", sdk=34, release="14", vendor="samsung", model="SM-S911B", ignoring="true", granted=""
    )
    assert answer["result"] == {
        "platform": "android",
        "android_version": "14",
        "sdk_int": 34,
        "vendor": "samsung",
        "model": "SM-S911B",
        "battery_optimisation_ignored": True,
        "notifications_allowed": False,
    }


def test_device_info_notifications_always_allowed_before_android_13(run_scenario):
    assert run_scenario("device_info", sdk=32, release="12L", granted="")["result"]["notifications_allowed"] is True


def test_device_info_sees_granted_notification_permission(run_scenario):
    answer = run_scenario("device_info", sdk=35, granted="android.permission.POST_NOTIFICATIONS")
    assert answer["result"]["notifications_allowed"] is True


def test_foreground_start_low_channel_progress_and_data_sync_type(run_scenario):
    answer = run_scenario("foreground", sdk=35)
    channels = lines(answer, "NotificationManager.createNotificationChannel")
    assert len(channels) == 1, "the channel is created once"
    assert f"importance={LOW}" in channels[0] and "id=fmtc_nb_downloads" in channels[0]
    (start,) = lines(answer, "Service.startForeground")
    assert start.startswith(f"Service.startForeground id=1 type={DATA_SYNC} channel=fmtc_nb_downloads")
    assert "progress=0/2938 indeterminate=false ongoing=true" in start
    assert answer["calls"].index(channels[0]) < answer["calls"].index(start)


def test_the_bridge_updates_the_notification_at_most_once_a_second(run_scenario):
    shown = lines(run_scenario("foreground"), "NotificationManager.notify")
    texts = [line.split(" text=")[1].split(" icon=")[0] for line in shown]
    # 100 and 200 came within a second of the start, 1,300 within a second of 1,234: none reached Android
    assert texts == ["42% · 1,234 / 2,938 tiles", "99% · 2,900 / 2,938 tiles"]
    assert "progress=1234/2938 indeterminate=false ongoing=true" in shown[0]
    assert all(line.startswith("NotificationManager.notify id=1 ") for line in shown)


def test_stop_foreground_removes_the_notification(run_scenario):
    assert lines(run_scenario("foreground"), "Service.stopForeground") == [
        f"Service.stopForeground flags={REMOVE}"
    ]


def test_before_android_10_the_two_argument_start_is_used(run_scenario):
    (start,) = lines(run_scenario("foreground", sdk=28, release="9"), "Service.startForeground")
    assert start.startswith("Service.startForeground id=1 channel=fmtc_nb_downloads")
    assert "type=" not in start.split(" channel=")[0]


def test_before_android_8_no_channel_is_created(run_scenario):
    answer = run_scenario("foreground", sdk=25, release="7.1")
    assert lines(answer, "NotificationManager.createNotificationChannel") == []
    assert "channel=null" in lines(answer, "Service.startForeground")[0]


def test_refused_foreground_start_raises_a_typed_error_with_one_line(run_scenario):
    result = run_scenario("refused", sdk=34)["result"]
    assert result["error"] == "ForegroundServiceRefused"
    assert result["message"] == (
        "Android refused the foreground service: android.app.ForegroundServiceStartNotAllowedException: "
        "startForeground() not allowed due to mAllowStartForeground false")


def test_tile_counts_beyond_java_int_are_scaled(run_scenario):
    (start,) = lines(run_scenario("huge_job"), "Service.startForeground")
    assert "progress=5000/10000" in start and "3,000,000,000 / 6,000,000,000 tiles" in start


@pytest.mark.parametrize(
    ("attempted", "max_tiles", "expected"),
    [
        (0, 0, (0, 0)),
        (7, 5, (5, 5)),
        (-1, 5, (5, 0)),
        (2**31 - 1, 2**31 - 1, (2**31 - 1, 2**31 - 1)),
        (1, 2**40, (10_000, 0)),
    ],
)
def test_progress_bar_stays_within_java_int(attempted, max_tiles, expected):
    assert progress_bar(attempted, max_tiles) == expected


def test_partial_wake_lock_is_acquired_and_released_once_each(run_scenario):
    calls = after(run_scenario("wake_lock")["calls"], "scenario: wake lock")
    assert calls == [
        "Context.getSystemService power",
        f"PowerManager.newWakeLock level={PARTIAL_WAKE_LOCK} tag=fmtc-nb:download",
        "WakeLock.setReferenceCounted false",
        "WakeLock.acquire",
        "WakeLock.release",
        "WakeLock.acquire",
        "WakeLock.release",
    ]


def test_battery_optimisation_request_opens_settings_with_package_uri(run_scenario):
    answer = run_scenario("battery_from_app", package="org.example.maps")
    assert answer["result"] == {"ignoring": False, "shown": True}
    assert lines(answer, "Context.startActivity") == [
        "Context.startActivity action=android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS data=package:org.example.maps"
    ]
    assert "PowerManager.isIgnoringBatteryOptimizations org.example.maps" in answer["calls"]


def test_battery_optimisation_request_not_shown_when_exempt_already(run_scenario):
    answer = run_scenario("battery_from_app", ignoring="true")
    assert answer["result"] == {"ignoring": True, "shown": False}
    assert lines(answer, "Context.startActivity") == []


def test_battery_optimisation_request_needs_a_visible_activity(run_scenario):
    answer = run_scenario("battery_from_service")
    assert answer["result"]["shown"] is False
    assert lines(answer, "Context.startActivity") == []
    assert lines(run_scenario("battery_from_app", finishing="true"), "Context.startActivity") == []


def test_notification_permission_requested_on_android_13_and_later(run_scenario):
    answer = run_scenario("notification_permission", sdk=33, granted="")
    assert answer["result"]["granted"] is False
    assert lines(answer, "Activity.requestPermissions") == [
        "Activity.requestPermissions android.permission.POST_NOTIFICATIONS code=7301"
    ]


def test_notification_permission_not_requested_before_android_13(run_scenario):
    answer = run_scenario("notification_permission", sdk=32, granted="")
    assert answer["result"] == {"granted": True, "info": True}
    assert lines(answer, "Activity.requestPermissions") == []


def test_notification_permission_not_requested_again_once_granted(run_scenario):
    answer = run_scenario("notification_permission", sdk=35)
    assert answer["result"]["granted"] is True
    assert lines(answer, "Activity.requestPermissions") == []


def test_notification_permission_cannot_be_requested_from_the_service(run_scenario):
    answer = run_scenario("notification_permission_from_service", sdk=35, granted="")
    assert answer["result"] is False and after(answer["calls"], "scenario: asking") == []


def after(calls: list[str], marker: str) -> list[str]:
    return calls[calls.index(marker) + 1 :]


def between(calls: list[str], start: str, end: str) -> list[str]:
    return calls[calls.index(start) + 1 : calls.index(end)]


def test_on_timeout_checkpoints_then_releases_and_stops(run_scenario):
    answer = run_scenario("timeout", expect_death=True)
    tail = [line for line in after(answer["calls"], "OS calls onTimeout") if line != "onTimeout returned"]
    assert tail == [
        "python checkpoint begins",
        "python checkpoint done",
        "WakeLock.release",
        f"Service.stopForeground flags={REMOVE}",
        "Service.stopSelf",
        "System: onDestroy ServiceBridge (stopSelf)",
        "python stopping",
        "Process ends (Process.killProcess(myPid))",
    ], "checkpoint first, then stop exactly once (the Java guard does not stop a second time); p4a ends the process"


def test_on_timeout_returns_to_android_before_the_checkpoint_ends(run_scenario):
    calls = after(run_scenario("timeout_slow_checkpoint", expect_death=True)["calls"], "OS calls onTimeout")
    assert "onTimeout returned" in calls, "the Java callback did not wait for Python's 1.5 s checkpoint"


def test_on_timeout_guard_stops_the_service_when_python_is_slow(run_scenario):
    calls = after(run_scenario("timeout_slow_checkpoint", expect_death=True)["calls"], "OS calls onTimeout")
    assert "python checkpoint done" not in calls, "the guard stopped the service (and p4a the process) first"
    assert calls.count("Service.stopSelf") == 1
    assert calls.index("Service.stopSelf") < calls.index("Process ends (Process.killProcess(myPid))")


def test_on_timeout_without_python_listener_stops_at_once(run_scenario):
    calls = after(run_scenario("timeout_without_listener", expect_death=True)["calls"], "OS calls onTimeout")
    assert calls[:2] == [f"Service.stopForeground flags={REMOVE}", "Service.stopSelf"]
    assert calls[-1] == "Process ends (Process.killProcess(myPid))"


def test_pairing_code_shown_in_its_own_notification(run_scenario):
    shown = lines(run_scenario("pairing_code"), "NotificationManager.notify")
    assert len(shown) == 2
    assert shown[0].startswith(
        "NotificationManager.notify id=8765 channel=fmtc_nb_downloads title=Pairing code 042 917"
    )
    assert "title=Pairing locked" in shown[1]


def test_app_status_page_shows_the_code_and_only_the_app_reaches_its_controls(run_scenario):
    answer = run_scenario("app_page", sdk=34, release="14", vendor="Xiaomi", model="2201117TG", granted="",
                          appProcessOnly="true")
    page, plain, statuses = answer["result"]["page"], answer["result"]["plain"], answer["result"]["statuses"]
    assert "Xiaomi 2201117TG" in page and "Android 14 (API 34)" in page
    assert "https://dontkillmyapp.com/xiaomi" in page and "Autostart" in page and 'rel="noreferrer' in page
    assert "dontkillmyapp.com / Urbandroid Team" in page and "CC-BY" in page
    assert "Exempt this app" in page and "Allow notifications" in page
    assert "Pairing code: <b>042 917</b>" in page, "pairing works with notifications denied"
    assert "042" not in plain and "<form" not in plain, "another app sees neither the code nor the controls"
    assert statuses == {
        "/stop": 403,
        "/s/wrong/stop": 403,
        "/s/k3y/battery": 200,
        "/s/k3y/notifications": 200,
        "/s/k3y/start-lan": 200,
        "/s/k3y/stop": 200,
        "/s/k3y/nothing": 404,
    }
    calls = answer["calls"]
    assert [c for c in calls if c.startswith("PythonActivity.loadUrl")] == [
        f"PythonActivity.loadUrl http://127.0.0.1:{answer['result']['port']}/s/k3y/"
    ], "the webview's first load of / sends it to the keyed page"
    assert not any(c.startswith("Context.st") for c in between(calls, "POST /stop", "POST /s/k3y/battery"))
    battery = between(calls, "POST /s/k3y/battery", "POST /s/k3y/notifications")
    assert (
        "Context.startActivity action=android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS data=package:org.fmtcnb.bridge"
        in battery
    )
    notifications = between(calls, "POST /s/k3y/notifications", "POST /s/k3y/start-lan")
    assert "Activity.requestPermissions android.permission.POST_NOTIFICATIONS code=7301" in notifications
    started = between(calls, "POST /s/k3y/start-lan", "POST /s/k3y/stop")
    assert "Context.startService org.fmtcnb.bridge.ServiceBridge" in started
    stopped = after(calls, "POST /s/k3y/stop")  # Android destroys the service a moment later
    assert stopped.index("Context.stopService org.fmtcnb.bridge.ServiceBridge") < stopped.index(
        "System: onDestroy ServiceBridge (stopService)")
