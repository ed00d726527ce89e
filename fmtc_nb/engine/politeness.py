"""One polite voice towards the job's server: every request of a job passes through one :class:`Politeness`.

A "slow down" answer (429, or 503) holds every request of the job, not just the one that got it: until the
time the server gave in ``Retry-After``, or, when it gave none, for an exponential delay (``backoff_s``
doubling with each throttle in a row, at most ``max_backoff_s``). After the hold one probe request goes alone;
once it succeeds, concurrency comes back step by step: additive increase (one more request in flight per
round of successes), multiplicative decrease (halved) on each new throttle. Answers to requests sent before
the hold began were already accounted for: they neither halve again nor count twice.

The hold itself is the :class:`~fmtc_nb.engine.hooks.Pacer`'s ``slow_down`` (the job's token bucket, or the
pacer a cluster shares between its workers), so the same design serves one process and many. A job talks to
one server (its subdomains are names of the same server), so the voice is per job.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections import deque
from typing import Generic, TypeVar

from fmtc_nb.engine.hooks import Pacer

#: Answers that mean "too many requests": they hold the whole job.
THROTTLE_STATUSES = frozenset({429, 503})
#: ``SteppedAside``'s mark of a tile the server refused while it answered other tiles: its waits count.
REFUSED = -1
T = TypeVar("T")


#: One request's permission: (the number of throttles the job had reacted to when it was sent (its epoch), the
#: number of answers, any HTTP status, the job had received by then). A plain tuple: one is made per request.
Ticket = tuple[int, int]


class Politeness:
    """The job's concurrency window and holds; ``parallel`` is the most requests in flight at once.

    ``backoff_s``/``max_backoff_s``: seconds of the first and longest hold without a Retry-After. Use from the
    engine's event loop only (``waiting_until`` and friends may be read from any thread).
    """

    def __init__(self, pacer: Pacer, parallel: int, *, backoff_s: float = 0.25, max_backoff_s: float = 30.0) -> None:
        self.pacer = pacer
        self.parallel = parallel
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._window = float(parallel)  # requests in flight allowed once no probe is pending (AIMD)
        self._probe = False  # after a throttle: one request goes alone until it succeeds
        self._limit = parallel  # concurrency_now
        self._in_flight = 0
        self._epoch = 0  # throttles reacted to so far
        self._strikes = 0  # throttles in a row without a success (the exponent of a hold without Retry-After)
        self._changed: asyncio.Condition | None = None
        self._queued = 0  # requests waiting in :meth:`acquire` for room in the window
        #: Epoch seconds until which the server asked the job to wait (None: not waiting).
        self.waiting_until: float | None = None
        #: Why the job waits, in words (None: not waiting).
        self.wait_reason: str | None = None
        #: ``time.monotonic()`` of the first throttle since the last success (None: not throttled).
        self.throttled_since: float | None = None
        #: Throttle answers (429/503) received so far, and the seconds of hold they caused.
        self.throttles = 0
        self.held_s = 0.0
        #: Answers other than a throttle or a server error received so far (tells a tile's own 429 from the job's).
        self.successes = 0
        #: Successes before the first hold: the server's allowance before it first said "slow down".
        self.free_successes = 0
        #: Requests that got an answer (any HTTP status); ``time.monotonic()`` of the first request without an
        #: answer (refused, reset, timed out) since the last answer (None: the last request was answered).
        self.answers = 0
        self.unanswered_since: float | None = None

    @property
    def concurrency_now(self) -> int:
        """Requests allowed in flight at this moment: 1 while a probe is pending, else the AIMD window."""
        return self._limit

    def _window_changed(self) -> None:
        """Recompute :attr:`concurrency_now` (kept as a number: every request reads it)."""
        self._limit = 1 if self._probe else max(1, min(self.parallel, math.floor(self._window)))

    @property
    def holds(self) -> int:
        """Holds of the whole job so far (throttles that were reacted to, not their echoes)."""
        return self._epoch

    @property
    def waiting(self) -> bool:
        """True while a hold the server asked for lasts."""
        return self.waiting_until is not None and self.waiting_until > time.time()

    async def acquire(self, stop: threading.Event | None = None) -> Ticket | None:
        """Wait for room in the concurrency window, then for the pacer (rate limit and holds); a ticket to pass
        to :meth:`done`, or None (nothing held) once ``stop`` is set."""
        if self._in_flight >= self._limit:
            self._changed = self._changed or asyncio.Condition()
            self._queued += 1
            try:
                async with self._changed:
                    while self._in_flight >= self._limit:
                        if stop is not None and stop.is_set():
                            return None
                        with contextlib.suppress(TimeoutError):  # wakes every 0.1 s to see a cancel
                            await asyncio.wait_for(self._changed.wait(), 0.1)
            finally:
                self._queued -= 1
        self._in_flight += 1
        if not await self.pacer.acquire(stop):
            await self.release()
            return None
        return self._epoch, self.answers

    async def done(self, ticket: Ticket, status: int | None, retry_after_s: float | None) -> bool:
        """Account for the answer to ``ticket``'s request (``status``: its HTTP status, None if no answer);
        True if it was a throttle (429/503), which holds the job."""
        throttled = status in THROTTLE_STATUSES
        if status is None:
            self.unanswered_since = self.unanswered_since or time.monotonic()
        else:
            self.answers += 1
            self.unanswered_since = None
        if throttled:
            self._throttle(ticket, status, retry_after_s)
        elif status is not None and status < 500:
            self._success()
        self._in_flight -= 1
        if self._queued:
            await self._wake()
        return throttled

    async def release(self) -> None:
        """Give back a ticket whose request was not sent (the job was paused while it waited for its turn)."""
        self._in_flight -= 1
        if self._queued:
            await self._wake()

    async def _wake(self) -> None:
        """Tell the requests waiting for room in the window (only they need it: no wake-up per answer)."""
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    def _success(self) -> None:
        self.successes += 1
        if self.throttled_since is None and self._window >= self.parallel and not self._probe:
            return  # never throttled, or fully recovered: nothing to change (the path of almost every answer)
        self._strikes = 0
        self.throttled_since = None
        if self._probe:
            self._probe = False
        elif self._window < self.parallel:
            self._window = min(float(self.parallel), self._window + 1.0 / self._window)  # one more per round
        self._window_changed()
        if not self.waiting:
            self.waiting_until = self.wait_reason = None

    def _throttle(self, ticket: Ticket, status: int | None, retry_after_s: float | None) -> None:
        self.throttles += 1
        now = time.time()
        if ticket[0] < self._epoch:  # sent before the job's last hold began: already reacted to
            if retry_after_s is not None:
                self._hold(now, retry_after_s, f"HTTP {status}, Retry-After {retry_after_s:g} s")
            return
        if not self._epoch:
            self.free_successes = self.successes
        self._epoch += 1
        self._strikes += 1
        self._window = max(1.0, self._window / 2)
        self._probe = True
        self._window_changed()
        if self.throttled_since is None:
            self.throttled_since = time.monotonic()
        if retry_after_s is not None:
            self._hold(now, retry_after_s, f"HTTP {status}, Retry-After {retry_after_s:g} s")
        else:
            delay = min(self.backoff_s * 2 ** (self._strikes - 1), self.max_backoff_s)
            self._hold(now, delay, f"HTTP {status} without Retry-After: pausing {delay:.2g} s "
                                   f"(throttle {self._strikes} in a row)")

    def _hold(self, now: float, seconds: float, reason: str) -> None:
        until = now + seconds
        if self.waiting_until is not None and until <= self.waiting_until:
            return
        self.held_s += until - max(now, self.waiting_until or now)
        self.waiting_until = until
        self.wait_reason = reason
        self.pacer.slow_down(seconds)

    def network_down(self, ticket: Ticket) -> bool:
        """True if no request of the job was answered since ``ticket``'s request was sent: a request that then
        got no answer met a network (or server) that is down for every tile, not a problem of its own tile."""
        return self.answers == ticket[1]

    def waited_too_long(self, max_wait_s: float | None, network: bool = False) -> str | None:
        """The sentence the job pauses itself with once it has waited (or would have to wait) for the server
        longer than ``max_wait_s`` seconds since its last success, or (``network``: it waits for the network)
        has had no answer at all for that long; None otherwise."""
        if network and max_wait_s is not None and self.unanswered_since is not None and \
                time.monotonic() - self.unanswered_since > max_wait_s:
            return (f"No request of the job was answered for more than {max_wait_s:g} s (--max-wait): the network "
                    "or the server is down; the job is paused with every stored tile kept, so resume it later.")
        if max_wait_s is None or self.throttled_since is None or self.waiting_until is None:
            return None
        waited = time.monotonic() - self.throttled_since
        left = max(self.waiting_until - time.time(), 0.0)
        if waited + left <= max_wait_s:
            return None
        return (f"The server kept asking the job to slow down ({self.wait_reason}) for more than {max_wait_s:g} s "
                "(--max-wait); the job is paused with every stored tile kept, so resume it later.")


class SteppedAside(Generic[T]):
    """Tiles that met a "slow down" and stepped aside, so that the probe after the hold is another tile.

    Each keeps its failed attempts so far and the job's :attr:`Politeness.successes` when it last waited
    (:data:`REFUSED` once the server was seen answering other tiles while refusing it: from then on its
    throttles are failed attempts). Workers take new tiles first and these once the stream is dry.
    """

    def __init__(self) -> None:
        self._tiles: deque[tuple[T, int, int]] = deque()

    def __len__(self) -> int:
        return len(self._tiles)

    def put(self, tile: T, attempts: int, answered: int) -> None:
        """Set ``tile`` aside with its ``attempts`` and the successes count when it waited (or REFUSED)."""
        self._tiles.append((tile, attempts, answered))

    def take(self) -> tuple[T, int, int] | None:
        """The oldest tile set aside with its attempts and mark, or None."""
        return self._tiles.popleft() if self._tiles else None


def waits_for_the_server(polite: Politeness, status: int | None, retry_after_s: float | None,
                         answered: int | None, final_pass: bool) -> bool:
    """Whether a throttle answer is the server asking the whole job to wait (not a failed attempt): a 429 or a
    Retry-After, outside the final pass, for a tile that has not been refused while the server answered other
    tiles (``answered``: the job's successes when the tile last waited, None if it never did, REFUSED)."""
    if final_pass or answered == REFUSED or not (status == 429 or retry_after_s is not None):
        return False
    return answered is None or answered == polite.successes
