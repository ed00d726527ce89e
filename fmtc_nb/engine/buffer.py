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

    def __len__(self) -> int:
        return len(self.batch)

    def add_tile(self, index: int, record: Any) -> None:
        """A tile to store (``record`` is a ``fmtc_nb.store.TileRecord``)."""
        self.batch.records.append(record)
        self.batch.done.append(index)
        self.batch.bytes += len(record.data)

    def add_skipped(self, index: int) -> None:
        """A tile finished without storing anything (existing or sea)."""
        self.batch.done.append(index)

    def add_failure(self, index: int, z: int, x: int, y: int, reason: str) -> None:
        """A tile that ended failed (negative answer or failed request)."""
        self.batch.failed.append((index, reason))
        self.batch.failures.append((z, x, y, reason))

    def take(self) -> Batch:
        """Empty the buffer and return what it held, for one ``Store.put_tiles`` transaction."""
        self.last_flush = time.monotonic()
        batch, self.batch = self.batch, Batch()
        return batch
