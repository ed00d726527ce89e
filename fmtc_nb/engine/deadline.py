"""One deadline per tile request, kept by a single sweep rather than a timer per request.

aiohttp's ``sock_read`` timeout re-arms a timer on every chunk it reads (a timer made and cancelled per
chunk: about a seventh of the engine's CPU per tile on loopback). The engine instead notes when each request
was sent, and one task looks every :attr:`RequestDeadlines.tick_s` seconds for requests older than the read
timeout. One whose answer is arriving (its body's byte count grew since the last look: a large tile on a slow
link) gets the timeout again from that moment; any other is cancelled and becomes a failed ``timeout`` result,
retried like any failed request. So, as with a timeout between reads, a request fails once nothing came for
the read timeout: between ``timeout_s`` and ``timeout_s + tick_s`` seconds after it was sent when the server
stalls before its headers, at most twice that after the last byte when it stalls in the middle of the body.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from fmtc_nb.engine.fetch import FetchResult

#: Longest pause between two sweeps, in seconds (shorter for read timeouts under 0.4 s).
TICK_S = 0.1


class RequestDeadlines:
    """Fails requests still running ``timeout_s`` seconds after they were sent. :meth:`sweep` must run as a
    task of the same event loop while requests go through :meth:`bound`."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.tick_s = min(TICK_S, timeout_s / 4)
        #: the task awaiting a request -> loop time it was sent, or its body last seen growing
        self._sent: dict[asyncio.Task[object], float] = {}
        #: the task -> its answer being read and the body bytes seen at the last look
        self._answers: dict[asyncio.Task[object], tuple[Any, int]] = {}
        self._expired: set[asyncio.Task[object]] = set()

    def reading(self, answer: Any) -> None:
        """Note that the answer of the current task's request arrived (an aiohttp response, or
        :class:`~fmtc_nb.engine.transport.Http2Session`'s): from now on its deadline moves while its body grows.
        ``fetch_tile`` calls it (its ``watch``) before reading the body."""
        self._answered(asyncio.current_task(), answer)

    def watcher(self, task: asyncio.Task[object]) -> Callable[[Any], None]:
        """:meth:`reading` for the requests of ``task``, which need not look the task up (on Python 3.11
        ``asyncio.current_task()`` makes a ``getpid`` system call each time)."""
        return functools.partial(self._answered, task)

    def _answered(self, task: asyncio.Task[object] | None, answer: Any) -> None:
        if task in self._sent:
            self._answers[task] = (answer, _received(answer))

    async def bound(self, request: Awaitable[FetchResult]) -> FetchResult:
        """The result of ``request`` (a ``fetch_tile`` call), or a failed ``timeout`` result once it has run
        longer than the timeout. A cancel from elsewhere is passed on, never taken for a timeout.

        The engine's per-tile path does the same inline (:meth:`sent`, :meth:`timed_out`, :meth:`finished`), so
        that no coroutine of its own sits between the task and the request while the request is suspended."""
        task = self.sent()
        try:
            return await request
        except asyncio.CancelledError:
            if not self.timed_out(task):
                raise
            return FetchResult("failed", reason="timeout")
        finally:
            self.finished(task)

    def sent(self, task: asyncio.Task[object] | None = None) -> asyncio.Task[object]:
        """Note that ``task`` (default: the current one, see :meth:`watcher` on its cost) sends a request now;
        returns the task, for :meth:`timed_out` and :meth:`finished`."""
        task = task or asyncio.current_task()
        assert task is not None
        self._sent[task] = task.get_loop().time()
        return task

    def timed_out(self, task: asyncio.Task[object]) -> bool:
        """In an ``except asyncio.CancelledError`` around ``task``'s request: True if the cancel was this
        deadline's alone (it is then taken back, and the request is a ``timeout``); False: pass it on."""
        return task in self._expired and not task.uncancel()

    def finished(self, task: asyncio.Task[object]) -> None:
        """Forget ``task``'s request (it ended one way or another)."""
        del self._sent[task]
        self._answers.pop(task, None)
        self._expired.discard(task)

    async def sweep(self) -> None:
        """:meth:`cancel_overdue` every :attr:`tick_s` seconds, until cancelled."""
        while True:
            await asyncio.sleep(self.tick_s)
            self.cancel_overdue()

    def cancel_overdue(self) -> None:
        """Cancel every request sent more than the timeout ago (each becomes a ``timeout`` result)."""
        now = asyncio.get_running_loop().time()
        oldest = now - self.timeout_s
        for task, sent in list(self._sent.items()):
            if sent > oldest or task in self._expired:
                continue
            answer = self._answers.get(task)
            if answer is not None and (received := _received(answer[0])) > answer[1]:
                self._answers[task] = (answer[0], received)  # still arriving: the timeout starts again
                self._sent[task] = now
                continue
            self._expired.add(task)
            task.cancel()


def _received(answer: Any) -> int:
    """Body bytes of ``answer`` received so far (aiohttp: its stream's ``total_bytes``; HTTP/2: httpx's count)."""
    received = getattr(answer, "received_bytes", None)
    return received if received is not None else answer.content.total_bytes
