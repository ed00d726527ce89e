"""The Natural Earth basemap of the demo tile server: its data file, what each zoom band draws, labels, the
shared sea and land tiles, and the line geometry the renderer relies on. Real rendering, no mocks."""

from __future__ import annotations

import io
import itertools
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fmtc_nb.tilemath import tile_at
from fmtc_nb.tileserver import basemap, render
from fmtc_nb.tileserver.labels import PAD, place_labels, plain_name
from fmtc_nb.tileserver.lines import clip_segments, dashes, polylines
from fmtc_nb.tileserver.render import (
    ADMIN0,
    ADMIN1,
    COAST,
    DOT,
    LAND,
    RIVER,
    TEXT,
    WATER,
    render_tile,
    sea_tile,
)

ROOT = Path(__file__).resolve().parents[2]
GENEVA = (6.14, 46.21)


def indexes(z: int, x: int, y: int) -> np.ndarray:
    """The palette indexes of a rendered tile (256 x 256)."""
    image = Image.open(io.BytesIO(render_tile(z, x, y)))
    assert image.mode == "P" and image.size == (256, 256)
    return np.asarray(image)


def around(lon: float, lat: float, z: int, k: int = 1) -> list[tuple[int, int, int]]:
    """The tile holding (lon, lat) at zoom z and its neighbours up to k tiles away."""
    _, x, y = tile_at(lon, lat, z)
    return [(z, x + dx, y + dy) for dx in range(-k, k + 1) for dy in range(-k, k + 1)]


def colours(tiles: list[tuple[int, int, int]]) -> set[int]:
    return set().union(*(set(np.unique(indexes(*t)).tolist()) for t in tiles))


def test_data_file_is_small_and_holds_every_layer_of_every_band():
    data = resources.files("fmtc_nb.data").joinpath(basemap.DATA_FILE)
    assert len(data.read_bytes()) < 15_000_000
    for name in ("110m", "50m", "10m"):
        band = basemap.band(name)
        expected = {"land", "lakes", "rivers", "admin0"} | ({"admin1"} if name != "110m" else set())
        assert set(band.layers) == expected, name
        for layer in band.layers.values():
            assert len(layer.ends) > 10 and layer.xy.min() >= 0.0 and layer.xy.max() <= 1.0
            assert (layer.boxes[:, 0] <= layer.boxes[:, 2]).all() and (layer.boxes[:, 1] <= layer.boxes[:, 3]).all()
    places = basemap.places()
    assert len(places.names) == len(places.xy) >= 200 and {"Geneva", "Bern"} <= set(places.names)


def test_each_zoom_draws_the_natural_earth_scale_that_fits_it():
    assert [basemap.band_name(z) for z in range(0, 9)] == ["110m"] * 3 + ["50m"] * 3 + ["10m"] * 3
    assert basemap.band_name(22) == "10m"


def test_europe_at_z3_has_coasts_rivers_borders_and_named_towns():
    seen = colours(around(2.35, 48.85, 3))  # Paris and its neighbours
    assert {WATER, LAND, COAST, RIVER, ADMIN0, DOT, TEXT} <= seen
    assert ADMIN1 not in seen  # first-level boundaries start at z5


def test_lake_geneva_at_z8_has_the_lake_its_shore_rivers_and_both_boundaries():
    lake = indexes(*tile_at(6.55, 46.45, 8))
    assert {WATER, LAND, COAST, ADMIN0} <= set(np.unique(lake).tolist())
    assert {RIVER, ADMIN1, DOT, TEXT} <= colours(around(6.5, 46.4, 8))


def test_geneva_at_z11_is_labelled_and_the_lake_is_water():
    tile = indexes(*tile_at(*GENEVA, 11))
    assert {DOT, TEXT, LAND, WATER, ADMIN0} <= set(np.unique(tile).tolist())


@pytest.mark.parametrize("z", [3, 5, 8, 11, 12])
def test_names_are_never_cut_at_a_tile_edge(z):
    for tile in around(*GENEVA, z):
        text = indexes(*tile) == TEXT
        assert not (text[0].any() or text[-1].any() or text[:, 0].any() or text[:, -1].any()), tile


@pytest.mark.parametrize("lon, lat, z", [(-140, -30, 8), (-30, 40, 12), (-140, -45, 5), (-125, -50, 4), (6.55, 46.45, 14)])
def test_tiles_of_only_water_are_the_one_sea_tile(lon, lat, z):
    # open ocean at several zooms, and the middle of Lake Geneva (water is water)
    assert render_tile(*tile_at(lon, lat, z)) == sea_tile()


def test_tiles_of_only_land_share_one_body():
    first = render_tile(*tile_at(100, 62, 14))  # central Siberia
    assert first == render_tile(*tile_at(20, 23, 14)) == render_tile(*tile_at(130, -25, 14))
    assert set(np.unique(indexes(*tile_at(100, 62, 14))).tolist()) == {LAND}


def test_bytes_do_not_depend_on_which_tile_was_asked_first():
    tiles = around(6.3, 46.3, 9)
    first = {t: render_tile(*t) for t in tiles}
    render._metatile.cache_clear()
    again = {t: render_tile(*t) for t in reversed(tiles)}
    assert first == again


def test_label_boxes_stay_inside_the_tile_and_never_overlap():
    rng = np.random.default_rng(5)
    points = rng.uniform(0, 256, size=(60, 2))
    sizes = [(int(w), 11) for w in rng.integers(20, 90, size=60)]
    boxes = place_labels(points, sizes, points, radius=2, size=256)
    placed = [b for b in boxes if b is not None]
    assert 5 < len(placed) < 60  # crowded: some fit, some do not
    for box in placed:
        assert box[0] >= 1 and box[1] >= 1 and box[2] <= 255 and box[3] <= 255
    for a, b in itertools.combinations(placed, 2):
        assert a[2] + PAD <= b[0] - PAD or b[2] + PAD <= a[0] - PAD or a[3] + PAD <= b[1] - PAD \
            or b[3] + PAD <= a[1] - PAD, (a, b)


