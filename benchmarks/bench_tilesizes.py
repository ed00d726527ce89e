"""The engine on realistic tile sizes (issue 22): 256 px PNG basemap tiles of about 10 KB and JPEG imagery tiles
of about 40 KB, with one shared sea tile as real basemaps have, served by Debian's nginx on loopback.

    .venv/bin/python benchmarks/bench_tilesizes.py                     # 5 alternating runs, MapProxy once
    .venv/bin/python benchmarks/bench_tilesizes.py --runs 3 --max-zoom 6 --no-mapproxy

Per pyramid and run, in one process and alternating which goes first: the engine (``Download`` with its
default options, ``parallel`` 8, into a fresh store) and a bare aiohttp loop (8 workers; every 500 tiles one
``executemany`` + commit into a plain MBTiles ``tiles`` table in WAL mode, inline on the event loop). Both are
timed on the wall clock from start to the last commit, and a 1-tile run of each is subtracted (start-up: store
creation, session). CPU is this process's CPU time (all threads: the engine's store thread is included) per tile
and per KB transferred. Then MapProxy's seeder (``mapproxy-seed -c 8``, from a separate venv, default
``.venv-mapproxy`` beside this checkout) seeds the same pyramid from the same nginx into an MBTiles cache; its
CPU is that of its processes (``RUSAGE_CHILDREN``). Results: ``benchmarks/results/tilesizes.json`` with the load
average; the machine has 2 shared cores, so compare figures within one run only.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import resource
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import BARE_BATCH, bare_loop, earlier_runs, load_results, save_results  # noqa: E402

from tests.estimate.pyramid import nginx_serving  # noqa: E402

WORLD = "rect:-180,-85.05,180,85.05"
PARALLEL = 8
MAPPROXY_VENV = Path(__file__).resolve().parents[1] / ".venv-mapproxy"
SEA_RGB = (170, 211, 223)


# -- pyramids ------------------------------------------------------------------------------------------------
def _basemap_png(detail: float, seed: int) -> bytes:
    """A basemap-like 256 px PNG: flat land, park and water areas with a share ``detail`` of noisy pixels
    (roads, labels); 0.008-0.026 gives about 8-15 KB."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:256, 0:256]
    field = np.sin(xx / (20 + seed % 7)) + np.cos(yy / (17 + seed % 5)) + 0.3 * np.sin((xx + yy) / 9)
    pixels = np.empty((256, 256, 3), np.uint8)
    pixels[:] = (242, 239, 233)
    pixels[field > 0.6] = (205, 235, 176)
    pixels[field < -0.9] = SEA_RGB
    noisy = rng.random((256, 256)) < detail
    pixels[noisy] = rng.integers(0, 256, (int(noisy.sum()), 3), dtype=np.uint8) // 32 * 32
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def _imagery_jpeg(grain: float, seed: int) -> bytes:
    """An imagery-like 256 px JPEG (quality 90): smooth colour fields plus Gaussian grain of ``grain`` levels;
    30-70 gives about 40-55 KB."""
    rng = np.random.default_rng(seed)
    low = Image.fromarray((rng.random((8, 8, 3)) * 255).astype(np.uint8)).resize((256, 256), Image.BICUBIC)
    pixels = np.clip(np.asarray(low, float) + rng.normal(0, grain, (256, 256, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def _plain(kind: str) -> bytes:
    """The one sea tile of a pyramid: plain water colour."""
    out = io.BytesIO()
    Image.new("RGB", (256, 256), SEA_RGB).save(out, kind, **({"quality": 90} if kind == "JPEG" else {}))
    return out.getvalue()


def _unique_png(png: bytes, text: str) -> bytes:
    """``png`` with a tEXt chunk before IEND: still a whole PNG, different from every other tile."""
    data = b"tile\x00" + text.encode()
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:-12] + chunk + png[-12:]


def _unique_jpeg(jpeg: bytes, text: str) -> bytes:
    """``jpeg`` with a COM segment after SOI: still a whole JPEG, different from every other tile."""
    data = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(data) + 2) + data + jpeg[2:]


@dataclass(frozen=True)
class PyramidKind:
    """How a pyramid's tiles are made: file extension, Pillow format, base bodies and their tagging."""

    name: str
    ext: str
    bases: Callable[[], list[bytes]]
    unique: Callable[[bytes, str], bytes]
    sea: Callable[[], bytes]


KINDS = {
    "png_10kb": PyramidKind("png_10kb", "png", lambda: [_basemap_png(d, i) for i, d in
                                                        enumerate(np.linspace(0.008, 0.026, 12))],
                            _unique_png, lambda: _plain("PNG")),
    "jpeg_40kb": PyramidKind("jpeg_40kb", "jpg", lambda: [_imagery_jpeg(g, i) for i, g in
                                                          enumerate(np.linspace(30, 70, 12))],
                             _unique_jpeg, lambda: _plain("JPEG")),
}


def is_land(z: int, x: int, y: int) -> bool:
    """A smooth made-up coastline over the tile's centre: about 80% of the tiles of z0-7 are land."""
    n = 1 << z
    lon = math.radians((x + 0.5) / n * 360 - 180)
    lat = math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n)))
    return math.sin(lon * 2 + 0.5) * math.cos(lat * 3) + 0.35 * math.sin((lon + lat) * 5) > -0.5


