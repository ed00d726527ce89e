"""The exact answer the estimates are judged against: fetch every tile of a cover once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from fmtc_nb.cover import TileCover
from fmtc_nb.engine.job import DownloadOptions
from fmtc_nb.estimate.measure import Prober
from fmtc_nb.source import TileSource


@dataclass(frozen=True)
class Truth:
    """Exact totals of a cover: transfer bytes, storage bytes (identical bodies once), fetch seconds."""

    tiles: int
    transfer_bytes: int
    storage_bytes: int
    seconds: float


def fetch_truth(url: str, cover: TileCover, parallel: int = 16) -> Truth:
    """Fetch every tile of ``cover`` from ``url`` with ``parallel`` requests (all must answer a tile)."""

    async def fetch_all() -> list:
        async with Prober(TileSource(url), DownloadOptions(parallel=parallel)) as prober:
            return await prober.measure(list(cover.tiles()))

    started = time.perf_counter()
    every = asyncio.run(fetch_all())
    seconds = time.perf_counter() - started
    assert len(every) == cover.total and all(m.kind == "ok" for m in every)
    return Truth(cover.total, sum(m.size for m in every), sum({m.digest: m.size for m in every}.values()), seconds)
