"""Notebook 1 in a real browser: JupyterLab on loopback, Debian's Chromium driven by Playwright. The map must
draw basemap tiles from the notebook's embedded tile server, the drawn shapes and their tile counts; a
screenshot is saved to test-artifacts/notebook1_map.png."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Circle, Corridor, MultiRegion, Rectangle
from tests.notebooks.conftest import ARTIFACTS, NOTEBOOKS, processes_mentioning

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NOTEBOOK = "01_plan_region.ipynb"
SCREENSHOT = ARTIFACTS / "notebook1_map.png"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(notebook_env: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """JupyterLab serving a copy of notebook 1 (so autosave never touches the repository); yields (url, token)."""
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NOTEBOOKS / NOTEBOOK, work / NOTEBOOK)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"), "HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
           f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True", f"--ServerApp.root_dir={work}",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    with open(tmp_path / "jupyterlab.log", "wb") as log:  # the child keeps its own copy of the descriptor
        lab = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or lab.poll() is not None:
                    raise AssertionError((tmp_path / "jupyterlab.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        yield url, token
    finally:
        lab.terminate()
        try:
            lab.wait(20)
        except subprocess.TimeoutExpired:
            lab.kill()
            lab.wait(5)
        # the kernel (its connection file lives under tmp_path) and anything it started are gone too
        deadline = time.monotonic() + 15
        while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_mentioning(str(tmp_path)) == []


def draw_rectangle(page: Any) -> str:
    """Draw a rectangle with Geoman's tool like a user (press the tool, click two corners on the map) and
    return the counts text once the kernel has answered."""
    page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-rectangle").first.click()
    box = page.locator(".leaflet-container").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.15)
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    counts = page.locator(".fmtc-counts").first
    counts.filter(has_text="4 shapes").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "notebook1_drawn.png"))
    return counts.inner_text()


def open_notebook1(page: Any, url: str, token: str) -> None:
    """Open notebook 1, run all its cells and wait for the map, its tiles and the counts."""
    try:
        page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        # the status bar says "Idle" once the kernel is connected (slow on a busy machine)
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=120_000)
        page.locator(".jp-Cell .jp-InputArea-prompt").first.click()
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        page.wait_for_selector(".leaflet-container", timeout=150_000)
        page.locator(".leaflet-container img.leaflet-tile-loaded").first.wait_for(timeout=60_000)
        page.wait_for_selector(".fmtc-counts", timeout=60_000)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notebook1_failure.png"))
        raise
    news = page.locator(".jp-toast-button:text-is('No')")  # JupyterLab's "get notified about news?" toast
    if news.count():
        news.first.click()
    page.locator(".leaflet-container").first.scroll_into_view_if_needed()


def total_tiles(text: str) -> tuple[int, int]:
    """(shapes, tiles) from the counts' headline."""
    found = re.search(r"(\d+) shapes?, ([\d,]+) tiles", text)
    assert found, text
    return int(found.group(1)), int(found.group(2).replace(",", ""))


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_notebook1_draws_local_tiles_and_region_in_chromium(jupyterlab: tuple[str, str], notebook_env: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, token = jupyterlab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_notebook1(page, url, token)
            tiles = page.locator(".leaflet-container img.leaflet-tile-loaded")
            server_line = page.locator(".jp-OutputArea-output").filter(has_text="map tiles from").first.text_content() or ""
            page.wait_for_timeout(1500)  # let the remaining tiles arrive before the screenshot
            sources = [tiles.nth(i).get_attribute("src") for i in range(tiles.count())]
            shapes = page.locator(".leaflet-container path.leaflet-interactive").count()
            counts_text = page.locator(".fmtc-counts").first.inner_text()
            toolbar = page.locator(".leaflet-pm-toolbar").count()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
            drawn_text = draw_rectangle(page)
        finally:
            browser.close()
    found = re.search(r"http://127\.0\.0\.1:\d+/", server_line)
    assert found, server_line
    tile_server = found.group(0)  # the notebook's own tile server
    assert sources and all(re.match(re.escape(tile_server) + r"\d+/\d+/\d+\.png$", s or "") for s in sources)
    assert shapes >= 3  # rectangle, circle and corridor line, (the orange strips are not interactive)
    expected = TileCover(MultiRegion([Rectangle(6.15, 46.2, 6.95, 46.55), Circle(7.44, 46.95, 12),
                                      Corridor([(6.95, 46.3), (7.35, 46.23), (7.6, 46.3)], 2000)]), range(0, 15))
    assert f"3 shapes, {expected.total:,} tiles" in counts_text  # the same exact counts Python computes
    for z, n in expected.counts.items():
        assert re.search(rf"^{z}\s+{n:,}$", counts_text, re.M), (z, n)
    assert "zoom" in counts_text and "Orange strips: the" in counts_text
    assert toolbar >= 1  # Geoman's drawing tools are on the map
    assert SCREENSHOT.stat().st_size > 10_000
    # drawing in the browser reaches Python: a fourth shape, and more tiles than the three shapes had
    before, after = (int(re.search(r"shapes, ([\d,]+) tiles", t).group(1).replace(",", "")) for t in (counts_text, drawn_text))
    assert after > before


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_a_bowtie_keeps_the_map_and_the_other_shapes_and_shapes_drag_and_erase(
        jupyterlab: tuple[str, str], notebook_env: Path) -> None:
    """Draw a self-intersecting polygon by hand: the map keeps its size, the bad shape is outlined in red and
    named, the three other shapes keep counting; erase it with Geoman's remove tool (the tile strips do not take
    the click); draw a rectangle, drag it (the counts follow) and erase it (back to the three shapes)."""
    from playwright.sync_api import sync_playwright

    url, token = jupyterlab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            open_notebook1(page, url, token)
            counts = page.locator(".fmtc-counts").first
            summary = page.locator(".fmtc-region-summary").first
            before_text = counts.inner_text()
            mapbox = page.locator(".leaflet-container").first
            box_before = mapbox.bounding_box()
            assert box_before is not None

            def at(fx: float, fy: float) -> tuple[float, float]:
                return box_before["x"] + box_before["width"] * fx, box_before["y"] + box_before["height"] * fy

            page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-polygon").first.click()
            for fx, fy in ((0.08, 0.08), (0.28, 0.28), (0.28, 0.08), (0.08, 0.28), (0.08, 0.08)):  # a bow-tie
                page.mouse.click(*at(fx, fy))
                page.wait_for_timeout(150)
            page.locator(".fmtc-region-summary .fmtc-error").first.wait_for(timeout=30_000)
            page.wait_for_timeout(800)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "notebook1_bowtie.png"))
            error_text = page.locator(".fmtc-region-summary .fmtc-error").first.inner_text()
            with_bowtie = counts.inner_text()
            box_bowtie = mapbox.bounding_box()
            summary_box = summary.bounding_box()
            red = page.locator(".leaflet-fmtc-bad-pane path").count()
            # erase it: Geoman's remove tool, a click inside the bow-tie's left lobe
            page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-delete").first.click()
            page.mouse.click(*at(0.11, 0.18))
            page.wait_for_function("!document.querySelector('.fmtc-region-summary .fmtc-error')", timeout=30_000)
            after_erase = counts.inner_text()
            page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-delete").first.click()  # leave remove mode
            # a rectangle, dragged, then erased
            page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-rectangle").first.click()
            page.mouse.click(*at(0.10, 0.10))
            page.mouse.click(*at(0.22, 0.22))
            counts.filter(has_text="4 shapes").wait_for(timeout=30_000)
            drawn = counts.inner_text()
            page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-drag").first.click()
            page.mouse.move(*at(0.16, 0.16))
            page.mouse.down()
            for step in range(1, 11):
                page.mouse.move(*at(0.16 + 0.015 * step, 0.16 + 0.01 * step))
            page.mouse.up()
            page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-drag").first.click()  # leave drag mode
            page.wait_for_function(f"!document.querySelector('.fmtc-counts').innerText.includes({drawn.splitlines()[0]!r})",
                                   timeout=30_000)
            dragged = counts.inner_text()
            page.screenshot(path=str(ARTIFACTS / "notebook1_dragged.png"))
            page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-delete").first.click()
            page.mouse.click(*at(0.31, 0.26))
            counts.filter(has_text="3 shapes").wait_for(timeout=30_000)
            erased = counts.inner_text()
        finally:
            browser.close()
    assert box_bowtie == box_before  # the map keeps its size
    assert summary_box is not None and summary_box["height"] <= 430
    assert "intersects itself" in error_text and "shape 4" in error_text
    assert red >= 1  # outlined in red on the map
    assert total_tiles(with_bowtie) == total_tiles(before_text) == total_tiles(after_erase)  # the others count on
    assert total_tiles(drawn)[0] == 4 and total_tiles(drawn)[1] > total_tiles(before_text)[1]
    assert total_tiles(dragged)[0] == 4 and dragged != drawn  # the drag reached Python
    assert total_tiles(erased) == total_tiles(before_text)
