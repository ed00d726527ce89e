"""Template placeholders: quadkeys and EPSG:3857 boxes are exact inverses; the key stays out of the template."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtc_nb.errors import SourceError
from fmtc_nb.source import TileSource
from fmtc_nb.sources.templates import (
    WORLD_HALF_M,
    quadkey,
    template_problem,
    tile_bbox_3857,
    tile_of_bbox_3857,
    tile_of_quadkey,
)


@st.composite
def tiles(draw, max_zoom: int = 30):
    z = draw(st.integers(0, max_zoom))
    return z, draw(st.integers(0, (1 << z) - 1)), draw(st.integers(0, (1 << z) - 1))


def test_quadkeys_of_the_bing_documentation_example():
    # Bing Maps Tile System: tile (3, 5) at level 3 has quadkey 213
    assert quadkey(3, 3, 5) == "213" and tile_of_quadkey("213") == (3, 3, 5)
    assert quadkey(0, 0, 0) == "" and quadkey(1, 1, 1) == "3" and quadkey(2, 0, 3) == "22"


@given(tiles())
def test_quadkey_and_bbox_round_trip(tile):
    assert tile_of_quadkey(quadkey(*tile)) == tile
    assert tile_of_bbox_3857(tile_bbox_3857(*tile)) == tile


@given(tiles(max_zoom=22))
def test_bbox_is_east_north_in_metres_and_tiles_share_edges(tile):
    z, x, y = tile
    minx, miny, maxx, maxy = tile_bbox_3857(z, x, y)
    assert -WORLD_HALF_M <= minx < maxx <= WORLD_HALF_M and -WORLD_HALF_M <= miny < maxy <= WORLD_HALF_M
    assert maxx - minx == pytest.approx(maxy - miny) == pytest.approx(2 * WORLD_HALF_M / (1 << z))
    if x + 1 < 1 << z:
        assert tile_bbox_3857(z, x + 1, y)[0] == maxx
    if y + 1 < 1 << z:
        assert tile_bbox_3857(z, x, y + 1)[3] == miny  # rows count from the north


def test_boxes_that_are_no_tile_are_recognised():
    minx, miny, maxx, maxy = tile_bbox_3857(5, 3, 7)
    half = (maxx - minx) / 2
    assert tile_of_bbox_3857((minx + half, miny, maxx + half, maxy)) is None  # half a tile off
    assert tile_of_bbox_3857((minx, miny, maxx, maxy + half)) is None  # not square
    assert tile_of_bbox_3857((maxx, maxy, minx, miny)) is None  # reversed
    assert tile_of_bbox_3857((0.0, 0.0, float("inf"), 1.0)) is None


def test_a_template_must_address_tiles():
    assert template_problem("http://h/{z}/{x}/{y}.png") is None
    assert template_problem("http://h/{z}/{x}/{-y}.png") is None
    assert template_problem("http://h/a{q}.jpeg") is None
    assert template_problem("http://h/wms?BBOX={bbox-epsg-3857}") is None
    assert "must contain" in template_problem("http://h/{z}/{x}.png")
    assert "unknown placeholder" in template_problem("http://h/{zoom}/{x}/{y}.png")


def test_urls_of_every_placeholder():
    source = TileSource("http://h/{z}/{x}/{y}/{-y}/{q}/{s}{r}?b={bbox-epsg-3857}", subdomains=("a", "b"))
    assert source.url(2, 1, 3) == "http://h/2/1/3/0/23/a?b=-10018754.171394622,-20037508.342789244,0.0,-10018754.171394622"


def test_the_api_key_fills_requests_only(monkeypatch):
    monkeypatch.delenv("FMTC_NB_API_KEY", raising=False)
    source = TileSource("http://h/{z}/{x}/{y}.png?key={api_key}", api_key="s3cr3t/+ key")
    assert source.url(1, 0, 1) == "http://h/1/0/1.png?key=s3cr3t%2F%2B%20key"
    assert "s3cr3t" not in repr(source) and "s3cr3t" not in source.url_template
    with pytest.raises(SourceError, match="needs an API key"):
        TileSource("http://h/{z}/{x}/{y}.png?key={api_key}")
    monkeypatch.setenv("FMTC_NB_API_KEY", "from-env")
    assert TileSource("http://h/{z}/{x}/{y}.png?key={api_key}").url(0, 0, 0).endswith("key=from-env")
    with pytest.raises(SourceError, match="no \\{api_key\\} placeholder"):
        TileSource("http://h/{z}/{x}/{y}.png", api_key="k")
    with pytest.raises(SourceError, match="line break"):
        TileSource("http://h/{z}/{x}/{y}.png?key={api_key}", api_key="a\r\nX-Evil: 1")


def test_a_key_written_into_the_url_leaves_the_template(monkeypatch):
    monkeypatch.delenv("FMTC_NB_API_KEY", raising=False)
    source = TileSource("https://h/{z}/{x}/{y}.png?style=a&apikey=SECRET1")
    assert source.url_template == "https://h/{z}/{x}/{y}.png?style=a&apikey={api_key}"
    assert source.url(1, 1, 0).endswith("?style=a&apikey=SECRET1") and "SECRET1" not in repr(source)
    assert TileSource("https://h/{z}/{x}/{y}.png?key=old", api_key="new").url(0, 0, 0).endswith("key=new")
    with pytest.raises(SourceError, match="2 different credentials"):
        TileSource("https://h/{z}/{x}/{y}.png?key=a&token=b")
