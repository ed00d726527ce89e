"""Estimate a download's size and duration by measuring a stratified random sample of its tiles.

Strata are zoom levels. Zooms with few tiles are measured in full; the others get a pilot sample, then the
rest of the sample budget is spread by Neyman allocation (more where population x spread is larger).
Storage differs from transfer because the store keeps identical tiles once: a body seen at least twice in
the sample (the sea tile, blank land) is counted once, and the tiles carrying it add nothing more.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from fmtc_nb.cover import TileCover
from fmtc_nb.engine.job import DownloadOptions
from fmtc_nb.errors import EstimateError
from fmtc_nb.estimate.measure import Measurement, Prober
from fmtc_nb.estimate.model import Estimate
from fmtc_nb.estimate.sampling import (
    CENSUS_MAX_TILES,
    Block,
    allocation_spreads,
    blocked_draw,
    default_sample_budget,
    neyman_allocation,
    pilot_sizes,
)
from fmtc_nb.estimate.summary import Seen, include_waits, summarize
from fmtc_nb.regions.validate import check_has_tiles
from fmtc_nb.source import TileSource
from fmtc_nb.zooms import parse_zooms

Tile = tuple[int, int, int]
MeasureFn = Callable[[Sequence[Tile]], Awaitable[list[Measurement]]]
T = TypeVar("T")


def estimate(region: Any, zooms: Any, source: TileSource | str, *, samples: int | None = None,
             seed: int | None = None, parallel: int = DownloadOptions.parallel, rate_limit: float | None = None,
             confidence: float = 0.95, retries: int = DownloadOptions.retries,
             network: DownloadOptions | None = None) -> Estimate:
    """Estimate tiles, transfer bytes, storage bytes and duration of downloading ``region`` at ``zooms``
    from ``source`` (a :class:`TileSource` or URL template) with ``parallel`` requests and ``rate_limit``
    tiles/s; ``samples`` caps the requests (default :func:`default_sample_budget`), ``seed`` makes the draw
    repeatable; the sample's requests go as the download's would with its ``network`` options (proxy,
    environment proxies, CA bundle, HTTP/2, timeouts). Blocking; safe to call from a notebook (runs on its own
    thread if a loop is running)."""
    source = source if isinstance(source, TileSource) else TileSource(source)
    source.check_bulk_allowed()
    if samples is not None and samples < 1:
        raise EstimateError(f"The sample size {samples} must be at least 1.")
    if seed is not None and seed < 0:
        raise EstimateError(f"The seed {seed} must be a whole number of 0 or more.")
    if not 0 < confidence < 1:
        raise EstimateError(f"The confidence {confidence} must be between 0 and 1, e.g. 0.95.")
    options = replace(network or DownloadOptions(), parallel=parallel, rate_limit=rate_limit,
                      retries=retries)  # checks them
    cover = TileCover(region, parse_zooms(zooms))
    check_has_tiles(region)  # a polar region: one sentence, not "nothing usable for 0 sampled tiles"

    async def run() -> Estimate:
        async with Prober(source, options) as prober:
            result = await estimate_with(cover, prober.measure, samples=samples, seed=seed, parallel=parallel,
                                         rate_limit=rate_limit, confidence=confidence)
            result.requests = prober.requests
            result.throttling = prober.throttling
            result.duration_s = include_waits(result.duration_s, cover.total, prober.throttling)
            return result

    return run_blocking(run())


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to the end: here if no event loop is running, else on a fresh thread (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def estimate_with(cover: TileCover, measure: MeasureFn, *, samples: int | None = None,
                        seed: int | None = None, parallel: int = DownloadOptions.parallel,
                        rate_limit: float | None = None, confidence: float = 0.95,
                        census_max: int = CENSUS_MAX_TILES) -> Estimate:
    """The sampling design and estimators, given ``measure`` (tiles -> measurements) for the answers.

    Phase 1 measures small zooms in full and a pilot of the others; phase 2 spends the rest of the budget
    by Neyman allocation. Each phase samples a zoom in contiguous blocks (see :func:`blocked_draw`); the
    two phases' estimates of a zoom are averaged with weights proportional to their sample sizes.
    """
    rng = np.random.default_rng(seed)
    counts = {z: n for z, n in cover.counts.items() if n > 0}
    budget = samples if samples is not None else default_sample_budget(cover.total)
    census = [z for z, n in counts.items() if n <= census_max or budget >= cover.total]
    sampled = [z for z in counts if z not in census]
    left = max(budget - sum(counts[z] for z in census), 4 * len(sampled))
    pilots = pilot_sizes(left, [counts[z] for z in sampled])
    phases: list[dict[int, list[Block]]] = [{z: [(0, counts[z], list(range(counts[z])))] for z in census}
                                            | {z: blocked_draw(rng, counts[z], k) for z, k in zip(sampled, pilots, strict=True)}]
    seen = await _measure_designs(cover, phases[0], {}, measure)
    if sampled:
        taken = [sum(len(b[2]) for b in phases[0][z]) for z in sampled]
        extra = _allocate(counts, sampled, seen, taken, left - sum(taken))
        phases.append({z: blocked_draw(rng, counts[z], k) for z, k in zip(sampled, extra, strict=True) if k >= 2})
        seen = await _measure_designs(cover, phases[1], seen, measure)
    return summarize(counts, phases, seen, parallel=parallel, rate_limit=rate_limit, confidence=confidence)


async def _measure_designs(cover: TileCover, design: dict[int, list[Block]], seen: Seen,
                           measure: MeasureFn) -> Seen:
    """Measure the tiles of ``design`` not yet in ``seen``, one zoom at a time (so a request's time reflects
    the load of its own zoom's tiles, not of costlier ones in flight beside it); returns ``seen`` with them."""
    start = _zoom_starts(cover)
    out = dict(seen)
    for z, blocks in design.items():
        keys = sorted({i for _, _, picked in blocks for i in picked} - {i for mz, i in seen if mz == z})
        tiles = [cover.tile_at(start[z] + i) for i in keys]
        by_tile = {(m.z, m.x, m.y): m for m in await measure(tiles)}
        out.update({(z, i): by_tile[t] for i, t in zip(keys, tiles, strict=True) if t in by_tile})
    return out


def _zoom_starts(cover: TileCover) -> dict[int, int]:
    """Index of each zoom's first tile in the cover order."""
    out, acc = {}, 0
    for z in cover.zooms:
        out[z] = acc
        acc += cover.counts[z]
    return out


def _allocate(counts: dict[int, int], sampled: list[int], seen: Seen, taken: list[int], budget: int) -> list[int]:
    """Phase 2 sizes: Neyman allocation with spreads from the other zooms' pilots (census zooms included)."""
    zooms = sorted({z for z, _ in seen})
    pilots = [[float(m.size) for (mz, _), m in seen.items() if mz == z and m.kind != "failed"] for z in zooms]
    spread = dict(zip(zooms, allocation_spreads(pilots), strict=True))
    spreads = [spread.get(z, 1.0) for z in sampled]
    return neyman_allocation([counts[z] for z in sampled], spreads, taken, budget)
