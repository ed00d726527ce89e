"""TileJSON (2.x, 3.0.0) as a tile source: ``tiles``, ``minzoom``/``maxzoom``, ``bounds``, ``attribution``,
``scheme`` (``tms`` rows become ``{-y}``). Relative tile URLs are resolved against the TileJSON's own address."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from fmtc_nb.errors import SourceError
from fmtc_nb.store.formats import format_from_url

#: Deepest zoom a TileJSON may name (the default ``maxzoom`` of the specification).
MAX_ZOOM = 30


@dataclass(frozen=True)
class TileJson:
    """What a TileJSON says: the first tile URL template (XYZ rows), zoom range, bounds (W, S, E, N degrees),
    attribution, name and tile format (None: unknown)."""

    template: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    attribution: str | None
    name: str | None
    tile_format: str | None
    alternates: int


def read_tilejson(data: bytes, url: str, shown_url: str) -> TileJson:
    """Parse and check a TileJSON document fetched from ``url`` (sentences name ``shown_url``)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        start = data[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise SourceError(f"The TileJSON at {shown_url} is not JSON (it starts with {start!r}).") from None
    if not isinstance(doc, dict):
        raise SourceError(f"The TileJSON at {shown_url} is not a JSON object.")
    return tilejson_from_doc(doc, url, shown_url)


def tilejson_from_doc(doc: dict[str, Any], url: str, shown_url: str) -> TileJson:
    """Check a parsed TileJSON object (e.g. a style's source merged with its TileJSON) from ``url``."""
    tiles = doc.get("tiles")
    if not isinstance(tiles, list) or not tiles or not all(isinstance(t, str) and t for t in tiles):
        raise SourceError(f"The TileJSON at {shown_url} has no 'tiles' list of URL templates.")
    scheme = doc.get("scheme", "xyz")
    if scheme not in ("xyz", "tms"):
        raise SourceError(f"The TileJSON at {shown_url} has scheme {scheme!r}; only xyz and tms exist.")
    min_zoom, max_zoom = (_zoom(doc, key, default, shown_url) for key, default in (("minzoom", 0), ("maxzoom", MAX_ZOOM)))
    if min_zoom > max_zoom:
        raise SourceError(f"The TileJSON at {shown_url} has minzoom {min_zoom} above maxzoom {max_zoom}.")
    template = urljoin(url, tiles[0])
    if scheme == "tms":
        template = template.replace("{y}", "{-y}")
    attribution = doc.get("attribution")
    name = doc.get("name")
    fmt = doc.get("format") if doc.get("format") in ("png", "jpg", "webp", "pbf") else None
    if fmt is None and isinstance(doc.get("vector_layers"), list):
        fmt = "pbf"
    return TileJson(template, min_zoom, max_zoom, _bounds(doc.get("bounds"), shown_url),
                    attribution if isinstance(attribution, str) and attribution else None,
                    name if isinstance(name, str) else None, fmt or format_from_url(template), len(tiles) - 1)


def _zoom(doc: dict[str, Any], key: str, default: int, shown_url: str) -> int:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or not 0 <= value <= MAX_ZOOM:
        raise SourceError(f"The TileJSON at {shown_url} has {key} {value!r}, not a whole number from 0 to {MAX_ZOOM}.")
    return int(value)


def _bounds(value: Any, shown_url: str) -> tuple[float, float, float, float]:
    if value is None:
        return (-180.0, -85.0511287798, 180.0, 85.0511287798)
    if (not isinstance(value, list) or len(value) != 4
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)):
        raise SourceError(f"The TileJSON at {shown_url} has bounds {value!r}, not four numbers W, S, E, N.")
    west, south, east, north = (float(v) for v in value)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
        raise SourceError(f"The TileJSON at {shown_url} has bounds {value!r} outside the world.")
    return west, south, east, north
