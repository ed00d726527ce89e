"""The demo server's Natural Earth basemap data (``fmtc_nb/data/naturalearth_basemap.npz``): layers of parts in
Web Mercator world units with a spatial index, one band per scale, loaded lazily.

Bands: ``110m`` for z0-2, ``50m`` for z3-5, ``10m`` for z6 and beyond. Polygon layers (``land``, ``lakes``) are
pieces cut to the band's grid (:data:`GRID_ZOOM`); line layers (``admin0``, ``admin1``, ``rivers``) are pieces of
at most 64 vertices. ``scripts/build_basemap_data.py`` writes the file and documents its format.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

DATA_FILE = "naturalearth_basemap.npz"
SCALE = float(1 << 26)
"""Stored coordinates are world units (0-1) times 2**26."""
GRID_ZOOM = {"110m": 2, "50m": 5, "10m": 8}
"""Polygon pieces of a band lie each inside one tile of this zoom."""
INDEX_ZOOM = 8
"""Parts of the 10m band are indexed by the z8 tile they touch (tiles of z8+ look in one cell)."""
INDEX_MARGIN = 16.0 / (256 << INDEX_ZOOM)
"""Parts are filed under every cell their box comes within 16 z8-pixels of (lines wider than that: none)."""
POLYGON_LAYERS = ("land", "lakes")
LINE_LAYERS = ("rivers", "admin1", "admin0")
NO_PARTS = np.zeros(0, dtype=np.int64)


def band_name(z: int) -> str:
    """The Natural Earth scale drawn at zoom ``z``: ``110m`` (z0-2), ``50m`` (z3-5) or ``10m`` (z6+)."""
    return "110m" if z <= 2 else "50m" if z <= 5 else "10m"


@dataclass(frozen=True)
class Layer:
    """Parts of one layer: vertex ``xy`` (n, 2) in world units, part ``starts``/``ends`` (vertex offsets), part
    ``boxes`` (x0, y0, x1, y1), ``minzoom`` per part, ``hole`` per part (polygon layers; else all 0), and a
    cell index (key ``cx << 16 | cy`` at :data:`INDEX_ZOOM` to part numbers, replaced on first look-up by
    (numbers, boxes, first zooms)) for the 10m band."""

    xy: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    boxes: np.ndarray
    minzoom: np.ndarray
    hole: np.ndarray
    cells: dict[int, Any] | None

    def parts_near(self, box: tuple[float, float, float, float], z: int, box_zoom: int) -> np.ndarray:
        """Numbers (ascending, so in drawing order) of the parts drawn at zoom ``z`` whose box meets ``box``,
        the square of a tile at ``box_zoom`` plus at most a few of its pixels."""
        x0, y0, x1, y1 = box
        if self.cells is not None and box_zoom >= INDEX_ZOOM:
            shift = box_zoom - INDEX_ZOOM
            n = 1 << box_zoom
            key = int((x0 + x1) / 2 * n) >> shift << 16 | int((y0 + y1) / 2 * n) >> shift
            candidates, boxes, minzoom = self._cell(key)
        else:
            candidates, boxes, minzoom = None, self.boxes, self.minzoom
        hit = (boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) & (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0) & (minzoom <= z)
        found = np.flatnonzero(hit)
        return found if candidates is None else candidates[found]

    def _cell(self, key: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The parts filed under one index cell with their boxes and first zooms (kept once looked up)."""
        assert self.cells is not None
        found = self.cells.get(key)
        if found is None:
            return NO_PARTS, self.boxes[NO_PARTS], self.minzoom[NO_PARTS]
        if isinstance(found, np.ndarray):
            found = (found, self.boxes[found], self.minzoom[found])
            self.cells[key] = found
        return found

    def points(self, part: int) -> np.ndarray:
        """Vertices of one part, (k, 2) world units."""
        return self.xy[self.starts[part]:self.ends[part]]


