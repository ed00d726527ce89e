"""Stratified estimation of a population total from simple random samples, with a t-based interval.

Each stratum (a zoom level) has ``population`` units (tiles) of which ``values`` were measured by simple
random sampling without replacement. The total is estimated per stratum as ``N * mean`` with the finite-
population-corrected variance ``N**2 * (1 - n/N) * s**2 / n``; strata measured in full contribute no
variance. The interval uses Student's t with Welch-Satterthwaite degrees of freedom and never goes below
what was actually observed (the measured values are part of the total).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()


@dataclass(frozen=True)
class Interval:
    """A point estimate with the bounds of a two-sided interval at ``confidence`` (0.95: 95%)."""

    estimate: float
    low: float
    high: float
    confidence: float

    def to_dict(self) -> dict[str, float | None]:
        """``{"estimate", "low", "high", "confidence"}`` (JSON-safe: an unbounded side is None)."""
        def finite(v: float) -> float | None:
            return v if math.isfinite(v) else None

        return {"estimate": finite(self.estimate), "low": finite(self.low), "high": finite(self.high),
                "confidence": self.confidence}


@dataclass(frozen=True)
class StratumTotal:
    """Estimated total of one stratum: ``components`` are (variance, degrees of freedom) pairs whose sum is
    the variance of the estimate (none if measured in full); ``observed`` = sum of the distinct measured values
    (a lower bound of the true total)."""

    total: float
    components: tuple[tuple[float, float], ...]
    observed: float

    @property
    def variance(self) -> float:
        """Variance of :attr:`total`."""
        return sum(v for v, _ in self.components)


def stratum_total(population: int, values: Sequence[float] | np.ndarray) -> StratumTotal:
    """Expansion estimate of a stratum's total from a simple random sample ``values`` of its ``population``,
    with the finite-population correction."""
    v = np.asarray(values, dtype=float)
    n = v.size
    observed = float(v.sum())
    if n >= population:
        return StratumTotal(observed, (), observed)
    if n == 0:
        return StratumTotal(0.0, ((math.inf, 1.0),), 0.0)
    s2 = float(v.var(ddof=1)) if n > 1 else math.inf
    variance = population**2 * (1 - n / population) * s2 / n
    return StratumTotal(population * float(v.mean()), ((variance, float(max(n - 1, 1))),), observed)


def blocked_total(blocks: Sequence[tuple[int, Sequence[float]]]) -> StratumTotal:
    """Total of a stratum cut into blocks, each ``(population, values)`` sampled at random on its own."""
    parts = [stratum_total(n, values) for n, values in blocks]
    return StratumTotal(sum(p.total for p in parts), tuple(c for p in parts for c in p.components),
                        sum(p.observed for p in parts))


def weighted_total(parts: Sequence[tuple[float, StratumTotal]], observed: float) -> StratumTotal:
    """Weighted mean ``sum(w * T)`` of independent estimates of one total (weights summing to 1);
    ``observed`` is the sum over the distinct tiles measured by all of them."""
    return StratumTotal(sum(w * p.total for w, p in parts),
                        tuple((w * w * v, df) for w, p in parts for v, df in p.components), observed)


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (closed forms for df <= 2, otherwise the
    Cornish-Fisher expansion of Abramowitz & Stegun 26.7.5, within 0.003 of exact for df >= 3)."""
    if math.isinf(df) or df > 1e7:
        return _NORMAL.inv_cdf(p)
    if df <= 1:
        return math.tan(math.pi * (p - 0.5))
    if df < 3:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))  # df = 2 (conservative for 2 < df < 3)
    x = _NORMAL.inv_cdf(p)
    g1 = (x**3 + x) / 4
    g2 = (5 * x**5 + 16 * x**3 + 3 * x) / 96
    g3 = (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384
    g4 = (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160
    return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t, by inverting :func:`t_quantile` (bisection; accurate to about 1e-6)."""
    if math.isinf(df) or df > 1e7:
        return _NORMAL.cdf(t)
    lo, hi = 1e-12, 1 - 1e-12
    for _ in range(60):
        mid = (lo + hi) / 2
        if t_quantile(mid, df) < t:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class CombinedTotal:
    """Sum of stratum totals: ``standard_error`` in the values' unit, ``df`` Welch-Satterthwaite."""

    total: float
    standard_error: float
    df: float
    observed: float

    def interval(self, confidence: float = 0.95) -> Interval:
        """Two-sided t interval; the low bound is never below the observed sum."""
        if self.standard_error == 0:
            return Interval(self.total, self.total, self.total, confidence)
        half = t_quantile((1 + confidence) / 2, self.df) * self.standard_error
        return Interval(self.total, max(self.total - half, self.observed), self.total + half, confidence)

    def probability_at_most(self, limit: float) -> float:
        """Probability (under the same t model) that the true total is at most ``limit``."""
        if limit < self.observed:
            return 0.0
        if self.standard_error == 0:
            return 1.0 if self.total <= limit else 0.0
        return t_cdf((limit - self.total) / self.standard_error, self.df)


def combine(parts: Sequence[StratumTotal]) -> CombinedTotal:
    """Total over strata with the Welch-Satterthwaite degrees of freedom of its variance."""
    total = sum(p.total for p in parts)
    observed = sum(p.observed for p in parts)
    components = [c for p in parts for c in p.components if c[0] > 0]
    variance = sum(v for v, _ in components)
    if variance == 0:
        return CombinedTotal(total, 0.0, math.inf, observed)
    if math.isinf(variance):
        return CombinedTotal(total, math.inf, 1.0, observed)
    df = variance**2 / sum(v * v / d for v, d in components)
    return CombinedTotal(total, math.sqrt(variance), df, observed)


def add_totals(totals: Sequence[CombinedTotal]) -> CombinedTotal:
    """The sum of independently estimated totals (several tile sources of one pack), with Welch-Satterthwaite
    degrees of freedom over their variances."""
    parts = [StratumTotal(t.total, ((t.standard_error ** 2, t.df),) if t.standard_error > 0 else (), t.observed)
             for t in totals]
    return combine(parts)
