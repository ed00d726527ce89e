"""The engine of one source tree (this checkout, or an earlier commit extracted from git) downloading the world
at some zooms once, in a process of its own, so that two versions of the engine can be timed in one run.

    python benchmarks/engine_of_tree.py TREE TEMPLATE ROOT ZOOMS PARALLEL

TREE: the folder holding the ``fmtc_nb`` package to import; ZOOMS: the highest zoom (0 to ZOOMS are fetched).
A warm-up download of zoom 0 runs first, so lazy imports and first-use costs stay outside the timed run. Prints
one JSON line: ``tiles_per_s`` (wall clock from before the store is opened, as ``bench_network.py`` times the
engine in its own process) and ``cpu_us_per_tile`` (this process, every thread).

Only the API the engine has had since its first version is used (``Download``, ``DownloadJob``,
``DownloadOptions``, ``parse_region``, ``TileSource``), so old trees run unchanged.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

WORLD = "rect:-180,-85,180,85"


def run(root: Path, template: str, top_zoom: int, parallel: int) -> object:
    """One download of zooms 0 to ``top_zoom`` into a fresh store under ``root``; returns the final snapshot."""
    from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
    from fmtc_nb.regions import parse_region
    from fmtc_nb.source import TileSource

    root.mkdir(parents=True, exist_ok=True)
    job = DownloadJob(parse_region(WORLD), list(range(top_zoom + 1)), TileSource(template), "bench",
                      DownloadOptions(parallel=parallel, skip_existing=False, batch_size=1000))
    return Download(job, root).run()


def main() -> int:
    tree, template, root, top_zoom, parallel = sys.argv[1:6]
    sys.path.insert(0, tree)
    run(Path(root) / "warm-up", template, 0, int(parallel))
    started, cpu = time.perf_counter(), time.process_time()
    snap = run(Path(root) / "timed", template, int(top_zoom), int(parallel))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tiles = sum(4 ** z for z in range(int(top_zoom) + 1))
    if snap.cached != tiles or snap.failed:  # type: ignore[attr-defined]
        print(f"the engine of {tree} stored {snap.cached} of {tiles} tiles", file=sys.stderr)  # type: ignore[attr-defined]
        return 1
    print(json.dumps({"tiles_per_s": tiles / seconds, "cpu_us_per_tile": cpu / tiles * 1e6}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
