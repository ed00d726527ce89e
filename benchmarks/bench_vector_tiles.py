"""The demo server's vector tiles: milliseconds to encode one tile (one thread, in this process), by kind of
tile, and what the first tile of each data band pays to load that band.

    .venv/bin/python benchmarks/bench_vector_tiles.py [--repeats 7]

Tiles: Switzerland at z5 and z8 (land, lakes, rivers, boundaries, places), a z8 coast tile and an open-sea z8
tile (the one ``ocean`` square). Each tile is encoded ``--repeats`` times with the tile cache cleared and the band
loaded; the band's loading is timed on the first tile after clearing the band cache. Writes
benchmarks/results/vector_tiles.json (medians, and every run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save_results  # noqa: E402

from fmtc_nb.tilemath import tile_at  # noqa: E402
from fmtc_nb.tileserver import basemap, mvt  # noqa: E402

PLACES = {"alps_z5": (8.2, 46.8, 5), "alps_z8": (8.2, 46.8, 8), "coast_z8": (-9.2, 38.7, 8),
          "open_sea_z8": (-150.0, -30.0, 8)}


def encode_ms(z: int, x: int, y: int) -> float:
    mvt.vector_tile.cache_clear()
    started = time.perf_counter()
    mvt.vector_tile(z, x, y)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    tiles = {name: tile_at(lon, lat, z) for name, (lon, lat, z) in PLACES.items()}
    first_tile_ms = {}
    for z in sorted({z for z, _, _ in tiles.values()}):
        name = next(n for n, t in tiles.items() if t[0] == z)
        basemap.band.cache_clear()
        first_tile_ms[f"z{z} ({basemap.band_name(z)} band)"] = round(encode_ms(*tiles[name]), 1)
    runs = {name: [round(encode_ms(*tile), 2) for _ in range(args.repeats)] for name, tile in tiles.items()}
    results = {
        "tiles": {name: list(tile) for name, tile in tiles.items()},
        "repeats": args.repeats,
        "encode_ms_median": {name: round(statistics.median(ms), 2) for name, ms in runs.items()},
        "encode_ms_every_run": runs,
        "first_tile_of_band_ms": first_tile_ms,
        "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "note": "one thread of a shared 2-core machine; the first-tile figures include loading the band's data.",
    }
    print(save_results("vector_tiles", results))
    print(results["encode_ms_median"], first_tile_ms)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
