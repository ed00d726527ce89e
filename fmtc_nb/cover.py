"""Exact tile cover of a region: per zoom, per row, sorted disjoint x-spans; counted, streamed and indexed.

Spans (:mod:`fmtc_nb.regions.spans`) are numpy arrays ``(y, x0, x1)`` (x1 exclusive), sorted by y then x0.
Order of tiles: zoom, then y, then x. Indexes are 0-based positions in that order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

import numpy as np

from fmtc_nb.regions.shapes import Region
from fmtc_nb.regions.spans import Spans
from fmtc_nb.zooms import parse_zooms


class TileCover:
    """The exact set of tiles of ``region`` at ``zooms``, counted without enumeration.

    ``counts`` maps zoom to number of tiles; ``total`` is their sum; ``tiles(start, end)`` streams (z, x, y);
    ``tile_at``/``index_of`` convert between tiles and indexes in O(log spans).
    """

    def __init__(self, region: Region, zooms: str | int | range | Iterable[int]) -> None:
        self.region = region
        self.zooms: list[int] = parse_zooms(zooms)
        self._spans: dict[int, Spans] = {}
        self._cum: dict[int, np.ndarray] = {}  # tiles before each span, within its zoom
        self.counts: dict[int, int] = {}
        for z in self.zooms:
            y, x0, x1 = region.spans(z)
            widths = x1 - x0
            cum = np.zeros(widths.size + 1, dtype=np.int64)
            np.cumsum(widths, out=cum[1:])
            self._spans[z] = (y, x0, x1)
            self._cum[z] = cum
            self.counts[z] = int(cum[-1])
        self._zoom_start: list[int] = []
        acc = 0
        for z in self.zooms:
            self._zoom_start.append(acc)
            acc += self.counts[z]
        self.total: int = acc

    def __len__(self) -> int:
        return self.total

    def spans(self, z: int) -> Spans:
        """Arrays (y, x0, x1_exclusive) of the sorted disjoint spans at zoom ``z``."""
        return self._spans[z]

    def rows(self, z: int) -> Iterator[tuple[int, list[tuple[int, int]]]]:
        """Yield (y, [(x0, x1_exclusive), ...]) per non-empty row at zoom ``z``, top to bottom."""
        y, x0, x1 = self._spans[z]
        i = 0
        while i < y.size:
            j = i
            while j < y.size and y[j] == y[i]:
                j += 1
            yield int(y[i]), [(int(a), int(b)) for a, b in zip(x0[i:j], x1[i:j], strict=True)]
            i = j

    def _locate(self, index: int) -> tuple[int, int, int]:
        """(zoom position, span index, offset within span) of a valid index."""
        if not 0 <= index < self.total:
            raise IndexError(f"Tile index {index} is outside 0-{self.total - 1}.")
        zi = bisect.bisect_right(self._zoom_start, index) - 1
        while self.counts[self.zooms[zi]] == 0:
            zi += 1
        local = index - self._zoom_start[zi]
        cum = self._cum[self.zooms[zi]]
        si = int(np.searchsorted(cum, local, side="right")) - 1
        return zi, si, local - int(cum[si])

    def tile_at(self, index: int) -> tuple[int, int, int]:
        """The tile (z, x, y) at 0-based ``index`` in the cover order."""
        zi, si, off = self._locate(index)
        z = self.zooms[zi]
        y, x0, _ = self._spans[z]
        return z, int(x0[si]) + off, int(y[si])

    def index_of(self, z: int, x: int, y: int) -> int:
        """The 0-based index of tile z/x/y in the cover order; ValueError if it is not in the cover."""
        if z not in self._spans:
            raise ValueError(f"Zoom {z} is not in this cover.")
        ys, x0, x1 = self._spans[z]
        n = np.int64((1 << z) + 1)
        keys = ys * n + x0
        si = int(np.searchsorted(keys, np.int64(y) * n + x, side="right")) - 1
        if si < 0 or ys[si] != y or not x0[si] <= x < x1[si]:
            raise ValueError(f"Tile {z}/{x}/{y} is not in this cover.")
        return self._zoom_start[self.zooms.index(z)] + int(self._cum[z][si]) + x - int(x0[si])

    def tiles(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, int]]:
        """Yield (z, x, y) for indexes start <= i < end (end default: total), without walking earlier tiles."""
        end = self.total if end is None else min(end, self.total)
        start = max(0, start)
        if start >= end:
            return
        zi, si, off = self._locate(start)
        remaining = end - start
        while remaining > 0:
            z = self.zooms[zi]
            ys, x0, x1 = self._spans[z]
            while si < ys.size and remaining > 0:
                yy = int(ys[si])
                a = int(x0[si]) + off
                b = min(int(x1[si]), a + remaining)
                for x in range(a, b):
                    yield z, x, yy
                remaining -= b - a
                off = 0
                si += 1
            zi += 1
            si = 0
