"""Shapes a person mis-draws on the region picker (a two-point polygon, a zero-area rectangle, a one-point line,
a circle of radius 0) are each left out with one sentence while the other shapes keep counting; shapes drawn
across the antimeridian, or on a copy of the world east of the first one (Leaflet then reports longitudes past
180), count as the same place on the one world, or get one sentence when no region can hold them."""

from __future__ import annotations

from typing import Any

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Circle, Corridor, Polygon, Rectangle
from fmtc_nb.widgets import RegionPicker
from fmtc_nb.widgets.region_picker import fit_view

ZOOMS = "0-9"
GOOD = Rectangle(6.0, 46.0, 6.5, 46.5)


def drawn(gtype: str, coords: Any, kind: str, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"type": kind, **props}, "geometry": {"type": gtype, "coordinates": coords}}


def counts(region: object) -> dict[int, int]:
    return TileCover(region, range(0, 10)).counts


@pytest.fixture
def picker() -> RegionPicker:
    picker = RegionPicker("http://127.0.0.1:9/{z}/{x}/{y}.png", zooms=ZOOMS)
    picker.set_regions(GOOD, fit=False)
    return picker


MISDRAWN = {
    "polygon of two points": (drawn("Polygon", [[[6, 46], [7, 46], [6, 46]]], "polygon"), "fewer than 3 distinct"),
    "zero-area rectangle": (drawn("Polygon", [[[6, 46]] * 5], "rectangle"), "must be less than"),
    "flat rectangle": (drawn("Polygon", [[[6, 46], [7, 46], [7, 46], [6, 46], [6, 46]]], "rectangle"),
                       "must be less than"),
    "line of one point": (drawn("LineString", [[6, 46]], "polyline"), "at least 2 points"),
    "circle of radius 0": (drawn("Point", [6, 46], "circle", style={"radius": 0}), "radius must be positive"),
    "polygon across the antimeridian": (drawn("Polygon", [[[170, 10], [190, 10], [190, 20], [170, 10]]], "polygon"),
                                        "crosses the antimeridian"),
    "line across the antimeridian": (drawn("LineString", [[175, 10], [185, 12]], "polyline"),
                                     "crosses the antimeridian"),
}


@pytest.mark.parametrize("name", MISDRAWN)
def test_a_misdrawn_shape_is_one_sentence_and_the_picker_keeps_working(picker: RegionPicker, name: str) -> None:
    feature, phrase = MISDRAWN[name]
    before = picker.counts
    picker.draw.data = [*picker.draw.data, feature]
    assert picker.counts == before and picker.region is not None
    assert [b.number for b in picker.bad_shapes] == [2]
    assert picker.error.startswith("Shape 2: ") and phrase in picker.error, picker.error
    assert picker.error.count(". ") == 0 and "Traceback" not in picker.summary.value
    picker.draw.data = picker.draw.data[:1]  # erased: the picker is as before
    assert picker.error is None and picker.counts == before


def test_a_rectangle_drawn_across_the_antimeridian_is_the_two_sided_rectangle(picker: RegionPicker) -> None:
    ring = [[170, 10], [190, 10], [190, 20], [170, 20], [170, 10]]  # Leaflet east of 180: -170 reads 190
    picker.draw.data = [drawn("Polygon", [ring], "rectangle")]
    assert picker.error is None
    assert picker.counts == counts(Rectangle(170.0, 10.0, -170.0, 20.0))
    west_of_it = [[-200, 10], [-180, 10], [-180, 20], [-200, 20], [-200, 10]]  # the same, one world west
    picker.draw.data = [drawn("Polygon", [west_of_it], "rectangle")]
    assert picker.error is None and picker.counts == counts(Rectangle(160.0, 10.0, 180.0, 20.0))


@pytest.mark.parametrize("turns", [1, -2])
def test_shapes_drawn_on_another_copy_of_the_world_count_as_the_same_place(picker: RegionPicker, turns: int) -> None:
    shift = 360 * turns
    ring = [[8.0, 47.0], [8.6, 47.1], [8.3, 47.5], [8.0, 47.0]]
    path = [[6.95, 46.3], [7.35, 46.23], [7.6, 46.3]]
    shapes = [
        (drawn("Polygon", [[[x + shift, y] for x, y in ring]], "polygon"), Polygon([tuple(p) for p in ring])),
        (drawn("LineString", [[x + shift, y] for x, y in path], "polyline", radius_m=2000),
         Corridor([tuple(p) for p in path], 2000)),
        (drawn("Point", [7.44 + shift, 46.95], "circle", style={"radius": 12000}), Circle(7.44, 46.95, 12)),
        (drawn("Polygon", [[[6 + shift, 46], [6.5 + shift, 46], [6.5 + shift, 46.5], [6 + shift, 46.5],
                            [6 + shift, 46]]], "rectangle"), GOOD),
    ]
    for feature, region in shapes:
        picker.draw.data = [feature]
        assert picker.error is None, picker.error
        assert picker.counts == counts(region), region.kind


def test_fit_shows_a_rectangle_across_the_antimeridian_not_the_whole_world(picker: RegionPicker) -> None:
    rect = Rectangle(170.0, -20.0, -170.0, -10.0)  # the map echoes it back as one polygon either side of 180
    picker.set_regions(rect)
    assert picker.region is not None and picker.region.bounds == (170.0, -20.0, -170.0, -10.0)
    (lat, lon), zoom = fit_view(rect.bounds)
    assert abs(picker.map.center[1]) == pytest.approx(180.0) and picker.map.center[0] == pytest.approx(lat)
    assert picker.map.zoom == zoom >= 4  # 20 degrees wide: zoom 1 showed the whole world
    picker.add_region(Circle(10.0, 45.0, 50))  # a part far away: the widest gap decides which way round
    picker.fit()
    assert picker.region.bounds[0] == pytest.approx(9.36, abs=0.01) and picker.region.bounds[2] == -170.0
