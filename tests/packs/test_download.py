"""Downloading packs of the demo style from the loopback demo server: exactly each source's cover at its clipped
zooms, the sprites and the glyph ranges its fonts need; one recovery record; a sentence (or, for sprites and
glyphs, a warning and a complete rest) for every broken part."""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest

from fmtc_nb.errors import PackError
from fmtc_nb.packs import PackFolder, download_pack
from fmtc_nb.packs.glyphs import glyph_ranges, range_name
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.tileserver.vector import demo_style

from .conftest import REGION, cli, cover_keys, stored_keys, write_style


def _base(demo) -> str:
    return demo.url_template.split("/{z}")[0]


def test_a_pack_of_the_demo_style_holds_exactly_each_source_cover_sprites_and_glyphs(demo, root):
    pack = download_pack(REGION, "0-9", demo.style_url, "geneva", root, parallel=8)
    snap = pack.snapshot
    assert snap.status == "completed" and snap.failed == 0 and not pack.warnings
    assert stored_keys(root, "geneva.naturalearth") == cover_keys(list(range(9)))  # vector: maxzoom 8
    assert stored_keys(root, "geneva.basemap") == cover_keys(list(range(10)))
    folder = PackFolder(root, "geneva")
    base = _base(demo)
    for ratio in ("", "@2x"):
        for ext in ("json", "png"):
            served = urllib.request.urlopen(f"{base}/sprites/demo{ratio}.{ext}").read()
            assert folder.read(f"sprites/default{ratio}.{ext}") == served
    fonts = sorted(p.name for p in (folder.path / "glyphs").iterdir())
    assert fonts == ["Noto Sans Bold", "Noto Sans Regular"]
    for font in fonts:
        names = sorted(p.name for p in (folder.path / "glyphs" / font).iterdir())
        assert names == sorted(f"{range_name(s)}.pbf" for s in glyph_ranges("latin"))
        served = urllib.request.urlopen(f"{base}/fonts/{font.replace(' ', '%20')}/0-255.pbf").read()
        assert folder.read(f"glyphs/{font}/0-255.pbf") == served
    items = len(cover_keys(list(range(9)))) + len(cover_keys(list(range(10)))) + 4 + 10
    assert snap.max_tiles == items and snap.successful == items
    with RecoveryRegistry(root) as registry:
        (info,) = registry.jobs()
    assert (info.store, info.status, info.tiles_done, info.tiles_total) == ("geneva", "completed", items, items)
    with root.open("geneva.naturalearth", readonly=True) as store:
        meta = store.metadata()
    assert meta["format"] == "pbf"
    assert {layer["id"] for layer in json.loads(meta["json"])["vector_layers"]} == \
        {"ocean", "land", "lakes", "rivers", "boundaries", "places"}


def test_all_glyph_ranges_and_a_second_run_fetches_only_what_is_missing(demo, root):
    download_pack(REGION, "0-2", demo.style_url, "world", root, glyphs="all")
    folder = PackFolder(root, "world")
    assert len(list((folder.path / "glyphs" / "Noto Sans Regular").iterdir())) == 256
    (folder.path / "sprites" / "default@2x.png").unlink()
    before = dict(demo.app.vector.resource_hits)
    again = download_pack(REGION, "0-2", demo.style_url, "world", root, glyphs="all")
    fetched = {path: n - before.get(path, 0) for path, n in demo.app.vector.resource_hits.items()
               if n != before.get(path, 0)}
    assert fetched == {"/styles/demo.json": 1, "/vector/tilejson.json": 1, "/sprites/demo@2x.png": 1}
    assert again.snapshot.cached == 1 and again.snapshot.failed == 0  # every tile was already stored


def test_an_inline_raster_dem_source_is_clipped_to_its_own_zooms(demo, root, tmp_path):
    base = _base(demo)
    doc = {"version": 8, "sources": {"dem": {"type": "raster-dem", "tiles": [f"{base}/{{z}}/{{x}}/{{y}}.png"],
                                             "minzoom": 2, "maxzoom": 4, "tileSize": 256}},
           "layers": [{"id": "hills", "type": "hillshade", "source": "dem"}]}
    pack = download_pack(REGION, "0-7", write_style(tmp_path / "dem.json", doc), "dem", root)
    assert pack.snapshot.status == "completed"
    assert stored_keys(root, "dem.dem") == cover_keys([2, 3, 4])


def test_a_broken_source_is_one_sentence_and_records_nothing(demo, root, tmp_path):
    doc = demo_style(_base(demo))
    doc["sources"]["naturalearth"]["url"] = f"{_base(demo)}/vector/missing.json"
    with pytest.raises(PackError, match=r"TileJSON of source 'naturalearth' .* answered HTTP 404"):
        download_pack(REGION, "0-3", write_style(tmp_path / "s.json", doc), "broken", root)
    doc["sources"]["naturalearth"]["url"] = "http://127.0.0.1:9/tilejson.json"  # nothing listens on port 9
    with pytest.raises(PackError, match="could not be fetched"):
        download_pack(REGION, "0-3", write_style(tmp_path / "s.json", doc), "broken", root)
    with RecoveryRegistry(root) as registry:
        assert registry.jobs() == []


