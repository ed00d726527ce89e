"""A GeoJSON shape with an edge wider than 180 degrees of longitude (what QGIS exports for a shape drawn across the
antimeridian, against RFC 7946 section 3.1.9) is one sentence naming the feature, for the library and for
``download`` and ``estimate`` (it was read the long way round, 340 degrees, with no word); a shape fmtc-nb
writes never has such an edge, so its own GeoJSON (stored jobs, device jobs) reads back as the same tiles, and a
shape drawn on the map the long way round counts as drawn."""

from __future__ import annotations

import json

import pytest

from fmtc_nb.cli import main
from fmtc_nb.cover import TileCover
from fmtc_nb.errors import RegionError
from fmtc_nb.regions import Corridor, MultiPolygon, Polygon, Rectangle, parse_region, region_from_geojson
from fmtc_nb.widgets.shapes import feature_to_region

URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # never asked: the region is refused first
FIJI_RING = [[170, -20], [-170, -20], [-170, -10], [170, -10], [170, -20]]  # meant: 20 degrees across 180


def collection(*geometries: dict) -> dict:
    feats = [{"type": "Feature", "properties": {"name": f"part {i}"}, "geometry": g}
             for i, g in enumerate(geometries, start=1)]
    return {"type": "FeatureCollection", "features": feats}


@pytest.mark.parametrize("geometry", [
    {"type": "Polygon", "coordinates": [FIJI_RING]},
    {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [FIJI_RING]]},
    {"type": "LineString", "coordinates": [[175, 10], [-175, 12]]},
])
def test_an_edge_over_180_degrees_is_one_sentence_naming_the_feature(geometry):
    obj = collection({"type": "Polygon", "coordinates": [[[6, 46], [7, 46], [7, 47], [6, 46]]]}, geometry)
    obj["features"][1]["properties"]["radius_m"] = 500
    with pytest.raises(RegionError) as err:
        region_from_geojson(obj)
    text = str(err.value)
    assert text.startswith(f"Feature 2 ('part 2') ({geometry['type']}) has an edge from longitude"), text
    assert "RFC 7946" in text and "cut the shape in two at longitude 180" in text and text.count(". ") == 0


@pytest.mark.parametrize("command", [["download", "--store", "fiji", "--url", URL], ["estimate", "--url", URL]])
def test_the_cli_says_it_on_stderr_and_exits_2(tmp_path, capsys, command):
    path = tmp_path / "fiji.geojson"
    path.write_text(json.dumps(collection({"type": "Polygon", "coordinates": [FIJI_RING]})))
    argv = ["--root", str(tmp_path), command[0], str(path), "--zoom", "0-8", *command[1:]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fmtc-nb: error: Feature 1 ('part 1') (Polygon) has an edge from longitude 170 to -170, "
                          "340 degrees wide") and err.count("\n") == 1, err
    assert not (tmp_path / "stores").exists() or not any((tmp_path / "stores").iterdir())


def test_cut_at_180_as_the_rfc_asks_it_is_the_20_degree_rectangle():
    cut = {"type": "MultiPolygon", "coordinates": [
        [[[170, -20], [180, -20], [180, -10], [170, -10], [170, -20]]],
        [[[-180, -20], [-170, -20], [-170, -10], [-180, -10], [-180, -20]]]]}
    assert TileCover(region_from_geojson(cut), "0-8").counts == TileCover(Rectangle(170, -20, -170, -10), "0-8").counts


def test_a_line_spec_across_180_is_refused_too():
    with pytest.raises(RegionError, match="^Region spec 'line:100:175,0,-175,0' has an edge from longitude 175"):
        parse_region("line:100:175,0,-175,0")


def test_regions_meant_the_long_way_write_geojson_that_reads_back_as_the_same_tiles():
    long_way = Polygon([(-170, 0), (170, 0), (170, 10), (-170, 10)])  # 340 degrees wide, through longitude 0
    sloped = Polygon([(-170, 0), (170, 30), (170, 40), (-170, 10)])
    multi = MultiPolygon([long_way.coordinates(), [[(0, 50), (1, 50), (1, 51), (0, 50)]]])
    for region in (long_way, sloped, multi):
        back = region_from_geojson(json.loads(json.dumps(region.to_geojson())))
        assert TileCover(back, "0-9").counts == TileCover(region, "0-9").counts, region.kind


def test_a_polygon_drawn_the_long_way_round_counts_as_drawn():
    ring = [[-170, 0], [170, 0], [170, 10], [-170, 10], [-170, 0]]
    drawn = {"type": "Feature", "properties": {"type": "polygon"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    region = feature_to_region(drawn, 1000)
    assert TileCover(region, "0-9").counts == TileCover(Polygon([tuple(p) for p in ring]), "0-9").counts
    line = {"type": "Feature", "properties": {"type": "polyline", "radius_m": 5000},
            "geometry": {"type": "LineString", "coordinates": [[-170, 0], [170, 0]]}}
    assert TileCover(feature_to_region(line, 1000), "0-9").total > TileCover(Corridor([(160, 0), (170, 0)], 5000), "0-9").total
