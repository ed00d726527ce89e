"""The tiles of one zoom as GeoJSON for the map: one rectangle per row span (not per tile), so a zoom with
millions of tiles in a few thousand spans still draws quickly."""

from __future__ import annotations

from typing import Any

from fmtc_nb.cover import TileCover
from fmtc_nb.tilemath import unit_to_lat, unit_to_lon

#: Above this many spans the overlay is not drawn (the browser would struggle); choose a lower zoom.
MAX_SPANS = 5000


def span_features(cover: TileCover, z: int, max_spans: int = MAX_SPANS) -> list[dict[str, Any]] | None:
    """GeoJSON Polygons of the spans of ``cover`` at zoom ``z`` (None if there are more than ``max_spans``)."""
    y, x0, x1 = cover.spans(z)
    if y.size > max_spans:
        return None
    n = 1 << z
    west, east = unit_to_lon(x0 / n), unit_to_lon(x1 / n)
    north, south = unit_to_lat(y / n), unit_to_lat((y + 1) / n)
    return [
        {"type": "Feature", "properties": {"z": z, "y": int(row), "x0": int(a), "x1": int(b)},
         "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, nn], [w, nn], [w, s]]]}}
        for row, a, b, w, e, s, nn in zip(y.tolist(), x0.tolist(), x1.tolist(), west.tolist(), east.tolist(),
                                          south.tolist(), north.tolist(), strict=True)
    ]


def tiles_geojson(cover: TileCover | None, z: int, max_spans: int = MAX_SPANS) -> tuple[dict[str, Any], str]:
    """A FeatureCollection of the tiles at zoom ``z`` and one sentence saying what it shows."""
    empty: dict[str, Any] = {"type": "FeatureCollection", "features": []}
    if cover is None or z not in cover.counts:
        return empty, f"No tiles shown: zoom {z} is not in the chosen range."
    features = span_features(cover, z, max_spans)
    if features is None:
        return empty, f"Zoom {z} has too many tile rows to draw ({cover.spans(z)[0].size:,} spans); choose a lower zoom."
    return {"type": "FeatureCollection", "features": features}, (f"Orange strips: the {cover.counts[z]:,} tiles of zoom {z}, "
                                                                 "one strip per row of tiles.")
