"""``fmtc_nb.units``: the one byte formatter every command and panel uses."""

from __future__ import annotations

import pytest

from fmtc_nb.units import human_bytes


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (999, "999 B"), (1000, "1 kB"), (262_144, "262 kB"),
                                         (1_100_000, "1.1 MB"), (2e9, "2 GB"), (3.5e12, "3.5 TB")])
def test_human_bytes_uses_si_units(n, text):
    assert human_bytes(n) == text


def test_hostile_geojson_is_one_sentence():
    """Collections nested far past any real use, and integers too large for a float, are refused in a sentence."""
    import json

    from fmtc_nb.errors import RegionError
    from fmtc_nb.regions import region_from_geojson

    geom: dict = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    for _ in range(400):
        geom = {"type": "GeometryCollection", "geometries": [geom]}
    with pytest.raises(RegionError, match="nests GeometryCollections more than 16 deep"):
        region_from_geojson(geom)
    huge = json.loads('{"type": "Polygon", "coordinates": [[[1' + "0" * 400 + ', 0], [1, 0], [1, 1], [0, 0]]]}')
    with pytest.raises(RegionError, match="too large"):
        region_from_geojson(huge)
    with pytest.raises(RegionError, match="too large"):
        region_from_geojson({"type": "Feature", "properties": {"radius_km": 10**400},
                             "geometry": {"type": "Point", "coordinates": [0, 0]}})
