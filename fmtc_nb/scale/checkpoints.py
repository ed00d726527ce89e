"""Checkpoints of shards: a shard's part of its job's exact checkpoint, the engine's Checkpointer for one shard,
and the job's checkpoint with a finished shard put back in.

A shard keeps an ordinary :class:`~fmtc_nb.recovery.Checkpoint` (indexes of the whole cover) that only ever
holds indexes of its own range, stored in the shard's store with each batch of tiles under the key
``<job id>/<shard name>``. When the shard is merged, its range of the job's checkpoint is replaced by it, in
the transaction that writes the shard's last tiles into the job's store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from fmtc_nb.errors import RecoveryError
from fmtc_nb.recovery import Checkpoint, IndexRanges
from fmtc_nb.scale.plan import Shard

if TYPE_CHECKING:
    from fmtc_nb.engine.progress import ProgressSnapshot
    from fmtc_nb.states import JobStatus


def shard_key(job_id: str, shard: Shard) -> str:
    """The checkpoint key of ``shard`` of job ``job_id`` in the shard's store."""
    return f"{job_id}/{shard.name}"


def part_of(checkpoint: Checkpoint, shard: Shard) -> Checkpoint:
    """The part of ``checkpoint`` inside ``shard``'s range: where a shard starts when its store holds nothing."""
    failed = {reason: r.within(shard.start, shard.end) for reason, r in checkpoint.failed.items()}
    return Checkpoint(checkpoint.total, checkpoint.finished.within(shard.start, shard.end),
                      {reason: r for reason, r in failed.items() if r})


def failed_in(checkpoint: Checkpoint, shard: Shard) -> int:
    """Tiles of ``shard`` whose last outcome in ``checkpoint`` was a failure."""
    return sum(len(r.within(shard.start, shard.end)) for r in checkpoint.failed.values())


def finished_in(checkpoint: Checkpoint, shard: Shard) -> int:
    """Tiles of ``shard`` with an outcome (stored, skipped or failed) in ``checkpoint``."""
    return len(checkpoint.finished.within(shard.start, shard.end))


def todo_count(checkpoint: Checkpoint, shard: Shard) -> int:
    """How many tiles a run of ``shard`` from ``checkpoint`` fetches: those without an outcome, then the failed."""
    return shard.tiles - finished_in(checkpoint, shard) + failed_in(checkpoint, shard)


def is_done(checkpoint: Checkpoint, shard: Shard) -> bool:
    """True when every tile of ``shard`` has an outcome in ``checkpoint`` (some may have failed)."""
    return finished_in(checkpoint, shard) == shard.tiles


def with_shard(job: Checkpoint, part: Checkpoint, shard: Shard) -> Checkpoint:
    """A copy of the job's checkpoint whose ``shard`` range is replaced by the shard's own checkpoint ``part``
    (which started from the job's part and only grew, so nothing the job had is lost)."""
    window = IndexRanges()
    window.add_range(shard.start, shard.end)
    finished = job.finished.difference(window).union(part.finished.within(shard.start, shard.end))
    failed: dict[str, IndexRanges] = {}
    for reason, r in job.failed.items():
        if rest := r.difference(window):
            failed[reason] = rest
    for reason, r in part.failed.items():
        if mine := r.within(shard.start, shard.end):
            failed[reason] = failed[reason].union(mine) if reason in failed else mine
    return Checkpoint(job.total, finished, failed)


class ShardCheckpointer:
    """The engine's Checkpointer for one shard: the shard's range minus what ``checkpoint`` finished, then its
    failed tiles; each batch's checkpoint text goes to the shard's store under ``key``.

    ``tiles_done``, ``tiles_failed``, ``last_text`` and ``last_snapshot`` (read from other threads) are what
    the worker relays to the job's coordinator.
    """

    def __init__(self, key: str, shard: Shard, checkpoint: Checkpoint) -> None:
        self.job_id = key
        self.shard = shard
        self.checkpoint = checkpoint
        self.todo_tiles = todo_count(checkpoint, shard)
        self.last_text = checkpoint.to_text()
        self.tiles_failed = failed_in(checkpoint, shard)
        self.tiles_done = finished_in(checkpoint, shard) - self.tiles_failed
        self.last_snapshot: ProgressSnapshot | None = None
        self.outcome: tuple[JobStatus, str | None] | None = None
        self._staged: tuple[Checkpoint, str] | None = None

    def todo(self, total: int) -> Iterator[int]:
        """Indexes of the shard without an outcome, ascending, then its failed ones (see :class:`Checkpoint`)."""
        cp, shard = self.checkpoint, self.shard
        if cp.total is not None and cp.total != total:
            raise RecoveryError(f"The job's tile cover now has {total} tiles but shard {shard.number}'s checkpoint "
                                f"was made for {cp.total}, so it cannot be resumed exactly.")
        cp.total = total
        finished = cp.finished.within(shard.start, shard.end)
        failed = sorted(i for r in cp.failed.values() for i in r.within(shard.start, shard.end))
        return chain(finished.gaps(shard.start, shard.end), failed)

    def batch_checkpoint(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> tuple[str, str]:
        """``(key, text)`` of the checkpoint with the batch in, for ``Store.put_tiles`` in the batch's own
        transaction; the batch counts once :meth:`batch_done` says it committed."""
        staged = self.checkpoint.copy()
        staged.mark(done, failed)
        self._staged = staged, staged.to_text()
        return self.job_id, self._staged[1]

    def batch_done(self, done: Sequence[int], failed: Sequence[tuple[int, str]]) -> None:
        """The batch of the last :meth:`batch_checkpoint` committed: adopt its checkpoint."""
        staged, self._staged = self._staged, None
        if staged is None:
            cp = self.checkpoint.copy()
            cp.mark(done, failed)
            staged = cp, cp.to_text()
        cp, text = staged
        self.tiles_failed = failed_in(cp, self.shard)
        self.tiles_done = finished_in(cp, self.shard) - self.tiles_failed
        self.checkpoint, self.last_text = cp, text  # the relay thread reads these: whole references only

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        """Keep the latest snapshot for the relay."""
        self.last_snapshot = snapshot

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        """Keep the final snapshot and how the run ended."""
        self.last_snapshot = snapshot
        self.outcome = (status, reason)
