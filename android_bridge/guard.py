"""Connections to the API kept in bounds, so half-sent requests cannot pile up until file descriptors run out.

aiohttp closes a connection that idles between requests (``keepalive_timeout``, also when the next request
head stays half-sent), but neither 3.8 (the phone's) nor later releases bound the time a *new* connection
may take to send its first request head, nor how many connections are open. :class:`ConnectionGuard` is the
protocol factory the bridge listens with, wrapped around aiohttp's low-level ``web.Server``: it refuses a
connection beyond ``max_connections`` in all or ``max_per_peer`` from one address with a 503 sentence, and
closes one whose first request head has not fully arrived ``head_timeout_s`` seconds after it opened with a
408 sentence. A refused connection is kept for at most ``REFUSAL_S`` seconds so the client can read the
sentence (closing at once, with its request unread, would reset the connection); refusals beyond
``max_connections`` at a time are reset at once. Request bodies have their own deadline where they are read
(``api.read_body``).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

#: Seconds a refused client is asked to wait before it tries again.
RETRY_AFTER_S = 5
#: Seconds a refused connection stays open for its client to read the refusal.
REFUSAL_S = 1.0


def plain_answer(status: str, message: str, headers: tuple[str, ...] = ()) -> bytes:
    """A whole HTTP/1.1 answer ``{"error": message}`` that closes the connection (sent before aiohttp has
    seen a request, so it is written to the socket directly)."""
    body = json.dumps({"error": message}).encode()
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", "Connection: close",
            f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class ConnectionGuard:
    """Protocol factory for ``loop.create_server``: every connection is served by ``server()`` (aiohttp's
    ``web.Server``) unless a cap refuses it; see the module docstring. Used on the event loop's thread only."""

    def __init__(self, server: Callable[[], asyncio.Protocol], *, max_connections: int, max_per_peer: int,
                 head_timeout_s: float) -> None:
        self.server = server
        self.max_connections = max_connections
        self.max_per_peer = max_per_peer
        self.head_timeout_s = head_timeout_s
        self._open: Counter[str] = Counter()
        self.refusing = 0  # refused connections still open for their client to read the refusal
        self.busy_answer = plain_answer("503 Service Unavailable", "The device has too many connections open; try "
                                        "again in a few seconds.", (f"Retry-After: {RETRY_AFTER_S}",))
        self.late_answer = plain_answer("408 Request Timeout", "The request did not arrive within "
                                        f"{head_timeout_s:g} seconds, so the device closed the connection.")

    @property
    def open_connections(self) -> int:
        """Connections being served now."""
        return sum(self._open.values())

    def __call__(self) -> asyncio.Protocol:
        return _GuardedConnection(self)

    def admit(self, peer: str) -> bool:
        """Count a new connection from ``peer``, or False if a cap refuses it."""
        if self.open_connections >= self.max_connections or self._open[peer] >= self.max_per_peer:
            return False
        self._open[peer] += 1
        return True

    def release(self, peer: str) -> None:
        """A connection from ``peer`` that :meth:`admit` counted has closed."""
        self._open[peer] -= 1
        if self._open[peer] <= 0:
            del self._open[peer]


def _head_complete(tail: bytes) -> bool:
    """Whether ``tail`` holds the blank line that ends a request head (CRLF CRLF, or a lenient LF LF)."""
    return b"\n\r\n" in tail or b"\n\n" in tail


class _GuardedConnection(asyncio.Protocol):
    """One connection: aiohttp's request handler, under the guard's caps and first-head deadline."""

    def __init__(self, guard: ConnectionGuard) -> None:
        self._guard = guard
        self._inner: Any = None
        self._transport: asyncio.Transport | None = None
        self._peer = ""
        self._deadline: asyncio.TimerHandle | None = None
        self._tail = b""
        self._refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        peer = transport.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else ""
        self._transport = transport
        loop = asyncio.get_running_loop()
        if not self._guard.admit(self._peer):
            self._refuse(transport, loop)
            return
        self._deadline = loop.call_later(self._guard.head_timeout_s, self._too_late)
        self._inner = self._guard.server()
        self._inner.connection_made(transport)

    def _refuse(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        """Answer 503 and half-close; the connection ends when the client closes or after ``REFUSAL_S``."""
        if self._guard.refusing >= self._guard.max_connections:
            transport.abort()
            return
        self._refused = True
        self._guard.refusing += 1
        transport.write(self._guard.busy_answer)
        if transport.can_write_eof():
            transport.write_eof()
        self._deadline = loop.call_later(REFUSAL_S, transport.abort)

    def _too_late(self) -> None:
        self._deadline = None
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(self._guard.late_answer)
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        if self._inner is None:
            return
        if self._deadline is not None:
            self._tail = self._tail[-2:] + data
            if _head_complete(self._tail):
                self._deadline.cancel()
                self._deadline, self._tail = None, b""
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None  # None: the transport closes

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._refused:
            self._refused = False
            self._guard.refusing -= 1
        if self._inner is not None:
            inner, self._inner = self._inner, None
            inner.connection_lost(exc)
            self._guard.release(self._peer)
