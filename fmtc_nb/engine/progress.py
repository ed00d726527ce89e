"""Progress of a download: immutable snapshots (counts in tiles, sizes in bytes, times in seconds) and per-tile events.

Invariants: ``attempted == successful + failed``; ``successful == cached + skipped``. "cached" means newly
stored by this job (buffered or already flushed to the store); "skipped" means an existing or sea tile that
was deliberately not stored; "failed" is a negative answer (404/410) or a request that failed after every retry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ProgressSnapshot:
    """One moment of a download; counts are tiles, ``*_bytes`` are bytes, times are seconds."""

    max_tiles: int = 0
    successful: int = 0
    cached: int = 0
    buffered: int = 0
    flushed: int = 0
    skipped_existing: int = 0
    skipped_sea: int = 0
    failed_negative: int = 0
    failed_request: int = 0
    retries_queued: int = 0
    cached_bytes: int = 0
    buffered_bytes: int = 0
    flushed_bytes: int = 0
    skipped_bytes: int = 0
    elapsed_s: float = 0.0
    tiles_per_s: float = 0.0
    rate_limited: bool = False
    status: str = "running"  # pending, running, paused, completed, failed or cancelled

    @property
    def skipped(self) -> int:
        """Tiles skipped (existing or sea)."""
        return self.skipped_existing + self.skipped_sea

    @property
    def failed(self) -> int:
        """Tiles that ended failed (negative answer or failed request)."""
        return self.failed_negative + self.failed_request

    @property
    def attempted(self) -> int:
        """Tiles with a final outcome: ``successful + failed``."""
        return self.successful + self.failed

    @property
    def remaining(self) -> int:
        """Tiles without a final outcome yet."""
        return max(self.max_tiles - self.attempted, 0)

    @property
    def percentage(self) -> float:
        """Share of tiles with a final outcome, 0-100."""
        return 100.0 * self.attempted / self.max_tiles if self.max_tiles else 100.0

    @property
    def estimated_remaining_s(self) -> float | None:
        """Seconds still needed at the current speed (None before any speed is known)."""
        return self.remaining / self.tiles_per_s if self.tiles_per_s > 0 else None

    @property
    def estimated_total_s(self) -> float | None:
        """Estimated total duration in seconds."""
        rest = self.estimated_remaining_s
        return None if rest is None else self.elapsed_s + rest

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict with the derived fields included."""
        data = asdict(self)
        for name in ("skipped", "failed", "attempted", "remaining", "percentage",
                     "estimated_remaining_s", "estimated_total_s"):
            data[name] = getattr(self, name)
        return data


#: Outcomes of a tile event.
OUTCOMES = ("cached", "skipped_existing", "skipped_sea", "failed_negative", "failed_request", "retry")


@dataclass(frozen=True)
class TileEvent:
    """What happened to one tile: ``outcome`` is one of :data:`OUTCOMES` (``retry`` is not final)."""

    index: int
    z: int
    x: int
    y: int
    outcome: str
    size: int = 0
    reason: str | None = None
