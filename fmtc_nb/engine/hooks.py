"""The hooks through which a host follows a download job: recovery makes it resumable (:class:`Checkpointer`),
and a host running a job in several processes shares one politeness policy between them (:class:`Pacer`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.states import JobStatus


@runtime_checkable
class Checkpointer(Protocol):
    """Sees a job through: which tile indexes to do, each flushed batch, heartbeats and the end.

    Indexes are positions in ``TileCover(region, zooms)`` order.
    """

    job_id: str

    def todo(self, total: int) -> Iterator[int]:
        """Ascending tile indexes still to fetch (fresh job: ``range(total)``; resume: missing, then failed)."""
        ...

    def batch_checkpoint(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """``(job_id, checkpoint_text)`` as the checkpoint will be once this batch commits, for ``Store.put_tiles``
        to store in the batch's own transaction; records nothing yet. Called on the store thread, batches in
        order, each followed by :meth:`batch_done` if (and only if) its transaction committed."""
        ...

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> None:
        """The batch last given to :meth:`batch_checkpoint` has committed: only now does it count as done."""
        ...

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Called about once a second while the job runs; must be cheap."""
        ...

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        """Called once at the end; ``status`` is completed, failed, cancelled or paused (a write to the store
        kept failing: ``reason`` says why, and every committed batch is in the checkpoint, nothing more)."""
        ...


@runtime_checkable
class Pacer(Protocol):
    """The job's politeness towards its server: the rate limit and the server's "slow down" answers.

    The engine's own is :class:`fmtc_nb.engine.ratelimit.TokenBucket`; ``fmtc_nb.scale`` shares one between the
    workers of a cluster.
    """

    rate: float | None  # tiles per second; None: unlimited

    @property
    def limiting(self) -> bool:
        """True if a request waited for the pacer within the last second."""
        ...

    async def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait until the next request may start (True), or until ``stop`` is set (False): called before every
        request; a cancel never waits for the rate or a pause to end."""
        ...

    def slow_down(self, seconds: float) -> None:
        """The server asked for a pause (Retry-After on 429/503): no request of the job starts for ``seconds``."""
        ...


class NullCheckpointer:
    """A checkpointer that remembers nothing (used with ``--no-recovery``)."""

    def __init__(self, job_id: str = "adhoc") -> None:
        self.job_id = job_id

    def todo(self, total: int) -> Iterator[int]:
        """Every index."""
        return iter(range(total))

    def batch_checkpoint(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """A trivial checkpoint text."""
        return self.job_id, ""

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> None:
        """Nothing."""

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Nothing."""

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        """Nothing."""