def build(root: Path, kind: PyramidKind, max_zoom: int) -> dict:
    """Write every land tile of z0..``max_zoom`` as its own file under ``root``/z/x/y.ext (each unique) and the
    sea tile as ``root``/sea.ext, which nginx answers for every other tile; returns sizes and counts."""
    bases, sea = kind.bases(), kind.sea()
    (root / f"sea.{kind.ext}").write_bytes(sea)
    tiles = land = total = 0
    for z in range(max_zoom + 1):
        for x in range(1 << z):
            folder = root / str(z) / str(x)
            folder.mkdir(parents=True)
            for y in range(1 << z):
                tiles += 1
                if is_land(z, x, y):
                    body = kind.unique(bases[(x * 7 + y * 13 + z) % len(bases)], f"{z}/{x}/{y}")
                    (folder / f"{y}.{kind.ext}").write_bytes(body)
                    land += 1
                    total += len(body)
                else:
                    total += len(sea)
    return {"tiles": tiles, "land_tiles": land, "sea_tiles": tiles - land, "sea_tile_bytes": len(sea),
            "mean_tile_kb": round(total / tiles / 1024, 2), "mean_land_tile_kb": round((total - (tiles - land) *
                                                                                         len(sea)) / land / 1024, 2),
            "total_mb": round(total / 2**20, 1)}


