"""Render 256-pixel PNG raster tiles of the Natural Earth countries (sea one flat colour, land with borders).

The output is deterministic: the same z/x/y always gives the same bytes, and every tile that touches no land
is the same sea tile, byte for byte (the engine learns it once and skips identical tiles).
"""

from __future__ import annotations

import io
import json
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from PIL import Image, ImageDraw

from fmtc_nb.tilemath import MAX_ZOOM, lat_to_unit, lon_to_unit

TILE_SIZE = 256
"""Tile edge in pixels."""
ATTRIBUTION = "Made with Natural Earth (public domain), rendered by fmtc-nb"
SEA, BORDER = 0, 1
#: Palette: index 0 sea, 1 borders, 2.. land colours (chosen per country from its name).
PALETTE = [(170, 211, 223), (110, 110, 110), (242, 239, 233), (226, 222, 196), (236, 214, 196),
           (214, 228, 200), (235, 226, 174), (222, 210, 226)]
LAND_COLOURS = len(PALETTE) - 2


@dataclass(frozen=True)
class _Ring:
    """One polygon ring in world units (x, y in [0, 1], y down) with its bounding box."""

    points: np.ndarray  # shape (n, 2)
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1
    colour: int  # palette index; SEA for holes


def _rings(geometry: dict, colour: int) -> list[_Ring]:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    out = []
    for poly in polys:
        for i, ring in enumerate(poly):
            arr = np.asarray(ring, dtype=float)
            pts = np.column_stack([lon_to_unit(arr[:, 0]), lat_to_unit(arr[:, 1])])
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            out.append(_Ring(pts, (lo[0], lo[1], hi[0], hi[1]), colour if i == 0 else SEA))
    return out


@lru_cache(maxsize=1)
def _world() -> tuple[list[_Ring], np.ndarray]:
    """All country rings (countries with holes first, so enclaves are painted over the holes) and their bboxes."""
    text = resources.files("fmtc_nb.data").joinpath("naturalearth_110m_countries.geojson").read_text("utf-8")
    features = json.loads(text)["features"]
    features.sort(key=lambda f: (not _has_holes(f["geometry"]), f["properties"].get("name", "")))
    rings: list[_Ring] = []
    for feature in features:
        name = str(feature["properties"].get("name", ""))
        rings += _rings(feature["geometry"], 2 + zlib.crc32(name.encode()) % LAND_COLOURS)
    return rings, np.array([r.bbox for r in rings], dtype=float)


def _has_holes(geometry: dict) -> bool:
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return any(len(p) > 1 for p in polys)


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _blank() -> Image.Image:
    image = Image.new("P", (TILE_SIZE, TILE_SIZE), SEA)
    image.putpalette([c for rgb in PALETTE for c in rgb])
    return image


@lru_cache(maxsize=1)
def sea_tile() -> bytes:
    """The PNG bytes of every tile that touches no land."""
    return _encode(_blank())


def render_tile(z: int, x: int, y: int) -> bytes:
    """PNG bytes of tile z/x/y (XYZ scheme, 256 px). Raises ValueError for a tile outside the pyramid."""
    n = 1 << z
    if not (0 <= z <= MAX_ZOOM and 0 <= x < n and 0 <= y < n):
        raise ValueError(f"Tile {z}/{x}/{y} is outside the z0-{MAX_ZOOM} pyramid.")
    rings, boxes = _world()
    margin = 1.0 / (n * TILE_SIZE)  # one pixel, so borders along tile edges are drawn on both neighbours
    x0, y0, x1, y1 = x / n - margin, y / n - margin, (x + 1) / n + margin, (y + 1) / n + margin
    hit = np.nonzero((boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) & (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0))[0]
    if hit.size == 0:
        return sea_tile()
    image = _blank()
    draw = ImageDraw.Draw(image)
    scale = n * TILE_SIZE
    origin = np.array([x * TILE_SIZE, y * TILE_SIZE], dtype=float)
    for i in hit:
        ring = rings[i]
        pixels = np.rint(ring.points * scale - origin).astype(np.int64)
        draw.polygon([tuple(p) for p in pixels.tolist()], fill=ring.colour)
        for a, b in _clip_segments(pixels[:-1], pixels[1:], -2.0, TILE_SIZE + 2.0):
            draw.line([tuple(a), tuple(b)], fill=BORDER)
    return _encode(image)


def _clip_segments(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> list[tuple[list[int], list[int]]]:
    """The parts of segments a[i]-b[i] (pixel coordinates) inside the square [lo, hi]^2 (Liang-Barsky).

    Pillow walks every pixel of a line even outside the image, so long border edges at high zoom are clipped
    first; the fill needs no clipping (its scan only visits the image's rows).
    """
    a, b = a.astype(float), b.astype(float)
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    keep = np.ones(len(a), dtype=bool)
    for axis in (0, 1):
        for p, q in ((-d[:, axis], a[:, axis] - lo), (d[:, axis], hi - a[:, axis])):
            parallel = p == 0
            keep &= ~(parallel & (q < 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
            t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
            t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
    keep &= t0 <= t1
    start = np.rint(a + t0[:, None] * d).astype(np.int64)[keep]
    end = np.rint(a + t1[:, None] * d).astype(np.int64)[keep]
    return list(zip(start.tolist(), end.tolist(), strict=True))
