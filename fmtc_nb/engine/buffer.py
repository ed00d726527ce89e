"""Tiles waiting for the store: handed over as one :class:`~fmtc_nb.engine.writer.Batch` per transaction."""

from __future__ import annotations

import time
from typing import Any

from fmtc_nb.engine.writer import Batch


class TileBuffer:
    """Collects fetched tiles (records), finished indexes and failures until :meth:`take`."""

    def __init__(self) -> None:
        self.batch = Batch()
        self.last_flush = time.monotonic()
        #: Tiles held (the batch's length, kept as a number: the engine reads it after every tile).
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add_tile(self, index: int, record: Any) -> None:
        """A tile to store (``record`` is a ``fmtc_nb.store.TileRecord``)."""
        batch = self.batch
        batch.records.append(record)
        batch.done.append(index)
        batch.bytes += len(record.data)
        self.count += 1

    def add_skipped(self, index: int) -> None:
        """A tile finished without storing anything (existing or sea)."""
        self.batch.done.append(index)
        self.count += 1

    def add_failure(self, index: int, z: int, x: int, y: int, reason: str) -> None:
        """A tile that ended failed (negative answer or failed request)."""
        self.batch.failed.append((index, reason))
        self.batch.failures.append((z, x, y, reason))
        self.count += 1

    def take(self) -> Batch:
        """Empty the buffer and return what it held, for one ``Store.put_tiles`` transaction."""
        self.last_flush = time.monotonic()
        batch, self.batch, self.count = self.batch, Batch(), 0
        return batch
