"""Regions: the shapes a user draws or loads, checked, rasterised to per-row tile spans, and read from GeoJSON.

Modules, leaf first: :mod:`.spans` (the span type, merge and union), :mod:`.validate` (input checks),
:mod:`.rasterize` (each shape's spans), :mod:`.shapes` (the region classes), :mod:`.geojson` (in and out, specs).
:class:`fmtc_nb.cover.TileCover` reads regions; regions never read the cover.
"""

from fmtc_nb.regions.geojson import example_region, parse_region, region_from_geojson
from fmtc_nb.regions.shapes import (
    Bounds,
    Circle,
    Corridor,
    MultiPolygon,
    MultiRegion,
    Polygon,
    Rectangle,
    Region,
)
from fmtc_nb.regions.spans import Spans

__all__ = [
    "Bounds",
    "Circle",
    "Corridor",
    "MultiPolygon",
    "MultiRegion",
    "Polygon",
    "Rectangle",
    "Region",
    "Spans",
    "example_region",
    "parse_region",
    "region_from_geojson",
]
