"""The widgets and reports without a browser: drawn shapes <-> regions, the tile overlay, the picker's live
counts, the panels against the real embedded tile server, and the report tables and plots."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.errors import RegionError, StoreError
from fmtc_nb.regions import Circle, Corridor, MultiRegion, Polygon, Rectangle, example_region
from fmtc_nb.reports import (
    FINAL_OUTCOMES,
    ProgressRecorder,
    completion_by_zoom,
    outcomes_frame,
    plot_progress,
    plot_tiles_per_zoom,
    store_zoom_frame,
    throughput_frame,
)
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.tileserver import start_server
from fmtc_nb.widgets import DownloadPanel, EstimatePanel, RegionPicker
from fmtc_nb.widgets.device_panel import info_html, notification_html
from fmtc_nb.widgets.estimate_panel import estimate_html
from fmtc_nb.widgets.region_picker import fit_view
from fmtc_nb.widgets.shapes import feature_to_region, features_to_region, region_to_features
from fmtc_nb.widgets.tiles_layer import span_features, tiles_geojson

matplotlib.use("Agg")
ZOOMS = range(0, 13)
SHAPES = [Rectangle(6.15, 46.2, 6.95, 46.55), Circle(7.44, 46.95, 12),
          Corridor([(6.95, 46.3), (7.35, 46.23), (7.6, 46.3)], 2000),
          Polygon([(8.0, 47.0), (8.6, 47.1), (8.3, 47.5), (8.0, 47.0)])]


@pytest.fixture(scope="module")
def server() -> Iterator[object]:
    handle = start_server()
    yield handle
    handle.stop()


# -- shapes ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.kind)
def test_each_shape_survives_the_draw_control_round_trip(shape: object) -> None:
    (feature,) = region_to_features(shape)
    again = feature_to_region(feature, corridor_radius_m=1.0)
    assert again.kind == shape.kind
    assert TileCover(again, ZOOMS).counts == TileCover(shape, ZOOMS).counts


def test_several_shapes_make_one_union_region() -> None:
    region = features_to_region(region_to_features(MultiRegion(SHAPES)), 1.0)
    assert TileCover(region, ZOOMS).counts == TileCover(MultiRegion(SHAPES), ZOOMS).counts
    assert features_to_region([], 1.0) is None


def test_shapes_as_geoman_reports_them() -> None:
    """What the browser sends: a rectangle polygon typed 'rectangle', a circle Point with the radius in metres
    in its Leaflet style, a polyline without a radius (the picker's radius applies)."""
    ring = [[6.0, 46.0], [6.0, 46.5], [6.5, 46.5], [6.5, 46.0], [6.0, 46.0]]
    rect = feature_to_region({"type": "Feature", "properties": {"type": "rectangle", "style": {}},
                              "geometry": {"type": "Polygon", "coordinates": [ring]}}, 1.0)
    assert isinstance(rect, Rectangle) and rect.bounds == (6.0, 46.0, 6.5, 46.5)
    circle = feature_to_region({"type": "Feature", "properties": {"type": "circle", "style": {"radius": 2500.0}},
                                "geometry": {"type": "Point", "coordinates": [7.0, 46.0]}}, 1.0)
    assert isinstance(circle, Circle) and circle.radius_km == 2.5
    line = {"type": "Feature", "properties": {"type": "polyline", "style": {}},
            "geometry": {"type": "LineString", "coordinates": [[6.0, 46.0], [6.2, 46.1]]}}
    assert feature_to_region(line, 750.0).radius_m == 750.0


def test_a_marker_is_refused_with_one_sentence() -> None:
    marker = {"type": "Feature", "properties": {"type": "marker"}, "geometry": {"type": "Point", "coordinates": [6, 46]}}
    with pytest.raises(RegionError, match="needs a radius"):
        feature_to_region(marker, 100.0)


# -- tile overlay ----------------------------------------------------------------------------------------
def test_overlay_spans_cover_exactly_the_tiles_of_the_zoom() -> None:
    cover = TileCover(example_region(), ZOOMS)
    features = span_features(cover, 11)
    assert sum(f["properties"]["x1"] - f["properties"]["x0"] for f in features) == cover.counts[11]
    assert span_features(cover, 12, max_spans=3) is None
    data, note = tiles_geojson(cover, 12, max_spans=3)
    assert data["features"] == [] and "too many" in note
    assert "not in the chosen range" in tiles_geojson(cover, 15)[1]


# -- picker ----------------------------------------------------------------------------------------------
def test_picker_counts_follow_shapes_radius_and_zooms() -> None:
    picker = RegionPicker("http://127.0.0.1:9/{z}/{x}/{y}.png", zooms="0-12", tile_zoom=10)
    seen = []
    picker.on_change(lambda p: seen.append(p.total))
    assert picker.region is None and picker.total == 0
    picker.set_regions(SHAPES[:3])
    assert picker.counts == TileCover(MultiRegion(SHAPES[:3]), ZOOMS).counts
    assert picker.counts_frame["tiles"].sum() == picker.total
    assert len(picker.tiles_layer.data["features"]) == TileCover(picker.region, [10]).spans(10)[0].size
    assert "3 shapes" in picker.summary.value
    line = {"type": "Feature", "properties": {"type": "polyline", "style": {}},
            "geometry": {"type": "LineString", "coordinates": [[9.0, 47.0], [9.6, 47.2]]}}
    picker.draw.data = [*picker.draw.data, line]  # what a drawing in the browser does
    narrow = picker.total
    picker.radius_input.value = 20_000
    assert picker.total > narrow
    picker.zooms = "3-8"
    assert list(picker.counts) == list(range(3, 9))
    assert seen and seen[-1] == picker.total


def test_picker_follows_editing_and_deleting() -> None:
    """Geoman's edit and delete tools replace the control's features; the counts follow both."""
    picker = RegionPicker("http://127.0.0.1:9/{z}/{x}/{y}.png", zooms="0-12", tile_zoom=10)
    picker.set_regions(SHAPES[:2])
    both = picker.total
    edited = [dict(f) for f in picker.draw.data]
    ring = [[6.15, 46.2], [7.35, 46.2], [7.35, 46.55], [6.15, 46.55], [6.15, 46.2]]  # the rectangle's east edge moved
    edited[0] = {**edited[0], "geometry": {"type": "Polygon", "coordinates": [ring]}}
    picker.draw.data = edited
    assert picker.counts == TileCover(MultiRegion([Rectangle(6.15, 46.2, 7.35, 46.55), SHAPES[1]]), ZOOMS).counts
    assert picker.total > both
    picker.draw.data = edited[1:]  # the rectangle deleted
    assert picker.counts == TileCover(SHAPES[1], ZOOMS).counts and "1 shape," in picker.summary.value
    picker.clear()
    assert picker.region is None and picker.total == 0 and "Draw a region" in picker.summary.value
    assert picker.tiles_layer.data["features"] == []


def test_picker_shows_a_broken_polygon_as_an_error() -> None:
    picker = RegionPicker("http://127.0.0.1:9/{z}/{x}/{y}.png")
    bowtie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    picker.draw.data = [{"type": "Feature", "properties": {"type": "polygon"},
                         "geometry": {"type": "Polygon", "coordinates": [bowtie]}}]
    assert picker.region is None and picker.error and "intersects itself" in picker.summary.value


def test_fit_view_centres_the_region() -> None:
    (lat, lon), zoom = fit_view((6.0, 46.0, 7.0, 47.0))
    assert 46.0 < lat < 47.0 and lon == pytest.approx(6.5)
    assert zoom == 8  # 1 degree is ~182 px wide at zoom 8 and ~364 px at 9: 420 px high fits 8
    assert abs(fit_view((170.0, -20.0, -170.0, -10.0))[0][1]) == pytest.approx(180.0)  # across the antimeridian


# -- panels against the embedded server -----------------------------------------------------------------------
def test_download_panel_pause_resume_and_reports(server: object, tmp_path: Path) -> None:
    job = DownloadJob(Circle(6.63, 46.52, 15), list(range(0, 15)), TileSource(server.url_template), "lausanne",
                      DownloadOptions(parallel=4, rate_limit=300))
    panel = DownloadPanel(job, tmp_path).start()
    deadline = time.monotonic() + 20
    while panel.snapshot.attempted < 50 and time.monotonic() < deadline:
        time.sleep(0.02)
    panel.pause()
    time.sleep(0.3)  # requests in flight finish
    held = panel.snapshot.attempted
    time.sleep(0.5)
    assert panel.snapshot.attempted == held < job.cover().total
    assert panel.resume_button.disabled is False and panel.pause_button.disabled is True
    panel.resume()
    final = panel.wait(30)
    assert final.status == "completed" and final.attempted == job.cover().total
    table = completion_by_zoom(panel.recorder, panel.planned)
    assert (table["done"] == table["planned"]).all() and (table["complete_%"] == 100.0).all()
    assert table["bytes"].sum() == final.cached_bytes
    assert list(table.columns[:len(FINAL_OUTCOMES)]) == list(FINAL_OUTCOMES)
    stats = Root(tmp_path).open("lausanne").stats()
    assert store_zoom_frame(stats)["tiles"].to_dict() == {z: n for z, n in panel.planned.items()}
    assert [bar.value for bar in panel.zoom_bars.values()] == list(panel.planned.values())
    assert panel.recorder.done_by_zoom() == panel.planned
    frame = throughput_frame(panel.recorder)
    assert frame["attempted"].is_monotonic_increasing and frame["attempted"].iloc[-1] == final.attempted
    assert list(throughput_frame(ProgressRecorder()).columns) == list(frame.columns)  # before any snapshot
    assert len(plot_progress(panel.recorder).get_lines()) == 2
    assert plot_tiles_per_zoom(table).get_ylabel() == "tiles"
    assert "completed" in panel.view.figures.value and panel.view.bar.value == 100.0


def test_download_panel_cancel_keeps_what_was_stored(server: object, tmp_path: Path) -> None:
    job = DownloadJob(example_region(), list(range(0, 14)), TileSource(server.url_template), "alps",
                      DownloadOptions(parallel=4, rate_limit=200))
    panel = DownloadPanel(job, tmp_path).start()
    time.sleep(0.5)
    panel.cancel()
    final = panel.wait(30)
    assert final.status == "cancelled" and 0 < final.cached < job.cover().total
    assert Root(tmp_path).open("alps").stats().tiles == final.cached
    assert outcomes_frame(panel.recorder)["tiles"].sum() == final.attempted


def test_recorder_takes_device_progress_dicts() -> None:
    recorder = ProgressRecorder()
    recorder.on_progress({"elapsed_s": 1.0, "attempted": 10, "cached": 9, "skipped_existing": 1, "failed_request": 0,
                          "max_tiles": 100, "cached_bytes": 900, "status": "running"})
    assert recorder.last["skipped"] == 1 and recorder.last["attempted"] == 10


def test_estimate_panel_answers_and_explains_bad_budgets(server: object) -> None:
    picker = RegionPicker(server.url_template, zooms="0-12")
    panel = EstimatePanel(picker, server.url_template, budget="1MB", seed=3)
    assert panel.run() is None and "no region" in panel.result.value
    picker.set_regions([SHAPES[0]])
    est = panel.run()
    assert est.tiles == picker.total and "Planner" in panel.result.value and panel.plan.max_zoom == 12
    panel.budget.value = "a lot"
    panel.run()
    assert "not a size" in panel.result.value and panel.plan is None
    unbounded = dataclasses.replace(est, bytes=dataclasses.replace(est.bytes, high=math.inf),
                                    duration_s=dataclasses.replace(est.duration_s, high=math.inf))
    text = estimate_html(unbounded, None)  # a zoom whose every sampled tile failed: no upper bound
    assert text.count("no upper bound") == 2 and "inf " not in text


# -- device panel rendering ---------------------------------------------------------------------------------
def test_notification_and_device_facts_are_escaped() -> None:
    card = notification_html({"title": "<b>x</b>", "text": "42% · 1 / 2 tiles", "percent": 42.0, "ongoing": True})
    assert "&lt;b&gt;x&lt;/b&gt;" in card and "width:42.0%" in card and "ongoing" in card
    assert "No notification" in notification_html(None)
    facts = info_html({"vendor": "<i>", "model": "m", "battery_optimisation_ignored": False},
                      {"award": 5, "url": "https://dontkillmyapp.com/xiaomi", "vendor": "xiaomi", "known": True,
                       "attribution": "Vendor data: dontkillmyapp.com"})
    assert "&lt;i&gt;" in facts and "optimised" in facts and "Vendor data: dontkillmyapp.com" in facts


def test_device_panel_final_figures_add_up_over_all_runs() -> None:
    """The end figures come from the job's row (all runs), not from the last progress event (its run only):
    stored + skipped + failed = tiles done."""
    from fmtc_nb.engine import ProgressSnapshot
    from fmtc_nb.widgets import DevicePanel
    from fmtc_nb.widgets.progress_view import figures_html
    from fmtc_nb.wire import JobEvent, JobRow

    panel = DevicePanel("http://127.0.0.1:9")
    panel.job = JobRow("j", "s", "running", tiles_total=100)
    panel._last_event = JobEvent("j", 60, ProgressSnapshot(max_tiles=40, successful=30, cached=28, skipped_existing=2,
                                                           failed_request=2))  # the resumed run's last event
    # tiles_done counts successes only (stored or skipped); failures come on top
    shown = panel._final_shown(JobRow("j", "s", "completed", tiles_total=100, tiles_done=95, tiles_failed=5,
                                      bytes=1000))
    assert (shown.cached, shown.skipped, shown.failed, shown.attempted) == (93, 2, 5, 100)
    assert "93 / 2 / 5" in figures_html(shown)


def test_device_panel_without_a_screen_draws_the_notification_from_progress(server: object, tmp_path: Path) -> None:
    """A real phone's screen cannot be read: the panel rebuilds its notification from the job's live progress
    with the app's own builder, and shows the ended state once the job has ended."""
    from fmtc_nb.device.launcher import VirtualDeviceProcess
    from fmtc_nb.widgets import DevicePanel

    device = VirtualDeviceProcess(tmp_path / "phone").start()
    try:
        panel = DevicePanel(device.url, tile_url=server.url_template, config_dir=tmp_path / "config", store="real")
        panel.pair(device.code, name="real phone")
        job = panel.dispatch(Circle(6.63, 46.52, 10), "0-14", rate_limit=200)
        panel.watch()
        seen = []
        deadline = time.monotonic() + 30
        while panel._thread.is_alive() and time.monotonic() < deadline:
            if panel.notification:
                seen.append(panel.notification)
            time.sleep(0.1)
        final = panel.wait(timeout=30)
    finally:
        device.stop()
    assert final["status"] == "completed"
    assert seen, "no notification was drawn while the job ran"
    first = seen[0]
    assert first["title"] == "Downloading an offline map region" and first["ongoing"] is True
    assert all(n["max_tiles"] == job["tiles_total"] and 0 <= n["attempted"] <= n["max_tiles"] for n in seen)
    assert f"/ {job['tiles_total']:,} tiles" in first["text"]
    assert max(n["attempted"] for n in seen) > 0  # it followed the progress
    card = panel.notification  # the card ends in the final state, with the panel's figures
    assert card["title"] == "Offline map download completed" and card["ongoing"] is False
    assert card["attempted"] == card["max_tiles"] == job["tiles_total"] == panel.shown.attempted


def test_notebook_sessions_get_fresh_folders_inside_fmtc_nb_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo stores and jobs never land among the user's own, and a notebook can run twice in the same root
    (notebook 4 failed on its second run when the session used $FMTC_NB_ROOT itself)."""
    from fmtc_nb.widgets.session import NotebookSession

    monkeypatch.setenv("FMTC_NB_ROOT", str(tmp_path / "mine"))
    first, second = NotebookSession("recovery"), NotebookSession("recovery")
    for session in (first, second):
        assert session.root.parent == tmp_path / "mine" and session.root.name.startswith("notebook-recovery-")
        assert session.root.is_dir() and not any(session.root.iterdir())
        session.close()
    assert first.root != second.root
    assert NotebookSession("plan", root=tmp_path / "given").root == tmp_path / "given"


def test_a_bowtie_is_left_out_and_the_other_shapes_keep_counting() -> None:
    picker = RegionPicker("http://127.0.0.1:9/{z}/{x}/{y}.png", zooms="0-12")
    picker.set_regions(SHAPES[:2], fit=False)
    before = picker.counts
    bowtie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    bad = {"type": "Feature", "properties": {"type": "polygon"},
           "geometry": {"type": "Polygon", "coordinates": [bowtie]}}
    picker.draw.data = [*picker.draw.data, bad]
    assert picker.counts == before and picker.region is not None  # the valid shapes still count
    assert [b.number for b in picker.bad_shapes] == [3] and "intersects itself" in picker.error
    assert picker.bad_layer.data["features"][0]["geometry"] == bad["geometry"]  # outlined in red on the map
    assert "2 shapes," in picker.summary.value and "intersects itself.</li>" in picker.summary.value
    assert picker.summary.layout.height == "420px" and picker.summary.layout.overflow == "auto"  # never grows
    assert picker.tiles_layer.style["interactive"] is False and picker.tiles_layer.pane == "fmtc-tiles"
    assert picker.map.panes["fmtc-tiles"]["zIndex"] < 400 and picker.bad_layer.style["interactive"] is False
    picker.draw.data = picker.draw.data[:2]  # the bow-tie erased
    assert picker.bad_shapes == [] and picker.error is None and picker.bad_layer.data["features"] == []


def test_estimate_panel_follows_the_pickers_zooms_and_formats_per_zoom(server: object) -> None:
    from fmtc_nb.widgets.estimate_panel import per_zoom_readable

    picker = RegionPicker(server.url_template, zooms="0-10")
    picker.set_regions([SHAPES[0]], fit=False)
    panel = EstimatePanel(picker, server.url_template, budget="", seed=3, samples=40)
    assert panel.follows_picker and panel.zooms == list(range(0, 11)) and "follow the map" in panel.link_note.value
    est = panel.run()
    assert est.tiles == picker.total and not panel.stale
    picker.zooms = "0-12"  # the picker's slider moves: the panel takes the new zooms and says its figures are old
    assert panel.zooms == list(range(0, 13)) and panel.stale and "press Estimate again" in panel.link_note.value
    assert panel.run().tiles == picker.total and not panel.stale and "follow the map" in panel.link_note.value
    fixed = EstimatePanel(picker, server.url_template, zooms="0-5")
    picker.zooms = "0-8"
    assert fixed.zooms == list(range(0, 6)) and "do not follow" in fixed.link_note.value
    readable = per_zoom_readable(est.per_zoom)
    raw = est.per_zoom
    z = int(raw.index[-1])
    assert readable.loc[z, "tiles"] == f"{int(raw.loc[z, 'tiles']):,}"
    assert readable.loc[z, "download"].split(" (")[0].endswith(("B", "kB", "MB"))
    assert readable.loc[z, "mean response"].endswith(" ms") and "." not in readable.loc[z, "tiles"]
    assert raw["bytes"].dtype.kind == "f"  # the raw numbers stay in Estimate.per_zoom


def _buttons(panel: DownloadPanel) -> tuple[bool, bool, bool]:
    """(pause, resume, cancel) usable."""
    return (not panel.pause_button.disabled, not panel.resume_button.disabled, not panel.cancel_button.disabled)


def test_download_panel_state_rules_pause_at_paused_figures_and_end(server: object, tmp_path: Path) -> None:
    job = DownloadJob(Circle(6.63, 46.52, 15), list(range(0, 15)), TileSource(server.url_template), "lsn",
                      DownloadOptions(parallel=4, rate_limit=400))
    panel = DownloadPanel(job, tmp_path)
    assert _buttons(panel) == (False, False, False) and "Waiting to start" in panel.header.value
    panel.pause_at(120)  # a pause from code that does not depend on how fast cells are run
    panel.start()
    paused = panel.wait_paused(30)
    assert panel.status == "paused" and 120 <= paused.attempted < job.cover().total
    assert _buttons(panel) == (False, True, True) and "<b class='fmtc-download-header'>Paused" in panel.header.value
    figures = panel.view.figures.value
    assert "speed</td><td>none</td>" in figures and "time left</td><td>none</td>" in figures
    time.sleep(0.5)  # speed does not decay nor time left grow while paused: neither is shown
    figures = panel.view.figures.value
    assert "speed</td><td>none</td>" in figures and "time left</td><td>none</td>" in figures
    panel.resume()
    assert panel.status == "running" and _buttons(panel) == (True, False, True)
    final = panel.wait(60)
    assert final.status == "completed" and _buttons(panel) == (False, False, False)
    assert "Completed: " in panel.header.value and "Downloading" not in panel.header.value
    assert f"{final.attempted:,} of {final.attempted:,} (100.0%)" in panel.view.figures.value
    panel.pause()  # nothing to pause once it ended: the state stays
    assert panel.status == "completed" and _buttons(panel) == (False, False, False)


def test_a_resumed_panel_counts_the_earlier_runs_tiles(server: object, tmp_path: Path) -> None:
    from fmtc_nb.recovery import RecoveryRegistry

    job = DownloadJob(Circle(6.63, 46.52, 15), list(range(0, 15)), TileSource(server.url_template), "resumed",
                      DownloadOptions(parallel=4, rate_limit=300))
    registry = RecoveryRegistry(tmp_path)
    try:
        first = DownloadPanel(job, tmp_path, checkpointer=registry.start(job))
        first.pause_at(200)
        first.start()
        first.wait_paused(30)
        first.cancel()
        cut = first.wait(30)
        assert cut.status == "cancelled" and cut.attempted < job.cover().total
        (info,) = registry.jobs()
        again, tracker = registry.resume(info.id)
        panel = DownloadPanel(again, tmp_path, checkpointer=tracker)
        assert sum(panel.earlier.values()) == tracker.checkpoint.tiles_done > 0
        final = panel.run()
    finally:
        registry.close()
    total = job.cover().total
    assert final.status == "completed" and final.attempted < total  # this run fetched only the missing tiles
    assert f"{total:,} of {total:,} (100.0%)" in panel.view.figures.value
    assert all(label.value == f"{n:,} / {n:,}" for label, n in zip(panel.zoom_labels.values(),
                                                                     panel.planned.values(), strict=True))
    assert all(bar.bar_style == "success" for bar in panel.zoom_bars.values())


def test_device_panel_one_state_through_a_kill_and_a_resume(server: object, tmp_path: Path) -> None:
    """Status, figures, card, buttons and the device's facts agree while the job runs, after its service is
    killed (stopped, no time left) and after the phone resumes it (N of N, 100%, all buttons off)."""
    from fmtc_nb.device.launcher import VirtualDeviceProcess
    from fmtc_nb.widgets import DevicePanel

    device = VirtualDeviceProcess(tmp_path / "phone").start()
    try:
        panel = DevicePanel(device.url, tile_url=server.url_template, config_dir=tmp_path / "config",
                            screen=device.screen, store="bern")
        panel.pair(device.code, name="classroom phone")
        assert panel.name_input.value == "classroom phone"
        job = panel.dispatch(Circle(7.44, 46.95, 20), "0-15", rate_limit=150)
        panel.watch()
        deadline = time.monotonic() + 30
        while not (panel._last_event and panel._last_event.overall.attempted > 100) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(SCREEN_POLL)  # the device's facts are read again while the job runs
        assert panel.status == "running"
        assert "foreground service</td><td>running" in panel.info_view.value
        assert "active jobs</td><td>1" in panel.info_view.value
        shown, card = panel.shown, panel.notification
        assert card["ongoing"] and card["attempted"] == shown.attempted and f"{shown.attempted:,} of" in \
            panel.progress.figures.value
        assert [b.disabled for b in panel.job_buttons] == [False, True, False]
        device.kill()
        panel.wait(timeout=20)
        assert panel.status == "stopped" and "Lost the device" in panel.message.value
        figures = panel.progress.figures.value
        assert "stopped" in figures and "time left</td><td>none" in figures and "running" not in figures
        card = panel.notification
        assert card["ongoing"] is False and "stopped" in card["title"]
        assert card["attempted"] == panel.shown.attempted == panel.recorder.last["attempted"]
        assert [b.disabled for b in panel.job_buttons] == [True, False, False]
        device.restart()
        panel.watch(job.id)
        final = panel.wait(timeout=120)
    finally:
        device.stop()
    total = job.tiles_total
    assert final.status == "completed" and panel.status == "completed"
    assert f"{total:,} of {total:,} (100.0%)" in panel.progress.figures.value
    assert panel.notification["title"] == "Offline map download completed" and panel.notification["attempted"] == total
    assert all(b.disabled for b in panel.job_buttons)


SCREEN_POLL = 0.6


def test_store_map_is_browse_only_and_says_when_past_the_stored_zooms() -> None:
    from fmtc_nb.widgets import StoreMap
    from fmtc_nb.widgets.store_map import zoom_note

    region = Circle(6.63, 46.52, 15)
    browse = StoreMap("http://127.0.0.1:9/{z}/{x}/{y}", {z: 1 for z in range(0, 16)}, region=region)
    controls = [type(c).__name__ for c in browse.map.controls]
    assert not any("Draw" in name for name in controls)  # no drawing tools
    (outline,) = [layer for layer in browse.map.layers if isinstance(layer, __import__("ipyleaflet").GeoJSON)]
    assert outline.style["fill"] is False and outline.style["interactive"] is False  # the map stays visible
    assert browse.layer.max_native_zoom == 15 and browse.layer.max_zoom > 15  # enlarged past 15, not grey 404s
    browse.map.zoom = 17
    assert "holds zooms 0–15" in browse.note.value and "zoom-15 tiles enlarged (4×)" in browse.note.value
    assert zoom_note(12, 0, 15) == "Zoom 12: tiles from the store (it holds zooms 0–15)."
    with pytest.raises(StoreError, match="nothing to browse"):
        StoreMap("http://127.0.0.1:9/{z}/{x}/{y}", [])


def test_the_device_card_follows_the_panels_state() -> None:
    from fmtc_nb.engine import ProgressSnapshot
    from fmtc_nb.widgets.device_panel import card_of

    shown = ProgressSnapshot(max_tiles=2000, successful=1234, cached=1234)
    running = card_of("running", shown)
    assert running["ongoing"] and running["text"] == "62% · 1,234 / 2,000 tiles" and running["attempted"] == 1234
    assert card_of("paused", shown) is None and card_of("running", None) is None  # paused: out of the foreground
    for status in ("stopped", "completed", "cancelled", "failed"):
        card = card_of(status, shown)
        assert card["ongoing"] is False and status in card["title"] and "1,234 / 2,000" in card["text"]
