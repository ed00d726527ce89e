"""The ``index.html`` that shows a pack with MapLibre GL JS and the PMTiles protocol, both shipped in
``fmtc_nb/packs/static/`` (never a CDN), and the style a page of the pack is given."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from fmtc_nb.packs.plan import PlannedSource

#: Files of ``fmtc_nb/packs/static`` a page needs (under ``lib/``), licences included.
STATIC_FILES = ("maplibre-gl.js", "maplibre-gl.css", "pmtiles.js", "LICENSE-maplibre-gl.txt", "LICENSE-pmtiles.txt",
                "pmtiles-package.json")

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="lib/maplibre-gl.css">
<script src="lib/maplibre-gl.js"></script>
<script src="lib/pmtiles.js"></script>
<style>html, body, #map {{ margin: 0; height: 100%; }}</style>
</head>
<body>
<div id="map"></div>
<script>
// Offline: the style, tiles, sprites and glyphs all come from beside this page (made absolute here, since
// MapLibre wants absolute URLs); MapLibre GL JS and the PMTiles protocol are in lib/ (see their licences there).
const base = new URL(".", location.href).href;
const absolute = (url) => /^[a-z]+:/.test(url) ? url : base + url;
const protocol = new pmtiles.Protocol();
maplibregl.addProtocol("pmtiles", protocol.tile);
fetch("style.json").then((r) => r.json()).then((style) => {{
  for (const source of Object.values(style.sources)) {{
    if (typeof source.url === "string" && source.url.startsWith("pmtiles://")) {{
      source.url = "pmtiles://" + absolute(source.url.slice("pmtiles://".length));
    }}
    if (Array.isArray(source.tiles)) source.tiles = source.tiles.map(absolute);
  }}
  if (typeof style.sprite === "string") style.sprite = absolute(style.sprite);
  else if (Array.isArray(style.sprite)) style.sprite.forEach((s) => {{ s.url = absolute(s.url); }});
  if (style.glyphs) style.glyphs = absolute(style.glyphs);
  window.map = new maplibregl.Map({{container: "map", style, hash: true, fadeDuration: 0,
                                    canvasContextAttributes: {{preserveDrawingBuffer: true}}}});
  map.on("idle", () => {{ document.body.dataset.idle = String(Date.now()); }});
  map.on("error", (e) => {{ console.error("map error", e && e.error && e.error.message); }});
}});
</script>
</body>
</html>
"""


def index_html(title: str) -> str:
    """The page (``title`` escaped)."""
    return PAGE.format(title=html.escape(title))


def static_file(name: str) -> bytes:
    """A file of ``fmtc_nb/packs/static``."""
    return resources.files("fmtc_nb.packs").joinpath("static", name).read_bytes()


def view_of(region_geojson: Mapping[str, Any] | None, zooms: Sequence[int]) -> tuple[list[float], float]:
    """The first view of a pack: the middle of its region and a zoom one above its deepest (at least 0)."""
    from fmtc_nb.regions import region_from_geojson

    west, south, east, north = region_from_geojson(dict(region_geojson)).bounds if region_geojson else (-180, -85, 180, 85)
    if east < west:  # across the antimeridian: the middle is near longitude 180, not 0
        east += 360.0
    lon = (west + east) / 2
    lon = lon - 360.0 if lon >= 180.0 else lon
    return [round(lon, 6), round((south + north) / 2, 6)], float(max(min(zooms[-1], 22) - 1, 0))


def rewrite_style(style: Mapping[str, Any], sources: Sequence[PlannedSource], tile_url: Mapping[str, dict[str, Any]],
                  center: list[float], zoom: float) -> dict[str, Any]:
    """A copy of ``style`` reading everything from the pack: each tile source replaced by ``tile_url[id]`` (its
    ``url`` or ``tiles``) with its type and the zooms stored (``maxzoom`` the deepest stored, so the map
    over-zooms it), sprites from ``sprites/<id>``, glyphs from ``glyphs/{fontstack}/{range}.pbf``, the first view
    on the pack's region."""
    doc = json.loads(json.dumps(style))
    for source in sources:
        old = doc["sources"][source.id]
        new = {k: v for k, v in old.items() if k not in ("url", "tiles", "minzoom", "maxzoom", "bounds", "scheme")}
        new.update(tile_url[source.id])
        new.update(minzoom=source.zooms[0], maxzoom=source.zooms[-1])
        if source.attribution and "attribution" not in new:
            new["attribution"] = source.attribution
        doc["sources"][source.id] = new
    sprite = doc.get("sprite")
    if isinstance(sprite, str):
        doc["sprite"] = "sprites/default"
    elif isinstance(sprite, list):
        doc["sprite"] = [{"id": s["id"], "url": f"sprites/{s['id']}"} for s in sprite]
    if "glyphs" in doc:
        doc["glyphs"] = "glyphs/{fontstack}/{range}.pbf"
    doc["center"], doc["zoom"] = center, zoom
    return doc
