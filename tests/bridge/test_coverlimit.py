"""Counting a job's tiles with bounded work (android_bridge.coverlimit): exact when the job fits, refused early
and cheaply when it does not, and the lower bound it relies on holds for every kind of region."""

from __future__ import annotations

import math
import random
import tracemalloc

import pytest

from android_bridge.config import BridgeConfig
from android_bridge.coverlimit import bounded_total, row_crossings
from android_bridge.errors import BeyondDeviceLimits
from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Circle, Corridor, MultiRegion, Polygon, Rectangle, parse_region


def comb(teeth: int, west: float = -170.0, width: float = 340.0) -> Polygon:
    """A polygon whose 2 * teeth edges each run from 80 N to 80 S."""
    ring = [(west + width * k / (2 * teeth - 1), 80 if k % 2 == 0 else -80) for k in range(2 * teeth)]
    return Polygon([*ring, (west + width, -84.9), (west, -84.9)])


REGIONS = {
    "rectangle": Rectangle(5.9, 45.8, 10.5, 47.8),
    "across the antimeridian": Rectangle(178, -18, -178, -15),
    "circle": Circle(8.0, 46.0, 30),
    "corridor": Corridor([(6.1, 46.2), (7.4, 46.9), (8.5, 47.4)], 2000),
    "polygon with a hole": Polygon([(5, 45), (11, 45), (11, 48), (5, 48)], [[(7, 46), (9, 46), (9, 47), (7, 47)]]),
    "several": MultiRegion([Circle(2.35, 48.85, 10), parse_region("rect:13.3,52.4,13.5,52.6")]),
}


@pytest.mark.parametrize("name", REGIONS)
@pytest.mark.parametrize("zooms", [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 9, 13], [14]])
def test_the_count_is_exact_when_the_job_fits(tmp_path, name, zooms):
    region = REGIONS[name]
    assert bounded_total(region, zooms, BridgeConfig(tmp_path)) == TileCover(region, zooms).total


def random_regions(seed: int) -> list:
    rng = random.Random(seed)
    lon, lat = rng.uniform(-170, 170), rng.uniform(-70, 70)
    star, n = [], rng.randint(3, 40)
    for k in range(n):  # a star around (lon, lat), small enough to stay simple in Web Mercator
        angle = 2 * math.pi * (k + rng.uniform(0, 0.3)) / n
        radius = rng.uniform(0.02, 0.3)
        star.append((lon + radius * math.cos(angle), lat + radius * math.sin(angle)))
    path = [(lon + rng.uniform(-1, 1), lat + rng.uniform(-1, 1)) for _ in range(rng.randint(2, 6))]
    return [Polygon(star), Circle(lon, lat, rng.uniform(0.05, 200)), Corridor(path, rng.uniform(5, 5000)),
            Rectangle(lon, lat, lon + rng.uniform(1e-4, 3), lat + rng.uniform(1e-4, 3))]


@pytest.mark.parametrize("seed", range(12))
def test_a_zoom_never_covers_fewer_tiles_than_a_shallower_one(seed):
    """The lower bound that lets a job be refused after counting shallow zooms only."""
    for region in random_regions(seed):
        counts = TileCover(region, range(0, 15)).counts
        assert all(counts[z] <= counts[z + 1] for z in range(14)), (region, counts)


def peak_bytes(call):
    tracemalloc.start()
    try:
        try:
            call()
        except BeyondDeviceLimits as exc:
            error = exc
        else:
            error = None
        return tracemalloc.get_traced_memory()[1], error
    finally:
        tracemalloc.stop()


def test_a_job_far_beyond_the_limit_is_refused_after_counting_shallow_zooms(tmp_path):
    region = comb(20)  # the 40-vertex polygon; at zoom 19 alone its cover takes gigabytes to count
    peak, error = peak_bytes(lambda: bounded_total(region, [19], BridgeConfig(tmp_path)))
    assert error is not None
    assert "covers at least" in str(error) and "limit of 2,000,000" in str(error)
    assert peak < 60e6, peak  # (its time is measured in benchmarks/bench_coverlimit.py)


def test_a_region_too_detailed_to_count_is_refused_before_counting(tmp_path):
    thin = comb(200, west=10.0, width=0.0005)  # 400 edges in one tile column: few tiles, gigabytes to count
    assert row_crossings(thin, 16) > 20_000_000
    config = BridgeConfig(tmp_path, max_cover_rows=100_000)
    peak, error = peak_bytes(lambda: bounded_total(thin, [16], config))
    assert error is not None and "too detailed for this device at zoom" in str(error)
    assert peak < 100_000 * 300, peak
    assert bounded_total(thin, [8], config) == TileCover(thin, [8]).total


def test_row_crossings_grow_at_most_twice_a_zoom_and_cover_every_kind(tmp_path):
    for region in [*REGIONS.values(), comb(5)]:
        estimates = [row_crossings(region, z) for z in range(0, 20)]
        assert all(0 < a <= b <= 2 * a + 16 for a, b in zip(estimates, estimates[1:], strict=False)), estimates
