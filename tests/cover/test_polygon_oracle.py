"""Polygon, rectangle and multi-region covers against the shapely oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fmtc_nb
from fmtc_nb.cover import TileCover
from fmtc_nb.regions import MultiRegion, Polygon, Rectangle, region_from_geojson

from .oracle import merc_geometry, oracle_tiles

COUNTRIES = json.loads(
    (Path(fmtc_nb.__file__).parent / "data" / "naturalearth_110m_countries.geojson").read_text()
)


def country(name):
    for f in COUNTRIES["features"]:
        p = f["properties"]
        if name in (p.get("NAME"), p.get("ADMIN"), p.get("name")):
            return f
    raise KeyError(name)


def check(region, geom_of_zoom, zooms):
    """Tiles equal the oracle's, except tiles overlapping by a rounding-size sliver (either answer is fine)."""
    cover = TileCover(region, zooms)
    got = list(cover.tiles())
    assert len(got) == cover.total
    assert got == sorted(got, key=lambda t: (t[0], t[2], t[1]))
    expected, slivers = [], set()
    for z in zooms:
        expected.extend(oracle_tiles(geom_of_zoom(1 << z), z, slivers))
    assert [t for t in got if t not in slivers] == expected
    return cover


@pytest.mark.parametrize(
    ("name", "zooms"),
    [
        ("France", [0, 3, 6, 8]),
        ("South Africa", [4, 7, 8]),
        ("Lesotho", [6, 9]),
        ("Fiji", [3, 6, 8]),
        ("Norway", [5, 7]),
        ("Russia", [2, 4]),
        ("Italy", [6, 8]),
        ("Indonesia", [4, 6]),
        ("Antarctica", [3, 5]),
        ("Canada", [3, 5]),
        ("Brazil", [5, 7]),
        ("New Zealand", [5, 7]),
    ],
)
def test_countries_match_oracle(name, zooms):
    feat = country(name)
    region = region_from_geojson(feat)
    check(region, lambda n: merc_geometry(feat["geometry"], n).buffer(0), zooms)  # buffer(0): clamped poles


def test_south_africa_excludes_lesotho_interior():
    sa = region_from_geojson(country("South Africa"))
    le = region_from_geojson(country("Lesotho"))
    z = 9
    sa_tiles = set(TileCover(sa, [z]).tiles())
    le_tiles = set(TileCover(le, [z]).tiles())
    assert le_tiles - sa_tiles, "tiles strictly inside Lesotho must not belong to South Africa"


@pytest.mark.parametrize(
    "rect",
    [
        (-10.2, -5.5, 12.3, 20.1),
        (170.5, -20, -170.25, -10),
        (-180, -85.1, 180, 85.1),
        (0, 0, 45, 40.97989806962013),
    ],
)
def test_rectangles(rect):
    w, s, e, n = rect
    region = Rectangle(*rect)
    pieces = [(w, e)] if w < e else [(w, 180), (-180, e)]
    geom = {
        "type": "MultiPolygon",
        "coordinates": [[[[a, s], [b, s], [b, n], [a, n], [a, s]]] for a, b in pieces],
    }
    check(region, lambda k: merc_geometry(geom, k).buffer(0), [0, 2, 5, 7])


def test_edge_on_tile_boundary_does_not_count():
    # exactly the four z2 tiles 1..2 x 1..2 (edges on tile lines): neighbours are only touched
    from fmtc_nb.tilemath import unit_to_lat

    r = Rectangle(-90, 0, 0, float(unit_to_lat(0.25)))
    assert TileCover(r, [2]).counts == {2: 1}
    assert TileCover(r, [3]).counts == {3: 4}


def test_multi_region_overlap_counted_once():
    a, b = Rectangle(0, 0, 10, 10), Rectangle(5, 5, 15, 15)
    m = MultiRegion([a, b])
    for z in (4, 6, 8):
        assert list(TileCover(m, [z]).tiles()) == sorted(
            set(TileCover(a, [z]).tiles()) | set(TileCover(b, [z]).tiles()), key=lambda t: (t[0], t[2], t[1])
        )
        assert TileCover(m, [z]).total < TileCover(a, [z]).total + TileCover(b, [z]).total


ring_pt = st.tuples(st.floats(-60, 60), st.floats(-60, 60))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cx=st.floats(-150, 150),
    cy=st.floats(-60, 60),
    rx=st.floats(0.5, 25),
    ry=st.floats(0.5, 20),
    k=st.integers(3, 12),
    jitter=st.lists(st.floats(0.3, 1.0), min_size=12, max_size=12),
    hole=st.booleans(),
    z=st.integers(2, 7),
)
def test_random_star_polygons_with_holes(cx, cy, rx, ry, k, jitter, hole, z):
    import math

    ext = [
        (
            cx + rx * jitter[i] * math.cos(2 * math.pi * i / k),
            cy + ry * jitter[i] * math.sin(2 * math.pi * i / k),
        )
        for i in range(k)
    ]
    holes = []
    if hole:
        holes = [
            [
                (cx + 0.1 * rx * math.cos(2 * math.pi * i / 5), cy + 0.1 * ry * math.sin(2 * math.pi * i / 5))
                for i in range(5)
            ]
        ]
    region = Polygon(ext, holes)
    geom = {"type": "Polygon", "coordinates": [ext + ext[:1]] + [h + h[:1] for h in holes]}
    check(region, lambda n: merc_geometry(geom, n), [z])


def test_grid_aligned_polygon_vertices_on_tile_corners():
    # a polygon whose vertices all lie on z4 tile corners: tiles touched only at corners/edges do not count
    from fmtc_nb.tilemath import unit_to_lat, unit_to_lon

    n = 16
    pts = [(3, 3), (9, 3), (9, 6), (6, 6), (6, 10), (3, 10)]
    ring = [(float(unit_to_lon(x / n)), float(unit_to_lat(y / n))) for x, y in pts]
    region = Polygon(ring)
    geom = {"type": "Polygon", "coordinates": [ring + ring[:1]]}
    check(region, lambda k: merc_geometry(geom, k), [4, 5, 6])
