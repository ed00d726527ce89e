"""Notebook 1 in a real browser: JupyterLab on loopback, Debian's Chromium driven by Playwright. The map must
draw basemap tiles from the notebook's embedded tile server, the drawn shapes and their tile counts; a
screenshot is saved to test-artifacts/notebook1_map.png."""

from __future__ import annotations

import contextlib
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
NOTEBOOK5 = "05_background_limits.ipynb"
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
    for name in (NOTEBOOK, NOTEBOOK5):
        shutil.copy(NOTEBOOKS / name, work / name)
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


@contextlib.contextmanager
def chromium_page() -> Iterator[Any]:
    """A Playwright page in Debian's Chromium (1400x1000), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


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
    url, token = jupyterlab
    with chromium_page() as page:
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
    url, token = jupyterlab
    with chromium_page() as page:
        open_notebook1(page, url, token)
        counts = page.locator(".fmtc-counts").first
        summary = page.locator(".fmtc-region-summary").first

        def headline() -> str:
            """The counts' text once it holds a headline (the widget redraws its HTML while the kernel works),
            read in the same step as the check."""
            found = page.wait_for_function(
                "() => { const t = document.querySelector('.fmtc-counts')?.innerText ?? '';"
                " return /\\d+ shapes?, [\\d,]+ tiles/.test(t) ? t : null; }", timeout=30_000)
            return str(found.json_value())

        before_text = headline()
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
        with_bowtie = headline()
        box_bowtie = mapbox.bounding_box()
        summary_box = summary.bounding_box()
        red = page.locator(".leaflet-fmtc-bad-pane path").count()
        # erase it: Geoman's remove tool, a click inside the bow-tie's left lobe
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-delete").first.click()
        page.mouse.click(*at(0.11, 0.18))
        page.wait_for_function("!document.querySelector('.fmtc-region-summary .fmtc-error')", timeout=30_000)
        after_erase = headline()
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-delete").first.click()  # leave remove mode
        # a rectangle, dragged, then erased
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-rectangle").first.click()
        page.mouse.click(*at(0.10, 0.10))
        page.mouse.click(*at(0.22, 0.22))
        counts.filter(has_text="4 shapes").wait_for(timeout=30_000)
        drawn = headline()
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-drag").first.click()
        page.mouse.move(*at(0.16, 0.16))
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(*at(0.16 + 0.015 * step, 0.16 + 0.01 * step))
        page.mouse.up()
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-drag").first.click()  # leave drag mode
        page.wait_for_function(f"!document.querySelector('.fmtc-counts').innerText.includes({drawn.splitlines()[0]!r})",
                               timeout=30_000)
        dragged = headline()
        page.screenshot(path=str(ARTIFACTS / "notebook1_dragged.png"))
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-delete").first.click()
        page.mouse.click(*at(0.31, 0.26))
        counts.filter(has_text="3 shapes").wait_for(timeout=30_000)
        erased = headline()
    assert box_bowtie == box_before  # the map keeps its size
    assert summary_box is not None and summary_box["height"] <= 430
    assert "intersects itself" in error_text and "shape 4" in error_text
    assert red >= 1  # outlined in red on the map
    assert total_tiles(with_bowtie) == total_tiles(before_text) == total_tiles(after_erase)  # the others count on
    assert total_tiles(drawn)[0] == 4 and total_tiles(drawn)[1] > total_tiles(before_text)[1]
    assert total_tiles(dragged)[0] == 4 and dragged != drawn  # the drag reached Python
    assert total_tiles(erased) == total_tiles(before_text)


#: What the page shows at one moment: the panel's figures (tiles row and status) and the card's text.
READ_PANEL = """() => {
  const figures = document.querySelector('.fmtc-figures');
  const cards = [...document.querySelectorAll('.fmtc-notification')].map(c => c.innerText);
  return {figures: figures ? figures.innerText : '', cards: cards};
}"""


def run_cell(page: Any, index: int) -> str:
    """Run code cell ``index`` alone (click its prompt, Shift+Enter), wait until it finished, return its output."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-InputArea-prompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=150_000)
    page.wait_for_timeout(700)  # the widgets' last messages
    return cell.locator(".jp-OutputArea").inner_text()


