"""A token bucket limiting requests to a rate in tiles per second, holding every request while the server asked
for a pause (Retry-After), and telling whether it holds the speed."""

from __future__ import annotations

import asyncio
import threading
import time

#: Longest single sleep while waiting for a token (s): how soon a waiting request notices a cancel.
WAKE_S = 0.1


class TokenBucket:
    """Allows ``rate`` acquisitions per second on average with bursts up to ``burst`` (None rate: unlimited)."""

    def __init__(self, rate: float | None, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, (rate or 1.0) / 10)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._last_wait = -1.0e9
        self._hold_until = 0.0  # monotonic seconds: no acquisition before

    @property
    def limiting(self) -> bool:
        """True if a caller had to wait for a token or a server's pause within the last second (the limit, not
        the network, sets the speed)."""
        return time.monotonic() - self._last_wait < 1.0

    def slow_down(self, seconds: float) -> None:
        """Let no acquisition through for ``seconds`` from now (a server's Retry-After holds the whole job)."""
        self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    async def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for the end of a pause the server asked for, then until a token is available, and take it
        (True); or until ``stop`` is set (False, no token taken): a cancel never waits for a slow rate's next
        token or the end of a pause."""
        while stop is None or not stop.is_set():
            now = time.monotonic()
            if (hold := self._hold_until - now) > 0:
                self._last_wait = now
                await asyncio.sleep(min(hold, WAKE_S))
                continue
            if self.rate is None:
                return True
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            self._last_wait = now
            await asyncio.sleep(min((1.0 - self._tokens) / self.rate, WAKE_S))
        return False
