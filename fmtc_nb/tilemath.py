"""Web Mercator and sphere arithmetic: lon/lat (degrees) to world units (0-1) and tiles, and back; metres.

The one home of these formulas: regions, the cover, the engine (the sea tile) and the tile server use them.
"""

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


def unit_to_lat_rad(y: np.ndarray | float) -> np.ndarray:
    """y in [0, 1] (0 at the north edge) to latitude in radians."""
    return np.arctan(np.sinh(math.pi * (1.0 - 2.0 * np.asarray(y, dtype=float))))


def unit_to_lat(y: np.ndarray | float) -> np.ndarray:
    """y in [0, 1] (0 at the north edge) to latitude in degrees."""
    return np.degrees(unit_to_lat_rad(y))


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


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The tile (z, x, y) holding the point (lon, lat in degrees, |lat| < MAX_LAT) at zoom ``z``."""
    n = 1 << z
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, int((lon + 180) / 360 * n), y


def metres_to_unit(metres: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    """A ground distance in metres at latitude ``lat`` (degrees, clamped to MAX_LAT) in world units (0-1).

    Web Mercator stretches distances by sec(latitude); the sphere has radius :data:`EARTH_RADIUS_M`.
    """
    phi = np.radians(np.minimum(MAX_LAT, np.abs(lat)))
    return metres / (2 * math.pi * EARTH_RADIUS_M * np.cos(phi))


def angular_radius(metres: float) -> float:
    """A great-circle distance in metres as an angle in radians on the sphere (at most pi)."""
    return min(metres / EARTH_RADIUS_M, math.pi)
