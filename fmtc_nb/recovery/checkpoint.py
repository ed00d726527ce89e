"""The exact checkpoint of a job: what is finished, what failed and why, as a compact text stored with each
batch of tiles (``Store.put_tiles(..., checkpoint=(job_id, text))``, the same SQLite transaction).

Indexes are positions in ``TileCover(region, zooms)`` order. The text is JSON::

    {"v": 1, "total": 1200, "watermark": 840, "done": "3+1,5+2", "failed": {"HTTP 404": "17+2"}}

- ``watermark``: every index below it is finished (stored, skipped or failed);
- ``done``: the done indexes above the watermark (at most the tiles that were in flight), as
  :class:`~fmtc_nb.recovery.ranges.IndexRanges` text relative to the watermark;
- ``failed``: the failed indexes (anywhere) grouped by reason, as absolute ranges text.

Resuming fetches the indexes that are neither done nor failed, ascending, then the failed ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from fmtc_nb.errors import RecoveryError
from fmtc_nb.recovery.ranges import IndexRanges

VERSION = 1


@dataclass
class Checkpoint:
    """Finished indexes (done or failed) and the failed ones by reason; counts are tiles."""

    total: int | None = None
    finished: IndexRanges = field(default_factory=IndexRanges)
    failed: dict[str, IndexRanges] = field(default_factory=dict)

    # -- reading ---------------------------------------------------------------------------------------
    @property
    def watermark(self) -> int:
        """The index below which every tile is finished."""
        return self.finished.first_gap()

    @property
    def tiles_failed(self) -> int:
        """Tiles whose last outcome was a failure."""
        return sum(len(r) for r in self.failed.values())

    @property
    def tiles_done(self) -> int:
        """Tiles finished successfully (stored, or skipped as existing or sea)."""
        return len(self.finished) - self.tiles_failed

    @property
    def complete(self) -> bool:
        """True when every tile of a known total is finished and none failed."""
        return self.total is not None and len(self.finished) == self.total and not self.tiles_failed

    def failed_indexes(self) -> list[int]:
        """Every failed index, ascending."""
        return sorted(i for r in self.failed.values() for i in r)

    def reason_of(self, index: int) -> str | None:
        """Why ``index`` failed (None if it did not)."""
        return next((reason for reason, r in self.failed.items() if index in r), None)

    def todo(self, total: int) -> Iterator[int]:
        """Indexes to fetch, from a frozen copy: not finished ascending, then the failed ones ascending.

        Raises :class:`RecoveryError` if ``total`` differs from the total the checkpoint was made for.
        """
        if self.total is not None and self.total != total and len(self.finished):
            raise RecoveryError(f"The job's tile cover now has {total} tiles but its checkpoint was made for "
                                f"{self.total}, so it cannot be resumed exactly.")
        self.total = total
        finished, failed = self.finished.copy(), self.failed_indexes()
        return _chain(finished.gaps(self.watermark, total), failed)

    def copy(self) -> Checkpoint:
        """An independent copy."""
        return Checkpoint(self.total, self.finished.copy(), {reason: r.copy() for reason, r in self.failed.items()})

    # -- writing ---------------------------------------------------------------------------------------
    def mark(self, done: Iterable[int], failed: Iterable[tuple[int, str]] = ()) -> None:
        """Record a batch: ``done`` indexes and ``(index, reason)`` failures (a later outcome replaces an earlier)."""
        any_failed = bool(self.failed)
        for index in done:
            self.finished.add(index)
            if any_failed:
                self._unfail(index)
        for index, reason in failed:
            self.finished.add(index)
            self._unfail(index)
            self.failed.setdefault(reason or "failed", IndexRanges()).add(index)

    def _unfail(self, index: int) -> None:
        for reason, ranges in list(self.failed.items()):
            if ranges.discard(index) and not ranges:
                del self.failed[reason]

    # -- text ------------------------------------------------------------------------------------------
    def to_text(self) -> str:
        """The compact JSON text (see the module docstring)."""
        watermark = self.watermark
        done_above = self.finished.above(watermark)  # small: about the tiles that were in flight
        for ranges in self.failed.values():
            done_above = done_above.difference(ranges.above(watermark))
        done_text = done_above.shifted(-watermark).to_text()
        return json.dumps({"v": VERSION, "total": self.total, "watermark": watermark, "done": done_text,
                           "failed": {reason: r.to_text() for reason, r in sorted(self.failed.items())}},
                          separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str | None) -> Checkpoint:
        """Inverse of :meth:`to_text`; None or empty text is a fresh checkpoint."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if data.get("v") != VERSION:
                raise ValueError(f"version {data.get('v')!r}")
            watermark = int(data["watermark"])
            failed = {str(k): IndexRanges.from_text(v) for k, v in (data.get("failed") or {}).items()}
            total = data.get("total")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RecoveryError(f"The stored checkpoint cannot be read ({exc}).") from None
        finished = IndexRanges.from_text(data.get("done") or "").shifted(watermark)
        finished.add_range(0, watermark)
        for ranges in failed.values():
            finished = finished.union(ranges)
        return cls(None if total is None else int(total), finished, failed)


def _chain(first: Iterator[int], then: list[int]) -> Iterator[int]:
    yield from first
    yield from then
