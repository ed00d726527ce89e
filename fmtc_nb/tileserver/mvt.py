"""Mapbox Vector Tiles of the demo basemap: the Natural Earth layers of :mod:`fmtc_nb.tileserver.basemap` cut to
a tile, in tile coordinates (extent 4096, y down), encoded by the ``mapbox-vector-tile`` package.

Layers (the same data and zoom bands as the raster tiles):

- ``land``, ``lakes``: polygons (lakes with their islands as holes);
- ``rivers``: lines;
- ``boundaries``: lines with ``admin_level`` 2 (countries) or 4 (states, provinces; from z5);
- ``places``: points with ``name`` (from z3; names in full Unicode, drawn with the demo glyphs);
- ``ocean``: one square covering the whole tile, only in tiles that hold nothing else, so every open-sea tile is
  the same bytes (the vector sea tile) and the map's background need not be the water colour.

Tiles exist for z0-:data:`MAX_ZOOM`; maps over-zoom the deepest ones. Needs ``shapely`` and
``mapbox-vector-tile`` (the ``demo-vector`` extra); only the demo server imports this module.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from fmtc_nb.tileserver import basemap
from fmtc_nb.tileserver.labels import FIRST_ZOOM as PLACES_ZOOM
from fmtc_nb.tileserver.render import ADMIN1_ZOOM

MAX_ZOOM = 8
"""Deepest zoom of the vector tiles: the 1:10m data holds no more detail (maps over-zoom z8 tiles)."""
EXTENT = 4096
"""Tile coordinates run 0..EXTENT in both directions (y down)."""
BUFFER = 64
"""Geometry reaches this many tile units past each edge, so lines and fills join across tiles."""
LAYERS = {
    "ocean": "a square over the whole tile, only in tiles that hold nothing else",
    "land": "land polygons",
    "lakes": "lake polygons (islands are holes)",
    "rivers": "river and lake centre lines",
    "boundaries": "country (admin_level 2) and first-level (admin_level 4, from z5) boundary lines",
    "places": "populated places (from z3)",
}
FIELDS = {"boundaries": {"admin_level": "Number"}, "places": {"name": "String"}}


def vector_layers() -> list[dict[str, Any]]:
    """The TileJSON / MBTiles ``vector_layers`` entries of these tiles."""
    return [{"id": name, "description": text, "minzoom": PLACES_ZOOM if name == "places" else 0,
             "maxzoom": MAX_ZOOM, "fields": FIELDS.get(name, {})} for name, text in LAYERS.items()]


class _TileFrame:
    """World units to tile units for tile z/x/y, and the tile's box (plus buffer) in world units."""

    def __init__(self, z: int, x: int, y: int) -> None:
        self.n = 1 << z
        self.x, self.y = x, y
        margin = BUFFER / EXTENT / self.n
        self.box = (x / self.n - margin, y / self.n - margin, (x + 1) / self.n + margin, (y + 1) / self.n + margin)

    def units(self, points: np.ndarray) -> np.ndarray:
        return (points * self.n - (self.x, self.y)) * EXTENT


def _polygons(layer: basemap.Layer, parts: np.ndarray, frame: _TileFrame) -> Any:
    """The union of the layer's rings near the tile less its holes, clipped to the buffered tile."""
    import shapely

    if not len(parts):
        return None
    rings = [shapely.Polygon(frame.units(layer.points(i))) for i in parts.tolist()]
    holes = layer.hole[parts].astype(bool)
    rings = shapely.make_valid(np.array(rings, dtype=object))
    solid = shapely.union_all(rings[~holes])
    if holes.any():
        solid = solid.difference(shapely.union_all(rings[holes]))
    clipped = shapely.clip_by_rect(solid, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    return None if clipped.is_empty else clipped


def _lines(layer: basemap.Layer, parts: np.ndarray, frame: _TileFrame) -> Any:
    """The layer's lines near the tile, clipped to the buffered tile."""
    import shapely

    if not len(parts):
        return None
    lines = shapely.MultiLineString([frame.units(layer.points(i)) for i in parts.tolist()])
    clipped = shapely.clip_by_rect(lines, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    return None if clipped.is_empty else clipped


def tile_features(z: int, x: int, y: int) -> dict[str, list[dict[str, Any]]]:
    """The features of tile z/x/y by layer: ``{"geometry": shapely geometry (tile units), "properties": {...}}``."""
    import shapely

    frame = _TileFrame(z, x, y)
    band = basemap.band(basemap.band_name(z))
    layers: dict[str, list[dict[str, Any]]] = {}

    def add(layer: str, geometry: Any, **properties: Any) -> None:
        if geometry is not None:
            layers.setdefault(layer, []).append({"geometry": geometry, "properties": properties})

    def near(name: str) -> np.ndarray:
        return band.layers[name].parts_near(frame.box, z, z)

    add("land", _polygons(band.layers["land"], near("land"), frame))
    add("lakes", _polygons(band.layers["lakes"], near("lakes"), frame))
    add("rivers", _lines(band.layers["rivers"], near("rivers"), frame))
    if "admin1" in band.layers and z >= ADMIN1_ZOOM:
        add("boundaries", _lines(band.layers["admin1"], near("admin1"), frame), admin_level=4)
    add("boundaries", _lines(band.layers["admin0"], near("admin0"), frame), admin_level=2)
    if z >= PLACES_ZOOM:
        places = basemap.places()
        inside = np.flatnonzero((places.xy[:, 0] >= frame.x / frame.n) & (places.xy[:, 0] < (frame.x + 1) / frame.n)
                                & (places.xy[:, 1] >= frame.y / frame.n) & (places.xy[:, 1] < (frame.y + 1) / frame.n))
        for i in inside.tolist():
            add("places", shapely.Point(frame.units(places.xy[i])), name=places.names[i])
    if not layers:
        add("ocean", shapely.box(-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER))
    return layers


def encoder_missing() -> str | None:
    """A sentence naming the extra to install when ``mapbox_vector_tile`` is absent, else None."""
    try:
        import mapbox_vector_tile  # noqa: F401
        import shapely  # noqa: F401
    except ImportError:
        return "Vector tiles need the demo-vector extra: pip install 'fmtc-nb[demo-vector]'"
    return None


@lru_cache(maxsize=4096)
def vector_tile(z: int, x: int, y: int) -> bytes:
    """The encoded (uncompressed) vector tile z/x/y; ValueError outside z0-:data:`MAX_ZOOM`."""
    import mapbox_vector_tile

    n = 1 << z
    if not (0 <= z <= MAX_ZOOM and 0 <= x < n and 0 <= y < n):
        raise ValueError(f"Vector tile {z}/{x}/{y} is outside the z0-{MAX_ZOOM} pyramid.")
    layers = [{"name": name, "features": features} for name, features in tile_features(z, x, y).items()]
    data: bytes = mapbox_vector_tile.encode(layers, default_options={"extents": EXTENT, "y_coord_down": True})
    return data
