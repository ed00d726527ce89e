"""Regions (lon/lat WGS84) and their exact per-row tile spans in Web Mercator.

A tile belongs to a region when they overlap with positive area; touching along an edge or at a corner does
not count. Polygon edges are straight in Web Mercator. Latitudes are clamped to +-85.0511287798 degrees.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from fmtc_nb.cover import Spans, TileCover, empty_spans, merge_spans, union_spans
from fmtc_nb.errors import RegionError
from fmtc_nb.tilemath import EARTH_RADIUS_M, MAX_LAT, lat_to_unit, lon_to_unit, unit_to_lat, unit_to_lon

Point = tuple[float, float]


def _check_point(lon: float, lat: float) -> Point:
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise RegionError(f"Coordinate ({lon!r}, {lat!r}) is not a pair of numbers.") from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise RegionError(f"Coordinate ({lon}, {lat}) is not finite.")
    if not -90.0 - 1e-9 <= lat <= 90.0 + 1e-9:
        raise RegionError(f"Latitude {lat} is beyond +-90 degrees.")
    if not -180.0 - 1e-9 <= lon <= 180.0 + 1e-9:
        raise RegionError(f"Longitude {lon} is beyond +-180 degrees.")
    return min(180.0, max(-180.0, lon)), min(90.0, max(-90.0, lat))


def _check_radius(value: Any, what: str, unit: str) -> float:
    """``value`` as a positive finite float; RegionError naming ``what`` (e.g. "Circle radius") otherwise."""
    try:
        r = float(value)
    except (TypeError, ValueError):
        raise RegionError(f"{what} {value!r} is not a number.") from None
    if not (r > 0 and math.isfinite(r)):
        raise RegionError(f"{what} must be positive, got {value} {unit}.")
    return r


class Region:
    """Base class: a set of points on the map, covered by tiles."""

    kind: str = "region"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees; west > east when crossing the antimeridian."""
        raise NotImplementedError

    def to_geojson(self) -> dict[str, Any]:
        """This region as a GeoJSON Feature or FeatureCollection (dict)."""
        raise NotImplementedError

    def spans(self, z: int) -> Spans:
        """Sorted disjoint spans (y, x0, x1_exclusive) of the tiles of this region at zoom ``z``."""
        raise NotImplementedError

    def count(self, zooms: Any) -> dict[int, int]:
        """Exact number of tiles per zoom, without enumerating them."""
        return TileCover(self, zooms).counts

    def tiles(self, zooms: Any, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, int]]:
        """Yield (z, x, y) ordered by zoom, y, x; ``start``/``end`` are 0-based half-open indexes."""
        return TileCover(self, zooms).tiles(start, end)


