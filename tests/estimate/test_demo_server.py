"""Estimates against the embedded demo tile server for a country-sized region (Greece and the Aegean)."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.estimate import estimate
from fmtc_nb.regions import parse_region
from fmtc_nb.tileserver import running_server
from tests.estimate.truth import fetch_truth

REGION = parse_region("rect:19.0,34.5,29.5,42.0")  # Greece, the Aegean and its islands
ZOOMS = range(0, 12)
RUNS = 40


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, int, int]]:
    """The server's URL and the true transfer and storage totals, found by fetching every tile once."""
    with running_server() as server:
        truth = fetch_truth(server.url_template, TileCover(REGION, ZOOMS), parallel=8)
        yield server.url_template, truth.transfer_bytes, truth.storage_bytes


def test_demo_server_interval_covers_truth(demo: tuple[str, int, int]) -> None:
    url, transfer, storage = demo
    assert storage < 0.9 * transfer  # the Aegean's sea tiles repeat
    covered = storage_covered = 0
    errors = []
    for seed in range(RUNS):
        e = estimate(REGION, ZOOMS, url, seed=seed)
        covered += e.bytes.low <= transfer <= e.bytes.high
        storage_covered += e.storage_bytes.low <= storage <= e.storage_bytes.high
        errors.append(abs(e.bytes.estimate / transfer - 1))
        assert e.requests <= 205
    assert covered >= 36, f"the 95% interval held the true total {covered} times of {RUNS}"
    assert storage_covered >= 36, f"the storage interval held the truth {storage_covered} times of {RUNS}"
    assert statistics.median(errors) <= 0.10, f"median relative error {statistics.median(errors):.3f}"


def test_storage_model_matches_a_real_store(demo: tuple[str, int, int], tmp_path) -> None:
    """Download the region into a real store: its byte counters are the truth the estimates aim at."""
    from fmtc_nb.engine import download
    from fmtc_nb.store import Root

    url, transfer, storage = demo
    snap = download(REGION, ZOOMS, url, "greece", tmp_path, parallel=8)
    stats = Root(tmp_path).open("greece").stats()
    assert snap.cached == stats.tiles == TileCover(REGION, ZOOMS).total
    assert stats.tile_bytes == transfer and stats.blob_bytes == storage
    e = estimate(REGION, ZOOMS, url, seed=0)
    assert e.storage_bytes.low <= stats.blob_bytes <= e.storage_bytes.high
