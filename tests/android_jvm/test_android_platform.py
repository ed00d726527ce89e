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
        "device_info", sdk=34, release="14", vendor="samsung", model="SM-S911B", ignoring="true"
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
    assert run_scenario("device_info", sdk=32, release="12L")["result"]["notifications_allowed"] is True


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


def test_refused_foreground_start_raises_a_typed_error(run_scenario):
    answer = run_scenario("refused", refuseForeground="true")
    assert answer["result"] == "ForegroundServiceRefused"


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
    calls = run_scenario("wake_lock")["calls"]
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
    answer = run_scenario("notification_permission", sdk=33)
    assert answer["result"]["granted"] is False
    assert lines(answer, "Activity.requestPermissions") == [
        "Activity.requestPermissions android.permission.POST_NOTIFICATIONS code=7301"
    ]


def test_notification_permission_not_requested_before_android_13(run_scenario):
    answer = run_scenario("notification_permission", sdk=32)
    assert answer["result"] == {"granted": True, "info": True}
    assert lines(answer, "Activity.requestPermissions") == []


def test_notification_permission_not_requested_again_once_granted(run_scenario):
    answer = run_scenario("notification_permission", sdk=35, granted="android.permission.POST_NOTIFICATIONS")
    assert answer["result"]["granted"] is True
    assert lines(answer, "Activity.requestPermissions") == []


def test_notification_permission_cannot_be_requested_from_the_service(run_scenario):
    answer = run_scenario("notification_permission_from_service", sdk=35)
    assert answer["result"] is False and answer["calls"] == []


def after(calls: list[str], marker: str) -> list[str]:
    return calls[calls.index(marker) + 1 :]


def between(calls: list[str], start: str, end: str) -> list[str]:
    return calls[calls.index(start) + 1 : calls.index(end)]


def test_on_timeout_checkpoints_then_releases_and_stops(run_scenario):
    answer = run_scenario("timeout")
    assert answer["result"] == {"handled": True, "timed_out": True}
    tail = [line for line in after(answer["calls"], "OS calls onTimeout") if line != "onTimeout returned"]
    assert tail == [
        "python checkpoint begins",
        "python checkpoint done",
        "WakeLock.release",
        f"Service.stopForeground flags={REMOVE}",
        "Service.stopSelf",
    ], "checkpoint first, then stop exactly once (the Java guard does not stop a second time)"


def test_on_timeout_returns_to_android_before_the_checkpoint_ends(run_scenario):
    calls = run_scenario("timeout_slow_checkpoint")["calls"]
    assert calls.index("onTimeout returned") < calls.index("python checkpoint done")


def test_on_timeout_guard_stops_the_service_when_python_is_slow(run_scenario):
    answer = run_scenario("timeout_slow_checkpoint")
    calls = answer["calls"]
    assert calls.index("Service.stopSelf") < calls.index("python checkpoint done")
    assert calls.count("Service.stopSelf") == 1 and calls.count("WakeLock.release") == 1
    assert answer["result"]["handled"] is True


def test_on_timeout_without_python_listener_stops_at_once(run_scenario):
    answer = run_scenario("timeout_without_listener")
    assert after(answer["calls"], "OS calls onTimeout") == [
        f"Service.stopForeground flags={REMOVE}",
        "Service.stopSelf",
        "onTimeout returned",
    ]
    assert answer["result"]["timed_out"] is True


def test_pairing_code_shown_in_its_own_notification(run_scenario):
    shown = lines(run_scenario("pairing_code"), "NotificationManager.notify")
    assert len(shown) == 2
    assert shown[0].startswith(
        "NotificationManager.notify id=8765 channel=fmtc_nb_downloads title=Pairing code 042 917"
    )
    assert "title=Pairing locked" in shown[1]


def test_app_status_page_and_its_buttons(run_scenario):
    answer = run_scenario("app_page", sdk=34, release="14", vendor="Xiaomi", model="2201117TG")
    page, statuses = answer["result"]["page"], answer["result"]["statuses"]
    assert "Xiaomi 2201117TG" in page and "Android 14 (API 34)" in page
    assert "https://dontkillmyapp.com/xiaomi" in page and "Autostart" in page
    assert "dontkillmyapp.com / Urbandroid Team" in page and "CC-BY" in page
    assert "Exempt this app" in page and "Allow notifications" in page
    assert not any(ch.isdigit() for ch in page.split("pairing code")[-1][:12]), (
        "the code is never on the page"
    )
    assert statuses == {
        "/battery": 200,
        "/notifications": 200,
        "/start-lan": 200,
        "/stop": 200,
        "/nothing": 404,
    }
    calls = answer["calls"]
    battery = between(calls, "POST /battery", "POST /notifications")
    assert (
        "Context.startActivity action=android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS data=package:org.fmtcnb.bridge"
        in battery
    )
    notifications = between(calls, "POST /notifications", "POST /start-lan")
    assert "Activity.requestPermissions android.permission.POST_NOTIFICATIONS code=7301" in notifications
    started = [c for c in between(calls, "POST /start-lan", "POST /stop") if c.startswith("ServiceBridge")]
    assert started == ['ServiceBridge.start argument={"port": 8765, "lan": true}']
    stopped = [c for c in between(calls, "POST /stop", "POST /nothing") if c.startswith("ServiceBridge")]
    assert stopped == ["ServiceBridge.stop"]
