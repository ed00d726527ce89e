"""Independent per-tile oracle (tests only): shapely on Web Mercator geometry."""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.prepared
from shapely.geometry import LineString, box
from shapely.geometry import Polygon as SPolygon

from fmtc_nb.tilemath import lat_to_unit, lon_to_unit


def merc_ring(ring, n):
    ring = np.asarray(ring, dtype=float)
    return list(
        zip((lon_to_unit(ring[:, 0]) * n).tolist(), (lat_to_unit(ring[:, 1]) * n).tolist(), strict=True)
    )


def merc_geometry(geojson_geom, n):
    """A shapely geometry in tile units of a GeoJSON Polygon/MultiPolygon."""
    if geojson_geom["type"] == "Polygon":
        polys = [geojson_geom["coordinates"]]
    else:
        polys = geojson_geom["coordinates"]
    return shapely.MultiPolygon(
        [SPolygon(merc_ring(p[0], n), [merc_ring(h, n) for h in p[1:]]) for p in polys]
    )


def oracle_tiles(geom, z, slivers=None):
    """Tiles (z, x, y), sorted by y then x, whose square overlaps ``geom`` (tile units) with positive area.

    Overlaps of area at most 1e-9 tile (float rounding decides them) are left out and, if ``slivers`` is a set,
    added to it; tiles that only touch (area exactly 0) are out.
    """
    minx, miny, maxx, maxy = geom.bounds
    n = 1 << z
    out = []
    prepared = shapely.prepared.prep(geom)
    for y in range(max(0, math.floor(miny)), min(n, math.ceil(maxy))):
        for x in range(max(0, math.floor(minx)), min(n, math.ceil(maxx))):
            b = box(x, y, x + 1, y + 1)
            if prepared.intersects(b):
                area = geom.intersection(b).area
                if area > 1e-9:
                    out.append((z, x, y))
                elif area > 0 and slivers is not None:
                    slivers.add((z, x, y))
    return out


def segment(p, q, n):
    return LineString(merc_ring([p, q], n))
