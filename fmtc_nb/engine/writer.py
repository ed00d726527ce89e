"""Batches of finished tiles to the store, on the one store thread, in order; a batch counts as done only
once its transaction has committed.

A commit that fails (another program holds the write lock past the busy timeout, the disk is full) is
retried after :data:`RETRY_DELAYS_S`; if it still fails the writer gives up (a held lock's sentence then gives
the whole wait, every attempt's busy timeout and the pauses between them: about two minutes with the default
30 s busy timeout): it keeps the error, drops that batch and every later one (their tiles are fetched again on
resume), and the download ends paused. The store's checkpoint, written in each batch's own transaction,
therefore never names a tile the store lacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

from fmtc_nb.engine.hooks import Checkpointer
from fmtc_nb.errors import StoreBusy, StoreError
from fmtc_nb.store.connection import store_busy

#: Seconds to wait before each retry of a failed commit (each attempt may also wait the store's busy timeout).
RETRY_DELAYS_S = (1.0, 2.0, 4.0)


@dataclass
class Batch:
    """One transaction's worth: tile records, done indexes, failed (index, reason), failures (z, x, y, reason)
    and the records' size in bytes."""

    records: list[Any] = field(default_factory=list)
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    failures: list[tuple[int, int, int, str]] = field(default_factory=list)
    bytes: int = 0

    def __len__(self) -> int:
        return len(self.done) + len(self.failed)


class StoreWriter:
    """Commits batches to ``store`` on ``executor`` (a single thread); ``on_commit(batch)`` runs on that
    thread after each commit. :attr:`error` is set once the writer gave up."""

    def __init__(self, store: Any, checkpointer: Checkpointer, executor: Executor,
                 on_commit: Callable[[Batch], None], retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S) -> None:
        self.store = store
        self.checkpointer = checkpointer
        self.executor = executor
        self.on_commit = on_commit
        self.retry_delays_s = retry_delays_s
        self.error: BaseException | None = None
        self.retries = 0

    def submit(self, batch: Batch) -> Future[None]:
        """Queue ``batch`` behind the batches already queued."""
        return self.executor.submit(self._commit, batch)

    def _commit(self, batch: Batch) -> None:
        if self.error is not None:  # given up: these tiles stay undone and are fetched again on resume
            return
        try:
            checkpoint = self.checkpointer.batch_checkpoint(batch.done, batch.failed)
            started = time.monotonic()
            for delay in (*self.retry_delays_s, None):
                try:
                    self.store.put_tiles(batch.records, failures=batch.failures, checkpoint=checkpoint)
                    break
                except StoreError as exc:
                    if delay is None and isinstance(exc, StoreBusy):  # the whole wait: every attempt and pause
                        raise store_busy(self.store.name, time.monotonic() - started) from exc
                    if delay is None:
                        raise
                    self.retries += 1
                    time.sleep(delay)
            self.checkpointer.batch_done(batch.done, batch.failed)
            self.on_commit(batch)
        except BaseException as exc:  # kept and raised by the download on its own thread, never lost here
            self.error = exc
