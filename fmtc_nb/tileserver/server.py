"""The embedded demo tile server: an aiohttp app on 127.0.0.1 serving rendered Natural Earth basemap tiles.

Routes: ``/{z}/{x}/{y}.png`` (tiles, with ETag, Cache-Control and If-None-Match support), ``/tilejson.json``
(TileJSON 3.0.0 with the attribution), ``/`` (a one-paragraph description), the WMS, WMTS and quadkey routes of
:mod:`fmtc_nb.tileserver.ogc`, and the vector tiles, style, sprite and glyphs of :mod:`fmtc_nb.tileserver.vector`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from functools import lru_cache

from aiohttp import web

from fmtc_nb.tilemath import MAX_ZOOM
from fmtc_nb.tileserver.faults import Faults
from fmtc_nb.tileserver.render import ATTRIBUTION, render_tile

CACHE_CONTROL = "public, max-age=604800"
"""Tiles never change for a given build, so clients may keep them a week."""
HTML_ERROR_PAGE = b"<!DOCTYPE html><html><body><h1>Server busy</h1><p>Please try later.</p></body></html>"


@lru_cache(maxsize=8192)
def cached_tile(z: int, x: int, y: int) -> tuple[bytes, str]:
    """(PNG bytes, ETag) of tile z/x/y; the last 8,192 tiles are kept (``cached_tile.cache_clear()`` empties)."""
    body = render_tile(z, x, y)
    return body, '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


class TileApp:
    """The request handlers plus counters a test can read: ``requests`` (all tile requests), ``hits`` per
    tile, ``statuses`` per answer kind."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self.requests = 0
        self.hits: Counter[tuple[int, int, int]] = Counter()
        self.statuses: Counter[str] = Counter()
        self.url_template = ""  # filled in once the port is known

    def make_app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application()
        # at most 2 zoom digits and 10 x/y digits (2^30): longer numbers are no tile (404), never an int() error
        app.router.add_get(r"/{z:[0-9]{1,2}}/{x:[0-9]{1,10}}/{y:[0-9]{1,10}}.png", self.tile)
        app.router.add_get("/tilejson.json", self.tilejson)
        app.router.add_get("/", self.index)
        from fmtc_nb.tileserver.ogc import OgcRoutes  # WMS, WMTS and quadkey routes over the same tiles

        self.ogc = OgcRoutes(self, cached_tile, CACHE_CONTROL).register(app)
        from fmtc_nb.tileserver.vector import VectorRoutes  # vector tiles, style, sprite, glyphs

        self.vector = VectorRoutes(self, CACHE_CONTROL).register(app)
        return app

    async def tile(self, request: web.Request) -> web.StreamResponse:
        """Answer one tile request, perhaps with an injected fault."""
        z, x, y = (int(request.match_info[k]) for k in ("z", "x", "y"))
        request_no = self.requests
        self.requests += 1
        self.hits[(z, x, y)] += 1
        if z > MAX_ZOOM or x >= 1 << z or y >= 1 << z:
            return self._count("404", web.Response(status=404, text="no such tile"))
        action = self.faults.decide(z, x, y, self.hits[(z, x, y)], request_no)
        if self.faults.latency_s:
            await asyncio.sleep(self.faults.latency_s)
        if action == "429":
            retry = f"{self.faults.burst_429.retry_after_s:g}" if self.faults.burst_429 else "1"
            return self._count(action, web.Response(status=429, text="too many requests", headers={"Retry-After": retry}))
        if action in ("500", "503"):
            headers = {"Retry-After": "1"} if action == "503" else {}
            return self._count(action, web.Response(status=int(action), text="server error", headers=headers))
        if action == "html":
            return self._count(action, web.Response(body=HTML_ERROR_PAGE, content_type="text/html"))
        body, etag = cached_tile(z, x, y)
        if action == "truncate":
            return self._count(action, web.Response(body=body[: len(body) // 2], content_type="image/png"))
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Access-Control-Allow-Origin": "*"}
        if request.headers.get("If-None-Match") == etag:
            return self._count("304", web.Response(status=304, headers=headers))
        return self._count("200", web.Response(body=body, content_type="image/png", headers=headers))

    def _count(self, kind: str, response: web.Response) -> web.Response:
        self.statuses[kind] += 1
        return response

    async def tilejson(self, request: web.Request) -> web.Response:
        """TileJSON 3.0.0 describing this server."""
        return web.json_response({
            "tilejson": "3.0.0", "name": "fmtc-nb demo (Natural Earth basemap)", "attribution": ATTRIBUTION,
            "tiles": [self.url_template], "minzoom": 0, "maxzoom": MAX_ZOOM, "scheme": "xyz",
            "bounds": [-180, -85.0511, 180, 85.0511],
        }, headers={"Access-Control-Allow-Origin": "*"})

    async def index(self, request: web.Request) -> web.Response:
        """A short text page: what this is, the URL template and the attribution."""
        return web.Response(text=f"fmtc-nb demo tile server.\nTiles: {self.url_template}\n{ATTRIBUTION}\n")
