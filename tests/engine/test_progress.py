"""Snapshot arithmetic and the token bucket (pure parts of the engine)."""

from __future__ import annotations

import asyncio
import json
import time

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.engine.ratelimit import TokenBucket


def test_snapshot_derived_fields_add_up():
    snap = ProgressSnapshot(max_tiles=100, successful=60, cached=50, skipped_existing=7, skipped_sea=3,
                            failed_negative=4, failed_request=6, elapsed_s=10.0, tiles_per_s=7.0)
    assert snap.skipped == 10 and snap.failed == 10 and snap.attempted == 70 and snap.remaining == 30
    assert snap.percentage == 70.0
    assert abs(snap.estimated_remaining_s - 30 / 7) < 1e-9 and abs(snap.estimated_total_s - (10 + 30 / 7)) < 1e-9
    data = snap.to_dict()
    assert data["attempted"] == 70 and data["remaining"] == 30 and data["rate_limited"] is False
    assert ProgressSnapshot().estimated_total_s is None and ProgressSnapshot().percentage == 100.0


def test_token_bucket_holds_the_rate_and_says_so():
    bucket = TokenBucket(50.0)

    async def take(n):
        for _ in range(n):
            await bucket.acquire()

    start = time.monotonic()
    asyncio.run(take(40))
    elapsed = time.monotonic() - start
    assert 0.6 <= elapsed < 2.0  # 40 tiles at 50/s, minus the burst of 5
    assert bucket.limiting
    free = TokenBucket(None)
    assert not free.limiting


def test_snapshot_round_trips_through_json_and_ignores_derived_and_unknown_keys():
    snap = ProgressSnapshot(max_tiles=100, successful=60, cached=50, skipped_existing=7, skipped_sea=3,
                            failed_negative=4, failed_request=6, cached_bytes=5000, elapsed_s=10.5, tiles_per_s=7.0,
                            rate_limited=True, status="paused")
    wire = json.loads(json.dumps(snap.to_dict()))
    assert ProgressSnapshot.from_dict(wire) == snap
    # a newer bridge's extra key and a device event's keys are ignored; derived values are recomputed, not read
    assert ProgressSnapshot.from_dict({**wire, "job_id": "j", "tiles_done": 99, "new_field": 1, "attempted": -5}) == snap
    assert ProgressSnapshot.from_dict({}) == ProgressSnapshot()
    assert ProgressSnapshot.from_dict({"cached": 9, "skipped_sea": 1}).successful == 10, "successful from its parts"


def test_outcomes_and_statuses_are_the_shared_literals():
    from typing import get_args

    from fmtc_nb.engine.progress import OUTCOMES, TileEvent
    from fmtc_nb.states import JOB_STATUSES, TILE_OUTCOMES, JobStatus, TileOutcome

    assert OUTCOMES == TILE_OUTCOMES == get_args(TileOutcome)
    assert TileEvent.__annotations__["outcome"] == "TileOutcome"
    assert ProgressSnapshot.__annotations__["status"] == "JobStatus" and get_args(JobStatus) == JOB_STATUSES


def test_wait_left_is_the_server_s_hold_in_seconds_never_negative():
    assert ProgressSnapshot().wait_left_s is None
    assert 4.0 < ProgressSnapshot(waiting_until=time.time() + 5).wait_left_s <= 5.0
    assert ProgressSnapshot(waiting_until=time.time() - 3).wait_left_s == 0.0
    assert "wait_left_s" not in ProgressSnapshot(waiting_until=time.time() + 5).to_dict()  # wall-clock: not on the wire