def _ring_spans(xs: np.ndarray, ys: np.ndarray, n: int) -> Spans:
    """Spans of the even-odd fill of closed rings given as edge arrays in world tile units."""
    xa, ya, xb, yb = xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]
    ylo, yhi = np.minimum(ya, yb), np.maximum(ya, yb)
    parts_y, parts_x0, parts_x1 = [], [], []
    # (a) tiles whose open interior an edge passes through
    sloped = yhi > ylo
    r0 = np.floor(ylo).astype(np.int64)
    r1 = np.ceil(yhi).astype(np.int64)  # exclusive
    cnt = np.where(sloped, r1 - r0, 0)
    idx = np.repeat(np.flatnonzero(sloped), cnt[sloped])
    if idx.size:
        first = np.repeat(np.cumsum(cnt[sloped]) - cnt[sloped], cnt[sloped])
        row = r0[idx] + (np.arange(idx.size) - first)
        lo = np.maximum(row, ylo[idx])
        hi = np.minimum(row + 1, yhi[idx])
        dx = (xb - xa)[idx]
        dy = (yb - ya)[idx]
        xl = xa[idx] + (lo - ya[idx]) * dx / dy
        xh = xa[idx] + (hi - ya[idx]) * dx / dy
        smin, smax = np.minimum(xl, xh), np.maximum(xl, xh)
        a = np.floor(smin)
        b = np.where(smax > smin, np.ceil(smax), np.where(smin == a, a, a + 1))
        parts_y.append(row)
        parts_x0.append(a.astype(np.int64))
        parts_x1.append(b.astype(np.int64))
    flat = (~sloped) & (ylo != np.floor(ylo))
    if flat.any():
        parts_y.append(np.floor(ylo[flat]).astype(np.int64))
        lo, hi = np.minimum(xa, xb)[flat], np.maximum(xa, xb)[flat]
        parts_x0.append(np.floor(lo).astype(np.int64))
        parts_x1.append(np.ceil(hi).astype(np.int64))
    # (b) tiles whose centre is inside (scanline y + 0.5, half-open crossing rule)
    c0 = np.ceil(ylo - 0.5).astype(np.int64)
    c1 = np.ceil(yhi - 0.5).astype(np.int64)
    ccnt = np.where(sloped, np.maximum(c1 - c0, 0), 0)
    cidx = np.repeat(np.arange(ylo.size), ccnt)
    if cidx.size:
        first = np.repeat(np.cumsum(ccnt) - ccnt, ccnt)
        row = c0[cidx] + (np.arange(cidx.size) - first)
        s = row + 0.5
        x = xa[cidx] + (s - ya[cidx]) * (xb - xa)[cidx] / (yb - ya)[cidx]
        order = np.lexsort((x, row))
        row, x = row[order], x[order]
        left, right = x[0::2], x[1::2]
        parts_y.append(row[0::2])
        parts_x0.append(np.floor(left + 0.5).astype(np.int64))
        parts_x1.append(np.ceil(right - 0.5).astype(np.int64))
    if not parts_y:
        return empty_spans()
    return merge_spans(np.concatenate(parts_y), np.concatenate(parts_x0), np.concatenate(parts_x1), n)


def _ring_coords(ring: Sequence[Sequence[float]], what: str) -> np.ndarray:
    pts = [_check_point(*p[:2]) if len(p) >= 2 else None for p in ring]
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
    _check_simple(arr, what)
    return arr