def _unshuffle(packed: np.ndarray) -> np.ndarray:
    """Absolute int64 vertices from the stored planar, byte-shuffled int32 deltas."""
    deltas = packed.reshape(4, -1).T.copy().view("<i4").reshape(2, -1).T
    return np.cumsum(deltas.astype(np.int64), axis=0)


def _layer(arrays: np.lib.npyio.NpzFile, prefix: str, indexed: bool) -> Layer:
    xy = _unshuffle(arrays[f"{prefix}.xy"]) / SCALE
    ends = arrays[f"{prefix}.ends"].astype(np.int64)
    starts = np.concatenate([[0], ends[:-1]]).astype(np.int64)
    if len(ends):
        boxes = np.column_stack([np.minimum.reduceat(xy[:, 0], starts), np.minimum.reduceat(xy[:, 1], starts),
                                 np.maximum.reduceat(xy[:, 0], starts), np.maximum.reduceat(xy[:, 1], starts)])
    else:
        boxes = np.zeros((0, 4))
    hole_key = f"{prefix}.hole"
    hole = arrays[hole_key] if hole_key in arrays.files else np.zeros(len(ends), dtype=np.uint8)
    return Layer(xy, starts, ends, boxes, arrays[f"{prefix}.minzoom"], hole, _cells(boxes) if indexed else None)


def _cells(boxes: np.ndarray) -> dict[int, np.ndarray]:
    """Part numbers by index cell (key ``cx << 16 | cy``) for every cell a part's box (plus margin) touches."""
    n = 1 << INDEX_ZOOM
    lo = np.clip(np.floor((boxes[:, :2] - INDEX_MARGIN) * n), 0, n - 1).astype(np.int64)
    hi = np.clip(np.floor((boxes[:, 2:] + INDEX_MARGIN) * n), 0, n - 1).astype(np.int64)
    keys: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    span = (hi - lo + 1)
    for w in np.unique(span[:, 0]):
        for h in np.unique(span[span[:, 0] == w, 1]):
            sel = np.nonzero((span[:, 0] == w) & (span[:, 1] == h))[0]
            for dx in range(int(w)):
                for dy in range(int(h)):
                    keys.append((lo[sel, 0] + dx) << 16 | (lo[sel, 1] + dy))
                    parts.append(sel)
    if not keys:
        return {}
    key, part = np.concatenate(keys), np.concatenate(parts)
    order = np.lexsort((part, key))
    key, part = key[order], part[order]
    bounds = np.flatnonzero(np.diff(key)) + 1
    return {int(k[0]): p for k, p in zip(np.split(key, bounds), np.split(part, bounds), strict=True)}


@dataclass(frozen=True)
class Band:
    """The layers of one Natural Earth scale."""

    name: str
    layers: dict[str, Layer]


@dataclass(frozen=True)
class Places:
    """Populated places: ``xy`` (n, 2) world units and their ``names``."""

    xy: np.ndarray
    names: tuple[str, ...]


@lru_cache(maxsize=1)
def _archive() -> np.lib.npyio.NpzFile:
    data = resources.files("fmtc_nb.data").joinpath(DATA_FILE).read_bytes()
    return np.load(io.BytesIO(data))


@lru_cache(maxsize=3)
def band(name: str) -> Band:
    """The layers of band ``name`` (loaded on first use, then kept)."""
    arrays = _archive()
    indexed = name == "10m"
    layers = {layer: _layer(arrays, f"{name}.{layer}", indexed) for layer in (*POLYGON_LAYERS, *LINE_LAYERS)
              if f"{name}.{layer}.xy" in arrays.files}
    return Band(name, layers)


@lru_cache(maxsize=1)
def places() -> Places:
    """The populated places (Natural Earth 1:110m), in a fixed order."""
    arrays = _archive()
    names = tuple(bytes(arrays["places.names"]).decode("utf-8").split("\n"))
    return Places(arrays["places.xy"].astype(np.float64) / SCALE, names)
