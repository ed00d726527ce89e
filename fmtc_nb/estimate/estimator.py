"""Estimate a download's size and duration by measuring a stratified random sample of its tiles.

Strata are zoom levels. Zooms with few tiles are measured in full; the others get a pilot sample, then the
rest of the sample budget is spread by Neyman allocation (more where population x spread is larger).
Storage differs from transfer because the store keeps identical tiles once: a body seen at least twice in
the sample (the sea tile, blank land) is counted once, and the tiles carrying it add nothing more.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import numpy as np

from fmtc_nb.cover import TileCover
from fmtc_nb.engine.job import DownloadOptions
from fmtc_nb.errors import EstimateError
from fmtc_nb.estimate.measure import Measurement, Prober
from fmtc_nb.estimate.model import Estimate, ZoomEstimate, storage_total
from fmtc_nb.estimate.sampling import (
    CENSUS_MAX_TILES,
    Block,
    allocation_spread,
    blocked_draw,
    default_sample_budget,
    neyman_allocation,
    pilot_sizes,
)
from fmtc_nb.estimate.statistics import (
    CombinedTotal,
    Interval,
    StratumTotal,
    blocked_total,
    combine,
    weighted_total,
)
from fmtc_nb.source import TileSource
from fmtc_nb.zooms import parse_zooms

Tile = tuple[int, int, int]
#: Relative change of download speed the duration interval allows for beyond sampling error (0.25: 25%);
#: on loopback here, repeated full fetches of one pyramid differed by about 20% under a shared CPU.
SPEED_MARGIN = 0.25
MeasureFn = Callable[[Sequence[Tile]], Awaitable[list[Measurement]]]
T = TypeVar("T")


def estimate(region: Any, zooms: Any, source: TileSource | str, *, samples: int | None = None,
             seed: int | None = None, parallel: int = DownloadOptions.parallel, rate_limit: float | None = None,
             confidence: float = 0.95, retries: int = DownloadOptions.retries) -> Estimate:
    """Estimate tiles, transfer bytes, storage bytes and duration of downloading ``region`` at ``zooms``
    from ``source`` (a :class:`TileSource` or URL template) with ``parallel`` requests and ``rate_limit``
    tiles/s; ``samples`` caps the requests (default :func:`default_sample_budget`), ``seed`` makes the draw
    repeatable. Blocking; safe to call from a notebook (runs on its own thread if a loop is running)."""
    source = source if isinstance(source, TileSource) else TileSource(source)
    source.check_bulk_allowed()
    if samples is not None and samples < 1:
        raise EstimateError(f"The sample size {samples} must be at least 1.")
    if parallel < 1:
        raise EstimateError(f"The parallelism {parallel} must be at least 1.")
    if rate_limit is not None and rate_limit <= 0:
        raise EstimateError(f"The rate limit {rate_limit} must be a positive number of tiles per second.")
    cover = TileCover(region, parse_zooms(zooms))
    options = DownloadOptions(parallel=parallel, rate_limit=rate_limit, retries=retries)

    async def run() -> Estimate:
        async with Prober(source, options) as prober:
            result = await estimate_with(cover, prober.measure, samples=samples, seed=seed, parallel=parallel,
                                         rate_limit=rate_limit, confidence=confidence)
            result.requests = prober.requests
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


Seen = dict[tuple[int, int], Measurement]  # (zoom, index within the zoom) -> measurement


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
    sizes = {z: [float(m.size) for (mz, _), m in seen.items() if mz == z and m.kind != "failed"] for z in sampled}
    pooled = [v for z in sampled for v in sizes[z]]
    pooled_sd = float(np.std(pooled, ddof=1)) if len(pooled) > 1 else 1.0
    spreads = [allocation_spread(sizes[z], pooled_sd) for z in sampled]
    return neyman_allocation([counts[z] for z in sampled], spreads, taken, budget)


def summarize(counts: dict[int, int], phases: Sequence[dict[int, list[Block]]], seen: Seen, *, parallel: int,
              rate_limit: float | None, confidence: float) -> Estimate:
    """Turn the phases' designs and the measurements into an :class:`Estimate` (raises if nothing usable)."""
    _check_usable(list(seen.values()))
    bodies = repeated_bodies(list(seen.values()))
    values: dict[str, Callable[[Measurement], float | None]] = {
        "bytes": lambda m: None if m.kind == "failed" else float(m.size),
        "storage": lambda m: None if m.kind == "failed" else 0.0 if m.digest in bodies else float(m.size),
        "seconds": lambda m: m.seconds,
    }
    parts: dict[str, dict[int, StratumTotal]] = {name: {} for name in values}
    zooms = []
    pooled = {name: _pooled_variance(seen, value) for name, value in values.items()}
    for z, n in counts.items():
        mine = [m for (mz, _), m in seen.items() if mz == z]
        for name, value in values.items():
            parts[name][z] = _zoom_total(z, n, phases, seen, value, pooled[name])
        usable = [m for m in mine if m.kind != "failed"]
        sizes = np.array([m.size for m in usable], dtype=float)
        ok = sum(m.kind == "ok" for m in usable)
        zooms.append(ZoomEstimate(
            zoom=z, tiles=n, sampled=len(mine), exact=len(usable) >= n, ok=ok, negative=len(usable) - ok,
            failed=len(mine) - len(usable), mean_bytes=float(sizes.mean()) if sizes.size else 0.0,
            sd_bytes=float(sizes.std(ddof=1)) if sizes.size > 1 else 0.0,
            bytes=combine([parts["bytes"][z]]).interval(confidence),
            storage_bytes=storage_total(parts["storage"], bodies, [z]).interval(confidence),
            duplicate_share=sum(m.digest in bodies for m in usable) / ok if ok else 0.0,
            mean_response_s=float(np.mean([m.seconds for m in mine])) if mine else 0.0))
    tiles = sum(counts.values())
    return Estimate(tiles=tiles, requests=sum(m.attempts for m in seen.values()),
                    bytes=combine(list(parts["bytes"].values())).interval(confidence),
                    storage_bytes=storage_total(parts["storage"], bodies, counts).interval(confidence),
                    duration_s=_duration(combine(list(parts["seconds"].values())), tiles, parallel, rate_limit,
                                         confidence),
                    zooms=zooms, parallel=parallel, rate_limit=rate_limit, confidence=confidence,
                    storage_parts=parts["storage"], repeated_bodies=bodies)


