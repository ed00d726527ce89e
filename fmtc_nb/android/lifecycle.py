"""Android's rules for a service like the bridge's, in one table: API level, rule, source.

The table lives in fmtc_nb so that the classroom (:mod:`fmtc_nb.classroom.rulebook`) builds on the same rows;
the bridge reads it as :mod:`android_bridge.lifecycle_rules` (the same objects). The bridge's service model (docs/android.md) is decided from these rows; the JVM stubs of
``tests/android_jvm`` enforce them (their limits come from here, scaled down in time), the virtual platform
refuses a background foreground-service start by the same row, and a classroom simulator can replay them.
``min_api`` is the first API level (of the phone, for apps targeting it) where the rule holds; 1 means every
level. Durations are seconds of the real phone.
"""

from __future__ import annotations

from dataclasses import dataclass

P4A_SOURCE = (
    "https://github.com/kivy/python-for-android/blob/v2026.05.09/pythonforandroid/bootstraps/common/build/"
    "src/main/java/org/kivy/android/PythonService.java"
)


@dataclass(frozen=True)
class LifecycleRule:
    """One rule: ``id`` (stable name), ``min_api``, ``rule`` (one sentence), ``source`` (URL), ``limit_s``
    (the duration the rule counts, if any) and ``window_s`` (the period that duration is counted over)."""

    id: str
    min_api: int
    rule: str
    source: str
    limit_s: float | None = None
    window_s: float | None = None

    def applies(self, sdk_int: int) -> bool:
        """Whether the rule holds on a phone of API level ``sdk_int``."""
        return sdk_int >= self.min_api


RULES: tuple[LifecycleRule, ...] = (
    LifecycleRule(
        "p4a_destroy_kills_process", 1,
        "python-for-android's PythonService.onDestroy ends the whole service process "
        "(Process.killProcess(Process.myPid())), so whatever stops the service also ends the Python in it.",
        P4A_SOURCE),
    LifecycleRule(
        "p4a_task_removed_stops_non_sticky", 1,
        "python-for-android's PythonService.onTaskRemoved (the user swipes the app away from recents) calls "
        "stopSelf() unless the service's startType() is START_STICKY.",
        P4A_SOURCE),
    LifecycleRule(
        "sticky_restart", 1,
        "A START_STICKY service whose process was killed is created again later by the system, with a null "
        "intent.",
        "https://developer.android.com/reference/android/app/Service#START_STICKY"),
    LifecycleRule(
        "idle_background_service_stopped", 26,
        "About a minute after an app leaves the foreground, the system stops its background (not foreground) "
        "services as if they had called stopSelf().",
        "https://developer.android.com/about/versions/oreo/background#services", limit_s=60.0),
    LifecycleRule(
        "background_start_service_refused", 26,
        "An app in the background (idle) cannot start a service: Context.startService throws "
        "IllegalStateException.",
        "https://developer.android.com/about/versions/oreo/background#services"),
    LifecycleRule(
        "fgs_background_start_refused", 31,
        "Service.startForeground from the background throws ForegroundServiceStartNotAllowedException unless an "
        "exemption applies, such as the user having turned battery optimisation off for the app.",
        "https://developer.android.com/develop/background-work/services/fgs/restrictions-bg-start"),
    LifecycleRule(
        "post_notifications_runtime", 33,
        "POST_NOTIFICATIONS is a runtime permission: without it the app's notifications (the foreground "
        "service's included) are not in the notification drawer, while the foreground service itself still "
        "runs and still shows in the Task Manager.",
        "https://developer.android.com/develop/ui/views/notifications/notification-permission"),
    LifecycleRule(
        "permission_revoked_kills_process", 23,
        "Revoking a granted runtime permission (such as POST_NOTIFICATIONS) in the settings kills the app's "
        "processes (a secondary source: Android's reference pages do not say it).",
        "https://commonsware.com/blog/2015/11/24/securityexceptions-runtime-permissions-reset-app-preferences.html"),
    LifecycleRule(
        "fgs_type_required", 34,
        "startForeground needs a foreground service type declared on the service in the manifest "
        "(MissingForegroundServiceTypeException otherwise) and the matching FOREGROUND_SERVICE_<TYPE> "
        "permission.",
        "https://developer.android.com/about/versions/14/changes/fgs-types-required"),
    LifecycleRule(
        "data_sync_timeout", 35,
        "dataSync foreground services may run six hours in 24; then the system calls "
        "Service.onTimeout(int, int), the service is no longer in the foreground, must call stopSelf() within "
        "a few seconds, and cannot start a dataSync foreground service again until the user brings the app "
        "to the foreground (which also resets the time).",
        "https://developer.android.com/develop/background-work/services/fgs/timeout",
        limit_s=6 * 3600.0, window_s=24 * 3600.0),
    LifecycleRule(
        "doze_network_suspended", 23,
        "In Doze (screen off, unplugged and stationary for a while) the system suspends network access and "
        "ignores wake locks for apps that are neither exempt from battery optimisation nor running a "
        "foreground service.",
        "https://developer.android.com/training/monitoring-device-state/doze-standby"),
    LifecycleRule(
        "standby_bucket_restricted", 28,
        "An app the user has not opened for a while falls into a rarer standby bucket, whose jobs, alarms and "
        "network access are deferred; an app running a foreground service counts as in use.",
        "https://developer.android.com/topic/performance/appstandby"),
    LifecycleRule(
        "boot_completed_no_data_sync", 35,
        "A BOOT_COMPLETED receiver may not start a dataSync foreground service.",
        "https://developer.android.com/about/versions/15/behavior-changes-15#fgs-boot-completed"),
)

#: Seconds a service has after Service.onTimeout before the system crashes the app (the docs say "a few").
TIMEOUT_GRACE_S = 3.0


def rule(rule_id: str) -> LifecycleRule:
    """The rule called ``rule_id`` (KeyError names the known ones)."""
    for item in RULES:
        if item.id == rule_id:
            return item
    raise KeyError(f"no lifecycle rule {rule_id!r}; known: {', '.join(r.id for r in RULES)}")


def rules_frame() -> object:
    """The table as a pandas DataFrame (for notebooks; pandas is imported only here)."""
    import pandas as pd

    return pd.DataFrame([item.__dict__ for item in RULES])
