"""The link to the phone: calls per second over the httpx client's kept connection against the old urllib client
(a new connection per call, as fmtc-nb used until issue 14), over plain HTTP and over TLS, and the time from a
job's progress on the (virtual) phone to the notebook panel's update.

    .venv/bin/python benchmarks/bench_link.py [--calls 400] [--runs 5]

Latency: a tile server in this process notes when it answered each tile request; the device panel (watching as
a task, as in a notebook) notes when it showed ``attempted = n``; the latency of that update is the time since
the server answered the n-th request. It spans the phone's progress cadence (at most ten snapshots a second),
the event stream, parsing and drawing. CLOCK_MONOTONIC is shared by the processes of one machine. Writes
benchmarks/results/link.json (medians of the runs, and p95 of the latencies).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import ssl
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save_results  # noqa: E402
from PIL import Image  # noqa: E402

from android_bridge.launcher import VirtualDeviceProcess  # noqa: E402
from fmtc_nb.device import pair  # noqa: E402
from fmtc_nb.regions import Rectangle  # noqa: E402


def old_client_call(url: str, token: str, context: ssl.SSLContext | None) -> dict:
    """One call as the urllib client made it: a new connection for each call."""
    request = urllib.request.Request(url + "/api/v1/device", headers={"Authorization": f"Bearer {token}",
                                                                      "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30, context=context) as response:  # noqa: S310
        return json.loads(response.read())


def calls_per_second(dev: VirtualDeviceProcess, config: Path, calls: int, runs: int) -> dict:
    client = pair(dev.url, dev.code, "bench", config)
    context = None
    if dev.url.startswith("https"):
        context = ssl.create_default_context(cadata=client.link.certificate)
        context.check_hostname = False
    kept, fresh = [], []
    with client:
        for _ in range(runs):  # alternating, so both see the same machine load
            start = time.perf_counter()
            for _ in range(calls):
                client.info()
            kept.append(calls / (time.perf_counter() - start))
            start = time.perf_counter()
            for _ in range(calls):
                old_client_call(dev.url, client.token, context)
            fresh.append(calls / (time.perf_counter() - start))
    return {"httpx_kept_connection": round(statistics.median(kept), 1),
            "urllib_new_connection": round(statistics.median(fresh), 1),
            "ratio": round(statistics.median(k / f for k, f in zip(kept, fresh, strict=True)), 2),
            "every_run": {"httpx": [round(x, 1) for x in kept], "urllib": [round(x, 1) for x in fresh]}}


class Tiles(BaseHTTPRequestHandler):
    """Every tile is one small PNG; the time of each answer is noted."""

    body = b""
    answered: list[float] = []
    lock = threading.Lock()

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)
        with self.lock:
            self.answered.append(time.monotonic())

    def log_message(self, *args: object) -> None:
        pass


def progress_latency(root: Path, rate: float) -> dict:
    from fmtc_nb.widgets import DevicePanel

    png = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 90, 160)).save(png, "PNG")
    Tiles.body, Tiles.answered = png.getvalue(), []
    tiles = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{tiles.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    dev = VirtualDeviceProcess(root / "latency").start()
    seen: list[tuple[int, float]] = []
    try:
        panel = DevicePanel(dev.url, tile_url=url, config_dir=root / "latency-config")
        panel.pair(dev.code, name="bench")
        shown = panel._show

        def noting() -> None:  # the panel's one drawing method: note when it drew which count
            shown()
            if panel.shown is not None:
                seen.append((panel.shown.attempted, time.monotonic()))

        panel._show = noting  # type: ignore[method-assign]

        async def watch() -> None:
            panel.dispatch(Rectangle(5.9, 45.8, 10.5, 47.8), "0-12", rate_limit=rate, parallel=4)
            panel.watch_task()
            await panel.finished(timeout=300)

        asyncio.run(watch())
    finally:
        dev.stop()
        tiles.shutdown()
    answered = sorted(Tiles.answered)
    latencies = [t - answered[n - 1] for n, t in seen if 0 < n <= len(answered)]
    latencies.sort()
    return {"events": len(latencies), "tiles": len(answered), "rate_limit": rate,
            "median_ms": round(1000 * statistics.median(latencies), 1),
            "p95_ms": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1),
            "max_ms": round(1000 * latencies[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0, help="tiles/s of the latency job")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fmtc-bench-link-") as tmp:
        root = Path(tmp)
        results: dict = {"calls_per_run": args.calls, "runs": args.runs}
        for kind, extra in (("plain_http", ()), ("tls", ("--tls",))):
            dev = VirtualDeviceProcess(root / kind, args=extra).start()
            try:
                results[kind] = calls_per_second(dev, root / f"{kind}-config", args.calls, args.runs)
            finally:
                dev.stop()
        results["progress_to_panel"] = progress_latency(root, args.rate)
    with open("/proc/loadavg") as f:
        results["load_average"] = f.read().split()[:3]
    print(json.dumps(results, indent=1))
    print("written", save_results("link", results))


if __name__ == "__main__":
    main()
