"""The hook through which recovery (or any host) follows a download job and makes it resumable."""

from __future__ import annotations

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

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """Return ``(job_id, checkpoint_text)`` stored by ``Store.put_tiles`` in the batch's own transaction."""
        ...

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Called about once a second while the job runs; must be cheap."""
        ...

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        """Called once at the end; ``status`` is completed, failed, cancelled or paused."""
        ...


class NullCheckpointer:
    """A checkpointer that remembers nothing (used with ``--no-recovery``)."""

    def __init__(self, job_id: str = "adhoc") -> None:
        self.job_id = job_id

    def todo(self, total: int) -> Iterator[int]:
        """Every index."""
        return iter(range(total))

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """A trivial checkpoint text."""
        return self.job_id, ""

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Nothing."""

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        """Nothing."""
