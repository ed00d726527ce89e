"""Indexing (tiles slices, tile_at, index_of), zoom parsing, GeoJSON round trip, CLI and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fmtc_nb.cli import main
from fmtc_nb.cover import TileCover
from fmtc_nb.errors import RegionError, ZoomError
from fmtc_nb.regions import (
    Circle,
    Corridor,
    MultiRegion,
    Polygon,
    Rectangle,
    example_region,
    parse_region,
    region_from_geojson,
)
from fmtc_nb.zooms import parse_zooms

REGIONS = [
    example_region(),
    Rectangle(170, -20, -170, -10),
    Circle(6.6, 46.5, 40),
    Corridor([(6.1, 46.2), (7.4, 46.9)], 4000),
    MultiRegion([Rectangle(0, 0, 2, 2), Circle(1, 1, 300)]),
]


@pytest.mark.parametrize("region", REGIONS, ids=lambda r: r.kind)
def test_slices_and_index_round_trip(region):
    cover = TileCover(region, "0-10")
    every = list(cover.tiles())
    assert len(every) == cover.total == sum(cover.counts.values())
    assert every == sorted(every, key=lambda t: (t[0], t[2], t[1]))
    assert len(set(every)) == len(every)
    for start, end in [
        (0, 5),
        (7, 7),
        (cover.total // 3, cover.total // 2),
        (cover.total - 3, None),
        (5, 10**9),
    ]:
        assert list(cover.tiles(start, end)) == every[start:end]
    for i in range(0, cover.total, max(1, cover.total // 97)):
        assert cover.tile_at(i) == every[i]
        assert cover.index_of(*every[i]) == i
    for z in cover.zooms:
        rows = list(cover.rows(z))
        assert sum(b - a for _, spans in rows for a, b in spans) == cover.counts[z]
    with pytest.raises(IndexError):
        cover.tile_at(cover.total)
    with pytest.raises(ValueError):
        cover.index_of(10, 0, 0) if (10, 0, 0) not in set(every) else cover.index_of(23, 0, 0)


def test_region_methods_and_bounds():
    r = Rectangle(170, -20, -170, -10)
    assert r.bounds == (170, -20, -170, -10)
    assert TileCover(r, "3").counts == {3: 2}
    assert list(TileCover(r, "3").tiles(start=1)) == [(3, 7, 4)]


@pytest.mark.parametrize("region", REGIONS, ids=lambda r: r.kind)
def test_geojson_round_trip(region):
    back = region_from_geojson(json.loads(json.dumps(region.to_geojson())))
    assert TileCover(back, "0-9").counts == TileCover(region, "0-9").counts


def test_parse_zooms():
    assert parse_zooms("0-3") == [0, 1, 2, 3]
    assert parse_zooms("12") == [12]
    assert parse_zooms(5) == [5]
    assert parse_zooms(range(2, 4)) == [2, 3]
    assert parse_zooms([4, 2, 4]) == [2, 4]
    for bad in ["5-3", "23", "-1", "0-23", "x", [], [1.5]]:
        with pytest.raises(ZoomError):
            parse_zooms(bad)


def test_cli_count_json_and_table(capsys):
    assert main(["count", "rect:-10,-10,10,10", "--zoom", "0-4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"counts": {"0": 1, "1": 4, "2": 4, "3": 4, "4": 4}, "total": 17}
    assert main(["count", "circle:6.6,46.5,40", "--zoom", "0-12"]) == 0
    table = capsys.readouterr().out
    assert "zoom" in table and "all" in table and len(table.splitlines()) == 15


def test_cli_tiles_slice(capsys):
    assert main(["tiles", "line:5000:6.1,46.2,7.4,46.9", "--zoom", "8-10"]) == 0
    every = capsys.readouterr().out.splitlines()
    assert main(["tiles", "line:5000:6.1,46.2,7.4,46.9", "--zoom", "8-10", "--start", "3", "--end", "9"]) == 0
    assert capsys.readouterr().out.splitlines() == every[3:9]
    z, x, y = map(int, every[0].split("/"))
    assert z == 8


def test_cli_tiles_refuses_an_end_before_the_start(capsys):
    assert main(["tiles", "rect:6,46,6.2,46.2", "--zoom", "0-3", "--start", "10", "--end", "5"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == "fmtc-nb: error: --end 5 is before --start 10; the slice would be empty.\n"
    assert main(["tiles", "rect:6,46,6.2,46.2", "--zoom", "0-3", "--start", "2", "--end", "2"]) == 0  # empty, asked


def test_cli_geojson_file(tmp_path, capsys):
    f = tmp_path / "r.geojson"
    f.write_text(json.dumps(Circle(0, 0, 100).to_geojson()))
    assert main(["count", str(f), "--zoom", "5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == TileCover(Circle(0, 0, 100), [5]).counts[5]


BAD = {
    "malformed.geojson": "{not json",
    "unsupported.geojson": json.dumps({"type": "MultiPoint", "coordinates": [[0, 0]]}),
    "selfcross.geojson": json.dumps(
        {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    ),
    "two_points.geojson": json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0], [1, 1]]]}),
    "nocoords.geojson": json.dumps({"type": "Polygon"}),
    "point_no_radius.geojson": json.dumps({"type": "Point", "coordinates": [0, 0]}),
}


@pytest.mark.parametrize(
    ("spec", "zoom", "needle"),
    [
        ("malformed.geojson", "0-3", "not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        ("missing.geojson", "0-3", "There is no GeoJSON file 'missing.geojson'"),
        ("unsupported.geojson", "0-3", "not supported"),
        ("selfcross.geojson", "0-3", "intersects itself"),
        ("two_points.geojson", "0-3", "fewer than 3 distinct points"),
        ("nocoords.geojson", "0-3", "malformed"),
        ("point_no_radius.geojson", "0-3", "radius_km"),
        ("circle:0,0,0", "0-3", "positive"),
        ("circle:0,0,-5", "0-3", "positive"),
        ("line:0:0,0,1,1", "0-3", "positive"),
        ("line:5,6:0,0,1,1", "0-3", "needs line:RADIUS_M:LON1,LAT1"),
        ("circle:0,91,5", "0-3", "beyond +-90"),
        ("rect:0,-95,1,1", "0-3", "beyond +-90"),
        ("rect:0,0,1,1", "0-23", "outside 0-22"),
        ("rect:0,0,1,1", "9-3", "reversed"),
        ("hexagon:1,2,3", "0-3", "neither a GeoJSON file"),
        ("rect:1,2,3", "0-3", "4 numbers"),
        ("rect:180,0,-180,10", "0-3", "no width"),
        ("rect:5,0,5,10", "0-3", "no width"),
    ],
)
def test_bad_input_one_sentence_exit_2(tmp_path, spec, zoom, needle):
    for name, text in BAD.items():
        (tmp_path / name).write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "fmtc_nb", "count", spec, "--zoom", zoom],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fmtc-nb: error: ")
    assert needle in lines[0]


def test_self_intersection_says_where():
    with pytest.raises(RegionError, match=r"edge \d+ .* crosses edge \d+"):
        parse_region_text = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
        region_from_geojson(parse_region_text)


def test_parse_region_specs():
    assert parse_region("rect:0,0,1,1").kind == "rectangle"
    assert parse_region("circle:1,2,3").kind == "circle"
    assert parse_region("line:10:0,0,1,1,2,0").kind == "corridor"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), st.integers(-5, 5)), min_size=3, max_size=8, unique=True))
def test_self_intersection_agrees_with_shapely(pts):
    from shapely.geometry import LinearRing

    ring = LinearRing(pts)
    try:
        Polygon(pts)
        accepted = True
    except RegionError as exc:
        accepted = False
        assert "intersects itself" in str(exc) or "fewer than 3" in str(exc)
    assert accepted == ring.is_simple


def test_entering_far_index_does_not_walk():
    """Brazil at z0-20 has ~8e9 tiles: slicing its end must come back at once (walking would never finish)."""
    from .test_polygon_oracle import country

    cover = TileCover(region_from_geojson(country("Brazil")), "0-20")
    assert cover.total > 10**9
    last = list(cover.tiles(cover.total - 3))
    assert len(last) == 3 and last[-1] == cover.tile_at(cover.total - 1)
    assert cover.index_of(*last[0]) == cover.total - 3
    mid = cover.total // 2
    assert next(cover.tiles(mid)) == cover.tile_at(mid)


def test_multi_region_of_mixed_kinds_is_union():
    parts = [Circle(6.6, 46.5, 60), Corridor([(6.0, 46.0), (8.0, 47.0)], 10000), example_region()]
    multi = MultiRegion(parts)
    for z in (7, 10):
        union = set().union(*(set(TileCover(p, [z]).tiles()) for p in parts))
        got = list(TileCover(multi, [z]).tiles())
        assert got == sorted(union, key=lambda t: (t[2], t[1]))
        assert TileCover(multi, [z]).counts[z] == len(union)


SQUARE = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]


@pytest.mark.parametrize(
    "holes, needle",
    [
        ([[[6, 6], [7, 6], [7, 7], [6, 6]]], "hole 1 lies outside the outer ring"),
        ([[[3, 3], [5, 3], [5, 5], [3, 3]]], "hole 1 crosses the outer ring"),
        ([[[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]], [[2, 2], [3.5, 2], [3.5, 3.5], [2, 2]]], "hole 2 crosses hole 1"),
        ([[[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]], [[1.5, 1.5], [2.5, 1.5], [2.5, 2.5], [1.5, 1.5]]],
         "hole 2 lies inside hole 1"),
    ],
)
def test_misplaced_holes_are_refused(holes, needle):
    """Even-odd filling would turn a hole outside or across its shell into extra area: refuse it instead."""
    with pytest.raises(RegionError, match=needle):
        region_from_geojson({"type": "Polygon", "coordinates": [SQUARE, *holes]})


def test_holes_inside_or_touching_the_shell_are_accepted():
    inner = [[1, 1], [3, 1], [3, 3], [1, 3], [1, 1]]
    corner = [[0, 0], [2, 0], [2, 2], [0, 0]]
    for holes in ([inner], [corner]):
        region = region_from_geojson({"type": "Polygon", "coordinates": [SQUARE, *holes]})
        whole = region_from_geojson({"type": "Polygon", "coordinates": [SQUARE]})
        assert 0 < TileCover(region, 10).total < TileCover(whole, 10).total


@pytest.mark.parametrize("command", ["count", "tiles"])
def test_output_into_a_closed_pipe_is_not_an_error(command):
    """`fmtc-nb count ... | head -1` style: the reader is gone before the output is written; no traceback."""
    zoom = "0-22" if command == "count" else "0-12"
    proc = subprocess.Popen([sys.executable, "-m", "fmtc_nb", command, "rect:0,0,10,10", "--zoom", zoom],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # nobody reads: the first write fails with EPIPE
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and err == ""


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Circle(0, 0, "big"), "Circle radius 'big' is not a number."),
        (lambda: Circle(0, 0, float("inf")), "Circle radius must be positive, got inf km."),
        (lambda: Corridor([(0, 0), (1, 1)], None), "Corridor radius None is not a number."),
        (lambda: Corridor([(0, 0), (1, 1)], -3), "Corridor radius must be positive, got -3 m."),
    ],
)
def test_bad_radius_is_one_sentence_naming_it(make, message):
    with pytest.raises(RegionError) as info:
        make()
    assert str(info.value) == message
