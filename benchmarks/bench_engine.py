"""Engine throughput against Debian's nginx on loopback, with a bare aiohttp loop as reference.

    .venv/bin/python benchmarks/bench_engine.py            # >= 20,000 tiles, 3 alternating runs each
    .venv/bin/python benchmarks/bench_engine.py --million  # RSS through a 1,000,000-tile job (minutes)
    .venv/bin/python benchmarks/bench_engine.py --demo     # the main job: example region z0-12, demo server

Writes benchmarks/results/engine.json (medians of tiles/s, their ratio, max RSS in MB). The machine has 2 cores
shared with nginx and other work, so figures are noisy; compare the ratio measured in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import bare_loop, load_results, save_results, served_pyramid  # noqa: E402

WORLD = "rect:-180,-85.05,180,85.05"


def timed_bare_loop(template: str, tiles: list[tuple[int, int, int]], parallel: int,
                    db_path: Path | None = None) -> float:
    """Tiles per second of :func:`_common.bare_loop` (storing into ``db_path`` if given)."""
    start = time.perf_counter()
    asyncio.run(bare_loop(template, tiles, parallel, db_path))
    return len(tiles) / (time.perf_counter() - start)


def engine_run(template: str, zooms: list[int], root: Path, parallel: int, on_progress=None):
    from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
    from fmtc_nb.regions import parse_region
    from fmtc_nb.source import TileSource

    root.mkdir(parents=True, exist_ok=True)
    job = DownloadJob(parse_region(WORLD), zooms, TileSource(template), "bench",
                      DownloadOptions(parallel=parallel, skip_existing=False, batch_size=1000))
    return Download(job, root, on_progress=on_progress).run()


def demo_run(runs: int) -> dict:
    """What ``fmtc-nb demo`` does (embedded tile server in a thread, example region z0-12, 16 requests at a
    time, a fresh store each run) plus the renderer alone: seconds per run and milliseconds per tile."""
    from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
    from fmtc_nb.regions import example_region
    from fmtc_nb.source import TileSource
    from fmtc_nb.tileserver import render_tile, running_server
    from fmtc_nb.tileserver.server import cached_tile

    seconds, render_ms = [], []
    for i in range(runs):
        cached_tile.cache_clear()  # every run renders every tile, as a fresh `fmtc-nb demo` process does
        with tempfile.TemporaryDirectory() as tmp, running_server(seed=i) as server:
            job = DownloadJob(example_region(), list(range(13)), TileSource(server.url_template), "demo",
                              DownloadOptions(parallel=16))
            start = time.perf_counter()
            snap = Download(job, tmp).run()
            seconds.append(time.perf_counter() - start)
            assert snap.cached == snap.max_tiles and snap.failed == 0, snap
        tiles = [(12, 2100 + k % 40, 1430 + k // 40) for k in range(400)]
        start = time.perf_counter()
        for z, x, y in tiles:
            render_tile(z, x, y)
        render_ms.append((time.perf_counter() - start) / len(tiles) * 1000)
    return {"tiles": snap.max_tiles, "runs": runs, "seconds": [round(v, 2) for v in seconds],
            "seconds_median": round(statistics.median(seconds), 2),
            "render_ms_per_z12_tile_median": round(statistics.median(render_ms), 3),
            "loadavg_1m": round(os.getloadavg()[0], 2)}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--million", action="store_true", help="memory run through 1,000,000+ tiles")
    parser.add_argument("--demo", action="store_true", help="time the main job (fmtc-nb demo) instead")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    results = load_results("engine")
    if args.demo:
        results["demo"] = demo_run(args.runs)
        save_results("engine", results)
        print(json.dumps(results["demo"], indent=2))
        return 0
    with served_pyramid(range(0, 1) if args.million else range(0, 8)) as served:
        template, tmpdir, count, zooms = served.template, served.folder, served.count, range(0, 8)
        if args.million:
            peak = [rss_mb()]
            last = [0.0]

            def watch(snap) -> None:
                if time.monotonic() - last[0] > 1:
                    last[0] = time.monotonic()
                    peak.append(rss_mb())

            snap = engine_run(template, [10], tmpdir / "root", args.parallel, watch)
            results["million"] = {"tiles": snap.cached, "tiles_per_s": round(snap.tiles_per_s),
                                  "rss_mb_start": round(peak[0], 1), "rss_mb_max": round(max(peak), 1),
                                  "rss_mb_samples": [round(p, 1) for p in peak[:: max(len(peak) // 20, 1)]]}
        else:
            tiles = served.tiles
            load_before = os.getloadavg()[0]
            bare, engine, bare_cpu, engine_cpu = [], [], [], []
            for i in range(args.runs):
                cpu = time.process_time()
                bare.append(timed_bare_loop(template, tiles, args.parallel))
                bare_cpu.append((time.process_time() - cpu) / count * 1e6)
                cpu = time.process_time()
                snap = engine_run(template, list(zooms), tmpdir / f"root{i}", args.parallel)
                engine_cpu.append((time.process_time() - cpu) / count * 1e6)
                assert snap.cached == count and snap.failed == 0, snap
                engine.append(snap.tiles_per_s)
            results["throughput"] = {
                "tiles": count, "parallel": args.parallel, "runs": args.runs,
                "bare_aiohttp_tiles_per_s": [round(v) for v in bare], "engine_tiles_per_s": [round(v) for v in engine],
                "bare_median": round(statistics.median(bare)), "engine_median": round(statistics.median(engine)),
                "ratio_of_medians": round(statistics.median(engine) / statistics.median(bare), 3),
                "cpu_us_per_tile_bare_median": round(statistics.median(bare_cpu), 1),
                "cpu_us_per_tile_engine_median": round(statistics.median(engine_cpu), 1),
                "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
                "note": "2 shared cores, nginx on the same machine: noisy; the engine's figure includes durable "
                        "SQLite commits (one transaction per 1,000 tiles). cpu_us_per_tile is this process's CPU "
                        "time (all threads, store included) per tile: less sensitive to other load.",
            }
    results["store_impl"] = sys.modules["fmtc_nb.store"].__file__  # the store the engine wrote to
    save_results("engine", results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