def test_names_are_written_in_letters_the_built_in_font_has():
    assert [plain_name(n) for n in ("Reykjavík", "København", "Chişinău", "Zürich")] == \
        ["Reykjavik", "Kobenhavn", "Chisinau", "Zurich"]


def test_segments_are_clipped_to_the_window_and_rejoined_into_polylines():
    a = np.array([[-100.0, 10.0], [50.0, 10.0], [50.0, 60.0], [400.0, 500.0]])
    b = np.array([[50.0, 10.0], [50.0, 60.0], [60.0, 60.0], [500.0, 600.0]])
    t0, t1, keep = clip_segments(a, b, 0.0, 256.0)
    assert keep.tolist() == [True, True, True, False]
    assert t0[0] == pytest.approx(100 / 150) and t1[0] == 1.0
    pieces = list(polylines(a, b, np.array([0, 0, 0, 0]), 0.0, 256.0))
    assert pieces == [(0, 2, [0, 10, 50, 10, 50, 60, 60, 60])]
    # a dropped segment (other owner) breaks the line in two
    assert len(list(polylines(a[:3], b[:3], np.array([0, 1, 1]), 0.0, 256.0))) == 2


def test_dashes_continue_their_phase_across_a_break():
    whole = list(dashes([0, 0, 100, 0], 0.0, 4.0, 3.0))
    tail = list(dashes([50, 0, 100, 0], 50.0, 4.0, 3.0))  # the same line from 50 px on, as the next tile sees it
    assert whole[0] == [0.0, 0.0, 4.0, 0.0] and whole[1][0] == 7.0
    assert [p for p in whole if p[0] >= 50] == [p for p in tail if p[0] > 50]
    assert sum(p[-2] - p[0] for p in whole) == pytest.approx(100 * 4 / 7, abs=4)


def _builder():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_basemap_data
    finally:
        sys.path.pop(0)
    return build_basemap_data


def test_the_builder_cuts_polygons_to_the_grid_without_losing_area():
    shapely = pytest.importorskip("shapely")
    builder = _builder()
    ring = shapely.Polygon([(0.1, 0.1), (0.8, 0.15), (0.6, 0.9), (0.2, 0.7)], holes=[[(0.4, 0.4), (0.5, 0.4), (0.45, 0.5)]])
    pieces = builder.cut_to_grid(ring, 3)
    assert sum(p.area for p in pieces) == pytest.approx(ring.area)
    for piece in pieces:
        x0, y0, x1, y1 = piece.bounds
        assert int(x0 * 8 + 1e-9) == int(np.ceil(x1 * 8 - 1e-9)) - 1 and int(y0 * 8 + 1e-9) == int(np.ceil(y1 * 8 - 1e-9)) - 1
    assert any(p.equals(shapely.box(0.375, 0.5, 0.5, 0.625)) for p in pieces)  # a whole square stays a square


def test_the_builders_packing_is_what_the_reader_unpacks():
    builder = _builder()
    layer = builder.Layer()
    line = np.array([[0.25, 0.5], [0.2500001, 0.75], [0.9, 0.1]])
    layer.add_line(line)
    layer.add(np.array([[0.0, 0.0], [1.0, 1.0]]), minzoom=4)
    arrays = layer.arrays("t", polygons=False)
    xy = basemap._unshuffle(arrays["t.xy"]) / basemap.SCALE
    assert arrays["t.ends"].tolist() == [3, 5] and arrays["t.minzoom"].tolist() == [0, 4]
    assert np.allclose(xy[:3], line, atol=1 / basemap.SCALE) and xy[4].tolist() == [1.0, 1.0]
    smooth = builder.chaikin(line)
    assert smooth[0].tolist() == line[0].tolist() and smooth[-1].tolist() == line[-1].tolist() and len(smooth) > 3


@pytest.mark.parametrize("z", [3, 4, 6, 7])
def test_land_cut_into_grid_squares_shows_no_seams(z):
    # central Siberia: land pieces of several grid squares meet inside these tiles, with no water between them
    water = indexes(*tile_at(100, 62, z)) == WATER
    assert not water.all(axis=0).any() and not water.all(axis=1).any()
    assert z == 3 or not water.any()  # (z3 reaches Lake Baikal)


@pytest.mark.parametrize("name, lon, lat, z, expected", [
    ("europe_z3", 10.0, 50.0, 3, {WATER, LAND, COAST, RIVER, ADMIN0, DOT, TEXT}),
    ("lake_geneva_z8", 6.5, 46.4, 8, {WATER, LAND, COAST, RIVER, ADMIN0, ADMIN1, DOT, TEXT}),
    ("geneva_z11", *GENEVA, 11, {WATER, LAND, COAST, RIVER, ADMIN0, ADMIN1, DOT, TEXT}),
])
def test_sample_views_for_people_to_look_at(name, lon, lat, z, expected):
    """3 x 3 tiles around a place, saved as test-artifacts/basemap_<name>.png (what the docs describe)."""
    tiles = around(lon, lat, z)
    view = Image.new("RGB", (3 * 256, 3 * 256))
    x0, y0 = tiles[0][1], tiles[0][2]
    for t in tiles:
        view.paste(Image.open(io.BytesIO(render_tile(*t))).convert("RGB"), ((t[1] - x0) * 256, (t[2] - y0) * 256))
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    view.save(ROOT / "test-artifacts" / f"basemap_{name}.png")
    assert expected <= colours(tiles)
