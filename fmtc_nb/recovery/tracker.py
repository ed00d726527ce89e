"""The :class:`JobTracker`: the engine's ``Checkpointer`` for a job of the registry.

It keeps the exact :class:`~fmtc_nb.recovery.checkpoint.Checkpoint` in memory, hands its text to each batch
(stored in the batch's own transaction), writes a heartbeat to the registry about once a second, and records
the end. It writes only under the claim it was given, so a runner that lost its claim (a forced takeover)
notices at its next heartbeat and cancels its download.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from fmtc_nb.recovery.checkpoint import Checkpoint

if TYPE_CHECKING:
    from fmtc_nb.engine.progress import ProgressSnapshot
    from fmtc_nb.recovery.registry import RecoveryRegistry
    from fmtc_nb.states import JobStatus


class Control(Protocol):
    """What a tracker needs of a running download (``fmtc_nb.engine.Download`` fits)."""

    def cancel(self) -> None: ...


class JobTracker:
    """Checkpointer of job ``job_id``; created by :meth:`RecoveryRegistry.start` or ``.resume``."""

    def __init__(self, registry: RecoveryRegistry, job_id: str, claim: int, checkpoint: Checkpoint,
                 base_bytes: int = 0, base_active_s: float = 0.0) -> None:
        self.job_id = job_id
        self.registry = registry
        self.claim = claim
        self.checkpoint = checkpoint
        self.base_bytes = base_bytes
        self.base_active_s = base_active_s
        self.control: Control | None = None
        self.lost_claim = False
        self.cancel_requested = False

    def bind(self, control: Control) -> None:
        """Let the registry cancel (``fmtc-nb recovery cancel``) this ``control`` download."""
        self.control = control

    # -- Checkpointer ----------------------------------------------------------------------------------
    def todo(self, total: int) -> Iterator[int]:
        """Indexes not finished, ascending, then the failed ones (see :meth:`Checkpoint.todo`)."""
        indexes = self.checkpoint.todo(total)
        self.registry._write_progress(self, status="running", bytes_=self.base_bytes, active_s=self.base_active_s)
        return indexes

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """Record the batch and return ``(job_id, checkpoint text)`` for ``Store.put_tiles``."""
        self.checkpoint.mark(done, failed)
        return self.job_id, self.checkpoint.to_text()

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Write the heartbeat and progress (one small UPDATE); obey a cancel request or a lost claim."""
        answer = self.registry._write_progress(self, status="paused" if snapshot.status == "paused" else "running",
                                               bytes_=self.base_bytes + snapshot.flushed_bytes,
                                               active_s=self.base_active_s + snapshot.elapsed_s)
        if answer is None:
            self.lost_claim = True
        elif answer:
            self.cancel_requested = True
        if (self.lost_claim or self.cancel_requested) and self.control is not None:
            self.control.cancel()

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        """Record the end of the run (the engine has flushed every batch, so the counts are exact)."""
        if self.lost_claim:
            return
        if status == "cancelled" and self.cancel_requested:
            reason = "cancelled through the recovery registry"
        self.registry._write_end(self, status, reason, bytes_=self.base_bytes + snapshot.flushed_bytes,
                                 active_s=self.base_active_s + snapshot.elapsed_s)

    def __repr__(self) -> str:
        cp = self.checkpoint
        return f"JobTracker({self.job_id!r}, done={cp.tiles_done}, failed={cp.tiles_failed}, total={cp.total})"

