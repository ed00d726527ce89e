"""The :class:`JobTracker`: the engine's ``Checkpointer`` for a job of the registry.

It keeps the exact :class:`~fmtc_nb.recovery.checkpoint.Checkpoint` of the committed batches in memory, hands
each batch the text of the checkpoint as it will be once that batch commits (stored in the batch's own
transaction) and adopts it only when the commit succeeded, writes a heartbeat to the registry about once a
second, and records the end. It writes only under the claim it was given, so a runner that lost its claim (a forced takeover)
notices at its next heartbeat and cancels its download.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from fmtc_nb.errors import RecoveryError
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
        self._staged: Checkpoint | None = None

    def bind(self, control: Control) -> None:
        """Let the registry cancel (``fmtc-nb recovery cancel``) this ``control`` download."""
        self.control = control

    # -- Checkpointer ----------------------------------------------------------------------------------
    def todo(self, total: int) -> Iterator[int]:
        """Indexes not finished, ascending, then the failed ones (see :meth:`Checkpoint.todo`)."""
        indexes = self.checkpoint.todo(total)
        self.registry.record_progress(self, status="running", bytes_=self.base_bytes, active_s=self.base_active_s)
        return indexes

    def batch_checkpoint(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """``(job_id, checkpoint text)`` with the batch included, for ``Store.put_tiles``; the batch counts
        only once :meth:`batch_done` says it committed."""
        staged = self.checkpoint.copy()
        staged.mark(done, failed)
        self._staged = staged
        return self.job_id, staged.to_text()

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> None:
        """The batch given to the last :meth:`batch_checkpoint` committed: adopt its checkpoint."""
        staged, self._staged = self._staged, None
        if staged is None:
            staged = self.checkpoint.copy()
            staged.mark(done, failed)
        self.checkpoint = staged  # one reference swap: heartbeats read the old or the new, never a mix

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Write the heartbeat and progress (one small UPDATE); obey a cancel request or a lost claim. A
        registry that cannot be written just now (a full disk) skips this beat; the next one tries again."""
        try:
            answer = self.registry.record_progress(
                self, status="paused" if snapshot.status == "paused" else "running",
                bytes_=self.base_bytes + snapshot.flushed_bytes, active_s=self.base_active_s + snapshot.elapsed_s)
        except RecoveryError:
            return
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
        self.registry.record_end(self, status, reason, bytes_=self.base_bytes + snapshot.flushed_bytes,
                                 active_s=self.base_active_s + snapshot.elapsed_s)

    def __repr__(self) -> str:
        cp = self.checkpoint
        return f"JobTracker({self.job_id!r}, done={cp.tiles_done}, failed={cp.tiles_failed}, total={cp.total})"

