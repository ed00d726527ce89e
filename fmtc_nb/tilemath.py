"""Web Mercator tile arithmetic: lon/lat (degrees) to world coordinates in tiles, and back."""

from __future__ import annotations

import math

import numpy as np

MAX_LAT = 85.0511287798
"""Latitudes are clamped to +-MAX_LAT degrees (the edge of the Web Mercator square)."""
MAX_ZOOM = 22
EARTH_RADIUS_M = 6_371_008.8
"""Radius of the sphere used for circles and corridors, in metres."""


def lon_to_unit(lon: np.ndarray | float) -> np.ndarray:
    """Longitude in degrees to x in [0, 1] (fraction of the world width, 0 at 180 W)."""
    return (np.clip(np.asarray(lon, dtype=float), -180.0, 180.0) + 180.0) / 360.0


def lat_to_unit(lat: np.ndarray | float) -> np.ndarray:
    """Latitude in degrees to y in [0, 1] (0 at the north edge), clamped to +-MAX_LAT."""
    phi = np.radians(np.clip(np.asarray(lat, dtype=float), -MAX_LAT, MAX_LAT))
    return (1.0 - np.log(np.tan(phi) + 1.0 / np.cos(phi)) / math.pi) / 2.0


def unit_to_lat(y: np.ndarray | float) -> np.ndarray:
    """y in [0, 1] (0 at the north edge) to latitude in degrees."""
    return np.degrees(np.arctan(np.sinh(math.pi * (1.0 - 2.0 * np.asarray(y, dtype=float)))))


def unit_to_lon(x: np.ndarray | float) -> np.ndarray:
    """x in [0, 1] to longitude in degrees."""
    return np.asarray(x, dtype=float) * 360.0 - 180.0


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of tile z/x/y."""
    n = 1 << z
    return (
        float(unit_to_lon(x / n)),
        float(unit_to_lat((y + 1) / n)),
        float(unit_to_lon((x + 1) / n)),
        float(unit_to_lat(y / n)),
    )
