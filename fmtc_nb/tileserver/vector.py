"""The demo server as a vector map service, so offline style packs can be made and shown without the internet:

- ``/vector/{z}/{x}/{y}.pbf``: Mapbox Vector Tiles of the Natural Earth basemap (:mod:`fmtc_nb.tileserver.mvt`),
  z0-8, with ETag, Cache-Control and If-None-Match; the answer waits the server's latency like the PNG tiles;
- ``/vector/tilejson.json``: TileJSON 3.0.0 with ``vector_layers``;
- ``/styles/demo.json``: a MapLibre style drawing them (sources: the vector tiles, and the PNG tiles as a raster
  source whose layer is hidden), with a sprite and glyphs;
- ``/sprites/demo.json|png`` and ``/sprites/demo@2x.json|png``: the sprite (:mod:`fmtc_nb.tileserver.sprite`);
- ``/fonts/{fontstack}/{start}-{end}.pbf``: SDF glyph ranges of Noto Sans Regular and Bold (from
  ``fmtc_nb/data/demo_glyphs.zip``, built by ``scripts/build_pack_assets.py``); a font stack is answered with its
  first font that exists here, a stack of none with 404.

Every URL in the TileJSON and the style is absolute, on the host the request came to. :attr:`VectorRoutes.hits`
counts vector tile requests per tile and :attr:`VectorRoutes.resource_hits` the other requests per path.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import zipfile
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fmtc_nb.tileserver.render import ATTRIBUTION

if TYPE_CHECKING:
    from fmtc_nb.tileserver.server import TileApp

GLYPHS_FILE = "demo_glyphs.zip"
FONTS = ("Noto Sans Regular", "Noto Sans Bold")
CORS = {"Access-Control-Allow-Origin": "*"}
_RANGE = re.compile(r"^(\d{1,5})-(\d{1,5})$")
WATER, LAND, LAKE_SHORE = "#aad3df", "#f2efe9", "#78a3ba"


@lru_cache(maxsize=1)
def _glyph_archive() -> zipfile.ZipFile:
    return zipfile.ZipFile(resources.files("fmtc_nb.data").joinpath(GLYPHS_FILE).open("rb"))


def glyph_range(fontstack: str, start: int) -> bytes | None:
    """The glyph PBF of code points ``start``..``start + 255`` for the first font of ``fontstack`` (comma-separated)
    that the demo has, or None."""
    for font in (f.strip() for f in fontstack.split(",")):
        if font in FONTS and start % 256 == 0 and 0 <= start <= 65280:
            return _glyph_archive().read(f"{font}/{start}-{start + 255}.pbf")
    return None


def demo_style(base: str) -> dict[str, Any]:
    """The demo MapLibre style (version 8) with every URL under ``base`` (``http://127.0.0.1:PORT``)."""
    line = {"line-join": "round", "line-cap": "round"}
    return {
        "version": 8,
        "name": "fmtc-nb demo (Natural Earth vector tiles)",
        "metadata": {"fmtc-nb": "served by the embedded demo tile server"},
        "center": [7.0, 46.5], "zoom": 6,
        "sources": {
            "naturalearth": {"type": "vector", "url": f"{base}/vector/tilejson.json"},
            "basemap": {"type": "raster", "url": f"{base}/tilejson.json", "tileSize": 256},
        },
        "sprite": f"{base}/sprites/demo",
        "glyphs": f"{base}/fonts/{{fontstack}}/{{range}}.pbf",
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": WATER}},
            {"id": "basemap-raster", "type": "raster", "source": "basemap", "layout": {"visibility": "none"}},
            {"id": "ocean", "type": "fill", "source": "naturalearth", "source-layer": "ocean",
             "paint": {"fill-color": WATER}},
            {"id": "land", "type": "fill", "source": "naturalearth", "source-layer": "land",
             "paint": {"fill-color": LAND}},
            {"id": "rivers", "type": "line", "source": "naturalearth", "source-layer": "rivers", "layout": line,
             "paint": {"line-color": "#80b0d6", "line-width": ["interpolate", ["linear"], ["zoom"], 3, 0.6, 10, 2.5]}},
            {"id": "lakes", "type": "fill", "source": "naturalearth", "source-layer": "lakes",
             "paint": {"fill-color": WATER, "fill-outline-color": LAKE_SHORE}},
            {"id": "boundaries-state", "type": "line", "source": "naturalearth", "source-layer": "boundaries",
             "filter": ["==", ["get", "admin_level"], 4], "layout": line,
             "paint": {"line-color": "#c4b6cc", "line-width": 1, "line-dasharray": [3, 2]}},
            {"id": "boundaries-country", "type": "line", "source": "naturalearth", "source-layer": "boundaries",
             "filter": ["==", ["get", "admin_level"], 2], "layout": line,
             "paint": {"line-color": "#84668e", "line-width": ["interpolate", ["linear"], ["zoom"], 2, 0.8, 8, 2]}},
            {"id": "places", "type": "symbol", "source": "naturalearth", "source-layer": "places",
             "layout": {"icon-image": "dot", "icon-allow-overlap": True, "text-field": ["get", "name"],
                        "text-font": ["step", ["zoom"], ["literal", ["Noto Sans Regular"]],
                                      7, ["literal", ["Noto Sans Bold"]]],
                        "text-size": 12, "text-anchor": "left", "text-offset": [0.7, 0]},
             "paint": {"text-color": "#282828", "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
        ],
    }


class VectorRoutes:
    """The vector tile, TileJSON, style, sprite and glyph handlers of one :class:`TileApp`."""

    def __init__(self, tile_app: TileApp, cache_control: str) -> None:
        self.tile_app = tile_app
        self.cache_control = cache_control
        self.hits: Counter[tuple[int, int, int]] = Counter()
        self.resource_hits: Counter[str] = Counter()

    def register(self, app: web.Application) -> VectorRoutes:
        """Add the routes to ``app``; returns self."""
        app.router.add_get(r"/vector/{z:\d{1,2}}/{x:\d{1,9}}/{y:\d{1,9}}.pbf", self.tile)
        app.router.add_get("/vector/tilejson.json", self.tilejson)
        app.router.add_get("/styles/demo.json", self.style)
        app.router.add_get(r"/sprites/demo{ratio:(@2x)?}.{ext:(json|png)}", self.sprite)
        app.router.add_get(r"/fonts/{fontstack}/{range}.pbf", self.glyphs)
        return self

    @staticmethod
    def _base(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def _answer(self, request: web.Request, body: bytes, content_type: str) -> web.Response:
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        headers = {"ETag": etag, "Cache-Control": self.cache_control, **CORS}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, content_type=content_type, headers=headers)

    async def tile(self, request: web.Request) -> web.Response:
        """One vector tile (404 outside z0-8; 501 naming the extra to install when the encoder is missing)."""
        from fmtc_nb.tileserver.mvt import MAX_ZOOM, encoder_missing, vector_tile

        z, x, y = (int(request.match_info[k]) for k in ("z", "x", "y"))
        self.hits[(z, x, y)] += 1
        missing = encoder_missing()
        if missing:
            return web.Response(status=501, reason=missing, text=missing, headers=CORS)
        if z > MAX_ZOOM or x >= 1 << z or y >= 1 << z:
            return web.Response(status=404, text="no such vector tile", headers=CORS)
        if self.tile_app.faults.latency_s:
            await asyncio.sleep(self.tile_app.faults.latency_s)
        body = await asyncio.get_running_loop().run_in_executor(None, vector_tile, z, x, y)
        return self._answer(request, body, "application/x-protobuf")

    async def tilejson(self, request: web.Request) -> web.Response:
        """TileJSON 3.0.0 of the vector tiles."""
        from fmtc_nb.tileserver.mvt import MAX_ZOOM, vector_layers

        self.resource_hits[request.path] += 1
        return web.json_response({
            "tilejson": "3.0.0", "name": "fmtc-nb demo (Natural Earth vector tiles)", "attribution": ATTRIBUTION,
            "tiles": [f"{self._base(request)}/vector/{{z}}/{{x}}/{{y}}.pbf"], "minzoom": 0, "maxzoom": MAX_ZOOM,
            "scheme": "xyz", "format": "pbf", "bounds": [-180, -85.0511, 180, 85.0511],
            "vector_layers": vector_layers(),
        }, headers=CORS)

    async def style(self, request: web.Request) -> web.Response:
        """The demo style (501 naming the extra to install when its vector tiles cannot be made here)."""
        from fmtc_nb.tileserver.mvt import encoder_missing

        self.resource_hits[request.path] += 1
        missing = encoder_missing()
        if missing:
            return web.Response(status=501, reason=missing, text=missing, headers=CORS)
        return web.json_response(demo_style(self._base(request)), headers=CORS)

    async def sprite(self, request: web.Request) -> web.Response:
        """The sprite index (JSON) or sheet (PNG) at pixel ratio 1 or 2."""
        from fmtc_nb.tileserver.sprite import sprite_sheet

        self.resource_hits[request.path] += 1
        index, sheet = sprite_sheet(2 if request.match_info["ratio"] else 1)
        if request.match_info["ext"] == "json":
            return self._answer(request, index, "application/json")
        return self._answer(request, sheet, "image/png")

    async def glyphs(self, request: web.Request) -> web.Response:
        """A glyph range of a font stack."""
        self.resource_hits[request.path] += 1
        match = _RANGE.match(request.match_info["range"])
        start = int(match.group(1)) if match else -1
        body = glyph_range(request.match_info["fontstack"], start) if match and int(match.group(2)) == start + 255 \
            else None
        if body is None:
            return web.Response(status=404, text="no such font or glyph range", headers=CORS)
        return self._answer(request, body, "application/x-protobuf")


def style_json(base: str) -> str:
    """The demo style as JSON text (for writing to a file)."""
    return json.dumps(demo_style(base), indent=2)
