"""Drawn shapes <-> regions: the GeoJSON features of ipyleaflet's GeomanDrawControl ``data`` and fmtc-nb regions.

Geoman reports each layer as a Feature whose ``properties.type`` is ``rectangle``, ``circle`` (a Point with the
radius in metres in ``properties.style.radius``), ``polygon`` or ``polyline``. A polyline becomes a corridor of
``properties.radius_m`` metres, or of the picker's corridor radius when the user drew it. Shapes set from Python
carry ``properties.fmtc_kind`` so a rectangle stays a rectangle after the map echoes it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fmtc_nb.errors import FmtcError, RegionError
from fmtc_nb.regions import (
    Circle,
    Corridor,
    MultiPolygon,
    MultiRegion,
    Polygon,
    Rectangle,
    Region,
    region_from_geojson,
)
from fmtc_nb.regions.antimeridian import mark_long_way

#: Leaflet path style of shapes set from Python (the same blue as Geoman's own).
SHAPE_STYLE = {"color": "#3388ff", "weight": 3, "fillOpacity": 0.15}


def _kind(feature: dict[str, Any]) -> str:
    props = feature.get("properties") or {}
    return str(props.get("fmtc_kind") or props.get("type") or "").lower()


def _wrap(lon: float) -> float:
    """``lon`` (degrees) brought into [-180, 180): a map panned across the antimeridian reports 190 for -170."""
    return (lon + 180.0) % 360.0 - 180.0


def _positions(coords: Any) -> list[list[Any]]:
    """Every [lon, lat, ...] position in nested GeoJSON ``coords``."""
    if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
        return [coords]
    return [p for part in coords for p in _positions(part)] if isinstance(coords, list) else []


def _shifted(coords: Any, degrees: float) -> Any:
    """``coords`` with ``degrees`` added to every longitude."""
    if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
        return [coords[0] + degrees, *coords[1:]]
    return [_shifted(part, degrees) for part in coords] if isinstance(coords, list) else coords


def _into_world(geometry: dict[str, Any]) -> dict[str, Any]:
    """``geometry`` moved by whole turns so its longitudes lie in [-180, 180] (a shape drawn on a copy of the
    world east or west of the first one); RegionError if it straddles the antimeridian, which polygons and lines
    cannot (rectangles and circles can)."""
    lons = [p[0] for p in _positions(geometry.get("coordinates")) if isinstance(p[0], int | float)]
    if not lons or (min(lons) >= -180.0 and max(lons) <= 180.0):
        return geometry
    turns = (min(lons) + 180.0) // 360.0
    if max(lons) - 360.0 * turns > 180.0:
        raise RegionError("The shape crosses the antimeridian (longitude 180), which polygons and lines cannot; "
                          "draw one shape on each side of it, or a rectangle or circle.")
    return {**geometry, "coordinates": _shifted(geometry["coordinates"], -360.0 * turns)}


def _long_way_marked(geometry: dict[str, Any]) -> dict[str, Any]:
    """A drawn line or polygon with a vertex in the middle of each edge over 180 degrees wide: on the map such an
    edge goes the long way round, which GeoJSON alone leaves ambiguous (:mod:`fmtc_nb.regions.antimeridian`)."""
    gtype = geometry.get("type")
    coords: Any = geometry.get("coordinates")
    try:
        if gtype == "LineString":
            return {**geometry, "coordinates": mark_long_way(coords, closed=False)}
        polygons = [coords] if gtype == "Polygon" else coords
        marked = [[mark_long_way(ring[:-1] if ring[0] == ring[-1] else ring, closed=True) for ring in p]
                  for p in polygons]
        marked = [[[*ring, ring[0]] for ring in p] for p in marked]
    except (TypeError, IndexError, KeyError, ValueError):
        return geometry  # malformed: the GeoJSON reader names it
    return {**geometry, "coordinates": marked[0] if gtype == "Polygon" else marked}


def _rectangle(coords: Any) -> Rectangle:
    """The rectangle of a drawn ring; drawn across the antimeridian, its west edge ends up east of its east edge."""
    lons = [p[0] for p in coords[0]]
    lats = [p[1] for p in coords[0]]
    west, width = min(lons), max(lons) - min(lons)
    if width >= 360.0:
        return Rectangle(-180.0, min(lats), 180.0, max(lats))
    west = _wrap(west)
    east = west + width
    return Rectangle(west, min(lats), east - 360.0 if east > 180.0 else east, max(lats))


def feature_to_region(feature: dict[str, Any], corridor_radius_m: float) -> Region:
    """The region of one drawn feature; polylines without ``radius_m`` get ``corridor_radius_m`` metres.

    Geoman's own conventions are read here (a rectangle typed ``rectangle``, a circle's radius in metres in
    its Leaflet style, the picker's corridor radius); the geometry itself goes through
    :func:`fmtc_nb.regions.region_from_geojson`, the one GeoJSON reader of the project."""
    geometry = feature.get("geometry") or {}
    coords: Any = geometry.get("coordinates")
    props = feature.get("properties") or {}
    gtype = geometry.get("type")
    if gtype == "Point":
        radius_m = props.get("radius_m")
        if radius_m is None:
            radius_m = (props.get("style") or {}).get("radius")
        if radius_m is None:
            raise RegionError("A drawn point needs a radius to be a circle region (draw a circle instead).")
        props = {"radius_km": float(radius_m) / 1000.0}
        if isinstance(coords, list) and coords and isinstance(coords[0], int | float):
            geometry = {**geometry, "coordinates": [_wrap(coords[0]) if abs(coords[0]) > 180 else coords[0],
                                                    *coords[1:]]}
    elif gtype == "LineString":
        props = {"radius_m": float(props.get("radius_m") or corridor_radius_m)}
        geometry = _long_way_marked(_into_world(geometry))
    elif gtype == "Polygon" and _kind(feature) == "rectangle":
        return _rectangle(coords)
    elif gtype in ("Polygon", "MultiPolygon"):
        geometry = _long_way_marked(_into_world(geometry))
    else:
        raise RegionError(f"A drawn {gtype or 'shape'} cannot be a region; draw a rectangle, circle, polygon or line.")
    return region_from_geojson({"type": "Feature", "properties": props, "geometry": geometry})


def union(regions: Sequence[Region]) -> Region | None:
    """One region covering ``regions`` (None for none)."""
    if not regions:
        return None
    return regions[0] if len(regions) == 1 else MultiRegion(list(regions))


def features_to_region(features: Sequence[dict[str, Any]], corridor_radius_m: float) -> Region | None:
    """The union of the drawn features (None when nothing is drawn); a bad feature raises ``RegionError``."""
    return union([feature_to_region(f, corridor_radius_m) for f in features])


@dataclass(frozen=True)
class BadShape:
    """A drawn feature that is no region: its place among the drawn shapes (1-based), the feature, and why."""

    number: int
    feature: dict[str, Any]
    reason: str


def sort_features(features: Sequence[dict[str, Any]],
                  corridor_radius_m: float) -> tuple[list[Region], list[BadShape]]:
    """The regions of the usable features and the bad ones with one sentence each, so one wrong shape never
    hides the others."""
    good: list[Region] = []
    bad: list[BadShape] = []
    for number, feature in enumerate(features, start=1):
        try:
            good.append(feature_to_region(feature, corridor_radius_m))
        except FmtcError as exc:
            bad.append(BadShape(number, feature, str(exc)))
        except (TypeError, IndexError, KeyError, ValueError, AttributeError):
            bad.append(BadShape(number, feature, "its coordinates are not a shape fmtc-nb can read."))
    return good, bad


def flatten(region: Region) -> list[Region]:
    """The drawable parts of a region: a multi-region's members, each multipolygon's polygons."""
    if isinstance(region, MultiPolygon):
        return list(region.regions)
    if isinstance(region, MultiRegion):
        return [part for member in region.regions for part in flatten(member)]
    return [region]


def region_to_features(region: Region) -> list[dict[str, Any]]:
    """Features the draw control can show (and edit) for ``region``."""
    out = []
    for part in flatten(region):
        style = dict(SHAPE_STYLE)
        props: dict[str, Any] = {"fmtc_kind": part.kind, "type": part.kind, "style": style}
        if isinstance(part, Circle):
            style["radius"] = part.radius_km * 1000.0
            props["type"] = "circle"
            geometry = {"type": "Point", "coordinates": [part.lon, part.lat]}
        elif isinstance(part, Corridor):
            props.update(type="polyline", radius_m=part.radius_m)
            geometry = {"type": "LineString", "coordinates": [list(p) for p in part.path]}
        elif isinstance(part, Rectangle | Polygon):
            geometry = part.to_geojson()["geometry"]
            if geometry["type"] != "Polygon":  # an antimeridian rectangle: one polygon per side
                out.extend(region_to_features(MultiPolygon(geometry["coordinates"])))
                continue
        else:
            raise RegionError(f"A {part.kind} region cannot be drawn on the map.")
        out.append({"type": "Feature", "properties": props, "geometry": geometry})
    return out


def regions_to_features(regions: Iterable[Region]) -> list[dict[str, Any]]:
    """Features of several regions, in order."""
    return [f for r in regions for f in region_to_features(r)]
