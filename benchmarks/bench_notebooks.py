"""Benchmark the reference notebooks: wall time of a full headless run (nbclient, kernel start to shutdown),
median of several runs each, against the two-minute target.

Run: ``.venv/bin/python benchmarks/bench_notebooks.py [--runs 3]`` -> ``benchmarks/results/notebooks.json``.
Each run gets a fresh FMTC_NB_ROOT. The machine is shared, so expect noise; the load average is recorded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from _common import save_results
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent / "notebooks"
TARGET_S = 120.0


def run_once(path: Path) -> float:
    """Seconds to execute the notebook at ``path`` top to bottom in a fresh kernel and root."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="fmtc-nb-bench-") as root:
        os.environ["FMTC_NB_ROOT"] = root
        started = time.perf_counter()
        NotebookClient(nb, timeout=TARGET_S, kernel_name="python3", resources={"metadata": {"path": root}}).execute()
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict = {"runs": args.runs, "unit": "seconds (median of runs, kernel start to shutdown)",
                     "target_s": TARGET_S, "python": sys.executable, "notebooks": {}}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        times = [run_once(path) for _ in range(args.runs)]
        results["notebooks"][path.name] = {"median_s": round(statistics.median(times), 1),
                                           "max_s": round(max(times), 1), "within_target": max(times) < TARGET_S}
        print(path.name, results["notebooks"][path.name], flush=True)
    results["load_average_1m"] = round(os.getloadavg()[0], 2)
    print("wrote", save_results("notebooks", results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
