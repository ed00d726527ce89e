"""The demo server's WMS and WMTS, read by OWSLib (an independent OGC client) and by fmtc-nb's own parser,
which must agree; GetMap is as strict as a careful server."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from fmtc_nb.sources import wms, wmts
from fmtc_nb.sources.templates import tile_bbox_3857
from fmtc_nb.tileserver.server import cached_tile

from .conftest import base_url

owslib_wms = pytest.importorskip("owslib.wms")
owslib_wmts = pytest.importorskip("owslib.wmts")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize("version", ["1.1.1", "1.3.0"])
def test_owslib_and_fmtc_nb_read_the_same_wms_capabilities(demo, version):
    url = f"{base_url(demo)}/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION={version}"
    xml = get(url)[1]
    theirs = owslib_wms.WebMapService(url, version=version, xml=xml)
    ours = wms.read_capabilities(xml, url)
    assert ours.version == theirs.version == version
    named = [name for name in theirs.contents if theirs.contents[name].name]
    assert list(ours.layers) == named == ["countries"]
    assert set(ours.layers["countries"].crs) == {c[4] if isinstance(c, tuple) else c for c in
                                                   theirs.contents["countries"].crsOptions} >= {"EPSG:3857"}
    assert ours.formats == theirs.getOperationByName("GetMap").formatOptions == ["image/png"]
    assert ours.getmap_url == theirs.getOperationByName("GetMap").methods[0]["url"]


@pytest.mark.parametrize("path", ["/wmts/1.0.0/WMTSCapabilities.xml", "/wmts?SERVICE=WMTS&REQUEST=GetCapabilities"])
def test_owslib_and_fmtc_nb_read_the_same_wmts_capabilities(demo, path):
    url = base_url(demo) + path
    xml = get(url)[1]
    theirs = owslib_wmts.WebMapTileService(url, xml=xml)
    ours = wmts.read_capabilities(xml, url)
    assert list(ours.layers) == list(theirs.contents) == ["countries"]
    theirs_set = theirs.tilematrixsets["GoogleMapsCompatible"]
    ours_set = ours.sets["GoogleMapsCompatible"]
    assert [m[0] for m in ours_set.matrices] == list(theirs_set.tilematrix) == [str(z) for z in range(23)]
    for ident, scale, left, top, width, height, columns, rows in ours_set.matrices:
        m = theirs_set.tilematrix[ident]
        assert (scale, left, top, width, height, columns, rows) == (
            m.scaledenominator, m.topleftcorner[0], m.topleftcorner[1], m.tilewidth, m.tileheight, m.matrixwidth,
            m.matrixheight)
    assert wmts.xyz_zooms(ours_set) == ({z: str(z) for z in range(23)}, 256)
    resources = theirs.contents["countries"].resourceURLs
    assert [r["template"] for r in resources] == list(ours.layers["countries"].templates.values())


def getmap(demo, **params: str) -> tuple[int, bytes]:
    base = {"SERVICE": "WMS", "REQUEST": "GetMap", "LAYERS": "countries", "STYLES": "", "FORMAT": "image/png",
            "WIDTH": "256", "HEIGHT": "256"}
    query = "&".join(f"{k}={v}" for k, v in (base | params).items())
    return get(f"{base_url(demo)}/wms?{query}")


def test_getmap_answers_a_tile_box_with_the_tile_bytes(demo):
    box = ",".join(repr(v) for v in tile_bbox_3857(4, 8, 5))
    assert getmap(demo, VERSION="1.3.0", CRS="EPSG:3857", BBOX=box) == (200, cached_tile(4, 8, 5)[0])
    assert getmap(demo, VERSION="1.1.1", SRS="EPSG:3857", BBOX=box) == (200, cached_tile(4, 8, 5)[0])


@pytest.mark.parametrize(("params", "phrase"), [
    ({"VERSION": "1.3.0", "SRS": "EPSG:3857"}, b"names it CRS, not SRS"),
    ({"VERSION": "1.1.1", "CRS": "EPSG:3857"}, b"names it SRS, not CRS"),
    ({"VERSION": "1.3.0", "CRS": "EPSG:4326"}, b"InvalidCRS"),
    ({"VERSION": "1.3.0", "CRS": "EPSG:3857", "BBOX": "0,0,1,1"}, b"one tile of the XYZ grid"),
    ({"VERSION": "1.3.0", "CRS": "EPSG:3857", "LAYERS": "rivers"}, b"LayerNotDefined"),
    ({"VERSION": "1.3.0", "CRS": "EPSG:3857", "WIDTH": "300", "HEIGHT": "300"}, b"256"),
])
def test_getmap_refuses_what_a_strict_server_refuses(demo, params, phrase):
    params = {"BBOX": ",".join(repr(v) for v in tile_bbox_3857(2, 1, 1))} | params
    status, body = getmap(demo, **params)
    assert status == 400 and b"ServiceException" in body and phrase in body


def test_wmts_kvp_and_rest_tiles_are_the_xyz_tiles(demo):
    kvp = (f"{base_url(demo)}/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=countries&STYLE=default"
           "&TILEMATRIXSET=GoogleMapsCompatible&FORMAT=image/png&TILEMATRIX=5&TILEROW=11&TILECOL=16")
    rest = f"{base_url(demo)}/wmts/1.0.0/countries/default/GoogleMapsCompatible/5/11/16.png"
    assert get(kvp) == get(rest) == (200, cached_tile(5, 16, 11)[0])
    status, body = get(kvp.replace("LAYER=countries", "LAYER=rivers"))
    assert status == 400 and b"ExceptionReport" in body
