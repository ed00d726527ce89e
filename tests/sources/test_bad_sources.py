"""Bad service descriptions each get one sentence and exit code 2 (never a traceback, never a store)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from aiohttp import web

from fmtc_nb.cli import main

from .conftest import base_url, document

REPO = Path(__file__).resolve().parents[2]


def demo_document(demo, path: str) -> str:
    with urllib.request.urlopen(base_url(demo) + path, timeout=30) as response:
        return response.read().decode()


def inspect(capsys, root, spec: str) -> tuple[int, str, str]:
    code = main(["--root", str(root.path), "sources", "inspect", spec])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_sentence(code: int, err: str, *phrases: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fmtc-nb: error: ") and "Traceback" not in err, err
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


WMS = "/wms?SERVICE=WMS&REQUEST=GetCapabilities&VERSION=1.3.0"
WMTS = "/wmts/1.0.0/WMTSCapabilities.xml"


@pytest.mark.parametrize(("kind", "mutate", "phrases"), [
    ("wms", lambda doc: "<html><body>Service temporarily unavailable</body>", ["is not XML", "<html>"]),
    ("wms", lambda doc: doc.replace("<CRS>EPSG:3857</CRS><CRS>EPSG:900913</CRS>", "<CRS>EPSG:4326</CRS>"),
     ["not offered in EPSG:3857", "EPSG:4326"]),
    ("wms", lambda doc: doc.replace("<Name>countries</Name>", "<Name>rivers</Name>"),
     ["has no layer 'countries'", "'rivers'"]),
    ("wms", lambda doc: '<?xml version="1.0"?><ServiceExceptionReport><ServiceException>Map file not found'
                        "</ServiceException></ServiceExceptionReport>", ["error report", "Map file not found"]),
    ("wms", lambda doc: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                        "<x>&b;</x>", ["declares XML entities"]),
    ("wms", lambda doc: '<?xml version="1.0"?><Capabilities/>', ["is not WMS capabilities", "<Capabilities>"]),
    ("wmts", lambda doc: doc.replace("<TopLeftCorner>-20037508.342789244 20037508.342789244</TopLeftCorner><TileWidth>"
                                     "256</TileWidth><TileHeight>256</TileHeight><MatrixWidth>32<",
                                     "<TopLeftCorner>-20000000 20037508.342789244</TopLeftCorner><TileWidth>256"
                                     "</TileWidth><TileHeight>256</TileHeight><MatrixWidth>32<"),
     ["no tile matrix set that lines up", "matrix '5'", "top-left corner"]),
    ("wmts", lambda doc: doc.replace("<ScaleDenominator>559082264.0287178</ScaleDenominator>",
                                     "<ScaleDenominator>500000000</ScaleDenominator>"),
     ["no tile matrix set that lines up", "no XYZ zoom level"]),
    ("wmts", lambda doc: doc.replace("urn:ogc:def:crs:EPSG::3857", "urn:ogc:def:crs:EPSG::25832"),
     ["not Web Mercator", "25832"]),
    ("wmts", lambda doc: doc.replace("<ows:Identifier>countries</ows:Identifier>", "<ows:Identifier>roads</ows:Identifier>"),
     ["has no layer 'countries'", "'roads'"]),
    ("wmts", lambda doc: doc.replace("<Contents>", "<Nothing>").replace("</Contents>", "</Nothing>"),
     ["is not WMTS capabilities"]),
])
def test_bad_capabilities_get_a_sentence_and_exit_2(demo, loopback, capsys, root, kind, mutate, phrases):
    doc = mutate(demo_document(demo, WMS if kind == "wms" else WMTS))
    server = loopback({"/caps": document(doc)})
    spec = f"wms:{server.url}/caps?layers=countries" if kind == "wms" else f"wmts:{server.url}/caps#countries"
    code, _, err = inspect(capsys, root, spec)
    assert_one_sentence(code, err, *phrases)


@pytest.mark.parametrize(("body", "phrases"), [
    (b"<html>not json</html>", ["is not JSON"]),
    (b'{"tilejson": "3.0.0"}', ["no 'tiles' list"]),
    (b'{"tiles": ["http://h/{z}/{x}/{y}.png"], "maxzoom": 99}', ["maxzoom 99"]),
    (b'{"tiles": ["http://h/{z}/{x}/{y}.png"], "minzoom": 9, "maxzoom": 3}', ["minzoom 9 above maxzoom 3"]),
    (b'{"tiles": ["http://h/{z}/{x}/{y}.png"], "bounds": [0, 0, 1]}', ["four numbers"]),
    (b'{"tiles": ["http://h/{z}/{x}/{y}.png"], "scheme": "quadtree"}', ["only xyz and tms"]),
])
def test_bad_tilejson_gets_a_sentence_and_exit_2(loopback, capsys, root, body, phrases):
    server = loopback({"/tiles.json": document(body, "application/json")})
    code, _, err = inspect(capsys, root, f"{server.url}/tiles.json")
    assert_one_sentence(code, err, *phrases)


def test_unreachable_or_failing_services_get_a_sentence(loopback, capsys, root):
    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no")

    server = loopback({"/caps": gone})
    assert_one_sentence(*inspect(capsys, root, f"wms:{server.url}/caps?layers=a")[::2], "answered HTTP 404")
    assert_one_sentence(*inspect(capsys, root, "wmts:ftp://example.org/caps.xml#a")[::2], "not an http(s) URL")
    assert_one_sentence(*inspect(capsys, root, "wms:http://127.0.0.1:9/caps?layers=a")[::2], "could not be fetched")
    assert_one_sentence(*inspect(capsys, root, "no-such-provider")[::2], "neither a URL nor a catalogue id")
    assert_one_sentence(*inspect(capsys, root, "gopher://x/{z}/{x}/{y}")[::2], "is not understood")


def test_a_busy_service_is_asked_again_after_retry_after_with_a_named_user_agent(demo, loopback, capsys, root):
    agents: list[str] = []
    doc = demo_document(demo, WMTS)

    async def busy_once(request: web.Request) -> web.Response:
        agents.append(request.headers.get("User-Agent", ""))
        if len(agents) == 1:
            return web.Response(status=429, headers={"Retry-After": "1"})
        return web.Response(text=doc, content_type="text/xml")

    server = loopback({"/caps.xml": busy_once})
    code, out, err = inspect(capsys, root, f"wmts:{server.url}/caps.xml#countries")
    assert code == 0, err
    assert "WMTS" in out and "GoogleMapsCompatible" in out
    assert len(agents) == 2 and all(a.startswith("fmtc-nb/") for a in agents)


def test_the_command_line_refuses_a_misaligned_wmts_before_any_store_exists(demo, loopback, tmp_path):
    doc = demo_document(demo, WMTS).replace("<TileWidth>256</TileWidth>", "<TileWidth>300</TileWidth>")
    server = loopback({"/caps.xml": document(doc)})
    root = tmp_path / "root"
    done = subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(root), "download", "rect:0,0,1,1",
                           "--zoom", "0-3", "--source", f"wmts:{server.url}/caps.xml#countries", "--store", "x"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and "300x256 pixel tiles" in done.stderr
    assert not (root / "stores" / "x.mbtiles").exists()


def test_inspect_without_a_layer_lists_the_layers_a_download_needs_one(demo, capsys, root):
    for spec, hint in ((f"wms:{base_url(demo)}/wms", "?layers="), (f"wmts:{base_url(demo)}{WMTS}", "#LAYER")):
        code, out, err = inspect(capsys, root, spec)
        assert code == 0 and "countries" in out and hint in out, err
        code = main(["--root", str(root.path), "download", "rect:0,0,1,1", "--zoom", "0", "--source", spec,
                     "--store", "x", "--no-recovery"])
        assert_one_sentence(code, capsys.readouterr().err, "offers 'countries'")
