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

from android_bridge.platform.base import Platform
from fmtc_nb.android.notification import JobProgress, progress_notification

__all__ = ["ForegroundService", "JobProgress", "progress_notification"]


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
