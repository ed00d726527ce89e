"""Tiles waiting for the store: written in one transaction per batch together with the job's checkpoint."""

from __future__ import annotations

import time
from typing import Any

from fmtc_nb.engine.hooks import Checkpointer


class TileBuffer:
    """Collects fetched tiles (records), finished indexes and failures until :meth:`flush`."""

    def __init__(self) -> None:
        self.records: list[Any] = []
        self.done: list[int] = []
        self.failed: list[tuple[int, str]] = []
        self.failures: list[tuple[int, int, int, str]] = []
        self.bytes = 0
        self.last_flush = time.monotonic()

    def __len__(self) -> int:
        return len(self.done) + len(self.failed)

    def add_tile(self, index: int, record: Any) -> None:
        """A tile to store (``record`` is a ``fmtc_nb.store.TileRecord``)."""
        self.records.append(record)
        self.done.append(index)
        self.bytes += len(record.data)

    def add_skipped(self, index: int) -> None:
        """A tile finished without storing anything (existing or sea)."""
        self.done.append(index)

    def add_failure(self, index: int, z: int, x: int, y: int, reason: str) -> None:
        """A tile that ended failed (negative answer or failed request)."""
        self.failed.append((index, reason))
        self.failures.append((z, x, y, reason))

    def take(self, checkpointer: Checkpointer) -> tuple[list[Any], list[tuple[int, int, int, str]], tuple[str, str], int]:
        """Empty the buffer: (records, failures, checkpoint, bytes) for one ``Store.put_tiles`` transaction;
        ``checkpointer.batch_done`` is asked for the checkpoint here, in batch order."""
        self.last_flush = time.monotonic()
        checkpoint = checkpointer.batch_done(self.done, self.failed)
        batch = self.records, self.failures, checkpoint, self.bytes
        self.records, self.done, self.failed, self.failures, self.bytes = [], [], [], [], 0
        return batch