def test_a_missing_sprite_and_a_glyph_404_are_warnings_and_the_rest_is_complete(demo, root, tmp_path):
    doc = demo_style(_base(demo))
    doc["sprite"] = f"{_base(demo)}/sprites/nothere"
    doc["layers"][-1]["layout"]["text-font"] = ["No Such Font"]
    style = write_style(tmp_path / "s.json", doc)
    done = subprocess.run(cli("--root", str(root.path), "download", "rect:6.1,46.1,7.3,46.9", "--zoom", "0-4",
                              "--style", style, "--store", "partial"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 4 + 5  # the sprite's four files and the five Latin ranges of the unknown font
    assert "warning: The sprite file sprites/default.json could not be fetched from " in done.stderr
    assert "(HTTP 404); the rest of the pack is complete without it." in done.stderr
    assert stored_keys(root, "partial.naturalearth") == cover_keys(list(range(5)))
    assert stored_keys(root, "partial.basemap") == cover_keys(list(range(5)))
    assert "Traceback" not in done.stderr


def test_cli_refuses_bad_input_with_one_sentence(demo, root, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ this is not json")
    for args, sentence in (
        (["--style", str(bad)], "is not valid JSON"),
        (["--style", demo.style_url, "--glyphs", "latin,elvish"], "Unknown glyph script(s) elvish"),
        (["--style", demo.style_url, "--url", demo.url_template], "not allowed with argument"),
    ):
        done = subprocess.run(cli("--root", str(root.path), "download", "rect:6,46,7,47", "--zoom", "0-3",
                                  "--store", "x", *args), capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and sentence in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_estimate_of_a_style_pack(demo):
    done = subprocess.run(cli("estimate", "rect:6.1,46.1,7.3,46.9", "--zoom", "0-9", "--style", demo.style_url,
                              "--json", "--seed", "1"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["sources"]["naturalearth"]["zooms"] == list(range(9))
    assert result["tiles"] == len(cover_keys(list(range(9)))) + len(cover_keys(list(range(10))))
    assert result["resources"] == 14 and result["bytes"]["estimate"] > 0


def test_the_planner_answers_for_a_whole_pack(demo):
    """``estimate --style --budget``: at max zoom m every source takes its own zooms up to m; a tile budget has an
    exact answer, and a byte budget's deepest option stores the sources' storage added up."""
    from fmtc_nb.packs.estimate import estimate_pack
    from fmtc_nb.regions import parse_region

    region = "rect:6.1,46.1,7.3,46.9"
    upto = {m: len(cover_keys(list(range(min(m, 8) + 1)))) + len(cover_keys(list(range(m + 1)))) for m in range(10)}
    done = subprocess.run(cli("estimate", region, "--zoom", "0-9", "--style", demo.style_url, "--json", "--seed", "1",
                              "--budget", f"{upto[5]}tiles"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert (plan["min_zoom"], plan["max_zoom"], plan["safe_max_zoom"]) == (0, 5, 5)
    assert [o["tiles"] for o in plan["options"]] == [upto[m] for m in range(10)]
    text = subprocess.run(cli("estimate", region, "--zoom", "0-9", "--style", demo.style_url, "--seed", "1",
                              "--budget", "1tiles"), capture_output=True, text=True, timeout=300)
    assert text.returncode == 2 and "No zoom fits the budget of 1 tiles" in text.stderr, text.stderr

    result = estimate_pack(parse_region(region), "0-9", demo.style_url, seed=1)
    deepest = sum(e.storage_total([z.zoom for z in e.zooms]).total for e in result.sources.values())
    budget = result.plan_zooms(int(deepest * 10))
    assert budget.max_zoom == 9 and budget.options[-1].storage_bytes.estimate == pytest.approx(deepest)
    assert result.storage_bytes == budget.options[-1].storage_bytes  # the pack's total is the planner's
    probabilities = [o.probability for o in budget.options]
    assert probabilities == sorted(probabilities, reverse=True) and probabilities[-1] > 0.95


def test_pack_delete_removes_the_folder_and_every_store_of_the_pack(demo, root):
    download_pack(REGION, "0-3", demo.style_url, "gone", root)
    download_pack(REGION, "0-2", demo.style_url, "kept", root)
    done = subprocess.run(cli("--root", str(root.path), "pack", "delete", "gone"), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert not PackFolder(root, "gone").path.exists()
    assert root.list() == ["kept.basemap", "kept.naturalearth"]


def test_every_request_of_a_pack_honours_the_environment_s_proxy(demo, root, monkeypatch):
    from tests.netservers import ForwardProxy, without_proxy_environment

    without_proxy_environment(monkeypatch)
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        pack = download_pack(REGION, "0-1", demo.style_url, "proxied", root)
    assert pack.snapshot.status == "completed" and pack.snapshot.failed == 0
    through = set(proxy.targets("GET"))
    assert {r.url for r in pack.plan.resources} <= through  # sprites and glyphs too, not only the tiles
    assert demo.style_url in through and len(through) >= len(pack.plan.resources) + pack.plan.tiles


def test_a_pack_s_own_proxy_carries_the_style_and_tilejson_too(demo, root, monkeypatch):
    from tests.netservers import ForwardProxy, without_proxy_environment

    without_proxy_environment(monkeypatch)
    with ForwardProxy() as proxy:
        pack = download_pack(REGION, "0-1", demo.style_url, "own", root, proxy=proxy.url)
    through = set(proxy.targets("GET"))
    assert pack.snapshot.status == "completed"
    assert {demo.style_url, demo.style_url.replace("/styles/demo.json", "/vector/tilejson.json")} <= through
    assert {r.url for r in pack.plan.resources} <= through


def test_a_bad_pack_name_is_quoted_as_given(root):
    with pytest.raises(PackError, match=r"The pack name 'restore/x' contains '/'"):
        PackFolder(root, "restore/x")
    with pytest.raises(PackError, match=r"The pack name 'a\\u200bb' contains zero width space"):
        PackFolder(root, "a\u200bb")
