"""Progress of a download: immutable snapshots (counts in tiles, sizes in bytes, times in seconds) and per-tile events.

Invariants: ``attempted == successful + failed``; ``successful == cached + skipped``. "cached" means newly
stored by this job (buffered or already flushed to the store); "skipped" means an existing or sea tile that
was deliberately not stored; "failed" is a negative answer (404/410) or a request that failed after every retry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from fmtc_nb.states import TILE_OUTCOMES, JobStatus, TileOutcome


@dataclass(frozen=True)
class ProgressSnapshot:
    """One moment of a download; counts are tiles, ``*_bytes`` are bytes, times are seconds."""

    max_tiles: int = 0
    successful: int = 0
    cached: int = 0
    buffered: int = 0
    flushed: int = 0
    skipped_existing: int = 0
    skipped_sea: int = 0
    failed_negative: int = 0
    failed_request: int = 0
    retries_queued: int = 0
    cached_bytes: int = 0
    buffered_bytes: int = 0
    flushed_bytes: int = 0
    skipped_bytes: int = 0
    elapsed_s: float = 0.0
    tiles_per_s: float = 0.0
    rate_limited: bool = False
    status: JobStatus = "running"  # pending, running, paused, completed, failed or cancelled
    #: Epoch seconds until which the job holds every request because the server said "slow down" (None: not).
    waiting_until: float | None = None
    #: Why the job waits, in words (None: not waiting).
    wait_reason: str | None = None
    #: Requests the job allows in flight now (``parallel``, less after a 429/503; 0: not running).
    concurrency_now: int = 0

    #: Properties that :meth:`to_dict` adds to the fields (and :meth:`from_dict` ignores).
    DERIVED: ClassVar[tuple[str, ...]] = ("skipped", "failed", "attempted", "remaining", "percentage",
                                          "estimated_remaining_s", "estimated_total_s")

    @property
    def skipped(self) -> int:
        """Tiles skipped (existing or sea)."""
        return self.skipped_existing + self.skipped_sea

    @property
    def failed(self) -> int:
        """Tiles that ended failed (negative answer or failed request)."""
        return self.failed_negative + self.failed_request

    @property
    def attempted(self) -> int:
        """Tiles with a final outcome: ``successful + failed``."""
        return self.successful + self.failed

    @property
    def remaining(self) -> int:
        """Tiles without a final outcome yet."""
        return max(self.max_tiles - self.attempted, 0)

    @property
    def percentage(self) -> float:
        """Share of tiles with a final outcome, 0-100."""
        return 100.0 * self.attempted / self.max_tiles if self.max_tiles else 100.0

    @property
    def estimated_remaining_s(self) -> float | None:
        """Seconds still needed at the current speed (None before any speed is known)."""
        return self.remaining / self.tiles_per_s if self.tiles_per_s > 0 else None

    @property
    def estimated_total_s(self) -> float | None:
        """Estimated total duration in seconds."""
        rest = self.estimated_remaining_s
        return None if rest is None else self.elapsed_s + rest

    @property
    def unwritten(self) -> int:
        """Tiles fetched but not (yet) written to the store (a paused job whose store could not be written
        fetches them again on resume); never negative."""
        return max(self.cached - self.flushed, 0)

    @property
    def wait_left_s(self) -> float | None:
        """Seconds the job still holds its requests because the server said "slow down" (never negative; None:
        not waiting). Read from the wall clock at each call, so it is not part of :meth:`to_dict`."""
        return None if self.waiting_until is None else max(self.waiting_until - time.time(), 0.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the :data:`DERIVED` fields included."""
        data = asdict(self)
        for name in self.DERIVED:
            data[name] = getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProgressSnapshot:
        """Inverse of :meth:`to_dict`: the derived fields are recomputed, not read, and keys this version does
        not know (a newer bridge's, a device event's ``job_id``) are ignored; missing fields get defaults, except
        ``successful``, which is ``cached + skipped`` by the invariant."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values.setdefault("successful", sum(values.get(k, 0) for k in ("cached", "skipped_existing", "skipped_sea")))
        return cls(**values)


#: The counts (tiles, bytes) of a snapshot that add up over the parts of one job.
COUNTS = ("successful", "cached", "buffered", "flushed", "skipped_existing", "skipped_sea", "failed_negative",
          "failed_request", "retries_queued", "cached_bytes", "buffered_bytes", "flushed_bytes", "skipped_bytes")


def sum_snapshots(ended: Sequence[ProgressSnapshot], running: Sequence[ProgressSnapshot], max_tiles: int,
                  elapsed_s: float, status: JobStatus) -> ProgressSnapshot:
    """One snapshot of a job made of parts (a pack's sources, a sharded job's shards): the :data:`COUNTS` of
    every part added up; what holds only while a part runs (allowed concurrency, rate limiting, the latest
    server-imposed wait) from the ``running`` parts alone; speed over ``elapsed_s`` seconds of this run."""
    parts = [*ended, *running]
    sums = {name: sum(getattr(p, name) for p in parts) for name in COUNTS}
    wait = max((p for p in running if p.waiting_until is not None), key=lambda p: p.waiting_until or 0.0,
               default=None)
    attempted = sums["successful"] + sums["failed_negative"] + sums["failed_request"]
    return ProgressSnapshot(max_tiles=max_tiles, elapsed_s=elapsed_s,
                            tiles_per_s=attempted / elapsed_s if elapsed_s > 0 else 0.0,
                            rate_limited=any(p.rate_limited for p in running), status=status,
                            waiting_until=wait.waiting_until if wait else None,
                            wait_reason=wait.wait_reason if wait else None,
                            concurrency_now=sum(p.concurrency_now for p in running), **sums)


#: Outcomes of a tile event (see :data:`fmtc_nb.states.TileOutcome`).
OUTCOMES = TILE_OUTCOMES


@dataclass(frozen=True)
class TileEvent:
    """What happened to one tile: ``outcome`` is one of :data:`OUTCOMES` (``retry`` is not final)."""

    index: int
    z: int
    x: int
    y: int
    outcome: TileOutcome
    size: int = 0
    reason: str | None = None
