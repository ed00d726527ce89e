"""Edges wider than 180 degrees of longitude: found in GeoJSON input, marked in GeoJSON output.

RFC 7946 section 3.1.9 asks GeoJSON writers to cut a shape that crosses the antimeridian in two, yet a shape drawn
in QGIS across it and exported keeps an edge from, say, longitude 170 to -170. Read literally (edges are straight
in lon/lat) that edge goes the long way round, 340 degrees; its author almost always meant 20 degrees across
longitude 180. fmtc-nb does not guess: the reader refuses such an edge with one sentence, and the writer splits
any edge it means the long way so its own output never has one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from fmtc_nb.errors import RegionError
from fmtc_nb.tilemath import lat_to_unit, unit_to_lat


def _edges(points: Sequence[Sequence[Any]], closed: bool) -> list[tuple[Sequence[Any], Sequence[Any]]]:
    pairs = list(zip(points[:-1], points[1:], strict=True))
    return pairs + [(points[-1], points[0])] if closed and points else pairs


def _ambiguous(lon_a: float, lon_b: float) -> bool:
    """True for an edge over 180 degrees of longitude wide; not for 180 to -180, which across the antimeridian
    would have no width, so it runs along a pole (as Antarctica's ring does)."""
    on_180 = abs(abs(lon_a) - 180.0) < 1e-9 and abs(abs(lon_b) - 180.0) < 1e-9
    return abs(lon_b - lon_a) > 180.0 and not on_180


def check_no_long_edge(points: Sequence[Sequence[Any]], closed: bool, what: str) -> None:
    """RegionError naming ``what`` (e.g. "Feature 2 ('Fiji')") when an edge of ``points`` ((lon, lat) degrees;
    ``closed`` for a ring) spans more than 180 degrees of longitude, which GeoJSON leaves ambiguous."""
    for a, b in _edges(points, closed):
        try:
            lon_a, lon_b = float(a[0]), float(b[0])
        except (TypeError, ValueError, IndexError, OverflowError):
            return  # malformed positions: the shape's own checks name them
        if not (math.isfinite(lon_a) and math.isfinite(lon_b)):
            return  # the same
        width = abs(lon_b - lon_a)
        if _ambiguous(lon_a, lon_b):
            raise RegionError(
                f"{what} has an edge from longitude {a[0]:g} to {b[0]:g}, {width:g} degrees wide, which GeoJSON "
                f"(RFC 7946 section 3.1.9) leaves ambiguous: fmtc-nb will not guess whether it crosses longitude "
                f"180 ({360 - width:g} degrees) or goes the long way round; cut the shape in two at longitude 180 "
                f"(ogr2ogr -wrapdateline does), or add a vertex on the edge if the long way is meant.")


def mark_long_way(points: Sequence[Sequence[float]], closed: bool) -> list[list[float]]:
    """``points`` ((lon, lat) degrees) with a vertex added in the middle of every edge wider than 180 degrees of
    longitude, halfway in Web Mercator so the edge stays the same straight line; no edge is then ambiguous."""
    out: list[list[float]] = []
    for a, b in _edges(points, closed):
        out.append([float(a[0]), float(a[1])])
        if _ambiguous(a[0], b[0]):
            lat = float(unit_to_lat((lat_to_unit(a[1]) + lat_to_unit(b[1])) / 2))
            out.append([(a[0] + b[0]) / 2, lat])
    if not closed and points:
        out.append([float(points[-1][0]), float(points[-1][1])])
    return out
