"""Store speed: batched writes of small tiles, single tile reads, and O(1) stats on a 1,000,000-tile store.

    .venv/bin/python benchmarks/bench_store.py               # 1,000,000 tiles (about a minute)
    .venv/bin/python benchmarks/bench_store.py --tiles 200000

Writes benchmarks/results/store.json. Targets: writes >= 50,000 tiles/s, read median < 0.2 ms, stats of the
1,000,000-tile store < 10 ms. The machine has 2 cores shared with other work: the load average is recorded,
and the CPU time of this process per tile (less sensitive to other load) is given beside the wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time

from _common import save_results

from fmtc_nb.store import Root, TileRecord

BATCH = 1000
Z = 20


def small_tile(i: int, duplicate: bool) -> bytes:
    """A ~120-byte tile body: unique per i, or the shared 'sea' body."""
    if duplicate:
        return b"\x89PNG\r\n\x1a\n" + b"sea" * 36
    return b"\x89PNG\r\n\x1a\n" + i.to_bytes(8, "big") * 14


def write_run(root: Root, name: str, tiles: int, duplicate_share: float) -> dict:
    """Write ``tiles`` tiles in batches of BATCH (one transaction each, with a checkpoint, as the engine does)."""
    rnd = random.Random(7)
    store = root.create(name, "http://tiles.example/{z}/{x}/{y}.png")
    rates, cpu_rates = [], []
    now = time.time()
    for b in range(tiles // BATCH):
        recs = [TileRecord(Z, x, b, small_tile(b * BATCH + x, rnd.random() < duplicate_share), now)
                for x in range(BATCH)]
        wall, cpu = time.perf_counter(), time.process_time()
        store.put_tiles(recs, checkpoint=("bench", str(b)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rates.append(BATCH / wall)
        cpu_rates.append(BATCH / cpu if cpu > 0 else float("inf"))
    stats = store.stats()
    store.close()
    tenth = max(len(rates) // 10, 1)
    return {"tiles": stats.tiles, "unique_blobs": stats.unique_blobs, "batch": BATCH,
            "duplicate_share": duplicate_share, "median_tiles_per_s": round(statistics.median(rates)),
            "first_tenth_median_tiles_per_s": round(statistics.median(rates[:tenth])),
            "last_tenth_median_tiles_per_s": round(statistics.median(rates[-tenth:])),
            "overall_tiles_per_s": round(len(rates) * BATCH / sum(BATCH / r for r in rates)),
            "median_tiles_per_cpu_s": round(statistics.median(r for r in cpu_rates if r != float("inf"))),
            "disk_mb": round(stats.disk_bytes / 1e6, 1)}


def read_run(root: Root, name: str, tiles: int, samples: int = 20000) -> dict:
    """Median time of one ``get_tile`` at random places (a new connection, as a reader process has)."""
    rnd = random.Random(11)
    rows = tiles // BATCH
    with root.open(name, readonly=True) as store:
        keys = [(Z, rnd.randrange(BATCH), rnd.randrange(rows)) for _ in range(samples)]
        for key in keys[:1000]:
            store.get_tile(*key)  # warm the page cache as a browsing reader would
        times = []
        for key in keys:
            t = time.perf_counter()
            data = store.get_tile(*key)
            times.append(time.perf_counter() - t)
            assert data is not None
        stats_times = []
        for _ in range(500):
            t = time.perf_counter()
            stats = store.stats()
            stats_times.append(time.perf_counter() - t)
    assert stats.tiles == tiles
    return {"read_samples": samples, "read_median_ms": round(statistics.median(times) * 1e3, 4),
            "read_p99_ms": round(sorted(times)[int(samples * 0.99)] * 1e3, 4),
            "stats_tiles": stats.tiles, "stats_median_ms": round(statistics.median(stats_times) * 1e3, 4),
            "stats_max_ms": round(max(stats_times) * 1e3, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=1_000_000)
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Root(tmp)
        unique = write_run(root, "unique", args.tiles, 0.0)
        reads = read_run(root, "unique", args.tiles)
        mixed = write_run(root, "mixed", min(args.tiles, 200_000), 0.5)
    results = {
        "command": "python benchmarks/bench_store.py" + (f" --tiles {args.tiles}" if args.tiles != 1_000_000 else ""),
        "writes_unique_small_tiles": unique, "writes_half_duplicates": mixed, "reads_and_stats": reads,
        "targets": {"write_tiles_per_s": 50000, "read_median_ms": 0.2, "stats_ms": 10},
        "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "note": "2 shared cores; each batch is one IMMEDIATE transaction with a checkpoint upsert, WAL, "
                "synchronous=NORMAL. Rates are medians over batches; per CPU second excludes waiting for the CPU.",
    }
    save_results("store", results)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
