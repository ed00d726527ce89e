"""A real browser shows a pack with the network cut: Chromium (headless, WebGL on SwiftShader) opens the exported
``index.html`` from a loopback static server, or the live viewer of the stored pack, with every request to any
other address aborted; the map draws the stored features (checked by pixel colours at known places and by the
rendered features), and nothing is asked of the tile server. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from fmtc_nb.packs import download_pack, export_pack, serve_folder, serve_pack
from fmtc_nb.tileserver.vector import LAND, WATER

from .conftest import ARTIFACTS, REGION

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")]
playwright = pytest.importorskip("playwright.sync_api")

ARGS = ["--no-sandbox", "--headless=new", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEW = "#7/46.5/7.0"  # MapLibre zooms count 512-px tiles: Leaflet z8
LAKE_GENEVA = (6.55, 46.44)
FRIBOURG_LAND = (7.0, 46.75)
ZURICH = (8.6, 47.35)  # east of every stored tile: nothing is drawn there but the background


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _near(a: tuple[int, ...], b: tuple[int, int, int], tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a[:3], b, strict=True))


@pytest.fixture(scope="module")
def pack_root(tmp_path_factory, demo):
    from fmtc_nb.store import Root

    root = Root(tmp_path_factory.mktemp("browser") / "root")
    pack = download_pack(REGION, "0-9", demo.style_url, "geneva", root, parallel=8)
    assert pack.snapshot.failed == 0
    return root


@pytest.mark.parametrize("how", ["export", "viewer"])
def test_the_map_draws_the_stored_pack_with_the_network_cut(pack_root, demo, tmp_path, how):
    if how == "export":
        export_pack("geneva", tmp_path / "geneva-offline", pack_root)
        site = serve_folder(tmp_path / "geneva-offline")
    else:
        site = serve_pack("geneva", pack_root)
    server_before = sum(demo.app.hits.values()) + sum(demo.app.vector.hits.values())
    allowed = [f"http://127.0.0.1:{site.port}/"]
    if how == "viewer":
        allowed += [proxy.url + "/" for proxy in site.proxies.values()]
    seen, blocked, errors = [], [], []
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 800, "height": 600})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            def route(r):
                if any(r.request.url.startswith(a) for a in allowed):
                    seen.append(r.request.url)
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(site.url + VIEW)
            page.wait_for_function("typeof window.map?.loaded === 'function' && map.loaded() && map.areTilesLoaded() && document.body.dataset.idle",
                                   timeout=90_000)
            png = page.screenshot(path=str(ARTIFACTS / f"pack_{how}_geneva.png"))
            points = page.evaluate("(ps) => ps.map(p => { const q = map.project(p); return [q.x, q.y]; })",
                                   [LAKE_GENEVA, FRIBOURG_LAND, ZURICH])
            layers = set(page.evaluate("[...new Set(map.queryRenderedFeatures().map(f => f.sourceLayer))]"))
            names = set(page.evaluate(
                "map.queryRenderedFeatures({layers: ['places']}).map(f => f.properties.name)"))
            page_url = page.evaluate("location.href + ' ' + JSON.stringify([map.getZoom(), map.getCenter()])")
            browser.close()
    finally:
        site.stop()
    ARTIFACTS.mkdir(exist_ok=True)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert all(0 <= x < 800 and 0 <= y < 600 for x, y in points), (points, page_url)
    lake, land, outside = (image.getpixel((round(x), round(y))) for x, y in points)
    assert _near(lake, _rgb(WATER)) and _near(land, _rgb(LAND)), (lake, land)
    assert _near(outside, _rgb(WATER)), outside  # the background: no tile is stored there
    pixels = np.asarray(image, dtype=int)
    boundary = int((np.abs(pixels - (132, 102, 142)).max(axis=2) <= 20).sum())
    assert boundary > 100  # country boundaries drawn
    assert {"land", "lakes", "rivers", "boundaries", "places"} <= layers
    assert {"Geneva", "Bern"} & names
    assert not blocked, blocked
    assert sum(demo.app.hits.values()) + sum(demo.app.vector.hits.values()) == server_before
    if how == "export":
        assert any(url.endswith(".pmtiles") for url in seen)
        assert any("/glyphs/Noto%20Sans%20" in url for url in seen) and any("/sprites/default" in url for url in seen)
    else:
        assert sum(proxy.hits for proxy in site.proxies.values()) > 0
    assert not [e for e in errors if "Failed to fetch" not in e], errors
