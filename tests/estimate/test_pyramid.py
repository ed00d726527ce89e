"""Estimates against a real static pyramid on loopback (nginx) whose true totals are known exactly."""

from __future__ import annotations

import statistics

from fmtc_nb.estimate import estimate
from tests.estimate.pyramid import REGION, ZOOMS, Pyramid

RUNS = 40


def test_interval_covers_truth_and_point_estimate_is_close(pyramid: Pyramid, pyramid_url: str) -> None:
    covered = storage_covered = 0
    errors, requests = [], []
    for seed in range(RUNS):
        e = estimate(REGION, ZOOMS, pyramid_url, seed=seed)
        assert e.tiles == pyramid.tiles
        covered += e.bytes.low <= pyramid.transfer_bytes <= e.bytes.high
        storage_covered += e.storage_bytes.low <= pyramid.storage_bytes <= e.storage_bytes.high
        errors.append(abs(e.bytes.estimate / pyramid.transfer_bytes - 1))
        requests.append(e.requests)
    assert covered >= 36, f"the 95% interval held the true total {covered} times of {RUNS}"
    assert storage_covered >= 36, f"the storage interval held the true storage {storage_covered} times of {RUNS}"
    assert statistics.median(errors) <= 0.10, f"median relative error {statistics.median(errors):.3f}"
    # default budget: about 1% of 21,344 tiles, at least 200 requests (no failures, so no retries)
    assert all(200 <= r <= 215 for r in requests), requests


def test_same_seed_same_estimate_and_sea_is_deduplicated(pyramid: Pyramid, pyramid_url: str) -> None:
    a = estimate(REGION, ZOOMS, pyramid_url, seed=7)
    b = estimate(REGION, ZOOMS, pyramid_url, seed=7)
    assert a.bytes == b.bytes and a.storage_bytes == b.storage_bytes
    # the sea tile repeats: storage is smaller than transfer, and the sea body is counted once
    assert a.storage_bytes.estimate < a.bytes.estimate
    sea_size = (pyramid.root / "sea.png").stat().st_size
    assert any(size == sea_size and len(zooms) > 1 for size, zooms in a.repeated_bodies.values())
    frame = a.per_zoom
    assert list(frame.index) == list(ZOOMS)
    assert frame.loc[0, "exact"] and frame.loc[0, "bytes"] == sea_size  # zoom 0 is one sea tile, measured
    assert not frame.loc[10, "exact"] and frame.loc[10, "duplicate_share"] > 0.2


def test_more_samples_narrow_the_interval(pyramid: Pyramid, pyramid_url: str) -> None:
    small = estimate(REGION, ZOOMS, pyramid_url, seed=3, samples=200)
    large = estimate(REGION, ZOOMS, pyramid_url, seed=3, samples=1600)
    assert large.requests > 4 * small.requests
    assert (large.bytes.high - large.bytes.low) < 0.6 * (small.bytes.high - small.bytes.low)
    assert large.bytes.low <= pyramid.transfer_bytes <= large.bytes.high


def test_whole_cover_within_budget_is_measured_exactly(pyramid: Pyramid, pyramid_url: str) -> None:
    e = estimate(REGION, range(0, 8), pyramid_url, seed=1, samples=10_000)
    assert all(z.exact for z in e.zooms)
    assert e.bytes.low == e.bytes.estimate == e.bytes.high
    assert e.requests == e.tiles
