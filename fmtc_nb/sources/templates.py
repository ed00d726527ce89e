"""Tile URL templates: the placeholders fmtc-nb fills in per tile, and the arithmetic behind them.

- ``{z}``, ``{x}``, ``{y}``: XYZ tiles (rows counted from the north); ``{-y}``: the TMS row (from the south);
- ``{q}``: the Bing-style quadkey of the tile (one digit 0-3 per zoom level, ``""`` at zoom 0);
- ``{bbox-epsg-3857}``: ``minx,miny,maxx,maxy`` of the tile in Web Mercator metres (the QGIS / MapLibre
  convention, used for WMS GetMap requests);
- ``{s}``: one of the source's subdomains; ``{r}``: the retina suffix (left empty);
- ``{api_key}``: the source's API key, filled in only when a request is made, so the template itself (what
  stores, exports and recovery records keep) never holds the key.

>>> quadkey(3, 3, 5)
'213'
>>> tile_of_quadkey('213')
(3, 3, 5)
>>> tile_bbox_3857(1, 0, 0)
(-20037508.342789244, 0.0, 0.0, 20037508.342789244)
"""

from __future__ import annotations

import math
import re
from urllib.parse import quote

#: Half the width of the Web Mercator square in metres (pi times the WGS 84 semi-major axis).
WORLD_HALF_M = math.pi * 6378137.0
PLACEHOLDER = re.compile(r"\{([a-z0-9_-]+)\}")
#: Every placeholder a template may use.
KNOWN = frozenset({"z", "x", "y", "-y", "q", "bbox-epsg-3857", "s", "r", "api_key"})
API_KEY = "{api_key}"


def placeholders(template: str) -> frozenset[str]:
    """The placeholder names (without braces) used in ``template``."""
    return frozenset(PLACEHOLDER.findall(template))


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot address tiles (a sentence), or None when it can."""
    names = placeholders(template)
    unknown = names - KNOWN
    if unknown:
        return (f"The tile URL template has unknown placeholder(s) {sorted(unknown)}; use {{z}}, {{x}}, {{y}} "
                "(or {-y}), {q}, {bbox-epsg-3857}, {s}, {r} and {api_key}.")
    if "{" in PLACEHOLDER.sub("", template) or "}" in PLACEHOLDER.sub("", template):
        return (f"The tile URL template {template!r} has a brace that is not part of a placeholder; placeholders "
                "are written {z}, {x}, {y} (lower case, each brace closed).")
    xyz = {"z", "x"} <= names and bool(names & {"y", "-y"})
    if not (xyz or names & {"q", "bbox-epsg-3857"}):
        return (f"The tile URL template {template!r} must contain {{z}}, {{x}} and {{y}} (or {{-y}}), "
                "or {q}, or {bbox-epsg-3857}.")
    return None


#: The four base-4 digits of every byte value (quadkeys are built a byte, i.e. four zoom levels, at a time).
_DIGITS_OF_BYTE = ["".join(str((b >> shift) & 3) for shift in (6, 4, 2, 0)) for b in range(256)]


def _spread_bits(v: int) -> int:
    """``v`` (< 2^32) with a zero bit inserted above each of its bits (for interleaving x and y)."""
    v = (v | (v << 16)) & 0x0000FFFF0000FFFF
    v = (v | (v << 8)) & 0x00FF00FF00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0F
    v = (v | (v << 2)) & 0x3333333333333333
    return (v | (v << 1)) & 0x5555555555555555


def quadkey(z: int, x: int, y: int) -> str:
    """The quadkey of tile z/x/y (XYZ rows, z <= 32): one digit per zoom level, ``2 * ybit + xbit`` from the top."""
    if z == 0:
        return ""
    interleaved = _spread_bits(x) | (_spread_bits(y) << 1)
    return "".join([_DIGITS_OF_BYTE[b] for b in interleaved.to_bytes(8, "big")])[-z:]


def tile_of_quadkey(key: str) -> tuple[int, int, int]:
    """The tile (z, x, y) named by a quadkey; ValueError if it holds a character other than 0-3."""
    x = y = 0
    for digit in key:
        if digit not in "0123":
            raise ValueError(f"{key!r} is not a quadkey (digits 0-3 only).")
        d = int(digit)
        x, y = x * 2 + (d & 1), y * 2 + (d >> 1)
    return len(key), x, y


def tile_bbox_3857(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of tile z/x/y in Web Mercator (EPSG:3857) metres, east and north."""
    n = 1 << z
    return ((2 * x - n) * WORLD_HALF_M / n, (n - 2 * (y + 1)) * WORLD_HALF_M / n,
            (2 * (x + 1) - n) * WORLD_HALF_M / n, (n - 2 * y) * WORLD_HALF_M / n)


def format_bbox(bbox: tuple[float, float, float, float]) -> str:
    """``minx,miny,maxx,maxy`` with every digit a float needs to round-trip exactly."""
    return ",".join(map(repr, map(float, bbox)))


def tile_of_bbox_3857(bbox: tuple[float, float, float, float], max_zoom: int = 30,
                      tolerance: float = 1e-6) -> tuple[int, int, int] | None:
    """The tile whose EPSG:3857 box (minx, miny, maxx, maxy in metres) is ``bbox``, or None if it is no tile of
    the XYZ grid up to ``max_zoom``. ``tolerance`` is a fraction of the tile's edge."""
    minx, miny, maxx, maxy = bbox
    width, height = maxx - minx, maxy - miny
    if not (width > 0 and height > 0 and all(math.isfinite(v) for v in bbox)):
        return None
    ratio = 2 * WORLD_HALF_M / width  # tiles across the world
    z = round(math.log2(ratio))
    if not 0 <= z <= max_zoom or abs(ratio / (1 << z) - 1) > tolerance:
        return None
    n = 1 << z
    edge = 2 * WORLD_HALF_M / n
    fx, fy = (minx + WORLD_HALF_M) / edge, (WORLD_HALF_M - maxy) / edge
    x, y = round(fx), round(fy)
    if not (0 <= x < n and 0 <= y < n):
        return None
    if abs(fx - x) > tolerance or abs(fy - y) > tolerance or abs(height / edge - 1) > tolerance:
        return None
    return z, x, y


def expand(template: str, names: frozenset[str], z: int, x: int, y: int, subdomain: str = "",
           api_key: str | None = None) -> str:
    """``template`` with the placeholders ``names`` (see :func:`placeholders`) filled in for tile z/x/y."""
    url = template.replace("{z}", str(z)).replace("{x}", str(x))
    if "-y" in names:
        url = url.replace("{-y}", str((1 << z) - 1 - y))
    url = url.replace("{y}", str(y))
    if "q" in names:
        url = url.replace("{q}", quadkey(z, x, y))
    if "bbox-epsg-3857" in names:
        url = url.replace("{bbox-epsg-3857}", format_bbox(tile_bbox_3857(z, x, y)))
    if "s" in names:
        url = url.replace("{s}", subdomain)
    if "r" in names:
        url = url.replace("{r}", "")
    if "api_key" in names and api_key is not None:
        url = url.replace(API_KEY, quote(api_key, safe=""))
    return url
