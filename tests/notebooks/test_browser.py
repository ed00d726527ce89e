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


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_notebook1_draws_local_tiles_and_region_in_chromium(jupyterlab: tuple[str, str], notebook_env: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, token = jupyterlab
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            try:
                page.goto(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
                page.wait_for_selector(".jp-Notebook", timeout=90_000)
                # the status bar says "Idle" once the kernel is connected (slow on a busy machine)
                page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=120_000)
                page.locator(".jp-Cell .jp-InputArea-prompt").first.click()
                page.click(".lm-MenuBar-itemLabel:text-is('Run')")
                page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
                page.wait_for_selector(".leaflet-container", timeout=150_000)
                tiles = page.locator(".leaflet-container img.leaflet-tile-loaded")
                tiles.first.wait_for(timeout=60_000)
                page.wait_for_selector(".fmtc-counts", timeout=60_000)
            except Exception:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "notebook1_failure.png"))
                raise
            news = page.locator(".jp-toast-button:text-is('No')")  # JupyterLab's "get notified about news?" toast
            if news.count():
                news.first.click()
            server_line = page.locator(".jp-OutputArea-output").filter(has_text="map tiles from").first.text_content() or ""
            page.locator(".leaflet-container").first.scroll_into_view_if_needed()
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
