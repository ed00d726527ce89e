"""Snapshot arithmetic and the token bucket (pure parts of the engine)."""

from __future__ import annotations

import asyncio
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
