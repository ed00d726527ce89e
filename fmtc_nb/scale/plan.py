"""Shards of a job: contiguous ranges of its tile cover's index order, sized by tiles and, when an estimate of
bytes per tile is at hand, by bytes.

The cover orders tiles by zoom, then row, then column, so a shard is a band of rows of one zoom or a few whole
small zooms; ``TileCover.tiles(start, end)`` reaches a shard's tiles without walking the ones before it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fmtc_nb.errors import ClusterError

#: Tiles a shard holds at most unless told otherwise: about 15 s to 2 min of one engine on a fast server.
DEFAULT_SHARD_TILES = 100_000


@dataclass(frozen=True)
class Shard:
    """Tiles ``start <= index < end`` of a job's cover, the ``number``-th shard (from 0)."""

    number: int
    start: int
    end: int

    @property
    def tiles(self) -> int:
        """How many tiles the shard holds."""
        return self.end - self.start

    @property
    def name(self) -> str:
        """The name of the shard's store (``shard-00042``)."""
        return f"shard-{self.number:05d}"


def bytes_per_tile(estimate: Any) -> dict[int, float]:
    """Mean bytes of a tile per zoom, read off a :class:`fmtc_nb.estimate.Estimate` (zooms without a
    measured size are left out)."""
    return {int(z.zoom): float(z.mean_bytes) for z in estimate.zooms if z.mean_bytes > 0}


def plan_shards(counts: Mapping[int, int], *, max_tiles: int = DEFAULT_SHARD_TILES, max_bytes: float | None = None,
                sizes: Mapping[int, float] | None = None) -> list[Shard]:
    """Split the cover whose tiles per zoom are ``counts`` (in cover order, as ``TileCover.counts``) into
    contiguous shards of at most ``max_tiles`` tiles and, with ``max_bytes`` and ``sizes`` (mean bytes per
    tile by zoom, see :func:`bytes_per_tile`), at most about ``max_bytes`` bytes each.

    A shard may span zooms; a zoom without a size counts by tiles only.
    """
    if not isinstance(max_tiles, int) or max_tiles < 1:
        raise ClusterError(f"The shard size {max_tiles!r} is not a whole number of tiles of at least 1.")
    if max_bytes is not None and not (isinstance(max_bytes, int | float) and 0 < max_bytes < math.inf):
        raise ClusterError(f"The shard size {max_bytes!r} is not a positive number of bytes.")
    if max_bytes is not None and not sizes:
        raise ClusterError("Sizing shards by bytes needs an estimate of bytes per tile (fmtc_nb.estimate).")
    shards: list[Shard] = []
    start = pos = 0
    room = 1.0  # share of a shard still free
    for z, count in counts.items():
        size = (sizes or {}).get(z, 0.0)
        cap = max_tiles if max_bytes is None or size <= 0 else max(1, min(max_tiles, int(max_bytes // size)))
        left = count
        while left > 0:
            take = min(left, int(room * cap + 1e-9))
            if take == 0:  # this zoom's tiles no longer fit in the open shard
                shards.append(Shard(len(shards), start, pos))
                start, room = pos, 1.0
                continue
            pos, left, room = pos + take, left - take, room - take / cap
            if room <= 1e-9:
                shards.append(Shard(len(shards), start, pos))
                start, room = pos, 1.0
    if pos > start:
        shards.append(Shard(len(shards), start, pos))
    return shards
