"""The job row is one wire model: the registry produces it, it round-trips through JSON, and reports read it."""

from __future__ import annotations

import json
from dataclasses import replace

from fmtc_nb.engine import ProgressSnapshot
from fmtc_nb.recovery.report import COLUMNS, jobs_frame
from fmtc_nb.wire import JobEvent, JobRow
from tests.recovery.conftest import small_job


def through_json(data: dict) -> dict:
    return json.loads(json.dumps(data))


def test_a_registry_row_round_trips_and_reads_like_its_json(registry):
    tracker = registry.start(small_job())
    list(tracker.todo(10))
    tracker.batch_done([0, 1, 2, 4], [(3, "HTTP 404")])
    tracker.heartbeat(ProgressSnapshot(max_tiles=10, successful=4, cached=4, failed_negative=1, flushed_bytes=99,
                                       elapsed_s=2.0))
    info = registry.get(tracker.job_id)
    row = info.row()
    assert JobRow.from_dict(through_json(row.to_dict())) == row
    assert info.to_dict() == row.to_dict() == dict(row)
    assert (row.status, row.tiles_done, row.tiles_failed, row.tiles_total, row.bytes) == ("running", 4, 1, 10, 99)
    assert row.percentage == 50.0 and row.tiles_per_s == 2.5 and row.live and row["percentage"] == 50.0
    assert row.owner == info.owner.describe() and row.zooms == tuple(info.zooms)
    # a newer version's extra key is ignored, derived values are recomputed, not read
    assert JobRow.from_dict({**row.to_dict(), "surprise": 1, "percentage": 1.0}) == row
    frame = jobs_frame([info])
    assert list(frame.columns) == list(COLUMNS) and frame.loc[0, "tiles_per_s"] == 2.5


def test_rows_with_a_snapshot_and_events_round_trip():
    snap = ProgressSnapshot(max_tiles=100, successful=30, cached=28, skipped_existing=2, failed_request=2,
                            status="paused")
    row = JobRow("j", "s", "paused", tiles_done=60, tiles_failed=2, tiles_total=100, zooms=(0, 1),
                 owner_detail={"kind": "device"}, running_here=True, snapshot=snap)
    assert JobRow.from_dict(through_json(row.to_dict())) == row
    event = JobEvent("j", 60, snap)
    assert JobEvent.from_dict(through_json(event.to_dict())) == event
    overall = event.overall
    assert (overall.successful, overall.attempted, overall.failed, overall.max_tiles) == (60, 62, 2, 100)
    assert JobRow("j", "s", "running").percentage is None, "no total known yet"


def test_progress_over_every_run_splits_done_by_the_last_run():
    last = ProgressSnapshot(max_tiles=100, successful=30, cached=28, skipped_existing=2, failed_negative=1,
                            failed_request=1)
    row = JobRow("j", "s", "completed", tiles_done=95, tiles_failed=5, tiles_total=100, bytes=1000, active_s=10.0)
    shown = row.progress(last)
    assert (shown.cached, shown.skipped, shown.failed, shown.attempted, shown.percentage) == (93, 2, 5, 100, 100.0)
    assert (shown.failed_negative, shown.failed_request, shown.cached_bytes, shown.status) == (1, 4, 1000, "completed")
    assert replace(row, snapshot=last).progress() == shown
