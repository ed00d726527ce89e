"""Benchmark the bridge's bounded tile count (android_bridge.coverlimit) against counting a cover unbounded.

Run: ``.venv/bin/python benchmarks/bench_coverlimit.py`` -> ``benchmarks/results/coverlimit.json``.
Each case runs in its own subprocess, RUNS times; figures are medians: seconds, and the memory the count
added (the process's VmHWM at the end minus its VmRSS before counting, MB). ``bytes_per_crossing`` divides
that memory by ``row_crossings`` (the estimate the bridge checks before counting a zoom) where the count
added more than 50 MB (below that the figure is noise).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from _common import save_results

RUNS = 3

CHILD = """
import json, sys, time
from android_bridge.config import BridgeConfig
from android_bridge.coverlimit import bounded_total, row_crossings
from android_bridge.errors import BeyondDeviceLimits
from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Polygon, parse_region

def comb(teeth, west=-170.0, width=340.0):
    ring = [(west + width * k / (2 * teeth - 1), 80 if k % 2 == 0 else -80) for k in range(2 * teeth)]
    return Polygon([*ring, (west + width, -84.9), (west, -84.9)])

def status(field):
    return [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field)][0] / 1024

regions = {"comb40": comb(20), "thin400": comb(200, west=10.0, width=0.0005),
           "switzerland": parse_region("rect:5.9,45.8,10.5,47.8")}
mode, name, zooms = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
region = regions[name]
before = status("VmRSS:")
started = time.perf_counter()
if mode == "bounded":
    try:
        outcome = bounded_total(region, zooms, BridgeConfig("unused"))
    except BeyondDeviceLimits as exc:
        outcome = f"422: {exc}"
else:
    outcome = TileCover(region, zooms).total
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "added_mb": status("VmHWM:") - before, "outcome": outcome,
                  "crossings": row_crossings(region, max(zooms))}))
"""

CASES = [
    ("the issue's 40-vertex polygon at zoom 19, bounded (refused)", "bounded", "comb40", [19]),
    ("the same polygon at zoom 16, counted unbounded", "unbounded", "comb40", [16]),
    ("400 edges in one tile column at zoom 16, bounded (refused)", "bounded", "thin400", [16]),
    ("the same region at zoom 13, counted unbounded", "unbounded", "thin400", [13]),
    ("Switzerland z0-14, bounded (accepted)", "bounded", "switzerland", list(range(15))),
    ("Switzerland z0-14, counted unbounded", "unbounded", "switzerland", list(range(15))),
]


def run_case(mode: str, name: str, zooms: list[int]) -> dict:
    runs = []
    for _ in range(RUNS):
        proc = subprocess.run([sys.executable, "-c", CHILD, mode, name, json.dumps(zooms)], capture_output=True,
                              text=True, check=True, timeout=600)
        runs.append(json.loads(proc.stdout))
    added = statistics.median(r["added_mb"] for r in runs)
    return {"seconds": round(statistics.median(r["seconds"] for r in runs), 4), "added_mb": round(added, 1),
            "row_crossings_at_deepest_zoom": runs[0]["crossings"], "outcome": runs[0]["outcome"],
            "bytes_per_crossing": round(added * 2**20 / runs[0]["crossings"], 1) if mode == "unbounded" and added > 50 else None}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, not a run
    results: dict = {"runs": RUNS, "unit": "seconds and MB (medians)", "cases": {}}
    for title, mode, name, zooms in CASES:
        results["cases"][title] = case = run_case(mode, name, zooms)
        print(title, case)
    print("wrote", save_results("coverlimit", results))


if __name__ == "__main__":
    main()
