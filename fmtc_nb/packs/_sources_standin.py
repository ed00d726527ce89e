"""Stand-in for the two functions packs use from ``fmtc_nb.sources`` (``fetch_document``, ``read_tilejson``) while
that package is not merged; same signatures, fewer checks. Delete this file once ``fmtc_nb.sources`` exists."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

from fmtc_nb.errors import SourceError
from fmtc_nb.store.formats import format_from_url


def fetch_document(url: str, *, what: str, shown_url: str, headers: Mapping[str, str]) -> bytes:
    """GET ``url`` (30 s timeout) and return its body; failures are one sentence."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=dict(headers)), timeout=30) as response:  # noqa: S310
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        raise SourceError(f"The {what} at {shown_url} answered HTTP {exc.code} ({exc.reason}).") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SourceError(f"The {what} at {shown_url} could not be fetched ({getattr(exc, 'reason', exc)}).") from None


@dataclass(frozen=True)
class TileJson:
    template: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    attribution: str | None
    name: str | None
    tile_format: str | None
    alternates: int


def read_tilejson(data: bytes, url: str, shown_url: str) -> TileJson:
    """The tile template, zooms, bounds, attribution and format of a TileJSON document."""
    doc = json.loads(data)
    tiles = doc.get("tiles")
    if not isinstance(tiles, list) or not tiles or not all(isinstance(t, str) and t for t in tiles):
        raise SourceError(f"The TileJSON at {shown_url} has no 'tiles' list of URL templates.")
    zooms = []
    for key, default in (("minzoom", 0), ("maxzoom", 30)):
        value = doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or not 0 <= value <= 30:
            raise SourceError(f"The TileJSON at {shown_url} has {key} {value!r}, not a whole number from 0 to 30.")
        zooms.append(int(value))
    if zooms[0] > zooms[1]:
        raise SourceError(f"The TileJSON at {shown_url} has minzoom {zooms[0]} above maxzoom {zooms[1]}.")
    template = urljoin(url, tiles[0])
    if doc.get("scheme") == "tms":
        template = template.replace("{y}", "{-y}")
    fmt = doc.get("format") if doc.get("format") in ("png", "jpg", "webp", "pbf") else None
    if fmt is None and isinstance(doc.get("vector_layers"), list):
        fmt = "pbf"
    bounds = doc.get("bounds") or [-180.0, -85.0511287798, 180.0, 85.0511287798]
    attribution = doc.get("attribution") if isinstance(doc.get("attribution"), str) else None
    return TileJson(template, zooms[0], zooms[1], tuple(float(v) for v in bounds),  # type: ignore[arg-type]
                    attribution or None, doc.get("name"), fmt or format_from_url(template), len(tiles) - 1)
