"""The virtual platform: the bridge's operating system simulated on a desktop, for notebooks and tests.

What the phone would show is written to ``screen.json`` in the bridge's state directory (the foreground
state, the progress notification, the wake lock, the pairing code), replaced atomically on every change so a
notebook of the same user can read it at any time (mode 0600 in a 0700 folder: other local users cannot).
Device facts and the battery-optimisation exemption are settings in ``virtual_settings.json``. The service is "killed" by killing the process (SIGKILL, as a vendor's power
manager would) and "restarted" by starting ``python -m android_bridge --virtual`` again on the same root.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from android_bridge.lifecycle_rules import rule
from android_bridge.platform.base import DeviceInfo, ForegroundServiceRefused, Notification
from android_bridge.statefile import make_private_dir, write_json_atomically
from fmtc_nb.android.screen import SCREEN_FILE, SETTINGS_FILE, read_screen

__all__ = ["SCREEN_FILE", "SETTINGS_FILE", "VirtualPlatform", "VirtualSettings", "change_settings", "read_screen",
           "read_settings"]


@dataclass(frozen=True)
class VirtualSettings:
    """The simulated phone's facts and permission state (edit ``virtual_settings.json`` to change them)."""

    android_version: str = "15"
    sdk_int: int = 35
    vendor: str = "virtual"
    model: str = "fmtc-nb virtual device"
    battery_optimisation_ignored: bool = False
    notifications_allowed: bool = True
    user_accepts_requests: bool = True  # what the simulated user answers to permission / exemption prompts
    app_visible: bool = True  # the app is on screen (false: Android 12+ refuses a foreground start)


def read_settings(state_dir: str | os.PathLike[str]) -> VirtualSettings:
    """The simulated phone's settings (file values over defaults; unknown keys ignored)."""
    path = Path(state_dir) / SETTINGS_FILE
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
    except ValueError as exc:  # a hand edit gone wrong: the phone keeps its defaults until it is fixed
        logging.getLogger(__name__).warning("%s is not valid JSON (%s); using the default settings", path, exc)
        data = {}
    if not isinstance(data, dict):
        data = {}
    known = {f.name for f in fields(VirtualSettings)}
    return VirtualSettings(**{k: v for k, v in data.items() if k in known})


def change_settings(state_dir: str | os.PathLike[str], **changes: Any) -> VirtualSettings:
    """Change settings (e.g. ``battery_optimisation_ignored=True``), as the user would on the phone; a running
    virtual device sees them at its next call."""
    updated = replace(read_settings(state_dir), **changes)
    write_json_atomically(Path(state_dir) / SETTINGS_FILE, asdict(updated))
    return updated


class VirtualPlatform:
    """A :class:`~android_bridge.platform.base.Platform` that records instead of calling Android."""

    name = "virtual"

    def __init__(self, state_dir: str | os.PathLike[str]) -> None:
        self.state_dir = make_private_dir(Path(state_dir))
        self._lock = threading.Lock()
        self._screen: dict[str, Any] = {"foreground": False, "wake_lock": False, "notification": None,
                                        "notification_updates": 0, "pairing_code": None,
                                        "pairing_expires_at": None, "started_at": time.time(), "pid": os.getpid()}
        self._write()

    # -- settings ------------------------------------------------------------------------------------------
    @property
    def settings(self) -> VirtualSettings:
        """The current settings."""
        return read_settings(self.state_dir)

    def change_settings(self, **changes: Any) -> VirtualSettings:
        """Change settings and persist them (see :func:`change_settings`)."""
        return change_settings(self.state_dir, **changes)

    # -- Platform --------------------------------------------------------------------------------------------
    def device_info(self) -> DeviceInfo:
        """Facts from the settings."""
        s = self.settings
        return DeviceInfo("virtual", s.android_version, s.sdk_int, s.vendor, s.model,
                          s.battery_optimisation_ignored, s.notifications_allowed or s.sdk_int < 33)

    def start_foreground(self, notification: Notification) -> None:
        """Enter the foreground state showing ``notification``; refused as Android 12+ refuses a start from the
        background (``app_visible`` false) unless battery optimisation is off for the app."""
        s = self.settings
        if rule("fgs_background_start_refused").applies(s.sdk_int) and not (
                s.app_visible or s.battery_optimisation_ignored):
            raise ForegroundServiceRefused("ForegroundServiceStartNotAllowedException: the app is in the background")
        self._show(foreground=True, notification=asdict(notification))

    def update_notification(self, notification: Notification) -> None:
        """Replace the notification."""
        with self._lock:
            self._screen["notification_updates"] += 1
        self._show(notification=asdict(notification))

    def stop_foreground(self) -> None:
        """Leave the foreground state; the notification disappears."""
        self._show(foreground=False, notification=None)

    def acquire_wake_lock(self) -> None:
        """Hold the (simulated) partial wake lock."""
        self._show(wake_lock=True)

    def release_wake_lock(self) -> None:
        """Release the wake lock."""
        self._show(wake_lock=False)

    def is_ignoring_battery_optimizations(self) -> bool:
        """The ``battery_optimisation_ignored`` setting."""
        return self.settings.battery_optimisation_ignored

    def request_ignore_battery_optimizations(self) -> bool:
        """Show the (simulated) system prompt; the simulated user's answer becomes the setting."""
        if self.settings.user_accepts_requests:
            self.change_settings(battery_optimisation_ignored=True)
        return True

    def request_notification_permission(self) -> bool:
        """Android 13+ asks; the simulated user's answer becomes the setting."""
        s = self.settings
        if s.sdk_int < 33:
            return True
        if not s.notifications_allowed and s.user_accepts_requests:
            s = self.change_settings(notifications_allowed=True)
        return s.notifications_allowed

    # -- extras of the virtual device ------------------------------------------------------------------------
    def show_pairing_code(self, code: str | None, expires_at: float | None) -> None:
        """Show the pairing code on the (simulated) screen; None while pairing is locked."""
        self._show(pairing_code=code, pairing_expires_at=expires_at)

    @property
    def screen(self) -> dict[str, Any]:
        """A copy of what the phone shows now."""
        with self._lock:
            return dict(self._screen)

    def _show(self, **changes: Any) -> None:
        with self._lock:
            self._screen.update(changes, updated_at=time.time())
            self._write()

    def _write(self) -> None:
        write_json_atomically(self.state_dir / SCREEN_FILE, self._screen)
