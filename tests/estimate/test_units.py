"""The pieces of the estimator: budgets, index draws, Neyman allocation, t quantiles, stratified totals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fmtc_nb.errors import EstimateError
from fmtc_nb.estimate import parse_budget
from fmtc_nb.estimate.sampling import blocked_draw, default_sample_budget, draw_indexes, neyman_allocation
from fmtc_nb.estimate.statistics import blocked_total, combine, stratum_total, t_cdf, t_quantile


@pytest.mark.parametrize(("text", "amount", "unit"), [
    ("2GB", 2_000_000_000, "bytes"), ("500MiB", 500 * 2**20, "bytes"), ("1.5 gb", 1_500_000_000, "bytes"),
    ("123456", 123456, "bytes"), ("10000tiles", 10000, "tiles"), ("10 tiles", 10, "tiles"),
    ("64K", 65536, "bytes"), ("3kB", 3000, "bytes"), (4096, 4096, "bytes"),
])
def test_budgets(text: str | int, amount: int, unit: str) -> None:
    b = parse_budget(text)
    assert (b.amount, b.unit) == (amount, unit)


@pytest.mark.parametrize("text", ["", "GB", "2 parsecs", "-1GB", "0", "0.1B", "1e9", "12..5MB", True])
def test_bad_budgets(text: object) -> None:
    with pytest.raises(EstimateError, match="budget"):
        parse_budget(text)  # type: ignore[arg-type]


def test_default_sample_budget() -> None:
    assert [default_sample_budget(n) for n in (50, 1000, 20_000, 100_000, 10**9)] == [50, 200, 200, 1000, 2000]


@given(st.integers(1, 10**12), st.integers(0, 300), st.integers(0, 2**32 - 1))
def test_draws_are_distinct_in_range_and_avoid_excluded(population: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    first = draw_indexes(rng, population, k)
    more = draw_indexes(rng, population, k, exclude=first)
    assert len(first) == min(k, population) and len(set(first)) == len(first)
    assert not set(first) & set(more) and all(0 <= i < population for i in first + more)


def test_blocked_draw_spreads_four_per_block() -> None:
    blocks = blocked_draw(np.random.default_rng(1), 1000, 21)
    assert len(blocks) == 5 and sum(len(b[2]) for b in blocks) == 21
    assert blocks[0][0] == 0 and blocks[-1][1] == 1000
    assert all(lo <= i < hi for lo, hi, picked in blocks for i in picked)


@given(st.lists(st.tuples(st.integers(1, 10**6), st.floats(0, 1e5)), min_size=1, max_size=8),
       st.integers(0, 5000))
def test_neyman_allocation_respects_budget_and_populations(strata: list[tuple[int, float]], budget: int) -> None:
    populations = [n for n, _ in strata]
    taken = [min(n, 4) for n in populations]
    extra = neyman_allocation(populations, [s for _, s in strata], taken, budget)
    assert all(e >= 0 and t + e <= n for e, t, n in zip(extra, taken, populations, strict=True))
    room = sum(populations) - sum(taken)
    assert sum(extra) <= budget and sum(extra) >= min(budget, room) - len(strata)


def test_neyman_gives_more_where_spread_is_larger() -> None:
    extra = neyman_allocation([10_000, 10_000, 40_000], [1.0, 4.0, 1.0], [10, 10, 10], 600)
    assert extra[1] > 3 * extra[0] and extra[2] > 3 * extra[0]


@pytest.mark.parametrize(("df", "exact"), [(1, 12.7062), (2, 4.3027), (3, 3.1824), (5, 2.5706),
                                           (10, 2.2281), (30, 2.0423), (math.inf, 1.95996)])
def test_t_quantile(df: float, exact: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(exact, abs=0.004)
    assert t_cdf(exact, df) == pytest.approx(0.975, abs=0.001)


def test_census_has_no_variance_and_sample_has_fpc() -> None:
    census = stratum_total(4, [1, 2, 3, 4])
    assert census.total == 10 and census.variance == 0
    part = stratum_total(100, [1.0, 3.0])
    assert part.total == 200 and part.variance == pytest.approx(100**2 * (1 - 2 / 100) * 2 / 2)
    both = combine([census, part])
    iv = both.interval(0.95)
    assert iv.estimate == 210 and iv.low >= 14  # never below what was measured
    assert both.probability_at_most(13) == 0 and both.probability_at_most(1e9) == pytest.approx(1, abs=1e-6)


def test_blocked_total_adds_blocks() -> None:
    t = blocked_total([(10, [1.0, 1.0]), (10, [5.0, 7.0])])
    assert t.total == 10 + 60 and t.variance == pytest.approx(10**2 * (1 - 2 / 10) * 2 / 2)  # only block 2 spreads


def test_allocation_spread_of_a_zoom_ignores_its_own_pilot() -> None:
    from fmtc_nb.estimate.sampling import allocation_spreads

    spreads = allocation_spreads([[0.0, 0.0, 0.0], [0.0, 10.0, 0.0, 10.0], [5.0, 5.0]])
    assert spreads[0] == pytest.approx(float(np.std([0, 10, 0, 10, 5, 5], ddof=1)))
    assert spreads[2] == pytest.approx(float(np.std([0, 0, 0, 0, 10, 0, 10], ddof=1)))
