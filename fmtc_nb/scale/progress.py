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

from fmtc_nb.engine.progress import ProgressSnapshot, sum_snapshots
from fmtc_nb.scale.plan import Shard
from fmtc_nb.states import JobStatus

if TYPE_CHECKING:
    import pandas

#: States of a shard: not started, fetching, fetched and waiting for the merge, in the job's store, ended by an
#: error, stopped by a cancel.
SHARD_STATES = ("pending", "running", "finished", "merged", "failed", "cancelled")


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
    carried = [ProgressSnapshot(successful=s.carried, cached=s.carried, flushed=s.carried, cached_bytes=s.carried_bytes,
                                flushed_bytes=s.carried_bytes) for s in states]
    running = [s.snapshot for s in states if s.state == "running"]
    ended = [s.snapshot for s in states if s.state != "running"]
    return sum_snapshots([*ended, *carried], running, sum(s.run_todo for s in states), elapsed_s, status)


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