def _orient(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sign of the turn u -> v -> w (arrays of points, shape (k, 2))."""
    cross = (v[:, 0] - u[:, 0]) * (w[:, 1] - u[:, 1]) - (v[:, 1] - u[:, 1]) * (w[:, 0] - u[:, 0])
    return np.sign(cross)


def _on_segment(u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Whether collinear point w lies within the bounding box of segment uv."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    return np.all((lo <= w) & (w <= hi), axis=1)


def _check_simple(arr: np.ndarray, what: str) -> None:
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


def _check_holes(rings: list[np.ndarray]) -> None:
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


SNAP = 2.0**-36
"""World coordinates (0-1) are snapped to multiples of this (about 0.6 mm) so vertices meant on tile lines are."""


def _snap(u: np.ndarray) -> np.ndarray:
    return np.round(u / SNAP) * SNAP


class Polygon(Region):
    """A polygon with optional holes; rings are sequences of (lon, lat), edges straight in Web Mercator."""

    kind = "polygon"

    def __init__(
        self, exterior: Sequence[Sequence[float]], holes: Iterable[Sequence[Sequence[float]]] = ()
    ) -> None:
        self.exterior = _ring_coords(exterior, "polygon ring")
        self.holes = [_ring_coords(h, "polygon hole") for h in holes]
        self._ux = [_snap(lon_to_unit(r[:, 0])) for r in [self.exterior, *self.holes]]
        self._uy = [_snap(lat_to_unit(r[:, 1])) for r in [self.exterior, *self.holes]]
        _check_holes([np.stack([ux, uy], axis=1) for ux, uy in zip(self._ux, self._uy, strict=True)])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        e = self.exterior
        return float(e[:, 0].min()), float(e[:, 1].min()), float(e[:, 0].max()), float(e[:, 1].max())

    def coordinates(self) -> list[list[list[float]]]:
        """GeoJSON Polygon coordinates (closed rings)."""
        return [[*map(list, map(tuple, r)), list(r[0])] for r in [self.exterior, *self.holes]]

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": self.coordinates()},
        }

    def spans(self, z: int) -> Spans:
        n = 1 << z
        xs = np.concatenate([np.stack([u, np.roll(u, -1)], axis=1) for u in self._ux]) * n
        ys = np.concatenate([np.stack([u, np.roll(u, -1)], axis=1) for u in self._uy]) * n
        return _ring_spans(xs, ys, n)


class MultiRegion(Region):
    """The union of several regions: a tile where they overlap is counted and yielded once."""

    kind = "multi"

    def __init__(self, regions: Iterable[Region]) -> None:
        self.regions = list(regions)
        if not self.regions:
            raise RegionError("A multi-region needs at least one region.")

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        b = np.array([r.bounds for r in self.regions])
        if (b[:, 0] > b[:, 2]).any():  # a part crosses the antimeridian
            return -180.0, float(b[:, 1].min()), 180.0, float(b[:, 3].max())
        return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())

    def to_geojson(self) -> dict[str, Any]:
        feats: list[dict[str, Any]] = []
        for r in self.regions:
            g = r.to_geojson()
            feats.extend(g["features"] if g["type"] == "FeatureCollection" else [g])
        return {"type": "FeatureCollection", "features": feats}

    def spans(self, z: int) -> Spans:
        return union_spans((r.spans(z) for r in self.regions), 1 << z)


class MultiPolygon(MultiRegion):
    """Several polygons (their union)."""

    kind = "multipolygon"

    def __init__(self, polygons: Iterable[Polygon | Sequence[Any]]) -> None:
        polys = [p if isinstance(p, Polygon) else Polygon(p[0], p[1:]) for p in polygons]
        super().__init__(polys)

    def to_geojson(self) -> dict[str, Any]:
        coords = [p.coordinates() for p in self.regions]  # type: ignore[attr-defined]
        return {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "MultiPolygon", "coordinates": coords},
        }


class Rectangle(Region):
    """A lon/lat rectangle; west > east means it crosses the antimeridian."""

    kind = "rectangle"

    def __init__(self, west: float, south: float, east: float, north: float) -> None:
        west, south = _check_point(west, south)
        east, north = _check_point(east, north)
        if south >= north:
            raise RegionError(f"Rectangle south {south} must be less than north {north}.")
        if west == east or (west == 180.0 and east == -180.0):  # the same meridian: no width either way
            raise RegionError(f"Rectangle west {west} and east {east} are the same meridian, so it has no width.")
        self.west, self.south, self.east, self.north = west, south, east, north
        pieces = [(west, east)] if west < east else [(west, 180.0), (-180.0, east)]
        self._polys = [Polygon([(w, south), (e, south), (e, north), (w, north)]) for w, e in pieces if e > w]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.west, self.south, self.east, self.north

    def to_geojson(self) -> dict[str, Any]:
        coords = [p.coordinates() for p in self._polys]  # two pieces when crossing the antimeridian
        geometry = (
            {"type": "Polygon", "coordinates": coords[0]}
            if len(coords) == 1
            else {"type": "MultiPolygon", "coordinates": coords}
        )
        return {"type": "Feature", "properties": {"bbox": list(self.bounds)}, "geometry": geometry}

    def spans(self, z: int) -> Spans:
        return union_spans((p.spans(z) for p in self._polys), 1 << z)


class Circle(Region):
    """Points within ``radius_km`` great-circle distance of (lon, lat) on a sphere of radius 6,371,008.8 m."""

    kind = "circle"

    def __init__(self, lon: float, lat: float, radius_km: float) -> None:
        self.lon, self.lat = _check_point(lon, lat)
        self.radius_km = r = _check_radius(radius_km, "Circle radius", "km")
        self._d = min(r * 1000.0 / EARTH_RADIUS_M, math.pi)  # angular radius, radians

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        dd = math.degrees(self._d)
        s, n = max(-90.0, self.lat - dd), min(90.0, self.lat + dd)
        w = self._half_width(math.radians(max(-MAX_LAT, s)), math.radians(min(MAX_LAT, n)))
        if w >= math.pi:
            return -180.0, s, 180.0, n
        wd = math.degrees(float(w))
        west = (self.lon - wd + 180.0) % 360.0 - 180.0
        east = (self.lon + wd + 180.0) % 360.0 - 180.0
        return west, s, east, n

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"radius_km": self.radius_km},
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
        }

    def _half_width(self, phi_a: np.ndarray | float, phi_b: np.ndarray | float) -> np.ndarray:
        """Largest longitude half-width (radians) of the cap over latitude bands [phi_a, phi_b]; -1 if empty."""
        pc, d = math.radians(self.lat), self._d
        phi_a, phi_b = np.asarray(phi_a, dtype=float), np.asarray(phi_b, dtype=float)
        best = np.full(np.broadcast(phi_a, phi_b).shape, -1.0)
        s = math.sin(pc) / math.cos(d) if math.cos(d) > 0 else 2.0
        cands = [phi_a, phi_b]
        if abs(s) <= 1:
            cands.append(np.clip(math.asin(s), phi_a, phi_b))
        for phi in cands:
            cosphi = np.cos(phi) * math.cos(pc)
            with np.errstate(divide="ignore", invalid="ignore"):
                arg = (math.cos(d) - np.sin(phi) * math.sin(pc)) / cosphi
            w = np.where(
                arg <= -1,
                math.pi,
                np.where(arg >= 1, np.where(arg == 1, 0.0, -1.0), np.arccos(np.clip(arg, -1, 1))),
            )
            w = np.where(cosphi <= 0, np.where(np.cos(phi - pc) >= math.cos(d), math.pi, -1.0), w)
            best = np.maximum(best, w)
        return best

    def spans(self, z: int) -> Spans:
        n = 1 << z
        dd = math.degrees(self._d)
        north, south = min(90.0, self.lat + dd), max(-90.0, self.lat - dd)
        y_top, y_bot = float(lat_to_unit(north)) * n, float(lat_to_unit(south)) * n
        if y_bot <= y_top:
            return empty_spans()
        rows = np.arange(int(math.floor(y_top)), int(math.ceil(y_bot)), dtype=np.int64)
        lo = np.maximum(rows, y_top)
        hi = np.minimum(rows + 1, y_bot)
        phi_n = np.arctan(np.sinh(math.pi * (1 - 2 * lo / n)))
        phi_s = np.arctan(np.sinh(math.pi * (1 - 2 * hi / n)))
        w = self._half_width(phi_s, phi_n)
        ok = w > 0
        rows, w = rows[ok], w[ok]
        full = w >= math.pi
        cx = (self.lon + 180.0) / 360.0 * n
        half = np.degrees(w) / 360.0 * n
        a, b = cx - half, cx + half
        a0 = np.floor(a)
        b0 = np.ceil(b)
        ys = [rows[full]]
        x0s = [np.zeros(int(full.sum()), dtype=np.int64)]
        x1s = [np.full(int(full.sum()), n, dtype=np.int64)]
        part = ~full
        for shift in (-n, 0, n):  # wrap around the antimeridian
            ys.append(rows[part])
            x0s.append((a0[part] + shift).astype(np.int64))
            x1s.append((b0[part] + shift).astype(np.int64))
        return merge_spans(np.concatenate(ys), np.concatenate(x0s), np.concatenate(x1s), n)


def _chord_right(x0, y0, x1, y1, r, h):
    """Right end of the capsule (segment (x0,y0)-(x1,y1), radius r) on the line y = h; -inf where it misses."""
    best = np.full(np.shape(h), -np.inf)
    for xe, ye in ((x0, y0), (x1, y1)):  # round caps
        dy = np.abs(ye - h)
        best = np.where(dy <= r, np.maximum(best, xe + np.sqrt(np.maximum(r * r - dy * dy, 0.0))), best)
    dx, dy = x1 - x0, y1 - y0
    length = np.hypot(dx, dy)
    sloped = dy != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for sign in (1.0, -1.0):  # the two straight sides
            ox, oy = x0 - sign * r * dy / length, y0 + sign * r * dx / length
            t = (h - oy) / dy
            x = ox + t * dx
            ok = sloped & (t >= 0) & (t <= 1)
            best = np.where(ok, np.maximum(best, x), best)
    return best


def _capsule_spans(x0, y0, x1, y1, r, n):
    """Spans of tiles overlapping open capsules (arrays per segment, world tile units), all rows they touch."""
    top, bot = np.minimum(y0, y1) - r, np.maximum(y0, y1) + r
    r0 = np.floor(top).astype(np.int64)
    cnt = np.ceil(bot).astype(np.int64) - r0
    seg = np.repeat(np.arange(x0.size), cnt)
    row = r0[seg] + (np.arange(seg.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    ya, yb = np.maximum(row, top[seg]), np.minimum(row + 1, bot[seg])
    ends = []
    for flip in (1.0, -1.0):  # right ends, then left ends as right ends of the mirrored capsule
        sx0, sx1 = flip * x0[seg], flip * x1[seg]
        sy0, sy1, rr = y0[seg], y1[seg], r[seg]
        best = np.maximum(_chord_right(sx0, sy0, sx1, sy1, rr, ya), _chord_right(sx0, sy0, sx1, sy1, rr, yb))
        # the capsule's own extreme point, when it lies inside the strip
        right_is_1 = sx1 > sx0
        ye = np.where(right_is_1, sy1, sy0)
        inside = (ye >= ya) & (ye <= yb)
        best = np.where(inside, np.maximum(best, np.maximum(sx0, sx1) + rr), best)
        ends.append(flip * best)
    right, left = ends
    ok = np.isfinite(left) & np.isfinite(right) & (right > left)
    return merge_spans(row[ok], np.floor(left[ok]).astype(np.int64), np.ceil(right[ok]).astype(np.int64), n)


class Corridor(Region):
    """Points within ``radius_m`` of a path (lon, lat) with round joins and caps; segments straight in Mercator.

    Each segment is covered by its capsule in Web Mercator: the points closer than r to the straight
    Mercator segment, where r is the metre radius scaled by sec(latitude of the segment's midpoint), the local
    Mercator scale there. The corridor is the union of the capsules (round joins and caps). Exact per row: a
    capsule cut by an open tile row is convex, so its x-projection is one open interval. Corridors do not
    wrap around the antimeridian.
    """

    kind = "corridor"

    def __init__(self, path: Sequence[Sequence[float]], radius_m: float) -> None:
        pts = [_check_point(*p[:2]) for p in path]
        if len(pts) < 2:
            raise RegionError("A corridor path needs at least 2 points.")
        r = _check_radius(radius_m, "Corridor radius", "m")
        self.path, self.radius_m = pts, r
        arr = np.array(pts)
        self._ux, self._uy = _snap(lon_to_unit(arr[:, 0])), _snap(lat_to_unit(arr[:, 1]))
        mid = np.radians(np.minimum(MAX_LAT, np.abs((arr[:-1, 1] + arr[1:, 1]) / 2)))
        self._ur = r / (2 * math.pi * EARTH_RADIUS_M * np.cos(mid))  # capsule radius per segment, world units

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        r = float(self._ur.max())
        w, e = float(self._ux.min()) - r, float(self._ux.max()) + r
        n, s = float(self._uy.min()) - r, float(self._uy.max()) + r
        lon = unit_to_lon(np.clip([w, e], 0, 1))
        lat = unit_to_lat(np.clip([s, n], 0, 1))
        return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"radius_m": self.radius_m},
            "geometry": {"type": "LineString", "coordinates": [list(p) for p in self.path]},
        }

    def spans(self, z: int) -> Spans:
        n = 1 << z
        ux, uy = self._ux * n, self._uy * n
        return _capsule_spans(ux[:-1], uy[:-1], ux[1:], uy[1:], self._ur * n, n)


def region_from_geojson(obj: Any) -> Region:
    """A Region from a GeoJSON Geometry, Feature or FeatureCollection (dict)."""
    from fmtc_nb.geojson import region_from_geojson as impl

    return impl(obj)


def parse_region(spec: str) -> Region:
    """A Region from a GeoJSON file path or a ``rect:``, ``circle:`` or ``line:`` spec (lon,lat order)."""
    from fmtc_nb.geojson import parse_region as impl

    return impl(spec)


def example_region() -> Region:
    """The bundled example region (Lake Geneva and the western Swiss Alps)."""
    from fmtc_nb.geojson import example_region as impl

    return impl()
