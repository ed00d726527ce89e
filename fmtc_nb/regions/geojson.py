"""GeoJSON in and out for regions, region specs (``rect:``, ``circle:``, ``line:``) and the example region."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fmtc_nb.errors import RegionError
from fmtc_nb.regions.antimeridian import check_no_long_edge
from fmtc_nb.regions.shapes import Circle, Corridor, MultiPolygon, MultiRegion, Polygon, Rectangle, Region

MAX_DEPTH = 16
"""How deep GeometryCollections may nest (GeoJSON advises against nesting them at all)."""


def _label(number: int, feature: dict[str, Any]) -> str:
    """How a sentence names a feature: its place in the collection (1-based) and its name or id when it has one."""
    props = feature.get("properties")
    name = (props.get("name") if isinstance(props, dict) else None) or feature.get("id")
    return f"Feature {number} ({str(name)[:60]!r})" if name not in (None, "") else f"Feature {number}"


def _check_edges(kind: str, coords: Any, what: str) -> None:
    """RegionError when a ring or line of a Polygon, MultiPolygon or LineString has an edge over 180 degrees wide."""
    if kind == "LineString":
        check_no_long_edge(coords, False, what)
    for polygon in {"Polygon": [coords], "MultiPolygon": coords}.get(kind, []):
        for ring in polygon:
            check_no_long_edge(ring, True, what)


def _geometry(geom: Any, props: dict[str, Any], depth: int = 0, what: str = "The GeoJSON shape") -> Region:
    if not isinstance(geom, dict) or "type" not in geom:
        raise RegionError("A GeoJSON geometry must be an object with a 'type'.")
    if depth > MAX_DEPTH:
        raise RegionError(f"The GeoJSON nests GeometryCollections more than {MAX_DEPTH} deep.")
    kind = geom["type"]
    coords: Any = geom.get("coordinates")  # checked by each shape; malformed ones raise below
    try:
        _check_edges(kind, coords, f"{what} ({kind})")
        if kind == "Polygon":
            return Polygon(coords[0], coords[1:])
        if kind == "MultiPolygon":
            return MultiPolygon(coords)
        if kind == "Point":
            if "radius_km" not in props:
                raise RegionError("A Point needs the property radius_km to be a circle region.")
            return Circle(coords[0], coords[1], props["radius_km"])
        if kind == "LineString":
            if "radius_m" not in props:
                raise RegionError("A LineString needs the property radius_m to be a corridor region.")
            return Corridor(coords, props["radius_m"])
        if kind == "GeometryCollection":
            return MultiRegion([_geometry(g, props, depth + 1, what) for g in geom.get("geometries", [])])
    except RegionError:
        raise
    except (TypeError, IndexError, KeyError, ValueError):
        raise RegionError(f"The GeoJSON {kind} has malformed coordinates.") from None
    raise RegionError(f"GeoJSON type {kind!r} is not supported as a region.")


def region_from_geojson(obj: Any, depth: int = 0, what: str = "The GeoJSON shape") -> Region:
    """A Region from a GeoJSON Geometry, Feature or FeatureCollection (dict); a collection is the union.

    An edge wider than 180 degrees of longitude is refused (RegionError naming the feature): RFC 7946 asks
    writers to cut shapes at the antimeridian, so such an edge is ambiguous (see
    :mod:`fmtc_nb.regions.antimeridian`)."""
    if depth > MAX_DEPTH:
        raise RegionError(f"The GeoJSON nests collections more than {MAX_DEPTH} deep.")
    if not isinstance(obj, dict) or "type" not in obj:
        raise RegionError("GeoJSON must be an object with a 'type'.")
    if obj["type"] == "FeatureCollection":
        feats = obj.get("features")
        if not isinstance(feats, list) or not feats:
            raise RegionError("The GeoJSON FeatureCollection has no features.")
        regions = [region_from_geojson(f, depth + 1, _label(i, f) if isinstance(f, dict) else what)
                   for i, f in enumerate(feats, start=1)]
        return regions[0] if len(regions) == 1 else MultiRegion(regions)
    if obj["type"] == "Feature":
        props = obj.get("properties") or {}
        if not isinstance(props, dict):
            raise RegionError("GeoJSON Feature properties must be an object.")
        return _geometry(obj.get("geometry"), props, depth, what)
    return _geometry(obj, {}, depth, what)


def _numbers(text: str, spec: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise RegionError(f"Region spec {spec!r} has a value that is not a number.") from None


def parse_region(spec: str) -> Region:
    """A Region from a GeoJSON file path or ``rect:W,S,E,N``, ``circle:LON,LAT,RADIUS_KM``,
    ``line:RADIUS_M:LON1,LAT1,LON2,LAT2,...``."""
    head, sep, rest = spec.partition(":")
    if sep and head == "rect":
        v = _numbers(rest, spec)
        if len(v) != 4:
            raise RegionError(f"Region spec {spec!r} needs 4 numbers: rect:W,S,E,N.")
        return Rectangle(*v)
    if sep and head == "circle":
        v = _numbers(rest, spec)
        if len(v) != 3:
            raise RegionError(f"Region spec {spec!r} needs 3 numbers: circle:LON,LAT,RADIUS_KM.")
        return Circle(*v)
    if sep and head == "line":
        radius, sep2, pts = rest.partition(":")
        r = _numbers(radius, spec) if sep2 else []
        v = _numbers(pts, spec) if sep2 else []
        if len(r) != 1 or len(v) < 4 or len(v) % 2:
            raise RegionError(f"Region spec {spec!r} needs line:RADIUS_M:LON1,LAT1,LON2,LAT2,...")
        points = list(zip(v[0::2], v[1::2], strict=True))
        check_no_long_edge(points, False, f"Region spec {spec!r}")
        return Corridor(points, r[0])
    path = Path(spec)
    if not path.is_file():
        if path.suffix.lower() in {".json", ".geojson"} or path.is_dir():
            raise RegionError(f"There is no GeoJSON file {spec!r} (rect:, circle: and line: specs are also accepted).")
        raise RegionError(f"Region {spec!r} is neither a GeoJSON file nor a rect:, circle: or line: spec.")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RegionError(f"File {spec} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") \
            from None
    except RecursionError:
        raise RegionError(f"File {spec} nests JSON too deeply to be a region.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegionError(f"File {spec} is not readable JSON ({exc.__class__.__name__}).") from None
    return region_from_geojson(obj)


def example_region() -> Region:
    """The bundled example region: Lake Geneva and the western Swiss Alps."""
    text = (Path(__file__).parent.parent / "data" / "example_region.geojson").read_text(encoding="utf-8")
    return region_from_geojson(json.loads(text))
