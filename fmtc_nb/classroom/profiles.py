"""A classroom profile: which phone (vendor, API level), what the user allowed (battery-optimisation exemption,
notifications) and what the user does over time (a script of actions), parsed with one-sentence errors.

A script is JSON: a list of ``{"at": "10m", "do": "screen_off"}`` entries (``at`` in seconds of simulated time,
or a number with ``s``, ``m`` or ``h``), or ``{"actions": [...]}``. The job is dispatched at 0 s with the app on
screen.

>>> parse_script('[{"at": "1m", "do": "screen_off"}, {"at": "1h", "do": "reopen"}]')[1]
Action(at_s=3600.0, do='reopen')
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fmtc_nb.android.vendors import vendor_table
from fmtc_nb.errors import ProfileError

#: What a user can do, and what it means for the phone.
ACTIONS = {
    "screen_off": "the screen turns off (the app leaves the screen)",
    "screen_on": "the screen turns on, showing the lock screen or another app, not fmtc-nb",
    "swipe": "the user swipes the app away from recents",
    "reopen": "the user opens the app (screen on, app on screen)",
    "charging": "the phone is plugged in",
    "unplugged": "the phone is unplugged",
    "reboot": "the phone restarts (about a minute off)",
}
MIN_API, MAX_API = 26, 35
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Action:
    """One user action ``do`` (a key of :data:`ACTIONS`) at ``at_s`` seconds of simulated time."""

    at_s: float
    do: str


#: The default script: the user starts the job, the screen turns off a minute later, the user opens the app
#: again after two hours.
DEFAULT_SCRIPT: tuple[Action, ...] = (Action(60.0, "screen_off"), Action(7200.0, "reopen"))


@dataclass(frozen=True)
class Profile:
    """A phone and its user: ``vendor`` (a row of the dontkillmyapp data), ``api`` (26-35), ``exempt`` (battery
    optimisation off for the app), ``notifications`` (POST_NOTIFICATIONS granted) and ``script``."""

    vendor: str
    api: int
    exempt: bool = False
    notifications: bool = True
    script: tuple[Action, ...] = field(default=DEFAULT_SCRIPT)
    service_type_declared: bool = True  # the bridge declares foregroundServiceType=dataSync

    def __post_init__(self) -> None:
        object.__setattr__(self, "vendor", vendor_name(self.vendor))
        if isinstance(self.api, bool) or not isinstance(self.api, int) or not MIN_API <= self.api <= MAX_API:
            raise ProfileError(f"The Android API level must be a whole number from {MIN_API} to {MAX_API}, "
                               f"not {self.api!r}.")
        object.__setattr__(self, "script", tuple(sorted(self.script, key=lambda a: a.at_s)))

    @property
    def label(self) -> str:
        """A short name, e.g. ``xiaomi API 34, not exempt``."""
        extra = "" if self.notifications or self.api < 33 else ", no notifications"
        return f"{self.vendor} API {self.api}, {'exempt' if self.exempt else 'not exempt'}{extra}"


def vendor_names() -> list[str]:
    """Every vendor of the bundled dontkillmyapp data, worst first as in the table."""
    return [row["vendor"] for row in vendor_table()]


def vendor_name(name: str) -> str:
    """``name`` as a vendor of the data (case-insensitive), else ProfileError listing the known ones."""
    key = str(name).strip().lower()
    if key not in vendor_names():
        raise ProfileError(f"Unknown vendor {name!r}; known vendors: {', '.join(vendor_names())}.")
    return key


def parse_duration(value: Any) -> float:
    """Seconds from a number or a text like ``90``, ``90s``, ``10m``, ``1.5h`` (ProfileError otherwise)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
        if not match:
            raise ProfileError(f"The time {value!r} is not a number of seconds or a number with s, m or h.")
        seconds = float(match.group(1)) * _UNITS.get(match.group(2) or "s", 1.0)
    if not 0 <= seconds < 30 * 86400 or seconds != seconds:
        raise ProfileError(f"The time {value!r} must be between 0 and 30 days.")
    return seconds


def parse_script(text: str) -> tuple[Action, ...]:
    """The actions of a JSON script (see the module docstring); ProfileError in one sentence otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"The script is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    if isinstance(data, dict):
        data = data.get("actions")
    if not isinstance(data, list):
        raise ProfileError('The script must be a JSON list of {"at": TIME, "do": ACTION} entries.')
    actions = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict) or set(item) != {"at", "do"}:
            raise ProfileError(f'Script entry {number} must be an object with exactly "at" and "do".')
        if item["do"] not in ACTIONS:
            raise ProfileError(f"Script entry {number} has the unknown action {item['do']!r}; "
                               f"known actions: {', '.join(ACTIONS)}.")
        actions.append(Action(parse_duration(item["at"]), item["do"]))
    return tuple(sorted(actions, key=lambda a: a.at_s))


def load_script(path: str | os.PathLike[str]) -> tuple[Action, ...]:
    """The actions of the script file at ``path`` (ProfileError if it cannot be read or parsed)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"Cannot read the script {os.fspath(path)!r} ({exc.__class__.__name__}).") from None
    return parse_script(text)
