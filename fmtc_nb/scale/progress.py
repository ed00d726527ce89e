"""Progress of a sharded download: each shard's state as its worker relays it, one aggregated
:class:`~fmtc_nb.engine.ProgressSnapshot` (the engine's fields summed over shards) and a pandas frame.

Counts are tiles of this run, as for one engine: ``max_tiles`` is what the run set out to fetch (tiles without
an outcome, then the failed ones). A shard whose worker died runs again from its checkpoint; the tiles its
earlier attempt had committed are carried as cached and flushed, so the sums still add up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.scale.plan import Shard
from fmtc_nb.states import JobStatus

if TYPE_CHECKING:
    import pandas

#: States of a shard: not started, fetching, fetched and waiting for the merge, in the job's store, ended by an
#: error, stopped by a cancel.
SHARD_STATES = ("pending", "running", "finished", "merged", "failed", "cancelled")
_SUMMED = ("successful", "cached", "buffered", "flushed", "skipped_existing", "skipped_sea", "failed_negative",
           "failed_request", "retries_queued", "cached_bytes", "buffered_bytes", "flushed_bytes", "skipped_bytes")


@dataclass
class ShardState:
    """What the coordinator knows of one shard. ``run_todo``: tiles this run must fetch for it (0 for a shard
    merged before); ``todo``: tiles its latest attempt set out to fetch; ``snapshot``: that attempt's progress."""

    shard: Shard
    run_todo: int
    state: str = "pending"
    attempts: int = 0
    attempt: str | None = None
    worker: str | None = None
    todo: int = 0
    snapshot: ProgressSnapshot = field(default_factory=lambda: ProgressSnapshot(status="pending"))
    carried_bytes: int = 0
    tiles_done: int = 0
    tiles_failed: int = 0
    checkpoint: str | None = None
    reason: str | None = None
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.todo = self.run_todo

    @property
    def carried(self) -> int:
        """Tiles of this run committed by earlier attempts of the shard (a worker died under them)."""
        return max(self.run_todo - self.todo, 0)

    def relayed(self, message: dict[str, Any]) -> None:
        """Take a worker's relayed progress (see ``fmtc_nb.scale.task``)."""
        if message["attempt"] != self.attempt:  # a new attempt: the old one's committed work is carried
            if self.attempt is not None:
                self.carried_bytes += self.snapshot.flushed_bytes
            self.attempt, self.attempts = message["attempt"], self.attempts + 1
            self.todo = int(message["todo"])
        self.worker = message.get("worker")
        self.snapshot = ProgressSnapshot.from_dict(message["snapshot"])
        self.tiles_done, self.tiles_failed = int(message["tiles_done"]), int(message["tiles_failed"])
        self.checkpoint = message.get("checkpoint")
        if self.state in ("pending", "running"):
            self.state = "running"
        self.updated = time.monotonic()

    def row(self) -> tuple[Any, ...]:
        """Values of ``fmtc_nb.scale.ledger.ROW_FIELDS``."""
        return (self.state, self.attempts, self.worker, self.tiles_done, self.tiles_failed,
                self.carried_bytes + self.snapshot.flushed_bytes, self.checkpoint, self.reason)


def aggregate(states: list[ShardState], elapsed_s: float, status: JobStatus) -> ProgressSnapshot:
    """One snapshot for the whole job: the engine's counts summed over the shards' latest attempts, plus the
    tiles earlier attempts committed; speed over ``elapsed_s`` seconds of this run."""
    sums: dict[str, Any] = dict.fromkeys(_SUMMED, 0)
    limited = False
    waits = [s.snapshot for s in states if s.state == "running" and s.snapshot.waiting_until is not None]
    latest = max(waits, key=lambda snap: snap.waiting_until or 0.0, default=None)
    sums["concurrency_now"] = sum(s.snapshot.concurrency_now for s in states if s.state == "running")
    for s in states:
        snap = s.snapshot
        for name in _SUMMED:
            sums[name] += getattr(snap, name)
        for name in ("successful", "cached", "flushed"):
            sums[name] += s.carried
        sums["cached_bytes"] += s.carried_bytes
        sums["flushed_bytes"] += s.carried_bytes
        limited = limited or (s.state == "running" and snap.rate_limited)
    total = sum(s.run_todo for s in states)
    attempted = sums["successful"] + sums["failed_negative"] + sums["failed_request"]
    return ProgressSnapshot(max_tiles=total, elapsed_s=elapsed_s,
                            tiles_per_s=attempted / elapsed_s if elapsed_s > 0 else 0.0,
                            rate_limited=limited, status=status, waiting_until=latest.waiting_until if latest else None,
                            wait_reason=latest.wait_reason if latest else None, **sums)


def shards_frame(states: list[ShardState]) -> pandas.DataFrame:
    """One row a shard: range, state, attempts, worker, tiles done/failed (in its checkpoint), bytes stored,
    this attempt's speed (tiles/s) and seconds since the shard was last heard of."""
    import pandas

    now = time.monotonic()
    rows = [(s.shard.number, s.shard.start, s.shard.end, s.shard.tiles, s.state, s.attempts, s.worker, s.tiles_done,
             s.tiles_failed, s.carried_bytes + s.snapshot.flushed_bytes, round(s.snapshot.tiles_per_s, 1),
             round(now - s.updated, 1), s.reason) for s in states]
    return pandas.DataFrame(rows, columns=["shard", "start", "end", "tiles", "state", "attempts", "worker",
                                           "tiles_done", "tiles_failed", "bytes", "tiles_per_s", "age_s", "reason"])

