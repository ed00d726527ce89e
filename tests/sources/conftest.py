"""Loopback servers for the source tests: the demo tile server (WMS, WMTS, TileJSON, quadkeys) and a small
aiohttp app per test for crafted documents and keyed tiles."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from fmtc_nb.store import Root
from fmtc_nb.tileserver import running_server

Handler = Callable[[web.Request], "web.StreamResponse | asyncio.Future[web.StreamResponse]"]


def base_url(server) -> str:
    """``http://127.0.0.1:PORT`` of a demo server handle."""
    return server.url_template.split("/{z}")[0]


@pytest.fixture(scope="module")
def demo():
    with running_server() as server:
        yield server


@pytest.fixture
def root(tmp_path: Path) -> Root:
    return Root(tmp_path / "root")


class Loopback:
    """An aiohttp app on 127.0.0.1 in its own thread; ``url`` is its base, ``requests`` the paths with queries."""

    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes
        self.requests: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> Loopback:
        @web.middleware
        async def log(request: web.Request, handler):  # noqa: ANN001
            self.requests.append(request.path_qs)
            return await handler(request)

        async def boot() -> None:
            app = web.Application(middlewares=[log])
            for path, handler in self.routes.items():
                app.router.add_get(path, handler)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", 0).start()
            self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

        self._loop.run_until_complete(boot())
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        assert self._runner is not None
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()


@pytest.fixture
def loopback() -> Iterator[Callable[[dict[str, Handler]], Loopback]]:
    started: list[Loopback] = []

    def make(routes: dict[str, Handler]) -> Loopback:
        server = Loopback(routes).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def document(body: str | bytes, content_type: str = "text/xml") -> Handler:
    """A handler answering ``body`` to every request."""
    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body.encode() if isinstance(body, str) else body, content_type=content_type)
    return handle
