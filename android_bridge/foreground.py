"""The foreground-service lifecycle: in the foreground, with a wake lock, only while some job downloads.

The job manager reports every progress change here (up to ten times a second per job); this class turns
that into platform calls. Android 15 gives a dataSync foreground service six hours a day, so the bridge spends
them on downloading only: ``start_foreground`` when the first job starts downloading (before the wake lock is
taken, so a refused start holds nothing), ``update_notification`` at most once per ``min_interval_s``
seconds, and ``stop_foreground`` plus the wake lock's release as soon as no job downloads (every job paused,
finished, or none at all).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from android_bridge.platform.base import Platform
from fmtc_nb.android.notification import JobProgress, progress_notification

__all__ = ["ForegroundService", "JobProgress", "progress_notification"]


class ForegroundService:
    """Drives a :class:`Platform` from the set of downloading jobs. Thread-safe."""

    def __init__(self, platform: Platform, min_interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.platform = platform
        self.min_interval_s = min_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self.in_foreground = False
        self.wake_lock_held = False
        self._last_update = float("-inf")

    def refresh(self, downloading: Sequence[JobProgress]) -> None:
        """Show the progress of the jobs that download now (empty: leave the foreground).

        Raises :class:`~android_bridge.platform.base.ForegroundServiceRefused` when Android refuses the
        foreground; nothing is held then (no foreground, no wake lock).
        """
        with self._lock:
            if not downloading:
                self._leave()
                return
            now = self._clock()
            if not self.in_foreground:
                self.platform.start_foreground(progress_notification(downloading))
                self.in_foreground, self._last_update = True, now
            elif now - self._last_update >= self.min_interval_s:
                self.platform.update_notification(progress_notification(downloading))
                self._last_update = now
            if not self.wake_lock_held:
                self.platform.acquire_wake_lock()
                self.wake_lock_held = True

    def stop(self) -> None:
        """Leave the foreground and release the wake lock (the service is stopping)."""
        with self._lock:
            self._leave()

    def _leave(self) -> None:
        if self.wake_lock_held:
            self.platform.release_wake_lock()
            self.wake_lock_held = False
        if self.in_foreground:
            self.platform.stop_foreground()
            self.in_foreground = False
