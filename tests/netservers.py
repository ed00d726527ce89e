"""Loopback servers for the network tests and benchmarks (127.0.0.1 only): a tile server that throttles like a
busy real one, and a forward proxy (plain HTTP forwarding and CONNECT tunnels) that records what it carried."""

from __future__ import annotations

import asyncio
import io
import math
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

from aiohttp import web
from PIL import Image


def small_png(z: int, x: int, y: int) -> bytes:
    """A 16-px PNG whose colour depends on the tile."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), ((x * 37) % 256, (y * 53) % 256, (z * 71) % 256)).save(out, "PNG")
    return out.getvalue()


class LoopThread:
    """An asyncio loop in a daemon thread; :meth:`call` runs a coroutine on it and returns its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, coro: object, timeout: float = 10.0) -> object:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


class LoopServer:
    """A server living on its own :class:`LoopThread`: subclasses give ``_start`` and ``_stop`` coroutines."""

    def __init__(self) -> None:
        self._loop = LoopThread()
        self.port = 0

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._loop.call(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call(self._stop())
        self._loop.stop()


@dataclass
class Throttle:
    """How the tile server says "slow down": after ``after`` answered requests, every request for ``window_s``
    seconds gets ``status`` with ``Retry-After: retry_after`` (None: no header). ``per_second``: at most that
    many requests are answered in each whole second (fixed windows), the others get 429 with the seconds left
    in the window as Retry-After (a common API rate limit). ``latency_s`` delays every answer."""

    after: int = 0
    window_s: float = 0.0
    status: int = 429
    retry_after: str | None = "3"
    latency_s: float = 0.0
    per_second: int | None = None


@dataclass
class Log:
    """Every request the server saw: monotonic arrival time and the status it got."""

    times: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def count(self, status: int) -> int:
        return sum(1 for s in self.statuses if s == status)

    def most_in_one_second(self) -> int:
        """The most requests that arrived within any one second (a sliding window over arrival times)."""
        best, start = 0, 0
        for end, t in enumerate(self.times):
            while t - self.times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best


class ThrottlingTileServer(LoopServer):
    """Serves ``/{z}/{x}/{y}.png`` on 127.0.0.1 (HTTPS with ``ssl_context``), throttling as ``throttle`` says."""

    def __init__(self, throttle: Throttle | None = None, ssl_context: ssl.SSLContext | None = None) -> None:
        self.throttle = throttle or Throttle()
        self.log = Log()
        self.window_started: float | None = None
        self.window_ended: float | None = None
        self._second, self._answered_this_second = 0, 0
        self._ssl = ssl_context
        self._runner: web.AppRunner | None = None
        super().__init__()

    @property
    def url_template(self) -> str:
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    def _over_the_rate(self, now: float) -> str | None:
        """The Retry-After to send if this request is over ``per_second`` (None: answer it)."""
        if self.throttle.per_second is None:
            return None
        second = int(now)
        if second != self._second:
            self._second, self._answered_this_second = second, 0
        if self._answered_this_second < self.throttle.per_second:
            self._answered_this_second += 1
            return None
        return str(max(1, math.ceil(second + 1 - now)))

    def _throttling(self, now: float) -> bool:
        t = self.throttle
        if t.window_s <= 0 or self.log.statuses.count(200) < t.after:
            return False
        if self.window_started is None:
            self.window_started = now
        if now - self.window_started < t.window_s:
            return True
        if self.window_ended is None:
            self.window_ended = now
        return False

    async def _handle(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        if self.throttle.latency_s:
            await asyncio.sleep(self.throttle.latency_s)
        if (wait := self._over_the_rate(now)) is not None:
            status, response = 429, web.Response(status=429, text="slow down", headers={"Retry-After": wait})
        elif self._throttling(now):
            headers = {"Retry-After": self.throttle.retry_after} if self.throttle.retry_after is not None else {}
            status = self.throttle.status
            response = web.Response(status=status, text="slow down", headers=headers)
        else:
            z, x, y = (int(request.match_info[k]) for k in ("z", "x", "y"))
            status, response = 200, web.Response(body=small_png(z, x, y), content_type="image/png")
        self.log.times.append(now)
        self.log.statuses.append(status)
        return response

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/{z}/{x}/{y}.png", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy",
                   "all_proxy")
"""The environment variables that choose proxies."""


def without_proxy_environment(monkeypatch) -> None:
    """Clear every proxy variable for the test (a developer's or CI's own proxy must not change what it sees)."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


class ForwardProxy(LoopServer):
    """A forward proxy on 127.0.0.1: absolute-URI requests are forwarded (one request a connection) and
    CONNECT opens a tunnel. ``requests`` records ``(method, target)`` of everything it was asked to carry."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self._server: asyncio.Server | None = None
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def targets(self, method: str) -> list[str]:
        return [target for m, target in self.requests if m == method]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ")
        self.requests.append((method, target))
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
        else:  # http://host:port/path -> the origin, asked for /path once, then both sides close
            rest = target.split("://", 1)[1]
            hostport, _, path = rest.partition("/")
            host, _, port = hostport.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(host, int(port or 80))
            headers = [h for h in header_lines if h and not h.lower().startswith(("connection:", "proxy-"))]
            lines = [f"{method} /{path} {version}", *headers, "Connection: close", "", ""]
            up_writer.write("\r\n".join(lines).encode("latin-1"))
            await up_writer.drain()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()




class Http2TileServer(LoopServer):
    """Tiles over HTTPS with HTTP/2 (hypercorn, ALPN h2) on 127.0.0.1; ``versions`` records each request's
    HTTP version and ``clients`` the client ports (one a connection). ``latency_s`` delays every answer;
    ``trickle_s`` sends each body in 8 pieces that far apart (a slow link)."""

    def __init__(self, certfile: str, keyfile: str, latency_s: float = 0.0, trickle_s: float = 0.0) -> None:
        self.certfile, self.keyfile, self.latency_s, self.trickle_s = certfile, keyfile, latency_s, trickle_s
        self.versions: list[str] = []
        self.clients: set[int] = set()
        self._stopping: asyncio.Event | None = None
        self._task: asyncio.Future[object] | None = None
        super().__init__()

    @property
    def url_template(self) -> str:
        return f"https://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    async def _app(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return
        self.versions.append(scope["http_version"])
        self.clients.add(scope["client"][1])
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        z, x, y = (int(p) for p in scope["path"].removesuffix(".png").strip("/").split("/"))
        body = small_png(z, x, y)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"image/png"), (b"content-length", str(len(body)).encode())]})
        piece = -(-len(body) // 8) if self.trickle_s else len(body)
        for start in range(0, len(body), piece):
            await asyncio.sleep(self.trickle_s)
            await send({"type": "http.response.body", "body": body[start:start + piece],
                        "more_body": start + piece < len(body)})

    async def _start(self) -> None:
        import socket

        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        with socket.socket() as probe:  # a free port on 127.0.0.1 for hypercorn to bind
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        config = Config()
        config.bind = [f"127.0.0.1:{self.port}"]
        config.certfile, config.keyfile = self.certfile, self.keyfile
        config.accesslog = config.errorlog = None
        self._stopping = asyncio.Event()
        self._task = asyncio.ensure_future(serve(self._app, config, shutdown_trigger=self._stopping.wait))
        for _ in range(100):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)

    async def _stop(self) -> None:
        assert self._stopping is not None and self._task is not None
        self._stopping.set()
        await self._task

