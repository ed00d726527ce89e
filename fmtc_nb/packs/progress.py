"""One progress stream and one recovery record for a whole pack made of several engine runs.

A pack's items are its tiles (every source's cover) and its resource files. Each source runs the one engine
with a :class:`SourceCheckpointer`: its exact checkpoint (named by the pack's job id) is stored in that
source's store, in the same transaction as the tiles, so each run resumes exactly. The pack's recovery record
(a ``JobTracker`` of the registry) gets the sum of every source's checkpoint and of the resources through a
:class:`PackTally`, and heartbeats carry the combined :class:`ProgressSnapshot`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.recovery.checkpoint import Checkpoint
from fmtc_nb.states import JobStatus


class PackTally(Checkpoint):
    """The counts a pack's recovery record shows: the checkpoints of its sources plus its resources (items
    done and failed; ``total`` = every source's tiles + resources)."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.parts: dict[str, SourceCheckpointer] = {}
        self.resources_done = 0
        self.resources_failed = 0

    @property
    def tiles_done(self) -> int:
        """Items finished successfully: tiles of every source and resources."""
        return sum(c.checkpoint.tiles_done for c in self.parts.values()) + self.resources_done

    @property
    def tiles_failed(self) -> int:
        """Items whose last outcome was a failure."""
        return sum(c.checkpoint.tiles_failed for c in self.parts.values()) + self.resources_failed


class SourceCheckpointer:
    """The engine's Checkpointer for one source of a pack: ``checkpoint`` is the one stored in the source's
    store under the pack's ``job_id``; heartbeats go to ``beat`` with the source's own snapshot."""

    def __init__(self, job_id: str, checkpoint: Checkpoint, beat: Callable[[ProgressSnapshot], None]) -> None:
        self.job_id = job_id
        self.checkpoint = checkpoint
        self.beat = beat
        self._staged: Checkpoint | None = None

    def todo(self, total: int) -> Iterator[int]:
        """Indexes not finished, then the failed ones (see :meth:`Checkpoint.todo`)."""
        return self.checkpoint.todo(total)

    def batch_checkpoint(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """The checkpoint text with the batch included, which goes into the source's store with the batch's
        tiles; the batch counts only once :meth:`batch_done` says it committed."""
        self._staged = self.checkpoint.copy()
        self._staged.mark(done, failed)
        return self.job_id, self._staged.to_text()

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> None:
        """The last staged batch committed: adopt its checkpoint (one reference swap)."""
        staged, self._staged = self._staged, None
        if staged is None:
            staged = self.checkpoint.copy()
            staged.mark(done, failed)
        self.checkpoint = staged

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Pass the source's snapshot on."""
        self.beat(snapshot)

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        """Nothing: the pack records its own end."""
