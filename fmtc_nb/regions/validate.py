"""Checks of region input: points, radii, rings that must not cross themselves, holes that must lie inside.

Every failure is a :class:`~fmtc_nb.errors.RegionError` with one sentence naming the offending part.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from fmtc_nb.errors import RegionError

Point = tuple[float, float]


def check_point(lon: float, lat: float) -> Point:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise RegionError(f"Coordinate ({lon!r:.40}, {lat!r:.40}) is not a pair of numbers.") from None
    except OverflowError:
        raise RegionError("A coordinate is too large to be a number of degrees.") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise RegionError(f"Coordinate ({lon}, {lat}) is not finite.")
    if not -90.0 - 1e-9 <= lat <= 90.0 + 1e-9:
        raise RegionError(f"Latitude {lat} is beyond +-90 degrees.")
    if not -180.0 - 1e-9 <= lon <= 180.0 + 1e-9:
        raise RegionError(f"Longitude {lon} is beyond +-180 degrees.")
    return min(180.0, max(-180.0, lon)), min(90.0, max(-90.0, lat))


def check_has_tiles(region: Any) -> None:
    """RegionError unless ``region`` covers a map tile. One with no tile at zoom 0 has none at any zoom: it lies
    wholly beyond latitude +-85.0511 (where Web Mercator maps end) or has no area there."""
    if region.spans(0)[0].size == 0:
        raise RegionError("The region covers no map tile: it lies beyond latitude +-85.05 degrees, where Web "
                          "Mercator maps end, or has no area there.")


def check_radius(value: Any, what: str, unit: str) -> float:
    """``value`` as a positive finite float; RegionError naming ``what`` (e.g. "Circle radius") otherwise."""
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise RegionError(f"{what} {value!r:.40} is not a number.") from None
    except OverflowError:
        raise RegionError(f"{what} is too large.") from None
    if not (r > 0 and math.isfinite(r)):
        raise RegionError(f"{what} must be positive, got {value} {unit}.")
    return r


def ring_coords(ring: Sequence[Sequence[float]], what: str) -> np.ndarray:
    pts = [check_point(*p[:2]) if len(p) >= 2 else None for p in ring]
    if any(p is None for p in pts):
        raise RegionError(f"A position of the {what} has fewer than 2 numbers.")
    arr = np.array(pts, dtype=float)
    if len(arr) and np.array_equal(arr[0], arr[-1]):
        arr = arr[:-1]
    # drop consecutive duplicates
    if len(arr) > 1:
        keep = np.ones(len(arr), dtype=bool)
        keep[1:] = np.any(arr[1:] != arr[:-1], axis=1)
        arr = arr[keep]
    if len({(float(a), float(b)) for a, b in arr}) < 3:
        raise RegionError(f"The {what} has fewer than 3 distinct points.")
    check_simple(arr, what)
    return arr


def _orient(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sign of the turn u -> v -> w (arrays of points, shape (k, 2))."""
    cross = (v[:, 0] - u[:, 0]) * (w[:, 1] - u[:, 1]) - (v[:, 1] - u[:, 1]) * (w[:, 0] - u[:, 0])
    return np.sign(cross)


