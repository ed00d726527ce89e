"""Style packs dispatched to a virtual device (a real subprocess) against the demo server on loopback: planned on
arrival and held to the device's limits, one job with one progress stream, notification and recovery record,
exact after a SIGKILL and the restart's recovery, and pulled back whole into the local root."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from fmtc_nb.cover import TileCover
from fmtc_nb.device import DeviceClient
from fmtc_nb.engine.downloader import MAX_QUEUED_BATCHES
from fmtc_nb.errors import DeviceError, StoreExists
from fmtc_nb.packs import PackFolder, export_pack
from fmtc_nb.recovery import Checkpoint
from fmtc_nb.regions import Rectangle
from fmtc_nb.store import Root
from fmtc_nb.tileserver import start_server
from tests.bridge.conftest import api, pair_token

SPEC = "rect:5,45,11,48"  # Switzerland and around: 44 vector tiles at z0-8, 368 raster at z0-10
REGION = Rectangle(5.0, 45.0, 11.0, 48.0)
ZOOMS = {"naturalearth": list(range(9)), "basemap": list(range(11))}  # the vector source stops at its maxzoom 8
RESOURCES = 4 + 10  # sprites 1x and 2x (JSON, PNG); the Latin glyph ranges of the style's two fonts


def cover_keys(zooms: list[int]) -> set[tuple[int, int, int]]:
    return set(TileCover(REGION, zooms).tiles())


def stored_keys(root: Root, store: str) -> set[tuple[int, int, int]]:
    with root.open(store, readonly=True) as s:
        return {(r.z, r.x, r.y) for r in s.iter_tiles()}


def folder_files(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


ITEMS = sum(len(cover_keys(z)) for z in ZOOMS.values()) + RESOURCES


@pytest.fixture(scope="module")
def demo():
    """The demo server (vector tiles, TileJSON, style, sprite, glyphs) in this process: its counters are read."""
    server = start_server(latency_s=0.01)
    yield server
    server.stop()


def _hits(server, since: dict[str, Counter] | None = None) -> dict[str, Counter]:
    """Requests per tile of each source (minus those counted in ``since``)."""
    now = {"naturalearth": Counter(server.app.vector.hits), "basemap": Counter(server.app.hits)}
    return {sid: hits - since[sid] for sid, hits in now.items()} if since else now


def test_a_pack_on_the_device_is_one_job_and_comes_back_whole(demo, device, tmp_path):
    client = DeviceClient(device.url, pair_token(device))
    row = client.dispatch_pack(SPEC, "0-10", demo.style_url, "alps", parallel=4)
    assert row.status == "running" and row.store == "alps"
    events = []
    final = client.watch(row.id, on_progress=events.append)
    assert final.status == "completed" and final.tiles_failed == 0
    assert (final.tiles_done, final.tiles_total) == (ITEMS, ITEMS)
    attempted = [e.overall.attempted for e in events]
    assert attempted == sorted(attempted) and events[-1].overall.max_tiles == ITEMS
    after = device.screen()
    assert after["notification"] is None and not after["foreground"]  # the phone let go at the end

    device_root = Root(device.root)
    for sid, zooms in ZOOMS.items():
        assert stored_keys(device_root, f"alps.{sid}") == cover_keys(zooms)
    (record,) = client.recovery()
    assert (record.id, record.store, record.status, record.tiles_done) == (row.id, "alps", "completed", ITEMS)
    assert client.packs() == ["alps"] and {"alps.naturalearth", "alps.basemap"} <= set(client.stores())

    local = Root(tmp_path / "local")
    folder = client.pull_pack("alps", local)
    on_device = PackFolder(device_root, "alps").path
    assert folder == PackFolder(local, "alps").path and folder_files(folder) == folder_files(on_device)
    for sid, zooms in ZOOMS.items():
        assert stored_keys(local, f"alps.{sid}") == cover_keys(zooms)
    written = export_pack("alps", tmp_path / "offline", local)
    assert (tmp_path / "offline" / "index.html").is_file()
    assert written["tiles"] == {sid: len(cover_keys(zooms)) for sid, zooms in ZOOMS.items()}
    with pytest.raises(StoreExists):
        client.pull_pack("alps", local)
    before = folder_files(folder)
    client.pull_pack("alps", local, replace=True)
    assert folder_files(folder) == before


def test_a_pack_killed_with_the_device_is_resumed_by_the_restart_exactly(demo, device):
    client = DeviceClient(device.url, pair_token(device))
    before = _hits(demo)
    row = client.dispatch_pack(SPEC, "0-10", demo.style_url, "swiss", parallel=4, rate_limit=120)
    deadline = time.monotonic() + 120
    while sum(_hits(demo, before)["basemap"].values()) < 120 and time.monotonic() < deadline:  # past a flush
        time.sleep(0.02)
    screen_mid = device.screen()
    device.kill()
    at_kill = _hits(demo, before)
    resources_at_kill = Counter(demo.app.vector.resource_hits)
    note = screen_mid["notification"]
    assert screen_mid["foreground"] and note["max_tiles"] == ITEMS and 0 < note["attempted"] < ITEMS
    assert f"/ {ITEMS:,} tiles" in note["text"]

    with Root(device.root).open("swiss.basemap", readonly=True) as store:
        committed = Checkpoint.from_text(store.read_checkpoint(row.id))
    assert 0 < committed.tiles_done < len(cover_keys(ZOOMS["basemap"]))  # killed mid-source, after a commit

    device.restart()
    assert device.info["resumed"] == [row.id]
    final = client.watch(row.id)
    assert final.status == "completed" and (final.tiles_done, final.tiles_failed) == (ITEMS, 0)
    device_root = Root(device.root)
    for sid, zooms in ZOOMS.items():
        assert stored_keys(device_root, f"swiss.{sid}") == cover_keys(zooms)
        hits = _hits(demo, before)[sid]
        refetched = {tile for tile, n in hits.items() if n > 1}
        assert set(hits) == cover_keys(zooms) and all(n <= 2 for n in hits.values())
        assert refetched <= set(at_kill[sid])  # only tiles the kill caught in flight or in the buffer
        # in flight (parallel 4), or fetched but not committed: the device flushes every 0.5 s (60 tiles at
        # 120 tiles/s), and a kill may also catch the batches queued for the store
        assert len(refetched) <= 4 + (MAX_QUEUED_BATCHES + 1) * 60
    # the resumed run froze nothing new: no style, TileJSON, sprite or glyph was fetched again
    assert Counter(demo.app.vector.resource_hits) == resources_at_kill
    (record,) = client.recovery()
    assert (record.status, record.runs, record.tiles_done) == ("completed", 2, ITEMS)


def test_bad_packs_are_refused_with_a_sentence_before_anything_is_stored(demo, tmp_path):
    dev = VirtualDeviceProcess(tmp_path / "device", args=("--max-tiles", "400")).start()
    try:
        token = pair_token(dev)
        body = {"kind": "pack", "region": REGION.to_geojson(), "zooms": list(range(11)), "style": demo.style_url,
                "store": "alps"}
        status, _, answer = api(dev.url, "POST", "/api/v1/jobs", body, token=token)
        assert status == 422 and "412 tiles over its 2 sources" in answer["error"]  # each source alone is within 400
        for change, sentence in (({"style": "/etc/hostname"}, "must be the http(s) URL"),
                                 ({"style": demo.style_url.replace("demo.json", "none.json")}, "style"),
                                 ({"glyphs": 3}, "'glyphs'"), ({"colour": "red"}, "Unknown job field"),
                                 ({"headers": {"A": 1}}, "Pack headers"), ({"zooms": [0, 30]}, "beyond")):
            status, _, answer = api(dev.url, "POST", "/api/v1/jobs", {**body, "zooms": [0, 1], **change},
                                    token=token)
            assert status in (400, 422) and sentence in answer["error"], (change, answer)
        assert api(dev.url, "GET", "/api/v1/recovery", token=token)[2]["jobs"] == []
        assert not (dev.root / "packs").exists() and not any((dev.root / "stores").glob("*.mbtiles"))
        client = DeviceClient(dev.url, token)
        with pytest.raises(DeviceError, match="cannot read the style"):
            client.dispatch_pack(SPEC, "0-2", str(tmp_path / "style.json"), "x")
        with pytest.raises(Exception, match="No pack named"):
            client.pull_pack("none", tmp_path / "local")
    finally:
        dev.stop()


def test_the_cli_dispatches_a_pack_and_pulls_it_back(demo, device, config_dir, tmp_path, capsys):
    from fmtc_nb.cli import main

    assert main(["device", "pair", device.url, device.code, "--name", "phone"]) == 0
    capsys.readouterr()
    code = main(["device", "dispatch", "phone", SPEC, "--zoom", "0-4", "--style", demo.style_url, "--store", "cli",
                 "--wait", "--json"])
    final = json.loads(capsys.readouterr().out)
    assert code == 0 and final["status"] == "completed" and final["tiles_done"] == final["tiles_total"] > RESOURCES
    local = tmp_path / "local"
    assert main(["--root", str(local), "device", "pull", "phone", "cli"]) == 0
    assert "pulled pack cli" in capsys.readouterr().out
    assert PackFolder(Root(local), "cli").exists and Root(local).list() == ["cli.basemap", "cli.naturalearth"]
    assert main(["--root", str(local), "device", "pull", "phone", "cli", "--as", "other"]) == 2
    assert "cannot rename a style pack" in capsys.readouterr().err
    assert main(["device", "dispatch", "phone", SPEC, "--zoom", "0-4", "--style", str(tmp_path / "s.json"),
                 "--store", "x"]) == 2
    assert "cannot read the style" in capsys.readouterr().err
