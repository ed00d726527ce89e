"""How honest are the estimates? Coverage of the 95% interval, relative error and requests used, against
loopback servers whose true totals are known exactly.

    .venv/bin/python benchmarks/bench_estimate.py          # about 10 minutes on 2 cores

Cases: the static test pyramid behind nginx (21,344 tiles, z0-10; 54% sea) at several sample sizes; a
harsher pyramid (78% sea); the embedded demo tile server for Greece and the Aegean (z0-11, truth fetched
tile by tile); and 500 seeded runs (default budget and 1,000 requests) of the same design on the pyramid read from disk (no HTTP: tighter
coverage figure, for both pyramids). Duration: the estimate at 16 parallel requests against a real fetch of every tile.
Writes benchmarks/results/estimate.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save_results  # noqa: E402

from fmtc_nb.cover import TileCover  # noqa: E402
from fmtc_nb.estimate import Measurement, estimate, estimate_with  # noqa: E402
from fmtc_nb.regions import parse_region  # noqa: E402
from fmtc_nb.tileserver import running_server  # noqa: E402
from tests.estimate.pyramid import REGION, SMALL_ISLANDS, ZOOMS, build_pyramid, nginx_serving  # noqa: E402
from tests.estimate.truth import fetch_truth  # noqa: E402

RUNS = 40


def score(estimates: list, transfer: int, storage: int) -> dict:
    """Coverage counts, relative errors and requests of seeded estimates against the truth."""
    errors = [abs(e.bytes.estimate / transfer - 1) for e in estimates]
    widths = [(e.bytes.high - e.bytes.low) / transfer for e in estimates]
    return {
        "runs": len(estimates),
        "covered": sum(e.bytes.low <= transfer <= e.bytes.high for e in estimates),
        "storage_covered": sum(e.storage_bytes.low <= storage <= e.storage_bytes.high for e in estimates),
        "median_relative_error": statistics.median(errors),
        "p90_relative_error": sorted(errors)[int(0.9 * len(errors))],
        "median_storage_relative_error": statistics.median(abs(e.storage_bytes.estimate / storage - 1)
                                                           for e in estimates),
        "median_interval_width_relative": statistics.median(widths),
        "requests_mean": statistics.mean(e.requests for e in estimates),
        "requests_max": max(e.requests for e in estimates),
    }


def seeded(region, zooms, url: str, samples: int | None, runs: int = RUNS) -> tuple[list, float]:
    started = time.perf_counter()
    out = [estimate(region, zooms, url, seed=s, samples=samples) for s in range(runs)]
    return out, (time.perf_counter() - started) / runs


def duration_check(region, zooms, url: str, pairs: int = 5) -> dict:
    """``pairs`` times: estimate the duration at 16 parallel requests, then fetch every tile at 16 parallel
    and time it. The machine is shared, so the speed of both moves with the load of the moment."""
    rows = []
    for seed in range(pairs):
        e = estimate(region, zooms, url, seed=seed, parallel=16)
        truth = fetch_truth(url, TileCover(region, zooms), parallel=16)
        rows.append({"estimate_s": e.duration_s.estimate, "low_s": e.duration_s.low, "high_s": e.duration_s.high,
                     "measured_full_fetch_s": truth.seconds,
                     "covered": e.duration_s.low <= truth.seconds <= e.duration_s.high})
    ratios = [r["measured_full_fetch_s"] / r["estimate_s"] for r in rows]
    return {"pairs": rows, "covered": sum(r["covered"] for r in rows), "median_measured_over_estimate":
            statistics.median(ratios), "min_ratio": min(ratios), "max_ratio": max(ratios)}


def pyramid_cases(islands, samples_list, label: str) -> dict:
    root = Path(tempfile.mkdtemp(prefix="fmtc-bench-pyramid-"))
    root.chmod(0o755)
    try:
        pyr = build_pyramid(root, islands) if islands else build_pyramid(root)
        out: dict = {"tiles": pyr.tiles, "land_share": pyr.land_tiles / pyr.tiles,
                     "transfer_bytes": pyr.transfer_bytes, "storage_bytes": pyr.storage_bytes, "by_samples": {}}
        with nginx_serving(root) as url:
            for samples in samples_list:
                estimates, seconds = seeded(REGION, ZOOMS, url, samples)
                out["by_samples"][str(samples or "default")] = score(estimates, pyr.transfer_bytes,
                                                                     pyr.storage_bytes) | {"seconds_per_estimate": seconds}
                print(label, samples, out["by_samples"][str(samples or "default")], flush=True)
            out["duration"] = duration_check(REGION, ZOOMS, url)
        out["offline_500_runs"] = offline_runs(root, pyr, 500)
        out["offline_500_runs_1000_samples"] = offline_runs(root, pyr, 500, samples=1000)
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def offline_runs(root: Path, pyr, runs: int, samples: int | None = None) -> dict:
    """The same design on the pyramid's files read from disk (no HTTP), for a tighter coverage figure."""
    sea = (root / "sea.png").read_bytes()

    async def measure(tiles):
        out = []
        for z, x, y in tiles:
            path = root / str(z) / str(x) / f"{y}.png"
            body = path.read_bytes() if path.exists() else sea
            out.append(Measurement(z, x, y, "ok", len(body), hashlib.blake2b(body, digest_size=16).digest(), 0.0, 1))
        return out

    cover = TileCover(REGION, ZOOMS)
    estimates = [asyncio.run(estimate_with(cover, measure, seed=s, samples=samples)) for s in range(runs)]
    return score(estimates, pyr.transfer_bytes, pyr.storage_bytes)


def demo_case() -> dict:
    region, zooms = parse_region("rect:19.0,34.5,29.5,42.0"), range(0, 12)
    with running_server() as server:
        duration = duration_check(region, zooms, server.url_template, pairs=1)  # first: renders not cached yet
        truth = fetch_truth(server.url_template, TileCover(region, zooms), parallel=8)
        estimates, seconds = seeded(region, zooms, server.url_template, None)
    return {"region": "rect:19.0,34.5,29.5,42.0", "zooms": "0-11", "tiles": truth.tiles,
            "transfer_bytes": truth.transfer_bytes, "storage_bytes": truth.storage_bytes,
            "default": score(estimates, truth.transfer_bytes, truth.storage_bytes) | {"seconds_per_estimate": seconds},
            "duration": duration}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, not a run
    results = {
        "confidence": 0.95,
        "pyramid": pyramid_cases(None, [None, 400, 1000, 2000], "pyramid"),
        "pyramid_78pct_sea": pyramid_cases(SMALL_ISLANDS, [None, 400, 1000], "harsh"),
        "demo_server_greece": demo_case(),
    }
    save_results("estimate", results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
