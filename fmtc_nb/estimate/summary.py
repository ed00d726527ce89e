"""From measurements to an :class:`Estimate`: per-zoom totals of bytes, storage and seconds, repeated
bodies found by hash, the duration interval, and the check that the source answered something usable."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from fmtc_nb.errors import EstimateError
from fmtc_nb.estimate.measure import Measurement, Throttling
from fmtc_nb.estimate.model import Estimate, ZoomEstimate, storage_total
from fmtc_nb.estimate.sampling import Block
from fmtc_nb.estimate.statistics import (
    CombinedTotal,
    Interval,
    StratumTotal,
    blocked_total,
    combine,
    weighted_total,
)

#: How much faster / slower than the sample the download may run, beyond sampling error (0.25: 25%). More
#: room on the slow side: long runs meet throttling, busier servers and store writes more often than not;
#: on loopback here, full fetches of one pyramid ran 0.6-2.2x the estimate under a shared 2-core CPU.
FASTER_MARGIN, SLOWER_MARGIN = 0.25, 0.5
Seen = dict[tuple[int, int], Measurement]  # (zoom, index within the zoom) -> measurement


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
    pending: tuple[int, list[float]] = (0, [])
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
    than ``rate_limit`` tiles/s allows. The interval is the sampling interval widened by FASTER_MARGIN and
    SLOWER_MARGIN, because a server's (and the client's) speed drifts between the sample and the download."""
    floor = tiles / rate_limit if rate_limit else 0.0
    iv = latency.interval(confidence)
    return Interval(max(iv.estimate / parallel, floor), max(iv.low / parallel * (1 - FASTER_MARGIN), floor),
                    max(iv.high / parallel * (1 + SLOWER_MARGIN), floor), confidence)


def include_waits(duration: Interval, tiles: int, throttling: Throttling) -> Interval:
    """The duration interval of fetching ``tiles`` with the server's measured throttling added: its holds
    (Retry-After, pauses without one) stop every request, so the seconds they are expected to take
    (:meth:`Throttling.waiting`) add to both ends. Unchanged when the sample was never held."""
    waits = throttling.waiting(tiles, duration.confidence)
    return Interval(duration.estimate + waits.estimate, duration.low + waits.low, duration.high + waits.high,
                    duration.confidence)


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
