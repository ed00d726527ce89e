"""The demo's main job (``fmtc-nb demo``: the example region z0-12 from the embedded tile server) with the
Natural Earth basemap renderer against the renderer it replaced, in the same run.

    .venv/bin/python benchmarks/bench_tileserver.py [--runs 5] [--old-ref 8b7f123]

The old renderer is the ``fmtc_nb/tileserver/render.py`` of git commit ``--old-ref`` (the 1:110m country fills),
loaded from git into this process; runs alternate old, new, old, new, ... Every run starts as a fresh process
would: empty tile caches and the renderer's data not yet loaded (so loading it counts). Besides the job's
seconds it records each renderer's milliseconds per tile by zoom (rendering alone, one thread) and the bytes
the job stored. Writes benchmarks/results/tileserver.json; the target is new/old <= 2 (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OLD_REF = "8b7f123"
"""The last commit whose renderer drew the 1:110m country fills."""


def old_renderer(ref: str) -> types.ModuleType:
    """``fmtc_nb/tileserver/render.py`` as it was at git commit ``ref``, as a module."""
    source = subprocess.run(["git", "show", f"{ref}:fmtc_nb/tileserver/render.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("old_render")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:render.py", "exec"), module.__dict__)
    return module


def fresh(old: types.ModuleType) -> None:
    """Forget every cache, as a new process would start: rendered tiles and loaded data of both renderers."""
    from fmtc_nb.tileserver import basemap, render, server

    server.cached_tile.cache_clear()
    render._metatile.cache_clear()
    for cache in (basemap.band, basemap.places, basemap._archive):
        cache.cache_clear()
    old._world.cache_clear()


def demo_job(seed: int) -> tuple[float, int, int]:
    """One `fmtc-nb demo` job in a fresh store: (seconds, tiles, stored blob bytes)."""
    from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
    from fmtc_nb.regions import example_region
    from fmtc_nb.source import TileSource
    from fmtc_nb.store import Root
    from fmtc_nb.tileserver import running_server

    with tempfile.TemporaryDirectory() as tmp, running_server(seed=seed) as server:
        job = DownloadJob(example_region(), list(range(13)), TileSource(server.url_template), "demo",
                          DownloadOptions(parallel=16))
        start = time.perf_counter()
        snap = Download(job, tmp).run()
        seconds = time.perf_counter() - start
        assert snap.cached == snap.max_tiles and snap.failed == 0, snap
        stats = Root(tmp).open("demo").stats()
        return seconds, snap.max_tiles, stats.blob_bytes


def render_ms_by_zoom(render: Callable[[int, int, int], bytes]) -> dict[int, float]:
    """Milliseconds per tile by zoom, rendering every tile of the demo cover once (caches already cold)."""
    from fmtc_nb.cover import TileCover
    from fmtc_nb.regions import example_region

    total: dict[int, float] = defaultdict(float)
    count: dict[int, int] = defaultdict(int)
    for z, x, y in TileCover(example_region(), range(13)).tiles():
        start = time.perf_counter()
        render(z, x, y)
        total[z] += time.perf_counter() - start
        count[z] += 1
    return {z: round(total[z] / count[z] * 1000, 3) for z in sorted(total)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="job runs per renderer (alternating)")
    parser.add_argument("--old-ref", default=OLD_REF, help="git commit of the old renderer")
    args = parser.parse_args()
    from fmtc_nb.tileserver import render, server

    old = old_renderer(args.old_ref)
    renderers = {"old": old.render_tile, "new": render.render_tile}
    seconds: dict[str, list[float]] = {"old": [], "new": []}
    stored: dict[str, int] = {}
    load_before = os.getloadavg()[0]
    for i in range(args.runs):
        for name, render_tile in renderers.items():
            fresh(old)
            server.render_tile = render_tile  # what server.cached_tile calls
            s, tiles, blob_bytes = demo_job(seed=i)
            seconds[name].append(s)
            stored[name] = blob_bytes
    server.render_tile = render.render_tile
    per_zoom = {}
    for name, render_tile in renderers.items():
        fresh(old)
        per_zoom[name] = render_ms_by_zoom(render_tile)
    medians = {name: statistics.median(v) for name, v in seconds.items()}
    results = {
        "job": "fmtc-nb demo: example region z0-12 from the embedded tile server, 16 requests at a time, fresh store",
        "tiles": tiles, "runs": args.runs, "old_ref": args.old_ref,
        "seconds": {name: [round(v, 2) for v in values] for name, values in seconds.items()},
        "seconds_median": {name: round(v, 2) for name, v in medians.items()},
        "ratio_new_over_old": round(medians["new"] / medians["old"], 2),
        "target_ratio_at_most": 2.0,
        "stored_blob_bytes": stored,
        "render_ms_per_tile_by_zoom": per_zoom,
        "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "note": "2 shared cores, server thread and downloader in one process as in `fmtc-nb demo`; each run "
                "starts with empty caches and unloaded renderer data (a fresh process). Compare the ratio.",
    }
    path = save_results("tileserver", results)
    print(json.dumps(results, indent=2))
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
