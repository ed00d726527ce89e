"""One snapshot of a job made of parts (a pack's sources, a sharded job's shards): counts add up over every
part; concurrency, rate limiting and a server-imposed wait hold only while a part runs."""

from __future__ import annotations

from fmtc_nb.engine.progress import ProgressSnapshot, sum_snapshots


def test_counts_add_up_and_only_running_parts_hold_the_job():
    ended = ProgressSnapshot(successful=10, cached=8, skipped_existing=2, failed_request=1, cached_bytes=800,
                             concurrency_now=16, rate_limited=True, waiting_until=50.0, wait_reason="old",
                             status="completed")
    held = ProgressSnapshot(successful=3, cached=3, cached_bytes=300, concurrency_now=1, rate_limited=True,
                            waiting_until=100.0, wait_reason="the server said 429: slow down")
    free = ProgressSnapshot(successful=1, cached=1, concurrency_now=4)
    total = sum_snapshots([ended], [held, free], 40, 2.0, "running")
    assert (total.successful, total.cached, total.skipped_existing, total.failed, total.cached_bytes) == \
        (14, 12, 2, 1, 1100)
    assert (total.max_tiles, total.attempted, total.tiles_per_s) == (40, 15, 7.5)
    assert total.concurrency_now == 5 and total.rate_limited
    assert (total.waiting_until, total.wait_reason) == (100.0, "the server said 429: slow down")
    calm = sum_snapshots([ended, held], [free], 40, 0.0, "paused")
    assert calm.concurrency_now == 4 and not calm.rate_limited and calm.waiting_until is None
    assert calm.tiles_per_s == 0.0 and calm.status == "paused"