# -- the three downloaders -----------------------------------------------------------------------------------
def bare_run(template: str, max_zoom: int, folder: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, bytes) of the bare loop over z0..max_zoom into a new SQLite file in ``folder``."""
    tiles = [(z, x, y) for z in range(max_zoom + 1) for x in range(1 << z) for y in range(1 << z)]
    folder.mkdir()
    wall, cpu = time.perf_counter(), time.process_time()
    size = asyncio.run(bare_loop(template, tiles, PARALLEL, folder / "bare.mbtiles", BARE_BATCH))
    return time.perf_counter() - wall, time.process_time() - cpu, size


def engine_run(template: str, max_zoom: int, folder: Path) -> tuple[float, float, int]:
    """(wall s, CPU s, bytes) of a default ``Download`` (parallel 8) over z0..max_zoom into a store in ``folder``."""
    from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
    from fmtc_nb.regions import parse_region
    from fmtc_nb.source import TileSource

    job = DownloadJob(parse_region(WORLD), list(range(max_zoom + 1)), TileSource(template), "bench",
                      DownloadOptions(parallel=PARALLEL))
    wall, cpu = time.perf_counter(), time.process_time()
    snap = Download(job, folder).run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if snap.cached != snap.max_tiles or snap.failed:
        raise RuntimeError(f"the engine stored {snap.cached} of {snap.max_tiles} tiles ({snap.failed} failed)")
    return wall, cpu, snap.cached_bytes


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mapproxy_run(template: str, kind: PyramidKind, max_zoom: int, folder: Path) -> tuple[float, float, dict]:
    """(wall s, CPU s of its processes, check) of ``mapproxy-seed -c 8`` seeding z0..max_zoom of the nginx
    pyramid into an MBTiles cache; the check compares the cache with what nginx serves."""
    folder.mkdir()
    fmt = "image/png" if kind.ext == "png" else "image/jpeg"
    url = template.replace("{z}", "%(z)s").replace("{x}", "%(x)s").replace("{y}", "%(y)s")
    cache = folder / "mapproxy.mbtiles"
    (folder / "mapproxy.yaml").write_text(json.dumps({  # JSON is YAML
        "services": {"demo": None},
        "layers": [{"name": "bench", "title": "bench", "sources": ["bench_cache"]}],
        "caches": {"bench_cache": {"grids": ["GLOBAL_WEBMERCATOR"], "sources": ["bench_tiles"], "format": fmt,
                                   "cache": {"type": "mbtiles", "filename": str(cache)}}},
        "sources": {"bench_tiles": {"type": "tile", "url": url, "grid": "GLOBAL_WEBMERCATOR"}},
        "globals": {"http": {"client_timeout": 30}},
    }))
    (folder / "seed.yaml").write_text(json.dumps({
        "seeds": {"bench": {"caches": ["bench_cache"], "grids": ["GLOBAL_WEBMERCATOR"], "levels": {"to": max_zoom}}},
    }))
    seed = [str(MAPPROXY_VENV / "bin" / "mapproxy-seed"), "-f", str(folder / "mapproxy.yaml"),
            "-s", str(folder / "seed.yaml"), "-c", str(PARALLEL), "--seed", "ALL", "-q", "-q"]
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(seed, capture_output=True, text=True, timeout=3600, cwd=folder)
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"mapproxy-seed failed: {done.stderr[-2000:]}")
    db = sqlite3.connect(cache)
    tiles, size = db.execute("SELECT count(*), sum(length(tile_data)) FROM tiles").fetchone()
    db.close()
    return wall, cpu, {"tiles_in_cache": tiles, "bytes_in_cache": size}


# -- measuring -----------------------------------------------------------------------------------------------
def _median(values: list[float], digits: int = 1) -> float:
    return round(statistics.median(values), digits)


def measure(template: str, max_zoom: int, tmp: Path, runs: int, tiles: int) -> dict:
    """``runs`` alternating runs of the engine and the bare loop, each with its 1-tile start-up run."""
    samples: dict[str, dict[str, list[float]]] = {name: {"wall_s": [], "startup_s": [], "cpu_s": [], "bytes": [],
                                                         "load": []} for name in ("engine", "bare")}
    runners = {"engine": engine_run, "bare": bare_run}
    for i in range(runs):
        for name in (("bare", "engine") if i % 2 == 0 else ("engine", "bare")):
            startup = runners[name](template, 0, tmp / f"{name}{i}-start")[0]
            wall, cpu, size = runners[name](template, max_zoom, tmp / f"{name}{i}")
            load = round(os.getloadavg()[0], 2)
            for key, value in (("wall_s", wall), ("startup_s", startup), ("cpu_s", cpu), ("bytes", size), ("load", load)):
                samples[name][key].append(value)
            for folder in (tmp / f"{name}{i}-start", tmp / f"{name}{i}"):
                shutil.rmtree(folder)
            print(f"  run {i} {name}: {tiles / wall:.0f} tiles/s, {cpu / tiles * 1e6:.0f} µs CPU/tile, "
                  f"load {load:.1f}", flush=True)
    out: dict = {}
    for name, s in samples.items():
        rates = [(tiles - 1) / (w - st) for w, st in zip(s["wall_s"], s["startup_s"], strict=True)]
        out[name] = {
            "tiles_per_s": [round(r) for r in rates], "tiles_per_s_median": round(statistics.median(rates)),
            "tiles_per_s_raw_median": round(statistics.median(tiles / w for w in s["wall_s"])),
            "wall_s": [round(w, 2) for w in s["wall_s"]], "startup_s_median": _median(s["startup_s"], 3),
            "loadavg_1min_after_each_run": s["load"],
            "cpu_us_per_tile": [round(c / tiles * 1e6, 1) for c in s["cpu_s"]],
            "cpu_us_per_tile_median": _median([c / tiles * 1e6 for c in s["cpu_s"]]),
            "cpu_us_per_kb_median": _median([c * 1e6 / (b / 1024) for c, b in zip(s["cpu_s"], s["bytes"],
                                                                                  strict=True)], 2),
        }
    rate_ratios = [e / b for e, b in zip(out["engine"]["tiles_per_s"], out["bare"]["tiles_per_s"], strict=True)]
    out["ratio_engine_to_bare"] = round(out["engine"]["tiles_per_s_median"] / out["bare"]["tiles_per_s_median"], 3)
    out["ratio_per_run"] = [round(r, 3) for r in rate_ratios]
    out["ratio_per_run_median"] = round(statistics.median(rate_ratios), 3)
    out["cpu_ratio_bare_to_engine"] = round(out["bare"]["cpu_us_per_tile_median"] /
                                            out["engine"]["cpu_us_per_tile_median"], 3)
    return out


def run_summary(results: dict) -> dict:
    """The figures of the run in ``results`` that a rerun would overwrite: per pyramid the ratios, tiles/s and
    CPU medians and MapProxy's rate, with when and under which load it ran."""
    summary: dict = {"measured_utc": results.get("measured_utc"), "loadavg_before": results.get("loadavg_before"),
                     "runs": results.get("runs")}
    for name, entry in results.get("pyramids", {}).items():
        engine, bare = entry.get("engine", {}), entry.get("bare", {})
        summary[name] = {
            "ratio_engine_to_bare": entry.get("ratio_engine_to_bare"),
            "ratio_per_run_median": entry.get("ratio_per_run_median"),
            "engine_tiles_per_s_median": engine.get("tiles_per_s_median"),
            "bare_tiles_per_s_median": bare.get("tiles_per_s_median"),
            "engine_cpu_us_per_tile_median": engine.get("cpu_us_per_tile_median"),
            "bare_cpu_us_per_tile_median": bare.get("cpu_us_per_tile_median"),
            "mapproxy_seed_tiles_per_s": entry.get("mapproxy_seed", {}).get("tiles_per_s_median"),
            "loadavg_after": entry.get("loadavg_after")}
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="alternating runs of engine and bare loop")
    parser.add_argument("--max-zoom", type=int, default=7, help="pyramid z0..N of the whole world (7: 21,845)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="pyramids to run, comma-separated")
    parser.add_argument("--mapproxy-runs", type=int, default=1, help="mapproxy-seed runs per pyramid (0: none)")
    parser.add_argument("--no-mapproxy", dest="mapproxy_runs", action="store_const", const=0)
    args = parser.parse_args()
    if args.mapproxy_runs and not (MAPPROXY_VENV / "bin" / "mapproxy-seed").exists():
        parser.error(f"mapproxy-seed is not in {MAPPROXY_VENV}: python -m venv {MAPPROXY_VENV} && "
                     f"{MAPPROXY_VENV}/bin/pip install MapProxy (or run with --no-mapproxy)")
    results = load_results("tilesizes")
    if results.get("pyramids"):
        results["earlier_runs"] = earlier_runs(results, run_summary(results))
    results["measured_utc"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    results.update({"parallel": PARALLEL, "max_zoom": args.max_zoom, "runs": args.runs,
                    "loadavg_before": [round(v, 2) for v in os.getloadavg()], "pyramids": results.get("pyramids", {})})
    for name in args.kinds.split(","):
        kind = KINDS[name]
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            tmp.chmod(0o755)  # nginx workers started by root run as nobody
            (tmp / "pyramid").mkdir()
            shape = build(tmp / "pyramid", kind, args.max_zoom)
            print(f"{name}: {json.dumps(shape)}", flush=True)
            with nginx_serving(tmp / "pyramid", fallback=f"sea.{kind.ext}", ext=kind.ext) as template:
                entry = {"pyramid": shape, **measure(template, args.max_zoom, tmp, args.runs, shape["tiles"])}
                if args.mapproxy_runs:
                    walls, cpus = [], []
                    for i in range(args.mapproxy_runs):
                        wall, cpu, check = mapproxy_run(template, kind, args.max_zoom, tmp / f"mapproxy{i}")
                        walls.append(wall)
                        cpus.append(cpu)
                        shutil.rmtree(tmp / f"mapproxy{i}")
                        print(f"  mapproxy-seed {i}: {wall:.1f} s, {shape['tiles'] / wall:.0f} tiles/s, "
                              f"{check}", flush=True)
                    rate = shape["tiles"] / statistics.median(walls)
                    entry["mapproxy_seed"] = {
                        "concurrency": PARALLEL, "runs": args.mapproxy_runs, "wall_s": [round(w, 1) for w in walls],
                        "tiles_per_s_median": round(rate), "cpu_us_per_tile_median":
                            _median([c / shape["tiles"] * 1e6 for c in cpus]), **check,
                        "engine_speedup": round(entry["engine"]["tiles_per_s_raw_median"] / rate, 2)}
            entry["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
            earlier = results["pyramids"].get(name, {})
            earlier = earlier.get("mapproxy_seed") or earlier.get("mapproxy_seed_earlier_run")
            if not args.mapproxy_runs and earlier:  # kept, marked as another run's (its speedup is to that run's engine)
                entry["mapproxy_seed_earlier_run"] = earlier
            results["pyramids"][name] = entry
            save_results("tilesizes", results)
    results["note"] = ("tiles_per_s subtracts a 1-tile run's wall time (start-up); *_raw_median does not. CPU is "
                       "this process's CPU time (all threads) for engine and bare loop, the seeder processes' for "
                       "MapProxy. 2 cores shared with nginx and other work: compare within one run.")
    save_results("tilesizes", results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
