"""The one interface the bridge uses to talk to the operating system it runs on.

Two implementations: ``android_bridge.platform.android`` (a real phone, through pyjnius) and
``android_bridge.platform.virtual`` (desktops and tests, a simulated lifecycle).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from fmtc_nb.android.notification import Notification  # the model lives in fmtc_nb; the platforms show it


class ForegroundServiceRefused(RuntimeError):
    """Android would not let the service enter the foreground: from the background on Android 12+ without a
    battery-optimisation exemption, or once Android 15's six daily hours of dataSync are used up."""


@dataclass(frozen=True)
class DeviceInfo:
    """What ``GET /api/v1/device`` reports about the device."""

    platform: str  # "android" or "virtual"
    android_version: str  # release string, e.g. "15"
    sdk_int: int  # API level, e.g. 35
    vendor: str  # manufacturer, e.g. "samsung"
    model: str
    battery_optimisation_ignored: bool  # the app is exempt from battery optimisation
    notifications_allowed: bool  # POST_NOTIFICATIONS granted (always true before Android 13)


@runtime_checkable
class Platform(Protocol):
    """Operating-system services the bridge needs; every call is cheap and safe to repeat."""

    name: str

    def device_info(self) -> DeviceInfo:
        """The device's facts and the app's permission / battery-optimisation state."""
        ...

    def start_foreground(self, notification: Notification) -> None:
        """Run as a ``dataSync`` foreground service showing ``notification`` (creates the channel first);
        :class:`ForegroundServiceRefused` when Android says no."""
        ...

    def update_notification(self, notification: Notification) -> None:
        """Replace the progress notification (the bridge calls this at most once a second)."""
        ...

    def stop_foreground(self) -> None:
        """Leave the foreground state and remove the notification."""
        ...

    def acquire_wake_lock(self) -> None:
        """Hold a partial wake lock (only while downloading)."""
        ...

    def release_wake_lock(self) -> None:
        """Release the partial wake lock if held."""
        ...

    def is_ignoring_battery_optimizations(self) -> bool:
        """Whether the app is exempt from battery optimisation."""
        ...

    def request_ignore_battery_optimizations(self) -> bool:
        """Ask the user (from the visible activity) to exempt the app; returns whether the request was shown."""
        ...

    def request_notification_permission(self) -> bool:
        """Ask for POST_NOTIFICATIONS on Android 13+; returns whether it is (now) granted."""
        ...