def _on_segment(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Whether collinear point w lies within the bounding box of segment uv."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    return np.all((lo <= w) & (w <= hi), axis=1)


def check_simple(arr: np.ndarray, what: str) -> None:
    """Raise RegionError naming two non-adjacent edges of the closed ring that cross or touch.

    Candidate pairs come from a sweep over edges sorted by their west end (x-ranges must overlap), so the cost
    is close to linear for ordinary rings.
    """
    m = len(arr)
    p, q = arr, np.roll(arr, -1, axis=0)
    nxt = np.roll(q, -1, axis=0)  # consecutive edges i, i+1 meet at q[i]; a spike doubles back along itself
    back = (_orient(p, q, nxt) == 0) & (np.sum((p - q) * (nxt - q), axis=1) > 0)
    if back.any():
        k = int(np.flatnonzero(back)[0])
        raise RegionError(
            f"The {what} intersects itself: it doubles back on itself at {q[k][0]:g},{q[k][1]:g} (edges {k} and "
            f"{(k + 1) % m})."
        )
    for i, j in _candidate_pairs(p, q):
        adjacent = (j == (i + 1) % m) | (i == (j + 1) % m)
        i, j = i[~adjacent], j[~adjacent]
        a, b, c2, d = p[i], q[i], p[j], q[j]
        o1, o2, o3, o4 = _orient(a, b, c2), _orient(a, b, d), _orient(c2, d, a), _orient(c2, d, b)
        bad = (
            ((o1 * o2 < 0) & (o3 * o4 < 0))
            | ((o1 == 0) & _on_segment(a, b, c2))
            | ((o2 == 0) & _on_segment(a, b, d))
            | ((o3 == 0) & _on_segment(c2, d, a))
            | ((o4 == 0) & _on_segment(c2, d, b))
        )
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            e1, e2 = sorted((int(i[k]), int(j[k])))
            raise RegionError(
                f"The {what} intersects itself: edge {e1} (from {arr[e1][0]:g},{arr[e1][1]:g}) crosses edge {e2} "
                f"(from {arr[e2][0]:g},{arr[e2][1]:g})."
            )


def _candidate_pairs(p: np.ndarray, q: np.ndarray, block: int = 1_000_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Index arrays (i, j), i != j, of the edges p[k]->q[k] whose x-ranges overlap, in blocks of about ``block``.

    A sweep over edges sorted by their west end, so the cost is close to linear for ordinary rings.
    """
    m = len(p)
    xmin, xmax = np.minimum(p[:, 0], q[:, 0]), np.maximum(p[:, 0], q[:, 0])
    order = np.argsort(xmin, kind="stable")
    sorted_min = xmin[order]
    stop = np.searchsorted(sorted_min, xmax[order], side="right")
    begin = np.arange(m) + 1
    cnt = np.maximum(stop - begin, 0)
    starts = np.cumsum(cnt) - cnt
    pos = 0
    while pos < m:
        end = int(np.searchsorted(starts, starts[pos] + block, side="right"))
        end = max(end, pos + 1)
        c = cnt[pos:end]
        ii = np.repeat(np.arange(pos, end), c)
        jj = np.arange(ii.size) - np.repeat(starts[pos:end] - starts[pos], c) + begin[ii]
        yield order[ii], order[jj]
        pos = end


def _sides(ring: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Per point of ``pts``: +1 inside the closed ring (even-odd), -1 outside, 0 on its boundary.

    Each edge is paired only with the points within its y-range (a binary search over the points sorted by y),
    so the cost follows the edges a horizontal line meets, not points x edges.
    """
    a, b = ring, np.roll(ring, -1, axis=0)
    order = np.argsort(pts[:, 1], kind="stable")
    ys = pts[order, 1]
    first = np.searchsorted(ys, np.minimum(a[:, 1], b[:, 1]), side="left")
    cnt = np.searchsorted(ys, np.maximum(a[:, 1], b[:, 1]), side="right") - first
    edge = np.repeat(np.arange(len(a)), cnt)
    point = order[np.arange(edge.size) - np.repeat(np.cumsum(cnt) - cnt, cnt) + np.repeat(first, cnt)]
    pa, pb, w = a[edge], b[edge], pts[point]
    on = (_orient(pa, pb, w) == 0) & _on_segment(pa, pb, w)
    up = (pa[:, 1] > w[:, 1]) != (pb[:, 1] > w[:, 1])
    dy = np.where(up, pb[:, 1] - pa[:, 1], 1.0)
    x_cross = pa[:, 0] + (w[:, 1] - pa[:, 1]) * (pb[:, 0] - pa[:, 0]) / dy
    crossings = np.bincount(point[up & (x_cross > w[:, 0])], minlength=len(pts))
    side = np.where(crossings % 2 == 1, 1, -1)
    side[point[on]] = 0
    return side


def _first_side(sides: np.ndarray) -> int:
    """The side of the first point not on the boundary (0 if every point is on it)."""
    off = np.flatnonzero(sides)
    return int(sides[off[0]]) if off.size else 0


def check_holes(rings: list[np.ndarray]) -> None:
    """Raise RegionError if a hole (rings[1:]) crosses the outer ring (rings[0]) or another hole, lies outside
    the outer ring, or lies inside another hole. Rings are (k, 2) arrays in Web Mercator units; touching at
    points is allowed, as in the OGC simple-features rules."""
    if len(rings) < 2:
        return
    names = ["the outer ring", *(f"hole {h}" for h in range(1, len(rings)))]
    ring_id = np.concatenate([np.full(len(r), k) for k, r in enumerate(rings)])
    p = np.concatenate(rings)
    q = np.concatenate([np.roll(r, -1, axis=0) for r in rings])
    for i, j in _candidate_pairs(p, q):
        other = ring_id[i] != ring_id[j]
        i, j = i[other], j[other]
        a, b, c, d = p[i], q[i], p[j], q[j]
        cross = (_orient(a, b, c) * _orient(a, b, d) < 0) & (_orient(c, d, a) * _orient(c, d, b) < 0)
        if cross.any():
            k = int(np.flatnonzero(cross)[0])
            r1, r2 = sorted((int(ring_id[i[k]]), int(ring_id[j[k]])))
            raise RegionError(f"In the polygon, {names[r2]} crosses {names[r1]}; holes must lie inside the outer ring "
                              "without crossing it or each other.")
    starts = np.cumsum([0, *(len(r) for r in rings[1:])])
    outer = _sides(rings[0], np.concatenate(rings[1:]))
    for h in range(1, len(rings)):
        if _first_side(outer[starts[h - 1]:starts[h]]) < 0:
            raise RegionError(f"In the polygon, {names[h]} lies outside the outer ring; holes must lie inside it.")
    lo = np.array([r.min(axis=0) for r in rings[1:]])
    hi = np.array([r.max(axis=0) for r in rings[1:]])
    for h in range(len(lo)):
        overlapping = np.flatnonzero(np.all(lo <= hi[h], axis=1) & np.all(hi >= lo[h], axis=1))
        for other in overlapping[overlapping != h]:
            if _first_side(_sides(rings[other + 1], rings[h + 1])) > 0:
                raise RegionError(f"In the polygon, {names[h + 1]} lies inside {names[other + 1]}; holes may not nest.")