def panel_agrees(page: Any, timeout_s: float = 10.0) -> tuple[int, int, str, list[str]]:
    """Wait until the panel's tiles row and every card show the same tiles; return (done, total, figures,
    cards)."""
    deadline = time.monotonic() + timeout_s
    while True:
        shown = page.evaluate(READ_PANEL)
        tiles = re.search(r"tiles\s+([\d,]+) of ([\d,]+)", shown["figures"])
        cards = [re.search(r"([\d,]+) / ([\d,]+) tiles", c) for c in shown["cards"]]
        if tiles and cards and all(c and c.groups() == tiles.groups() for c in cards):
            done, total = (int(g.replace(",", "")) for g in tiles.groups())
            return done, total, shown["figures"], shown["cards"]
        if time.monotonic() > deadline:
            raise AssertionError(f"panel and card disagree: {shown}")
        time.sleep(0.2)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_notebook5_cell_by_cell_panel_card_and_prints_agree(jupyterlab: tuple[str, str], notebook_env: Path) -> None:
    """Notebook 5 run one cell at a time: after the job starts, after the kill and after the resume, the panel's
    figures, every card on the page and the printed counts agree; the states are running, stopped, completed."""
    url, token = jupyterlab
    with chromium_page() as page:
        page.goto(f"{url}/lab/tree/{NOTEBOOK5}?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=120_000)
        outputs = [run_cell(page, i) for i in range(3)]  # imports and pairing, battery, the job starts
        started = panel_agrees(page)
        page.screenshot(path=str(ARTIFACTS / "notebook5_running.png"))
        killed_out = run_cell(page, 3)
        killed = panel_agrees(page)
        page.screenshot(path=str(ARTIFACTS / "notebook5_killed.png"))
        resumed_out = run_cell(page, 4)
        resumed = panel_agrees(page, timeout_s=30)
        page.screenshot(path=str(ARTIFACTS / "notebook5_resumed.png"))
    assert "exempt" in outputs[1]
    assert "running" in started[2] and all("Downloading" in c and "ongoing" in c for c in started[3])
    assert "stopped" in killed[2] and all("stopped" in c for c in killed[3])
    assert f"stopped: {killed[0]:,} of {killed[1]:,} tiles" in killed_out  # the print says what the panel shows
    assert "time left\tnone" in killed[2] or "time left none" in killed[2].replace("\t", " ")
    assert resumed[0] == resumed[1] and "completed" in resumed[2] and "(100.0%)" in resumed[2]
    assert all("completed" in c for c in resumed[3])
    assert f"{resumed[1]:,} of {resumed[1]:,} tiles" in resumed_out


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_notebook5_classroom_lesson_in_chromium(jupyterlab: tuple[str, str], notebook_env: Path) -> None:
    """The classroom half of notebook 5 in a real browser: the rule book with its credit, the exercises' tables,
    the FMTC comparison, both plots drawn as images, and a real run ending with exactly the region's tiles."""
    url, token = jupyterlab
    with chromium_page() as page:
        page.goto(f"{url}/lab/tree/{NOTEBOOK5}?token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')", timeout=120_000)
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        first = next(i for i in range(cells.count()) if "rulebook_frame" in cells.nth(i).inner_text())
        run_cell(page, 0)  # the session: tile server and virtual device
        outputs = {i: run_cell(page, i) for i in range(first, first + 8)}
        images = [cells.nth(i).locator(".jp-OutputArea img").count() for i in (first + 5, first + 6)]
        page.screenshot(path=str(ARTIFACTS / "notebook5_classroom.png"), full_page=True)
    texts = list(outputs.values())
    assert "dontkillmyapp.com" in texts[0] and "vendor_kill_by_award" in texts[0]
    assert "vendor_kill_by_award" in texts[1] and "completed" in texts[1]
    assert "vivo" in texts[2] and "data_sync_timeout" in texts[3]
    assert "FMTC" in texts[4] and "dontkillmyapp.com" in texts[4]
    assert images == [1, 1], "completion plot and sweep heatmap are drawn"
    assert "360 profiles" in texts[6]
    assert "3,224 of 3,224 tiles in the store" in texts[7] and "real" in texts[7]
