"""Real loopback tile servers for the engine tests: a fault-injecting aiohttp server in a thread."""

from __future__ import annotations

import asyncio
import io
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from aiohttp import web
from PIL import Image

SEA_COLOUR = (170, 211, 223)


def tile_png(z: int, x: int, y: int, sea: bool = False) -> bytes:
    """A small deterministic PNG; the same bytes for every sea tile."""
    colour = SEA_COLOUR if sea else ((x * 37) % 256, (y * 53) % 256, (z * 71) % 256)
    out = io.BytesIO()
    Image.new("RGB", (16, 16), colour).save(out, "PNG")
    return out.getvalue()


def noise_png(z: int, x: int, y: int, side: int = 48) -> bytes:
    """A deterministic PNG of random pixels (about 7 KB, incompressible): fills a disk quickly."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(f"{z}/{x}/{y}").randbytes(side * side * 3)).save(out, "PNG")
    return out.getvalue()


Behaviour = Callable[[int, int, int, int], str]  # (z, x, y, attempt) -> action


class FaultServer:
    """Serves /{z}/{x}/{y}.png; ``behaviour(z, x, y, attempt)`` picks ok, noise (a 7 KB PNG), sea, 404, 410,
    429, 500, 503, stall (the whole answer 1.5 s late), stall-body (headers and half the body, then 3 s of
    nothing before the rest), trickle (headers, then the body in 8 pieces 0.15 s apart: a slow link), reset,
    truncate, chunked-truncate, html, or ``redirect:URL`` (a 302 to URL).
    ``hits`` counts requests per tile; ``agents`` and ``extra_headers`` (every ``X-...`` header as "Name: value")
    hold what the requests carried."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.hits: Counter[tuple[int, int, int]] = Counter()
        self.agents: set[str] = set()
        self.extra_headers: set[str] = set()
        self.queries: set[str] = set()
        self.times: dict[tuple[int, int, int], list[float]] = {}
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url_template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        z, x = int(request.match_info["z"]), int(request.match_info["x"])
        y = int(request.match_info["y"])
        self.hits[(z, x, y)] += 1
        self.queries.add(request.query_string)
        self.times.setdefault((z, x, y), []).append(time.monotonic())
        self.agents.add(request.headers.get("User-Agent", ""))
        self.extra_headers.update(f"{k}: {v}" for k, v in request.headers.items() if k.lower().startswith("x-"))
        action = self.behaviour(z, x, y, self.hits[(z, x, y)])
        body = tile_png(z, x, y, sea=action == "sea")
        if request.path.endswith(".pbf"):  # a minimal vector tile: protobuf field 3 (layers), length-prefixed
            name = f"{z}/{x}/{y}".encode()
            body = b"\x1a" + bytes([len(name)]) + name
        if action in ("ok", "sea"):
            return web.Response(body=body, content_type="image/png", headers={"ETag": f'"{z}-{x}-{y}"'})
        if action == "noise":
            return web.Response(body=noise_png(z, x, y), content_type="image/png")
        if action.startswith("redirect:"):
            return web.Response(status=302, headers={"Location": action.removeprefix("redirect:")})
        if action == "revalidate":  # caching headers, and 304 to a matching If-None-Match or any If-Modified-Since
            headers = {"ETag": f'"{z}-{x}-{y}"', "Last-Modified": "Tue, 03 Nov 2026 10:00:00 GMT",
                       "Expires": "Wed, 04 Nov 2026 10:00:00 GMT"}
            if request.headers.get("If-None-Match") == headers["ETag"] or "If-Modified-Since" in request.headers:
                return web.Response(status=304, headers={**headers, "Cache-Control": "max-age=60"})
            return web.Response(body=body, content_type="image/png", headers=headers)
        if action == "304":
            return web.Response(status=304)
        if action in ("404", "410", "500"):
            return web.Response(status=int(action), text="no")
        if action in ("429", "503"):
            return web.Response(status=int(action), text="slow down", headers={"Retry-After": "0.3"})
        if action == "html":
            return web.Response(body=b"<html><body>Error</body></html>", content_type="text/html")
        if action == "stall":
            await asyncio.sleep(1.5)
            return web.Response(body=body, content_type="image/png")
        if action == "reset":
            assert request.transport is not None
            request.transport.abort()
            await asyncio.sleep(0.1)
            return web.Response(body=body)
        resp = web.StreamResponse(headers={"Content-Type": "image/png"})
        if action == "trickle":
            resp.content_length = len(body)
            await resp.prepare(request)
            for start in range(0, len(body), -(-len(body) // 8)):
                await asyncio.sleep(0.15)
                await resp.write(body[start:start - (-len(body) // 8)])
            await resp.write_eof()
            return resp
        if action in ("truncate", "stall-body"):
            resp.content_length = len(body)
        await resp.prepare(request)
        await resp.write(body[: len(body) // 2])
        if action == "stall-body":
            await asyncio.sleep(3.0)
            if request.transport is None or request.transport.is_closing():  # the client gave up (as it should)
                return resp
            await resp.write(body[len(body) // 2:])
            return resp
        if action == "truncate":
            assert request.transport is not None
            request.transport.close()
            return resp
        await resp.write_eof()  # chunked-truncate: a well-formed HTTP answer holding half an image
        return resp

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/{z}/{x}/{y}.{ext}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())

    def __enter__(self) -> FaultServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def fault_server() -> Iterator[Callable[[Behaviour], FaultServer]]:
    servers: list[FaultServer] = []

    def start(behaviour: Behaviour) -> FaultServer:
        server = FaultServer(behaviour).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture(scope="module")
def tls_ca():
    """A test CA (trustme) that no client trusts unless given its certificate (``ca_bundle``)."""
    import trustme

    return trustme.CA()


@pytest.fixture
def https_server(tls_ca):
    """A TLS tile server on 127.0.0.1 (tests/netservers.py) whose certificate ``tls_ca`` signed."""
    import ssl

    from tests.netservers import ThrottlingTileServer

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    with ThrottlingTileServer(ssl_context=context) as server:
        yield server