def _pooled_variance(seen: Seen, value: Callable[[Measurement], float | None]) -> float:
    """Variance of ``value`` over every usable measured tile, all zooms together."""
    got = [v for m in seen.values() if (v := value(m)) is not None]
    return float(np.var(got, ddof=1)) if len(got) > 1 else 0.0


def _zoom_total(z: int, population: int, phases: Sequence[dict[int, list[Block]]], seen: Seen,
                value: Callable[[Measurement], float | None], pooled_variance: float) -> StratumTotal:
    """Estimate of zoom ``z``'s total of ``value`` (None: unusable answer): each phase's blocked estimate,
    averaged with weights proportional to the phase's usable sample size.

    A zoom sampled in part whose sampled values are all equal (say all sea) would claim zero variance; it
    gets instead the variance of a sample whose spread is ``pooled_variance / n`` (as if about one tile in
    ``n`` could differ like the tiles of the other zooms do), so its interval stays honest.
    """
    estimates = []
    for design in phases:
        blocks = []
        for lo, hi, picked in design.get(z, []):
            got = [v for i in picked if (z, i) in seen and (v := value(seen[(z, i)])) is not None]
            blocks.append((hi - lo, got))
        blocks = _collapse(blocks)
        if blocks:
            estimates.append((sum(len(b[1]) for b in blocks), blocked_total(blocks)))
    used = sum(n for n, _ in estimates)
    if not used:  # every sampled answer at this zoom failed: nothing is known about it
        return StratumTotal(0.0, ((math.inf, 1.0),), 0.0)
    got = [v for (mz, _), m in seen.items() if mz == z and (v := value(m)) is not None]
    result = weighted_total([(n / used, est) for n, est in estimates], float(sum(got)))
    n = len(got)
    if result.variance == 0 and n < population:
        variance = population**2 * (1 - n / population) * pooled_variance / n / n
        result = StratumTotal(result.total, ((variance, float(max(n - 1, 1))),), result.observed)
    return result


def _collapse(blocks: list[tuple[int, list[float]]]) -> list[tuple[int, list[float]]]:
    """Merge each block left with fewer than two values (failed answers) into its neighbour."""
    out: list[tuple[int, list[float]]] = []
    pending = (0, [])
    for n, got in blocks:
        n, got = n + pending[0], got + pending[1]
        if len(got) >= 2 or len(got) >= n:
            out.append((n, got))
            pending = (0, [])
        else:
            pending = (n, got)
    if pending[0]:
        if out:
            last = out.pop()
            out.append((last[0] + pending[0], last[1] + pending[1]))
        elif pending[1]:
            out.append(pending)
    return out


def repeated_bodies(measurements: Sequence[Measurement]) -> dict[bytes, tuple[int, frozenset[int]]]:
    """Bodies seen at least twice in the sample: digest -> (size in bytes, zooms where seen)."""
    seen = Counter(m.digest for m in measurements if m.digest is not None)
    out: dict[bytes, tuple[int, frozenset[int]]] = {}
    for m in measurements:
        if m.digest is not None and seen[m.digest] >= 2:
            size, zs = out.get(m.digest, (m.size, frozenset()))
            out[m.digest] = (size, zs | {m.z})
    return out


def _duration(latency: CombinedTotal, tiles: int, parallel: int, rate_limit: float | None,
              confidence: float) -> Interval:
    """Seconds to fetch ``tiles``: summed response times over ``parallel`` concurrent requests, never faster
    than ``rate_limit`` tiles/s allows. The interval is the sampling interval widened by SPEED_MARGIN either
    way, because a server's (and the client's) speed drifts between the sample and the download."""
    floor = tiles / rate_limit if rate_limit else 0.0
    iv = latency.interval(confidence)
    return Interval(max(iv.estimate / parallel, floor), max(iv.low / parallel * (1 - SPEED_MARGIN), floor),
                    max(iv.high / parallel * (1 + SPEED_MARGIN), floor), confidence)


def _check_usable(measurements: Sequence[Measurement]) -> None:
    """Raise :class:`EstimateError` saying what came back if no tile (or under half) was a usable answer."""
    ok = sum(m.kind == "ok" for m in measurements)
    failed = sum(m.kind == "failed" for m in measurements)
    if ok and failed <= len(measurements) / 2:
        return
    reasons = Counter(m.reason or m.kind for m in measurements if m.kind != "ok")
    what = ", ".join(f"{k} x {reason}" for reason, k in reasons.most_common(4))
    if ok:
        raise EstimateError(f"Too many sampled tiles failed to estimate honestly: {failed} of {len(measurements)} "
                            f"({what}).")
    raise EstimateError(f"The source answered nothing usable for {len(measurements)} sampled tiles ({what}); "
                        "check the URL template and that the server is up.")
