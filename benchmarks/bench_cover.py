"""Benchmark exact tile counting (Brazil, France, Norway z0-20) and streaming memory.

Run: ``.venv/bin/python benchmarks/bench_cover.py`` -> ``benchmarks/results/cover.json``.
Times are medians of several runs in seconds; the machine is shared, so expect noise.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import save_results

import fmtc_nb
from fmtc_nb.cover import TileCover
from fmtc_nb.regions import region_from_geojson

RUNS = 5
COUNTRIES = ("Brazil", "France", "Norway")
DATA = Path(fmtc_nb.__file__).parent / "data" / "naturalearth_110m_countries.geojson"

STREAM_CHILD = """
import resource, sys
from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Rectangle
cover = TileCover(Rectangle(4.0, 44.5, 13.0, 49.0), "0-17")
n = 0
for _ in cover.tiles():
    n += 1
# VmHWM is this process's own peak RSS; ru_maxrss would inherit the forking parent's peak across exec
hwm = [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(n, hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def country(name: str):
    features = json.loads(DATA.read_text())["features"]
    return region_from_geojson(next(f for f in features if f["properties"].get("name") == name))


def median_time(fn) -> float:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, not a run
    results: dict = {"runs": RUNS, "unit": "seconds (median)", "countries": {}}
    for name in COUNTRIES:
        region = country(name)
        per_zoom = {z: median_time(lambda z=z, r=region: TileCover(r, [z])) for z in range(21)}
        total = median_time(lambda r=region: TileCover(r, "0-20"))
        counts = TileCover(region, "0-20").counts
        results["countries"][name] = {
            "seconds_per_zoom": {str(z): round(t, 5) for z, t in per_zoom.items()},
            "seconds_total_z0_20": round(total, 4),
            "ratio_z20_over_z18": round(per_zoom[20] / per_zoom[18], 2),
            "tiles_z0_20": sum(counts.values()),
            "tiles_z20": counts[20],
        }
        print(
            name,
            f"total {total:.3f} s",
            f"z20/z18 {per_zoom[20] / per_zoom[18]:.2f}",
            f"tiles {sum(counts.values()):,}",
        )
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", STREAM_CHILD], capture_output=True, text=True, check=True)
    tiles, maxrss_kb = map(int, proc.stdout.split())
    results["streaming"] = {
        "region": "rect:4.0,44.5,13.0,49.0 z0-17",
        "tiles": tiles,
        "peak_rss_mb": round(maxrss_kb / 1024, 1),
        "measured_with": "VmHWM of the streaming subprocess (/proc/self/status), getrusage fallback",
        "seconds": round(time.perf_counter() - t, 2),
    }
    print("streaming", results["streaming"])
    results["bench_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("wrote", save_results("cover", results))


if __name__ == "__main__":
    main()
