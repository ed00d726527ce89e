"""Source templates and field formats: the cost of ``TileSource.url`` per template kind (the engine calls it once
per tile), and export/import speed of GeoPackage and sqlitedb beside MBTiles.

    .venv/bin/python benchmarks/bench_formats.py                 # 100,000 tiles, 5 alternating runs
    .venv/bin/python benchmarks/bench_formats.py --tiles 20000 --runs 3

Writes benchmarks/results/formats.json with medians and the load average. ``url_us`` compares the template
kinds with the chained ``str.replace`` that ``TileSource.url`` was before templates got ``{q}``,
``{bbox-epsg-3857}`` and ``{api_key}`` (kept here as the baseline). Export and import runs alternate the
formats, so each format sees the same machine load on average.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import save_results
from PIL import Image

from fmtc_nb.source import TileSource
from fmtc_nb.store import Root, TileRecord
from fmtc_nb.store.export import export_store
from fmtc_nb.store.importer import import_file

Z = 17
FORMATS = ("mbtiles", "gpkg", "sqlitedb")


def baseline_url(template: str, z: int, x: int, y: int, sub: str) -> str:
    """``TileSource.url`` before issue 16 (XYZ/TMS only)."""
    return (template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{-y}", str((1 << z) - 1 - y))
            .replace("{y}", str(y)).replace("{s}", sub).replace("{r}", ""))


def url_costs(calls: int, runs: int) -> dict[str, float]:
    """Median microseconds per URL, per template kind."""
    templates = {"xyz": "https://tile.example/{z}/{x}/{y}.png",
                 "xyz_key": "https://tile.example/{z}/{x}/{y}.png?key={api_key}",
                 "quadkey": "https://tile.example/a{q}.jpeg",
                 "wms_bbox": "https://wms.example/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=a&STYLES=&"
                             "CRS=EPSG:3857&BBOX={bbox-epsg-3857}&WIDTH=256&HEIGHT=256&FORMAT=image%2Fpng"}
    samples: dict[str, list[float]] = {name: [] for name in ["baseline_xyz", *templates]}
    sources = {name: TileSource(t, api_key="k" if "{api_key}" in t else None) for name, t in templates.items()}
    for _ in range(runs):
        start = time.perf_counter()
        for i in range(calls):
            baseline_url(templates["xyz"], Z, i, i, "a")
        samples["baseline_xyz"].append((time.perf_counter() - start) / calls * 1e6)
        for name, source in sources.items():
            start = time.perf_counter()
            for i in range(calls):
                source.url(Z, i, i)
            samples[name].append((time.perf_counter() - start) / calls * 1e6)
    return {name: round(statistics.median(values), 3) for name, values in samples.items()}


def fill(root: Root, tiles: int) -> None:
    """A store of ``tiles`` distinct PNG tiles at zoom Z (a real 256-px PNG, made distinct by trailing bytes)."""
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (120, 160, 200)).save(out, "PNG")
    png = out.getvalue()
    with root.create("bench", "https://tile.example/{z}/{x}/{y}.png") as store:
        now = time.time()
        for start in range(0, tiles, 1000):
            store.put_tiles([TileRecord(Z, i % 4096, i // 4096, png + i.to_bytes(8, "big"), now)
                             for i in range(start, min(start + 1000, tiles))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url-calls", type=int, default=200_000)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results: dict[str, object] = {"tiles": args.tiles, "runs": args.runs, "load_average_before": round(load_before, 2)}
    results["url_us"] = url_costs(args.url_calls, args.runs)
    export_rate: dict[str, list[float]] = {f: [] for f in FORMATS}
    export_cpu: dict[str, list[float]] = {f: [] for f in FORMATS}
    import_rate: dict[str, list[float]] = {f: [] for f in FORMATS}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Root(Path(tmp) / "root")
        fill(root, args.tiles)
        for run in range(args.runs):
            for fmt in FORMATS:
                out = Path(tmp) / f"out-{run}.{fmt}"
                with root.open("bench", readonly=True) as store:
                    wall, cpu = time.perf_counter(), time.process_time()
                    count = export_store(store, fmt, out)
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                export_rate[fmt].append(count / wall)
                export_cpu[fmt].append(count / cpu if cpu else float("inf"))
                sizes[fmt] = out.stat().st_size
                wall = time.perf_counter()
                imported = import_file(root, out, name=f"back-{fmt}-{run}").tiles
                import_rate[fmt].append(imported / (time.perf_counter() - wall))
                root.delete(f"back-{fmt}-{run}")
                out.unlink()
    results["export_tiles_per_s"] = {f: round(statistics.median(v)) for f, v in export_rate.items()}
    results["export_tiles_per_cpu_s"] = {f: round(statistics.median(v)) for f, v in export_cpu.items()}
    results["import_tiles_per_s"] = {f: round(statistics.median(v)) for f, v in import_rate.items()}
    results["file_mb"] = {f: round(s / 1e6, 1) for f, s in sizes.items()}
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    path = save_results("formats", results)
    print(f"wrote {path}")
    for key, value in results.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
