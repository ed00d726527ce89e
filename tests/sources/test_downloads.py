"""Every source kind downloads the same tiles as the XYZ source of the same region (demo server on loopback)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.regions import parse_region
from fmtc_nb.sources import resolve_source
from fmtc_nb.sources.templates import format_bbox, quadkey, tile_bbox_3857
from fmtc_nb.tileserver.server import cached_tile

from .conftest import base_url

REGION = "rect:-10,35,30,60"  # Europe: land and sea tiles, many distinct images
ZOOMS = [0, 1, 2, 3, 4, 5]


def fetch_all(root, source, store: str, zooms=ZOOMS) -> dict[tuple[int, int, int], bytes]:
    job = DownloadJob(parse_region(REGION), zooms, source, store, DownloadOptions(parallel=8, retries=1))
    snap = Download(job, root).run()
    assert snap.status == "completed" and snap.failed == 0, snap
    with root.open(store, readonly=True) as s:
        return {(t.z, t.x, t.y): t.data for t in s.iter_tiles()}


@pytest.fixture(scope="module")
def xyz_tiles(demo, tmp_path_factory):
    from fmtc_nb.store import Root

    root = Root(tmp_path_factory.mktemp("xyz") / "root")
    tiles = fetch_all(root, resolve_source(demo.url_template), "xyz")
    expected = set(TileCover(parse_region(REGION), ZOOMS).tiles())
    assert set(tiles) == expected and len(set(tiles.values())) > 20
    return tiles


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_a_wms_download_stores_the_bytes_of_the_xyz_download(demo, root, xyz_tiles, version):
    before = len(demo.app.ogc.getmap_log)
    source = resolve_source(f"wms:{base_url(demo)}/wms?layers=countries&version={version}")
    assert source.tile_format == "png" and source.attribution and "{bbox-epsg-3857}" in source.url_template
    assert fetch_all(root, source, f"wms-{version}") == xyz_tiles
    log = demo.app.ogc.getmap_log[before:]
    crs_param = "CRS" if version == "1.3.0" else "SRS"
    assert {(v, p, c) for v, p, c, _, _ in log} == {(version, crs_param, "EPSG:3857")}
    # the strict server saw exactly the tiles' boxes, easting then northing, in metres
    expected = {format_bbox(tile_bbox_3857(*t)) for t in xyz_tiles} | {format_bbox(tile_bbox_3857(8, 7, 162))}
    assert {bbox for *_, bbox, _ in log} <= expected and len(log) >= len(xyz_tiles)


def test_wms_1_3_0_boxes_are_east_north_for_an_off_diagonal_tile(demo):
    """A swapped (north, east) box of tile 3/1/2 would name tile 3/5/6's box and draw other countries."""
    source = resolve_source(f"wms:{base_url(demo)}/wms?layers=countries&version=1.3.0")
    minx, miny, maxx, maxy = tile_bbox_3857(3, 1, 2)
    assert f"CRS=EPSG:3857&BBOX={minx!r},{miny!r},{maxx!r},{maxy!r}&" in source.url(3, 1, 2)
    assert minx < 0 < maxy and (minx, miny) != (miny, minx)


def test_a_512_pixel_wms_tile_is_its_four_children(demo):
    import urllib.request

    source = resolve_source(f"wms:{base_url(demo)}/wms?layers=countries&tile_size=512")
    image = Image.open(io.BytesIO(urllib.request.urlopen(source.url(3, 4, 2), timeout=30).read())).convert("RGB")
    assert image.size == (512, 512)
    for dy in (0, 1):
        for dx in (0, 1):
            child = Image.open(io.BytesIO(cached_tile(4, 8 + dx, 4 + dy)[0])).convert("RGB")
            assert image.crop((256 * dx, 256 * dy, 256 * dx + 256, 256 * dy + 256)).tobytes() == child.tobytes()


@pytest.mark.parametrize("spec", ["wmts:{base}/wmts/1.0.0/WMTSCapabilities.xml#countries",
                                  "wmts:{base}/wmts#layer=countries&set=GoogleMapsCompatible&style=default"])
def test_a_wmts_download_rest_or_kvp_stores_the_bytes_of_the_xyz_download(demo, root, xyz_tiles, spec):
    source = resolve_source(spec.format(base=base_url(demo)))
    assert (source.min_zoom, source.max_zoom) == (0, 22)
    assert ("TILEMATRIX={z}" in source.url_template) == ("/wmts#" in spec)
    assert fetch_all(root, source, "wmts") == xyz_tiles


def test_a_tilejson_download_stores_the_bytes_of_the_xyz_download(demo, root, xyz_tiles):
    source = resolve_source(demo.tilejson_url)
    assert source.url_template == demo.url_template and source.attribution and source.max_zoom == 22
    assert fetch_all(root, source, "tilejson") == xyz_tiles


def test_a_quadkey_template_hits_exactly_the_quadkeys_of_the_cover(demo, root, xyz_tiles, loopback):
    from aiohttp import web

    asked: list[str] = []

    async def by_quadkey(request: web.Request) -> web.Response:
        asked.append(request.match_info["q"])
        return web.Response(status=307, headers={"Location": f"{base_url(demo)}/quadkey/{request.match_info['q']}.png"})

    front = loopback({r"/tiles/a{q:[0-3]*}.png": by_quadkey})
    source = resolve_source(front.url + "/tiles/a{q}.png")
    assert fetch_all(root, source, "quadkey") == xyz_tiles
    cover = list(TileCover(parse_region(REGION), ZOOMS).tiles())
    sea = quadkey(8, 7, 162)  # the engine's sea probe (zoom 8, 30 S 140 W)
    assert sorted(q for q in asked if q != sea) == sorted(quadkey(*t) for t in cover)
