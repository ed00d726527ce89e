"""The foreground-service lifecycle: notification while jobs are active, wake lock only while downloading.

The job manager reports every progress change here (up to ten times a second per job); this class turns
that into platform calls: ``start_foreground`` when the first job becomes active, ``update_notification`` at
most once per ``min_interval_s`` seconds, the wake lock held only while some job downloads (not while all are
paused) and ``stop_foreground`` once no job is active.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from android_bridge.platform.base import Notification, Platform

#: Progress of one active job: (tiles attempted, tiles in the job), earlier runs of a resumed job included.
JobProgress = tuple[int, int]


def progress_notification(snapshots: Sequence[JobProgress], downloading: bool) -> Notification:
    """One notification summing the active jobs: percentage and attempted / max tiles."""
    attempted = sum(a for a, _ in snapshots)
    max_tiles = sum(m for _, m in snapshots)
    percent = 100.0 * attempted / max_tiles if max_tiles else 0.0
    many = len(snapshots) > 1
    if downloading:
        title = f"Downloading {len(snapshots)} offline map regions" if many else "Downloading an offline map region"
    else:
        title = f"{len(snapshots)} offline map downloads paused" if many else "Offline map download paused"
    text = f"{percent:.0f}% · {attempted:,} / {max_tiles:,} tiles"
    return Notification(title, text, round(percent, 1), attempted, max_tiles, ongoing=True)


class ForegroundService:
    """Drives a :class:`Platform` from the set of active jobs. Thread-safe."""

    def __init__(self, platform: Platform, min_interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.platform = platform
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self.in_foreground = False
        self.wake_lock_held = False
        self._last_update = float("-inf")

    def refresh(self, snapshots: Sequence[JobProgress], downloading: bool) -> None:
        """Show the active jobs' progress (``snapshots``; empty: idle). The engine keeps reporting while a job
        is paused, so a pause reaches the notification within ``min_interval_s`` too."""
        with self._lock:
            if not snapshots:
                self._idle()
                return
            if downloading and not self.wake_lock_held:
                self.platform.acquire_wake_lock()
                self.wake_lock_held = True
            elif not downloading and self.wake_lock_held:
                self.platform.release_wake_lock()
                self.wake_lock_held = False
            now = self._clock()
            if not self.in_foreground:
                self.platform.start_foreground(progress_notification(snapshots, downloading))
                self.in_foreground, self._last_update = True, now
            elif now - self._last_update >= self.min_interval_s:
                self.platform.update_notification(progress_notification(snapshots, downloading))
                self._last_update = now

    def stop(self) -> None:
        """Leave the foreground and release the wake lock (the service is stopping)."""
        with self._lock:
            self._idle()

    def _idle(self) -> None:
        if self.wake_lock_held:
            self.platform.release_wake_lock()
            self.wake_lock_held = False
        if self.in_foreground:
            self.platform.stop_foreground()
            self.in_foreground = False
