"""The notebook's pack panel estimates and downloads a pack, then shows it offline in a pack view."""

from __future__ import annotations

import json
import urllib.request

import pytest

from .conftest import REGION, cover_keys, stored_keys

pytest.importorskip("ipywidgets")


def test_pack_panel_estimates_downloads_and_shows_the_pack(demo, root):
    from fmtc_nb.widgets.pack_panel import PackPanel

    panel = PackPanel(REGION, demo.style_url, "nb", root=root, zooms="0-7")
    assert panel.estimate() is not None and "naturalearth" in panel.result.value
    run = panel.download(wait=True)
    try:
        assert run is not None and run.snapshot.status == "completed"
        assert stored_keys(root, "nb.naturalearth") == cover_keys(list(range(8)))
        assert panel.view is not None and "<iframe src='http://127.0.0.1:" in panel.view.widget.value
        page = urllib.request.urlopen(panel.view.url).read().decode()
        assert "lib/maplibre-gl.js" in page
        style = json.load(urllib.request.urlopen(panel.view.url.replace("index.html", "style.json")))
        tiles = style["sources"]["naturalearth"]["tiles"][0]
        assert tiles.startswith("http://127.0.0.1:") and style["sources"]["naturalearth"]["maxzoom"] == 7
        assert urllib.request.urlopen(tiles.format(z=7, x=66, y=45)).status == 200
    finally:
        panel.close()


def test_pack_panel_says_a_bad_style_in_one_sentence(root, tmp_path):
    from fmtc_nb.widgets.pack_panel import PackPanel

    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    panel = PackPanel(REGION, str(bad), "nb", root=root)
    assert panel.download() is None and panel.error == f"The style {bad} is not a JSON object."
