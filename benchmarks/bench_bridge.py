"""The device bridge under kills: tiles fetched again per SIGKILL of the virtual device, against the
parallelism and the measured speed (the issue's "a kill loses at most about a second of work").

    .venv/bin/python benchmarks/bench_bridge.py             # 2 parallelisms x 5 kills, about a minute

Each round dispatches one job to a virtual device (a real subprocess) fetching from the demo tile server
(in this process, so its per-tile hit counters are exact), SIGKILLs the device at a random moment 5 times,
restarts it (recovery resumes the job), and lets the job finish. Tiles fetched again after a kill are
attributed to that kill. Also measured: restart time to the first API answer, and the event rate of the
live progress stream. Writes benchmarks/results/bridge.json (medians and worst cases).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save_results  # noqa: E402

from android_bridge.config import BridgeConfig  # noqa: E402
from android_bridge.launcher import VirtualDeviceProcess  # noqa: E402
from fmtc_nb.cover import TileCover  # noqa: E402
from fmtc_nb.device import DeviceClient, pair  # noqa: E402
from fmtc_nb.regions import parse_region  # noqa: E402
from fmtc_nb.tileserver import start_server  # noqa: E402
from fmtc_nb.zooms import parse_zooms  # noqa: E402

REGION, ZOOMS = "rect:5.9,45.8,10.5,47.8", "0-13"
KILLS = 5


def refetched(server, tiles) -> int:
    hits = server.app.hits
    return sum(hits[t] - 1 for t in tiles if hits[t] > 1)


def one_round(parallel: int, server, workdir: Path, rng: random.Random) -> dict:
    tiles = list(TileCover(parse_region(REGION), parse_zooms(ZOOMS)).tiles())
    server.app.hits.clear()
    dev = VirtualDeviceProcess(workdir / f"p{parallel}").start()
    try:
        client = pair(dev.url, dev.code, "bench", workdir / f"p{parallel}-config")  # token kept in the scratch dir
        return _kill_cycles(dev, client, parallel, server, tiles, rng)
    finally:
        dev.stop()


def _kill_cycles(dev: VirtualDeviceProcess, client: DeviceClient, parallel: int, server, tiles: list,
                 rng: random.Random) -> dict:
    job_id = client.dispatch(REGION, ZOOMS, url=server.url_template, store="bench", parallel=parallel)["id"]
    per_kill, speeds, restarts, event_rates = [], [], [], []
    before = 0
    for kill in range(KILLS):
        start, events = time.monotonic(), 0
        wait = rng.uniform(0.8, 2.0)
        last = None
        for _name, data in client.events(job_id):
            events += 1
            last = data
            if time.monotonic() - start >= wait:
                break
        event_rates.append(events / (time.monotonic() - start))
        assert last is not None and "tiles_per_s" in last, f"the job ended before the kill: {last}"
        speeds.append(last["tiles_per_s"])
        dev.kill()
        now = refetched(server, tiles)  # refetches since the previous restart belong to the previous kill
        if kill:
            per_kill.append(now - before)
        before = now
        t0 = time.monotonic()
        dev.start()
        restarts.append(time.monotonic() - t0)
    final = client.watch(job_id)
    per_kill.append(refetched(server, tiles) - before)
    assert final["status"] == "completed" and final["tiles_done"] == len(tiles), final
    return {"parallel": parallel, "tiles": len(tiles), "kills": KILLS, "refetched_per_kill": per_kill,
            "refetched_median": statistics.median(per_kill), "refetched_worst": max(per_kill),
            "tiles_per_s_median": round(statistics.median(speeds), 1),
            "refetched_worst_in_seconds_of_work": round(max(per_kill) / statistics.median(speeds), 3),
            "restart_to_api_s_median": round(statistics.median(restarts), 3),
            "progress_events_per_s_median": round(statistics.median(event_rates), 2)}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # --help, not a run
    rng = random.Random(7)
    server = start_server(latency_s=0.01)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rounds = [one_round(p, server, Path(tmp), rng) for p in (4, 16)]
    finally:
        server.stop()
    out = {"benchmark": "bridge", "command": "python benchmarks/bench_bridge.py", "cpu_count": os.cpu_count(),
           "flush_interval_s": BridgeConfig.flush_interval_s, "batch_size": BridgeConfig.batch_size, "rounds": rounds}
    save_results("bridge", out)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
