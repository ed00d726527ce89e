"""Tiles fetched again per SIGKILL, against the parallelism used.

    .venv/bin/python benchmarks/bench_recovery.py            # parallel 2, 8, 32; 10 kills each (~3 min)
    .venv/bin/python benchmarks/bench_recovery.py --parallel 8 --kills 12

A real ``fmtc-nb download`` against the demo tile server (10 ms latency) on loopback is killed with SIGKILL
at random moments and right as the store's WAL grows (mid-flush), and resumed with ``fmtc-nb recovery
resume`` each time (the same harness as tests/recovery/test_sigkill.py). For each kill it counts the tiles
that run fetched but the store had not committed: those are fetched again. Every run also checks the
exactness the test asserts (hits per tile = 1 + kills that caught it; final store = the region's tiles).
Writes benchmarks/results/recovery.json (medians and worst per parallelism). ``--checkpoint-cost`` measures
only what ``JobTracker.batch_checkpoint`` + ``batch_done`` cost the store thread per 500-tile batch (tiles finishing out
of order within a 64-tile window, with 0, 1 and 10 % scattered failures) and updates that key of the file.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _common import load_results, save_results  # noqa: E402

from fmtc_nb.store import Root  # noqa: E402
from fmtc_nb.tileserver import start_server  # noqa: E402
from tests.recovery.killcycle import kill_cycles  # noqa: E402

REGION, LATENCY_S = "rect:-10,35,30,60", 0.01


def zooms_for(parallel: int) -> str:
    """Zooms that keep the job running through every kill at that parallelism (4,338 or 16,873 tiles)."""
    return "0-9" if parallel <= 8 else "0-10"


def measure(parallel: int, kills: int, seed: int) -> dict:
    """Kill-and-resume one job ``kills`` times at ``parallel``; refetch counts and exactness checks."""
    server = start_server(latency_s=LATENCY_S)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            result = kill_cycles(Path(tmp), server, REGION, zooms_for(parallel), parallel=parallel, kills=kills,
                                 seed=seed)
            with Root(tmp).open("k", readonly=True) as store:
                stored = {(r.z, r.x, r.y) for r in store.iter_tiles()}
    finally:
        server.stop()
    cover = result.cover
    expected = {t: 1 + sum(t in run.refetch for run in result.runs) for t in cover.tiles()}
    refetch = [len(run.refetch) for run in result.runs]
    by_mode = {mode: [len(r.refetch) for r in result.runs if r.mode == mode] for mode in ("random", "flush")}
    return {
        "parallel": parallel, "zooms": zooms_for(parallel), "tiles": cover.total, "kills": len(result.runs), "refetch_per_kill": refetch,
        "refetch_median": statistics.median(refetch), "refetch_worst": max(refetch),
        "refetch_median_random_kills": statistics.median(by_mode["random"]) if by_mode["random"] else None,
        "refetch_median_flush_kills": statistics.median(by_mode["flush"]) if by_mode["flush"] else None,
        "requested_per_killed_run_median": statistics.median(len(r.requested) for r in result.runs),
        "exact_hits": dict(result.hits) == expected, "store_exact": stored == set(cover.tiles()),
        "checkpoint_equals_store_at_every_kill": all(r.committed_after == r.stored_after for r in result.runs),
        "final_exit_code": result.final_code, "wall_s": round(time.monotonic() - started, 1),
    }


def checkpoint_cost(tiles: int = 200_000, batch: int = 500, window: int = 64) -> list[dict]:
    """Milliseconds per batch for what ``JobTracker.batch_checkpoint`` + ``batch_done`` do (copy the committed
    checkpoint, mark the batch, encode the text, adopt the copy after the commit) and the text's size."""
    from fmtc_nb.recovery import Checkpoint

    rows = []
    for fail_rate in (0.0, 0.01, 0.1):
        rnd = random.Random(1)
        order = list(range(tiles))
        for k in range(0, tiles, window):
            segment = order[k:k + window]
            rnd.shuffle(segment)
            order[k:k + window] = segment
        checkpoint, times, size = Checkpoint(), [], 0
        checkpoint.todo(tiles)
        for k in range(0, tiles, batch):
            failed = [(i, rnd.choice(["HTTP 404", "timeout"])) for i in order[k:k + batch] if rnd.random() < fail_rate]
            bad = {i for i, _ in failed}
            t0 = time.perf_counter()
            staged = checkpoint.copy()
            staged.mark([i for i in order[k:k + batch] if i not in bad], failed)
            size = len(staged.to_text())
            checkpoint = staged
            times.append((time.perf_counter() - t0) * 1e3)
        rows.append({"tiles": tiles, "failure_rate": fail_rate, "ms_per_batch_median": round(statistics.median(times), 3),
                     "ms_per_batch_worst": round(max(times), 2), "final_text_bytes": size})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--checkpoint-cost", action="store_true", help="only measure the checkpoint cost per batch")
    args = parser.parse_args()
    if args.checkpoint_cost:
        out = load_results("recovery")
        out["checkpoint_cost"] = checkpoint_cost()
        out["checkpoint_cost_command"] = "python benchmarks/bench_recovery.py --checkpoint-cost"
        print(f"wrote {save_results('recovery', out)}")
        return
    rows = []
    for parallel in args.parallel:
        row = measure(parallel, args.kills, args.seed)
        print(json.dumps({k: v for k, v in row.items() if k != "refetch_per_kill"}), flush=True)
        rows.append(row)
    out = {
        "benchmark": "tiles fetched again per SIGKILL of a real fmtc-nb download, resumed each time",
        "command": "python benchmarks/bench_recovery.py " + " ".join(sys.argv[1:]),
        "region": REGION,
        "server_latency_s": LATENCY_S, "batch_size": 500, "flush_interval_s": 1.0,
        "note": ("a kill loses at most the tiles in flight (<= parallel) plus the unflushed buffer "
                 "(<= flush_interval_s x tiles/s, <= batch_size); nothing committed is fetched again"),
        "by_parallel": rows, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"wrote {save_results('recovery', out)}")


if __name__ == "__main__":
    main()
