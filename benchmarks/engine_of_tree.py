"""The engine of one source tree (this checkout, or an earlier commit extracted from git) downloading the world
at some zooms once, in a process of its own, so that two versions of the engine can be timed in one run.

    python benchmarks/engine_of_tree.py TREE TEMPLATE ROOT ZOOMS PARALLEL

TREE: the folder holding the ``fmtc_nb`` package to import; ZOOMS: the highest zoom (0 to ZOOMS are fetched).
The job is ``bench_engine.engine_run``'s, which imports the engine only when called, so the tree's engine runs;
it uses only the API the engine has had since its first version, so old trees run unchanged. A warm-up download
of zoom 0 runs first, so lazy imports and first-use costs stay outside the timed run. Prints one JSON line:
``tiles_per_s`` (wall clock from before the store is opened, as ``bench_network.py`` times the engine in its own
process) and ``cpu_us_per_tile`` (this process, every thread).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench_engine import engine_run  # puts this checkout first on sys.path: the tree goes before it below


def main() -> int:
    tree, template, root, top_zoom, parallel = sys.argv[1:6]
    sys.path.insert(0, tree)
    zooms = list(range(int(top_zoom) + 1))
    engine_run(template, [0], Path(root) / "warm-up", int(parallel))
    started, cpu = time.perf_counter(), time.process_time()
    snap = engine_run(template, zooms, Path(root) / "timed", int(parallel))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tiles = sum(4 ** z for z in zooms)
    if snap.cached != tiles or snap.failed:
        print(f"the engine of {tree} stored {snap.cached} of {tiles} tiles", file=sys.stderr)
        return 1
    print(json.dumps({"tiles_per_s": tiles / seconds, "cpu_us_per_tile": cpu / tiles * 1e6}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
