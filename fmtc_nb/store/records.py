"""Plain data of the store: one tile with its HTTP freshness facts, and a store's statistics."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class TileRecord:
    """One tile in XYZ coordinates (``y`` counted from the north; the MBTiles view shows TMS rows).

    ``fetched_at`` and ``expires_at`` are Unix epoch seconds; ``etag`` and ``last_modified`` are the
    server's validators, kept for conditional revalidation (If-None-Match / If-Modified-Since).
    """

    z: int
    x: int
    y: int
    data: bytes
    fetched_at: float
    etag: str | None = None
    last_modified: str | None = None
    expires_at: float | None = None

    @property
    def size(self) -> int:
        """Bytes of tile data."""
        return len(self.data)


@dataclass
class StoreStats:
    """A store's counters, read in O(1) (kept in the same transactions that change the tiles).

    ``tile_bytes`` sums every tile's size (duplicates counted each time); ``blob_bytes`` sums the unique
    blobs actually stored; ``disk_bytes`` is the SQLite file plus its write-ahead log. Times are epoch seconds.
    """

    name: str
    source_url: str | None
    tiles: int
    tile_bytes: int
    unique_blobs: int
    blob_bytes: int
    disk_bytes: int
    zooms: dict[int, int] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    failures: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (zoom keys as strings)."""
        out = asdict(self)
        out["zooms"] = {str(z): n for z, n in sorted(self.zooms.items())}
        return out
