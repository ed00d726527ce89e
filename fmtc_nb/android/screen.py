"""What the virtual phone shows: ``screen.json`` in the bridge's state directory, written by the virtual platform
on every change (atomically) and read by whoever watches the device (a notebook, a test)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SCREEN_FILE = "screen.json"
#: The virtual phone's settings (Android version, vendor, permissions), changed by a notebook or the classroom.
SETTINGS_FILE = "virtual_settings.json"


def read_screen(state_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """What the virtual phone shows now (``{}`` before the device first started): ``foreground``,
    ``notification`` (a :class:`~fmtc_nb.android.notification.Notification` as a dict, or None), ``wake_lock``,
    ``notification_updates``, ``pairing_code`` ..."""
    path = Path(state_dir) / SCREEN_FILE
    return json.loads(path.read_text()) if path.exists() else {}
