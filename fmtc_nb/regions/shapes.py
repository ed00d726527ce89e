"""The region shapes (lon/lat WGS84): rectangle, circle, corridor, polygon with holes, and unions of them.

Each shape checks its input on construction (:mod:`fmtc_nb.regions.validate`) and gives its exact per-row tile
spans at a zoom (:mod:`fmtc_nb.regions.rasterize`); :class:`fmtc_nb.cover.TileCover` counts, streams and
indexes those. Latitudes are clamped to +-85.0511287798 degrees.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from fmtc_nb.errors import RegionError
from fmtc_nb.regions.antimeridian import mark_long_way
from fmtc_nb.regions.rasterize import cap_half_width, cap_spans, capsule_spans, ring_spans, snap
from fmtc_nb.regions.spans import Spans, union_spans
from fmtc_nb.regions.validate import check_holes, check_point, check_radius, ring_coords
from fmtc_nb.tilemath import (
    MAX_LAT,
    angular_radius,
    lat_to_unit,
    lon_to_unit,
    metres_to_unit,
    unit_to_lat,
    unit_to_lon,
)

Bounds = tuple[float, float, float, float]
"""(west, south, east, north) in degrees; west > east when crossing the antimeridian."""


def _lon_cover(ranges: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(west, east) degrees of the narrowest longitude range holding all ``ranges`` (west > east crosses the
    antimeridian, as in :data:`Bounds`): the complement of the widest gap between them, so two parts either side
    of longitude 180 give 170..-170, not the whole world."""
    pieces = sorted(p for w, e in ranges for p in ([(w, e)] if w <= e else [(w, 180.0), (-180.0, e)]))
    merged: list[list[float]] = []
    for w, e in pieces:
        if merged and w <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([w, e])
    gaps = [(merged[i][1], merged[i + 1][0]) for i in range(len(merged) - 1)]  # (gap's west end, its east end)
    wrap = merged[0][0] + 360.0 - merged[-1][1]  # the gap across longitude 180
    widest = max(gaps, key=lambda g: g[1] - g[0], default=None)
    if widest is None or widest[1] - widest[0] <= wrap:
        return (-180.0, 180.0) if wrap <= 0 else (merged[0][0], merged[-1][1])
    return widest[1], widest[0]


class Region:
    """Base class: a set of points on the map, covered by tiles."""

    kind: ClassVar[str] = "region"

    @property
    def bounds(self) -> Bounds:
        """(west, south, east, north) in degrees; west > east when crossing the antimeridian."""
        raise NotImplementedError

    def to_geojson(self) -> dict[str, Any]:
        """This region as a GeoJSON Feature or FeatureCollection (dict)."""
        raise NotImplementedError

    def spans(self, z: int) -> Spans:
        """Sorted disjoint spans (y, x0, x1_exclusive) of the tiles of this region at zoom ``z``."""
        raise NotImplementedError


class Polygon(Region):
    """A polygon with optional holes; rings are sequences of (lon, lat), edges straight in Web Mercator."""

    kind = "polygon"

    def __init__(
        self, exterior: Sequence[Sequence[float]], holes: Iterable[Sequence[Sequence[float]]] = ()
    ) -> None:
        self.exterior = ring_coords(exterior, "polygon ring")
        self.holes = [ring_coords(h, "polygon hole") for h in holes]
        self._ux = [snap(lon_to_unit(r[:, 0])) for r in [self.exterior, *self.holes]]
        self._uy = [snap(lat_to_unit(r[:, 1])) for r in [self.exterior, *self.holes]]
        check_holes([np.stack([ux, uy], axis=1) for ux, uy in zip(self._ux, self._uy, strict=True)])

    @property
    def bounds(self) -> Bounds:
        e = self.exterior
        return float(e[:, 0].min()), float(e[:, 1].min()), float(e[:, 0].max()), float(e[:, 1].max())

    def coordinates(self) -> list[list[list[float]]]:
        """GeoJSON Polygon coordinates (closed rings); an edge over 180 degrees of longitude wide gets a vertex in
        its middle, so a reader (this one included) sees it goes the long way round."""
        rings = [mark_long_way(r.tolist(), closed=True) for r in [self.exterior, *self.holes]]
        return [[*r, r[0]] for r in rings]

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
        return ring_spans(xs, ys, n)


class MultiRegion(Region):
    """The union of several regions: a tile where they overlap is counted and yielded once."""

    kind = "multi"

    def __init__(self, regions: Iterable[Region]) -> None:
        self.regions: list[Region] = list(regions)
        if not self.regions:
            raise RegionError("A multi-region needs at least one region.")

    @property
    def bounds(self) -> Bounds:
        b = np.array([r.bounds for r in self.regions])
        west, east = _lon_cover([(float(w), float(e)) for w, _, e, _ in b])
        return west, float(b[:, 1].min()), east, float(b[:, 3].max())

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
        self.polygons = [p if isinstance(p, Polygon) else Polygon(p[0], p[1:]) for p in polygons]
        super().__init__(self.polygons)

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "MultiPolygon", "coordinates": [p.coordinates() for p in self.polygons]},
        }


class Rectangle(Region):
    """A lon/lat rectangle; west > east means it crosses the antimeridian."""

    kind = "rectangle"

    def __init__(self, west: float, south: float, east: float, north: float) -> None:
        west, south = check_point(west, south)
        east, north = check_point(east, north)
        if south >= north:
            raise RegionError(f"Rectangle south {south} must be less than north {north}.")
        if west == east or (west == 180.0 and east == -180.0):  # the same meridian: no width either way
            raise RegionError(f"Rectangle west {west} and east {east} are the same meridian, so it has no width.")
        self.west, self.south, self.east, self.north = west, south, east, north
        pieces = [(west, east)] if west < east else [(west, 180.0), (-180.0, east)]
        self._polys = [Polygon([(w, south), (e, south), (e, north), (w, north)]) for w, e in pieces if e > w]

    @property
    def bounds(self) -> Bounds:
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
        self.lon, self.lat = check_point(lon, lat)
        self.radius_km = check_radius(radius_km, "Circle radius", "km")
        self._d = angular_radius(self.radius_km * 1000.0)  # radians

    @property
    def bounds(self) -> Bounds:
        dd = math.degrees(self._d)
        s, n = max(-90.0, self.lat - dd), min(90.0, self.lat + dd)
        w = float(cap_half_width(self.lat, self._d, math.radians(max(-MAX_LAT, s)), math.radians(min(MAX_LAT, n))))
        if w >= math.pi:
            return -180.0, s, 180.0, n
        wd = math.degrees(w)
        west = (self.lon - wd + 180.0) % 360.0 - 180.0
        east = (self.lon + wd + 180.0) % 360.0 - 180.0
        return west, s, east, n

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"radius_km": self.radius_km},
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
        }

    def spans(self, z: int) -> Spans:
        return cap_spans(self.lon, self.lat, self._d, z)


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
        pts = [check_point(*p[:2]) for p in path]
        if len(pts) < 2:
            raise RegionError("A corridor path needs at least 2 points.")
        self.path, self.radius_m = pts, check_radius(radius_m, "Corridor radius", "m")
        arr = np.array(pts)
        self._ux, self._uy = snap(lon_to_unit(arr[:, 0])), snap(lat_to_unit(arr[:, 1]))
        self._ur = metres_to_unit(self.radius_m, (arr[:-1, 1] + arr[1:, 1]) / 2)  # capsule radius per segment

    @property
    def bounds(self) -> Bounds:
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
        return capsule_spans(ux[:-1], uy[:-1], ux[1:], uy[1:], self._ur * n, n)
