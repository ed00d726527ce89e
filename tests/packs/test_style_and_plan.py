"""Reading styles and planning packs: font stacks (also inside expressions), sprites, glyph ranges, zoom
clipping, and one sentence for each bad style."""

from __future__ import annotations

import json

import pytest

from fmtc_nb.errors import PackError
from fmtc_nb.packs.glyphs import ALL_RANGES, glyph_ranges, range_name
from fmtc_nb.packs.plan import clip_zooms, plan_pack
from fmtc_nb.packs.style import DEFAULT_FONT_STACK, load_style, parse_style
from fmtc_nb.sources.documents import DocumentFetch
from fmtc_nb.tileserver.vector import demo_style

from .conftest import REGION, cover_keys, write_style

FETCH = DocumentFetch({"User-Agent": "fmtc-nb tests"})


def _style(**extra):
    doc = demo_style("http://127.0.0.1:9")
    doc.update(extra)
    return doc


def test_font_stacks_are_found_in_literals_and_expressions_and_default_when_missing():
    doc = _style()
    doc["layers"].append({"id": "plain", "type": "symbol", "source": "naturalearth", "source-layer": "places",
                          "layout": {"text-field": "x", "text-font": ["Noto Sans Italic", "Arial Regular"]}})
    doc["layers"].append({"id": "nofont", "type": "symbol", "source": "naturalearth", "source-layer": "places",
                          "layout": {"text-field": ["get", "name"]}})
    doc["layers"].append({"id": "icons-only", "type": "symbol", "source": "naturalearth", "source-layer": "places",
                          "layout": {"icon-image": "dot", "text-font": ["Never Used"]}})
    style = parse_style(json.dumps(doc).encode(), "http://127.0.0.1:9/styles/demo.json", "test")
    assert style.font_stacks() == sorted(["Noto Sans Regular", "Noto Sans Bold", "Noto Sans Italic,Arial Regular",
                                          ",".join(DEFAULT_FONT_STACK)])


def test_sprites_as_one_url_or_a_list_and_relative_urls_resolve_against_the_style():
    style = parse_style(json.dumps(_style(sprite=[{"id": "a", "url": "/sprites/a"}, {"id": "b", "url": "b?key=1"}],
                                          glyphs="/fonts/{fontstack}/{range}.pbf")).encode(),
                        "http://127.0.0.1:9/styles/demo.json", "test")
    assert style.sprites() == [("a", "http://127.0.0.1:9/sprites/a"), ("b", "http://127.0.0.1:9/styles/b?key=1")]
    assert style.glyphs() == "http://127.0.0.1:9/fonts/{fontstack}/{range}.pbf"


def test_glyph_ranges_of_scripts_and_all():
    latin = glyph_ranges()
    assert [range_name(s) for s in latin] == ["0-255", "256-511", "512-767", "7680-7935", "8192-8447"]
    assert set(glyph_ranges("latin,cyrillic")) == set(latin) | {1024, 1280}
    assert glyph_ranges("all") == list(ALL_RANGES) and len(ALL_RANGES) == 256
    with pytest.raises(PackError, match="Unknown glyph script.*klingon"):
        glyph_ranges("latin,klingon")


def test_zooms_are_clipped_to_the_source_range_and_over_zoomed_past_its_max():
    assert clip_zooms(range(0, 13), 0, 8) == list(range(9))
    assert clip_zooms([10, 11, 12], 0, 8) == [8]
    assert clip_zooms(range(0, 6), 3, 14) == [3, 4, 5]
    assert clip_zooms([0, 1], 3, 14) == []


def test_plan_of_the_demo_style(demo):
    style = load_style(demo.style_url, FETCH)
    plan = plan_pack(style, REGION, list(range(10)), "p", fetch=FETCH)
    by_id = {s.id: s for s in plan.sources}
    assert by_id["naturalearth"].zooms == list(range(9)) and by_id["naturalearth"].type == "vector"
    assert by_id["basemap"].zooms == list(range(10)) and by_id["basemap"].type == "raster"
    assert by_id["naturalearth"].tiles == len(cover_keys(list(range(9))))
    assert {layer["id"] for layer in by_id["naturalearth"].vector_layers} >= {"land", "places", "boundaries"}
    assert [s.store for s in plan.sources] == ["p.naturalearth", "p.basemap"]
    sprites = sorted(r.path for r in plan.resources if r.kind == "sprite")
    assert sprites == ["sprites/default.json", "sprites/default.png", "sprites/default@2x.json", "sprites/default@2x.png"]
    glyphs = {r.path for r in plan.resources if r.kind == "glyphs"}
    assert glyphs == {f"glyphs/{font}/{range_name(s)}.pbf" for font in ("Noto Sans Regular", "Noto Sans Bold")
                      for s in glyph_ranges("latin")}


@pytest.mark.parametrize(("text", "sentence"), [
    (b"{not json", "is not valid JSON"),
    (b"[1, 2]", "is not a JSON object"),
    (json.dumps({"version": 7, "sources": {}, "layers": []}).encode(), "only version 8"),
    (json.dumps({"version": 8, "sources": {}, "layers": []}).encode(), "no vector, raster or raster-dem source"),
    (json.dumps({"version": 8, "sources": {"a": {"type": "vector", "url": "http://127.0.0.1:9/t.json"}},
                 "layers": [{"id": "x", "type": "fill", "source": "b"}]}).encode(), "does not define"),
])
def test_a_bad_style_is_one_sentence(tmp_path, text, sentence):
    path = tmp_path / "style.json"
    path.write_bytes(text)
    with pytest.raises(PackError, match=sentence):
        load_style(str(path), FETCH)


def test_relative_urls_in_a_style_file_and_mapbox_urls_are_refused(tmp_path):
    doc = _style()
    doc["sources"]["naturalearth"]["url"] = "vector/tilejson.json"
    style = load_style(write_style(tmp_path / "s.json", doc), FETCH)
    with pytest.raises(PackError, match="relative, but the style was read from a file"):
        plan_pack(style, REGION, [0], "p", fetch=FETCH)
    with pytest.raises(PackError, match="mapbox:// styles need the Mapbox SDK"):
        load_style("mapbox://styles/mapbox/streets-v12", FETCH)


@pytest.mark.parametrize(("spec", "lon"), [("rect:170,-20,-170,-10", 180.0), ("rect:160,-20,-170,-10", 175.0),
                                         ("rect:175,-20,-155,-10", -170.0), ("rect:5,40,15,50", 10.0)])
def test_a_pack_page_opens_on_its_region_also_across_the_antimeridian(spec, lon):
    from fmtc_nb.packs.page import view_of
    from fmtc_nb.regions import parse_region

    (centre_lon, centre_lat), zoom = view_of(parse_region(spec).to_geojson(), [0, 5])
    assert abs(abs(centre_lon) - abs(lon)) < 1e-6 if abs(lon) == 180.0 else centre_lon == pytest.approx(lon)
    assert -180.0 <= centre_lon < 180.0 and zoom == 4.0
