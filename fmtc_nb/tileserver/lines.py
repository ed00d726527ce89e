"""Pixel geometry for drawing lines into a tile: clip segments to the tile's window, join the unclipped ones
back into polylines (one Pillow call each), and cut dashes whose phase runs along the whole line, so a dashed
line continues across tile edges.

All coordinates are pixels of the tile being drawn (floats; 0-256 is the tile, anything else is outside).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np


def clip_segments(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Liang-Barsky clipping of segments a[i]-b[i] to the square [lo, hi]^2: ``(t0, t1, keep)``, the kept part
    of segment i running from a + t0 (b - a) to a + t1 (b - a).

    Pillow walks every pixel of a line even outside the image, so long edges at high zoom are clipped first.
    """
    d = b - a
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse = 1.0 / d
        enter, leave = (lo - a) * inverse, (hi - a) * inverse
    low, high = np.fmin(enter, leave), np.fmax(enter, leave)
    parallel = d == 0  # inside the slab for every t, or never
    inside = (a >= lo) & (a <= hi)
    low[parallel] = np.where(inside[parallel], -np.inf, np.inf)
    high[parallel] = np.inf
    t0 = np.maximum(low.max(axis=1), 0.0)
    t1 = np.minimum(high.min(axis=1), 1.0)
    return t0, t1, t0 <= t1


def segments(starts: np.ndarray, ends: np.ndarray, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the given ``parts`` (vertex ranges ``starts[p]:ends[p]``): the vertex index where each of their
    segments starts, and the position in ``parts`` of the part each segment belongs to."""
    counts = np.maximum(ends[parts] - starts[parts] - 1, 0)
    owner = np.repeat(np.arange(len(parts)), counts)
    first = np.cumsum(counts) - counts
    index = np.arange(int(counts.sum())) - first[owner] + starts[parts][owner]
    return index, owner


def distance_along(a: np.ndarray, b: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """For segments a[i]-b[i] of lines numbered ``owner`` (consecutive per line): the distance from the start
    of the line to the start of each segment, in the units of the coordinates."""
    lengths = np.hypot(*(b - a).T)
    total = np.cumsum(lengths) - lengths
    first = np.concatenate(([True], owner[1:] != owner[:-1]))
    return total - np.maximum.accumulate(np.where(first, total, 0.0))


def polylines(a: np.ndarray, b: np.ndarray, owner: np.ndarray, lo: float, hi: float,
              ) -> Iterator[tuple[int, int, list[int]]]:
    """The visible pieces of the lines made of segments a[i]-b[i] (pixels; consecutive segments with the same
    ``owner`` form one line) inside [lo, hi]^2, each as ``(first, last, flat)``: the numbers of its first and
    last segment and its vertices rounded to whole pixels, flat (x0, y0, x1, y1, ...; clipped where the piece
    leaves the square). Segments to leave out can be dropped
    from the arrays beforehand as long as ``owner`` then differs across the gap (see :func:`split_owners`)."""
    if not len(a):
        return
    t0, t1, keep = clip_segments(a, b, lo, hi)
    # a piece continues from segment j to j + 1 when both are kept, belong to one line and meet unclipped
    joined = keep[:-1] & keep[1:] & (owner[:-1] == owner[1:]) & (t1[:-1] >= 1.0) & (t0[1:] <= 0.0)
    kept = np.flatnonzero(keep)
    if not len(kept):
        return
    opens = ~np.concatenate(([False], joined))[kept]  # kept segments that start a piece
    firsts, lasts = kept[opens], kept[~np.concatenate((joined, [False]))[kept]]
    # every piece's vertices in one array: its first segment's (clipped) start, then each segment's end
    piece = np.cumsum(opens) - 1
    vertices = np.empty((len(kept) + len(firsts), 2))
    end_at = np.arange(len(kept)) + piece + 1
    vertices[end_at] = a[kept] + t1[kept, None] * (b[kept] - a[kept])
    vertices[end_at[opens] - 1] = a[firsts] + t0[firsts, None] * (b[firsts] - a[firsts])
    flat = np.rint(vertices).astype(np.int64).ravel().tolist()
    bounds = (np.append(end_at[opens] - 1, len(vertices)) * 2).tolist()
    for k, (j0, j1) in enumerate(zip(firsts.tolist(), lasts.tolist(), strict=True)):
        yield j0, j1, flat[bounds[k]:bounds[k + 1]]


def split_owners(owner: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """Line numbers for segments where dropping the ``drop`` segments breaks a line in two: every kept segment
    after a dropped one starts a new line."""
    return np.cumsum(np.concatenate(([True], (owner[1:] != owner[:-1]) | drop[:-1])))


def dashes(flat: list[int], start: float, on: float, off: float) -> Iterator[list[float]]:
    """The "on" pieces (flat vertex lists) of polyline ``flat`` (x0, y0, x1, y1, ...) for a dash pattern of
    ``on`` then ``off`` pixels whose phase is ``start`` pixels along the whole line."""
    period = on + off
    phase = start % period
    piece: list[float] = []
    for k in range(0, len(flat) - 2, 2):
        ax, ay, bx, by = flat[k:k + 4]
        length = math.hypot(bx - ax, by - ay)
        pos = 0.0
        while pos < length:
            if phase < on:
                step = min(on - phase, length - pos)
                if not piece:
                    piece += [ax + (bx - ax) * pos / length, ay + (by - ay) * pos / length]
                pos += step
                phase += step
                piece += [ax + (bx - ax) * pos / length, ay + (by - ay) * pos / length]
            else:
                step = min(period - phase, length - pos)
                pos += step
                phase += step
                if piece:
                    yield piece
                    piece = []
            if phase >= period:
                phase -= period
    if len(piece) >= 4:
        yield piece
