"""A token bucket limiting requests to a rate in tiles per second, and telling whether it holds the speed."""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    """Allows ``rate`` acquisitions per second on average with bursts up to ``burst`` (None rate: unlimited)."""

    def __init__(self, rate: float | None, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, (rate or 1.0) / 10)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._last_wait = 0.0

    @property
    def limiting(self) -> bool:
        """True if a caller had to wait for a token within the last second (the limit holds the speed)."""
        return self.rate is not None and time.monotonic() - self._last_wait < 1.0

    async def acquire(self) -> None:
        """Wait until a token is available and take it."""
        if self.rate is None:
            return
        while True:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            self._last_wait = now
            await asyncio.sleep((1.0 - self._tokens) / self.rate)
