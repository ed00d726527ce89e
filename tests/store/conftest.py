"""Real files and a real loopback origin for the store tests."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from PIL import Image

from fmtc_nb.store import Root, TileRecord

URL = "http://tiles.example/{z}/{x}/{y}.png"


def png(z: int, x: int, y: int, size: int = 8, blank: bool = False) -> bytes:
    """A small deterministic PNG, distinct per tile unless ``blank``."""
    colour = (200, 200, 200) if blank else ((x * 37 + z) % 256, (y * 53) % 256, (z * 71 + x * y) % 256)
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def records(z: int, xs: range, ys: range, fetched_at: float | None = None, blank: bool = False) -> list[TileRecord]:
    """TileRecords for every x, y of the ranges at zoom z."""
    at = time.time() if fetched_at is None else fetched_at
    return [TileRecord(z, x, y, png(z, x, y, blank=blank), at) for x in xs for y in ys]


@pytest.fixture
def root(tmp_path: Path) -> Root:
    return Root(tmp_path / "root")


@pytest.fixture
def store(root: Root):
    s = root.create("s", URL)
    yield s
    s.close()


class Origin:
    """A loopback tile server with ETag / Last-Modified and 304 answers; ``requests`` logs
    (path, If-None-Match, If-Modified-Since); ``down`` makes it answer 500; ``version`` changes the bytes."""

    LAST_MODIFIED = "Tue, 03 Nov 2026 10:00:00 GMT"

    def __init__(self) -> None:
        self.requests: list[tuple[str, str | None, str | None]] = []
        self.down = False
        self.version = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None

    @property
    def url_template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"

    def etag(self, z: int, x: int, y: int) -> str:
        return f'"{z}-{x}-{y}-v{self.version}"'

    def body(self, z: int, x: int, y: int) -> bytes:
        return png(z, x, y, size=8 + self.version)

    async def _handle(self, request: web.Request) -> web.Response:
        z, x, y = (int(request.match_info[k]) for k in ("z", "x", "y"))
        self.requests.append((request.path, request.headers.get("If-None-Match"),
                              request.headers.get("If-Modified-Since")))
        if self.down:
            return web.Response(status=500, text="down")
        if z == 9:
            return web.Response(status=404, text="no tile")
        if z == 10:
            await asyncio.sleep(0.2)  # slow tile: concurrent requests for it overlap
        if z == 11:
            return web.Response(text="<html>rate limited</html>", content_type="text/html")
        headers = {"ETag": self.etag(z, x, y), "Last-Modified": self.LAST_MODIFIED}
        if request.headers.get("If-None-Match") == headers["ETag"]:
            return web.Response(status=304, headers=headers)
        return web.Response(body=self.body(z, x, y), content_type="image/png", headers=headers)

    def start(self) -> None:
        async def boot() -> None:
            app = web.Application()
            app.router.add_get("/{z}/{x}/{y}.png", self._handle)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = self._runner.addresses[0][1]

        self._loop.run_until_complete(boot())
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()


@pytest.fixture
def origin() -> Iterator[Origin]:
    server = Origin()
    server.start()
    yield server
    server.stop()
