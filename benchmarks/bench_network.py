"""Networks as they are (issue 15): HTTP/2 against a far server that allows few connections, the engine's
HTTP/1.1 cost on plain loopback nginx, and the duration estimate against a throttling server.

    .venv/bin/python benchmarks/bench_network.py                 # all three parts, a few minutes
    .venv/bin/python benchmarks/bench_network.py --part http2    # or: nginx, estimate

- http2: Debian's nginx speaking HTTP/2 and HTTP/1.1 over TLS (trustme certificate, 127.0.0.1) in front of an
  aiohttp tile server (a process of its own) adding 50 ms to every answer. The same tiles are downloaded by the
  engine over HTTP/1.1 (aiohttp, parallel 2: the 2 connections such a server allows) and over HTTP/2 (httpx, few
  connections, many streams), alternately, in the same run. nginx logs each request's protocol and connection number, so the
  figures show how many connections each run used.
- nginx: the engine over HTTP/1.1 against Debian's nginx on loopback (the small-tile pyramid of
  ``_common.served_pyramid``, shared with ``bench_engine.py``) vs the bare aiohttp loop storing into SQLite,
  and vs the same loop storing nothing, in turn in one run: the ratio of medians must stay >= 0.85 with the
  politeness layer in place. Each round also times this checkout's engine and the engine issue 15 was filed
  against (commit ENGINE_AT_FILING, extracted with git), each in a process of its own (engine_of_tree.py): "no
  slower than today". ``--placement apart`` runs it with this process on CPU 0 and nginx on CPU 1.
- estimate: 10 runs, each an estimate (a fresh seed) then the full download, against a server answering at
  most N requests a second (429 + Retry-After beyond); a run counts when the measured duration lies in the
  estimate's interval. Target: 9 of 10.

Writes benchmarks/results/network.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _common import earlier_runs, load_results, save_results, served_pyramid  # noqa: E402
from bench_engine import engine_run, timed_bare_loop  # noqa: E402

from fmtc_nb.engine import Download, DownloadJob, DownloadOptions  # noqa: E402
from fmtc_nb.estimate import estimate  # noqa: E402
from fmtc_nb.regions import parse_region  # noqa: E402
from fmtc_nb.source import TileSource  # noqa: E402
from fmtc_nb.zooms import parse_zooms  # noqa: E402
from tests.estimate.pyramid import free_port  # noqa: E402
from tests.netservers import Throttle, ThrottlingTileServer  # noqa: E402

WORLD = "rect:-180,-85,180,85"
#: The engine as it was when issue 15 asked for HTTP/1.1 on nginx "no slower than today": the last commit before
#: its work began (the nginx part times it against this checkout's engine, each in a process of its own).
ENGINE_AT_FILING = "584ccee10a3631828bd7f65429d3d068dc20bdaa"


def timed_download(template: str, zooms: str, root: Path, **options) -> tuple[float, object]:
    """Seconds to download ``zooms`` of the world from ``template`` into a fresh store, and the snapshot."""
    opts = DownloadOptions(skip_existing=False, retries=2, **options)
    job = DownloadJob(parse_region(WORLD), parse_zooms(zooms), TileSource(template), "bench", opts)
    started = time.perf_counter()
    snap = Download(job, root).run()
    return time.perf_counter() - started, snap


@contextlib.contextmanager
def nginx_http2(certfile: Path, keyfile: Path, upstream_port: int) -> Iterator[tuple[str, Path]]:
    """Debian's nginx speaking HTTP/2 and HTTP/1.1 over TLS on 127.0.0.1 in front of ``upstream_port`` (kept-alive
    HTTP/1.1 connections to it); yields the URL template and the log of every request's protocol and connection."""
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="fmtc-nginx-h2-"))
    work.chmod(0o755)
    conf = work / "nginx.conf"
    conf.write_text(
        f"worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log; daemon on;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ log_format seen '$server_protocol $connection'; access_log {work}/access.log seen;\n"
        f"  client_body_temp_path {work}; proxy_temp_path {work}; fastcgi_temp_path {work}; "
        f"uwsgi_temp_path {work}; scgi_temp_path {work}; keepalive_requests 100000000; http2_max_requests 100000000;\n"
        f"  upstream tiles {{ server 127.0.0.1:{upstream_port}; keepalive 256; }}\n"
        f"  server {{ listen 127.0.0.1:{port} ssl http2; ssl_certificate {certfile}; ssl_certificate_key {keyfile};\n"
        "    http2_max_concurrent_streams 256;\n"
        "    location / { proxy_pass http://tiles; proxy_http_version 1.1; proxy_set_header Connection \"\"; } } }\n")
    subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-e", str(work / "error.log")],
                   check=True, capture_output=True)
    try:
        wait_for_port(port)
        yield f"https://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png", work / "access.log"
    finally:
        os.kill(int((work / "nginx.pid").read_text()), signal.SIGTERM)
        time.sleep(0.2)
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def slow_upstream(latency_s: float) -> Iterator[int]:
    """A tile server on 127.0.0.1 adding ``latency_s`` to every answer, in a process of its own (a far server's
    CPU is not the client's: in this process it would share the client's GIL); yields its port."""
    code = ("import sys; from tests.netservers import Throttle, ThrottlingTileServer\n"
            f"with ThrottlingTileServer(Throttle(latency_s={latency_s!r})) as server:\n"
            "    print(server.port, flush=True); sys.stdin.read()")
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        server.communicate(timeout=10)


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)


def http2_part(runs: int, h2_parallel: int, zooms: str) -> dict:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    h1, h2, connections = [], [], {"http1.1": [], "http2": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        certfile, keyfile, bundle = tmpdir / "cert.pem", tmpdir / "key.pem", tmpdir / "ca.pem"
        cert.cert_chain_pems[0].write_to_path(str(certfile))
        cert.private_key_pem.write_to_path(str(keyfile))
        ca.cert_pem.write_to_path(str(bundle))
        for i in range(runs):
            for label, parallel, http2, out in (("http1.1", 2, False, h1), ("http2", h2_parallel, True, h2)):
                with slow_upstream(0.05) as upstream_port, \
                        nginx_http2(certfile, keyfile, upstream_port) as (template, log):
                    seconds, snap = timed_download(template, zooms, tmpdir / f"{label}{i}",
                                                   parallel=parallel, http2=http2, ca_bundle=str(bundle))
                    time.sleep(0.3)  # nginx writes its log
                    seen = [line.split() for line in log.read_text().splitlines()]
                assert snap.cached == snap.max_tiles and snap.failed == 0, snap
                assert {protocol for protocol, _ in seen} == {"HTTP/2.0" if http2 else "HTTP/1.1"}, seen[:3]
                out.append(snap.max_tiles / seconds)
                connections[label].append(len({connection for _, connection in seen}))
    return {"tiles": snap.max_tiles, "added_latency_s": 0.05, "runs": runs,
            "http1_parallel": 2, "http2_parallel": h2_parallel,
            "http1_tiles_per_s": [round(v, 1) for v in h1], "http2_tiles_per_s": [round(v, 1) for v in h2],
            "connections_used": connections,
            "http1_median": round(statistics.median(h1), 1), "http2_median": round(statistics.median(h2), 1),
            "ratio_of_medians": round(statistics.median(h2) / statistics.median(h1), 2), "target_ratio": 10,
            "loadavg_1m": round(os.getloadavg()[0], 2),
            "note": "nginx (HTTP/2 and HTTP/1.1 over TLS) in front of an aiohttp server adding 50 ms (a process of "
                    "its own), sharing 2 "
                    "cores with the client and other work; HTTP/1.1 is capped at 2 connections / 50 ms = 40 tiles/s "
                    "by design, HTTP/2 by CPU (httpx/h2 is pure Python). Seconds include opening the store."}


@contextlib.contextmanager
def store_discarding() -> Iterator[None]:
    """``Store.put_tiles`` does nothing inside: an engine run then pays for everything but its store's own work
    (batches, the writer thread, checkpoint texts and progress stay)."""
    from fmtc_nb.store.store import Store

    real = Store.put_tiles
    Store.put_tiles = lambda self, records, **kwargs: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        Store.put_tiles = real  # type: ignore[method-assign]


@contextlib.contextmanager
def tree_at(commit: str, folder: Path) -> Iterator[Path | None]:
    """This repository's files at ``commit``, extracted under ``folder`` with ``git archive`` (None when git or
    the commit is missing, as in a shallow clone or an unpacked wheel)."""
    tree = folder / commit[:12]
    tree.mkdir()
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    except (OSError, subprocess.CalledProcessError):
        yield None
    else:
        yield tree
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def engine_of_tree(tree: Path, template: str, root: Path, parallel: int) -> tuple[float, float]:
    """Tiles/s and CPU µs per tile of the engine in ``tree`` over the small-tile pyramid (zooms 0-7), run by
    ``engine_of_tree.py`` in a process of its own."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "engine_of_tree.py"), str(tree), template,
                          str(root), "7", str(parallel)], capture_output=True, text=True, check=True)
    timed = json.loads(out.stdout.strip().splitlines()[-1])
    return timed["tiles_per_s"], timed["cpu_us_per_tile"]


@contextlib.contextmanager
def placed_apart(template: str) -> Iterator[None]:
    """This process (and the threads and processes it starts from now on) on CPU 0 and the nginx serving
    ``template`` on CPU 1, as a client and a server on another machine would be; all CPUs again afterwards."""
    import psutil

    port = urllib.parse.urlsplit(template).port
    listeners = {c.pid for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port
                 and c.status == psutil.CONN_LISTEN and c.pid}
    masters = {psutil.Process(pid) for pid in listeners}
    parents = {process.parent() for process in masters}
    masters |= {parent for parent in parents if parent is not None and "nginx" in parent.name()}
    server = masters | {child for master in masters for child in master.children()}
    everywhere = os.sched_getaffinity(0)
    for process in server:
        process.cpu_affinity([1])
    os.sched_setaffinity(0, {0})
    try:
        yield
    finally:
        os.sched_setaffinity(0, everywhere)
        for process in server:
            with contextlib.suppress(psutil.Error):
                process.cpu_affinity(sorted(everywhere))


def nginx_part(runs: int, parallel: int, apart: bool = False) -> dict:
    """``runs`` rounds of the engine, the engine discarding what it would store, the bare loop storing into
    SQLite and the bare loop storing nothing, in turn (who goes first rotates), against nginx serving the
    small-tile pyramid; tiles/s, CPU µs per tile (this process, all threads) and the load average after each
    round (``apart``: this process on CPU 0, nginx on CPU 1, see :func:`placed_apart`). Each round also times
    this checkout's engine and the engine of :data:`ENGINE_AT_FILING`, each in a process of its own (when git
    can extract that commit)."""
    loads: list[float] = []
    load_before = os.getloadavg()[0]
    with served_pyramid(range(0, 8)) as served, tree_at(ENGINE_AT_FILING, served.folder) as filed, \
            (placed_apart(served.template) if apart else contextlib.nullcontext()):
        count = served.count

        def engine(i: int) -> float:  # wall clock from before the store is opened, as the bare loops are timed
            started = time.perf_counter()
            snap = engine_run(served.template, list(range(0, 8)), served.folder / f"root{i}", parallel)
            assert snap.cached == count and snap.failed == 0, snap
            return count / (time.perf_counter() - started)

        def engine_store_discarded(i: int) -> float:
            with store_discarding():
                return engine(i + 1000)

        def here(run: Callable[[int], float]) -> Callable[[int], tuple[float, float, float | None]]:
            """``run`` in this process: its tiles/s, then CPU µs per tile of the process and of this thread."""
            def timed(i: int) -> tuple[float, float, float | None]:
                started, started_here = time.process_time(), _thread_cpu_s()
                rate = run(i)
                return (rate, (time.process_time() - started) / count * 1e6,
                        (_thread_cpu_s() - started_here) / count * 1e6)
            return timed

        def in_a_process(tree: Path, tag: str) -> Callable[[int], tuple[float, float, float | None]]:
            return lambda i: (*engine_of_tree(tree, served.template, served.folder / f"{tag}{i}", parallel), None)

        runners = {"engine": here(engine), "engine_store_discarded": here(engine_store_discarded),
                   "bare_sqlite": here(lambda i: timed_bare_loop(served.template, served.tiles, parallel,
                                                                 served.folder / f"bare{i}.mbtiles")),
                   "bare_read_only": here(lambda i: timed_bare_loop(served.template, served.tiles, parallel))}
        if filed is not None:
            runners["engine_own_process"] = in_a_process(ROOT, "own")
            runners["engine_at_filing"] = in_a_process(filed, "filed")
        rates: dict[str, list[float]] = {name: [] for name in runners}
        cpu: dict[str, list[float]] = {name: [] for name in runners}
        loop_cpu: dict[str, list[float]] = {name: [] for name in runners}  # the event loop's thread, in this process
        names = list(runners)
        for i in range(runs):
            for name in names[i % len(names):] + names[:i % len(names)]:
                rate, process_cpu, thread_cpu = runners[name](i)
                rates[name].append(rate)
                cpu[name].append(process_cpu)
                if thread_cpu is not None:
                    loop_cpu[name].append(thread_cpu)
            loads.append(round(os.getloadavg()[0], 2))
        store_alone = [store_alone_cpu_us(served, served.folder / f"alone{i}") for i in range(runs)]
        logic_alone = [engine_logic_alone(served.folder / f"logic{i}", count) for i in range(runs)]
    median = {name: statistics.median(values) for name, values in rates.items()}
    return {"tiles": count, "parallel": parallel, "runs": runs,
            "engine_tiles_per_s": [round(v) for v in rates["engine"]],
            "engine_store_discarded_tiles_per_s": [round(v) for v in rates["engine_store_discarded"]],
            "bare_sqlite_tiles_per_s": [round(v) for v in rates["bare_sqlite"]],
            "bare_read_only_tiles_per_s": [round(v) for v in rates["bare_read_only"]],
            "medians": {name: round(v) for name, v in median.items()},
            "ratio_of_medians": round(median["engine"] / median["bare_sqlite"], 3),
            "ratio_to_read_only_loop": round(median["engine"] / median["bare_read_only"], 3), "target_ratio": 0.85,
            "ratio_to_read_only_loop_per_round": [round(e / b, 3) for e, b in zip(rates["engine"],
                                                                                  rates["bare_read_only"], strict=True)],
            "ratio_to_read_only_loop_median_of_rounds": round(statistics.median(
                e / b for e, b in zip(rates["engine"], rates["bare_read_only"], strict=True)), 3),
            "engine_store_discarded_to_read_only_loop": round(median["engine_store_discarded"]
                                                              / median["bare_read_only"], 3),
            "store_wall_us_per_tile": round(1e6 / median["engine"] - 1e6 / median["engine_store_discarded"], 1),
            "cpu_us_per_tile_median": {name: round(statistics.median(v), 1) for name, v in cpu.items()},
            "event_loop_thread_cpu_us_per_tile_median": {name: round(statistics.median(v), 1)
                                                         for name, v in loop_cpu.items() if v},
            **at_filing(rates),
            "store_alone_cpu_us_per_tile": [round(v, 1) for v in store_alone],
            "store_alone_cpu_us_per_tile_median": round(statistics.median(store_alone), 1),
            "engine_logic_alone_us_per_tile_median": {
                key: round(statistics.median(run[key] for run in logic_alone), 1)
                for key in ("event_loop_thread_cpu", "same_loop_without_engine_cpu", "wall")},
            "loadavg_1m_before": round(load_before, 2), "loadavg_1m_after_each_round": loads,
            "note": "the downloaders in turn each round (who goes first rotates), the first four in this process; "
                    "engine_own_process and engine_at_filing are this checkout's engine and the engine of "
                    "engine_at_filing_commit (the last commit before issue 15's work: its 'no slower than today'), "
                    "each run by benchmarks/engine_of_tree.py in a process of its own after a zoom-0 warm-up, "
                    "with the CPU of that whole process; the engine "
                    "stores into its own store (dedup, validation, checkpoints, one transaction per 1,000 tiles), "
                    "bare_sqlite into a plain MBTiles table (executemany + commit per 500 inline), bare_read_only "
                    "stores nothing; engine_store_discarded is the engine with Store.put_tiles doing nothing "
                    "(store_wall_us_per_tile: the wall time per tile its store's work adds, from the two medians). "
                    "ratio_of_medians is engine / bare_sqlite. store_alone: the engine's store "
                    "writing the same tiles (bodies read from the pyramid's files) in the engine's batches of "
                    "1,000 into a fresh store, no network: CPU of that thread (SQLite included) per tile. 2 cores "
                    "shared with nginx and other work: compare within one run. "
                    "ratio_to_read_only_loop_median_of_rounds: the median of each round's engine / bare_read_only "
                    "(pairs runs made seconds apart). event_loop_thread_cpu: CPU of the thread running the event "
                    "loop only (for the engine: without its store thread). engine_logic_alone: the engine's "
                    "run over the same tiles with its request replaced by an answer made at once (after one "
                    "turn of the event loop), storing into its store: what the engine itself costs the event "
                    "loop's thread per tile, against 16 workers that only take that one turn per tile."}


def at_filing(rates: dict[str, list[float]]) -> dict:
    """This checkout's engine against the engine of :data:`ENGINE_AT_FILING`, both in processes of their own,
    and that engine against the loop storing nothing: ratios of medians and the median of each round's ratio
    (when the commit could not be extracted, one entry saying so)."""
    if "engine_at_filing" not in rates:
        return {"engine_at_filing": f"not run: git could not extract {ENGINE_AT_FILING}"}
    own, filed, bare = rates["engine_own_process"], rates["engine_at_filing"], rates["bare_read_only"]
    return {"engine_at_filing_commit": ENGINE_AT_FILING,
            "engine_own_process_tiles_per_s": [round(v) for v in own],
            "engine_at_filing_tiles_per_s": [round(v) for v in filed],
            "engine_to_engine_at_filing": round(statistics.median(own) / statistics.median(filed), 3),
            "engine_to_engine_at_filing_median_of_rounds": round(statistics.median(
                o / f for o, f in zip(own, filed, strict=True)), 3),
            "engine_own_process_to_read_only_loop": round(statistics.median(own) / statistics.median(bare), 3),
            "engine_at_filing_to_read_only_loop": round(statistics.median(filed) / statistics.median(bare), 3)}


def engine_logic_alone(root: Path, count: int) -> dict[str, float]:
    """µs per tile of the engine over the small-tile pyramid's ``count`` tiles with ``fetch_tile`` answering
    at once after one turn of the event loop (no network, no aiohttp): the event loop's thread CPU and the wall
    time, and the CPU of 16 workers on one loop taking just that one turn per tile."""
    import asyncio

    from fmtc_nb.engine import downloader
    from fmtc_nb.engine.fetch import FetchResult

    body = b"\x89PNG\r\n\x1a\n" + bytes(200)  # passes the PNG check

    async def answered_at_once(*_args, **_kwargs) -> FetchResult:
        await asyncio.sleep(0)
        return FetchResult("ok", body, status=200)

    real = downloader.fetch_tile
    downloader.fetch_tile = answered_at_once
    try:
        wall, cpu = time.perf_counter(), _thread_cpu_s()
        snap = engine_run("http://127.0.0.1:9/{z}/{x}/{y}.png", list(range(0, 8)), root, 16)
        wall, cpu = time.perf_counter() - wall, _thread_cpu_s() - cpu
    finally:
        downloader.fetch_tile = real
    assert snap.cached == count, snap

    async def turns() -> None:
        todo = iter(range(count))

        async def worker() -> None:
            for _ in todo:
                await asyncio.sleep(0)

        await asyncio.gather(*(worker() for _ in range(16)))

    bare = _thread_cpu_s()
    asyncio.run(turns())
    bare = _thread_cpu_s() - bare
    return {"event_loop_thread_cpu": cpu / count * 1e6, "same_loop_without_engine_cpu": bare / count * 1e6,
            "wall": wall / count * 1e6}


def _thread_cpu_s() -> float:
    """CPU seconds (user + system) of the calling thread so far: the event loop's, as the engine's ``run`` and
    the bare loops run their loop in the calling thread (the engine's store thread is not in it)."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def store_alone_cpu_us(served, root: Path) -> float:
    """CPU µs per tile (this thread, SQLite included) of ``Store.put_tiles`` writing every tile of ``served``
    in batches of 1,000 with a checkpoint each, as the engine's store thread does, into a fresh store."""
    from fmtc_nb.store import Root, TileRecord

    folder = served.folder / "pyramid"
    records = [TileRecord(z, x, y, (folder / str(z) / str(x) / f"{y}.png").read_bytes(), time.time())
               for z, x, y in served.tiles]
    store = Root(root).open_or_create("alone", served.template)
    try:
        started = time.thread_time()
        for i in range(0, len(records), 1000):
            store.put_tiles(records[i:i + 1000], checkpoint=("bench", f"done up to {i + 1000}"))
        return (time.thread_time() - started) / len(records) * 1e6
    finally:
        store.close()


def estimate_part(runs: int, per_second: int, zooms: str) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(runs):
            with ThrottlingTileServer(Throttle(per_second=per_second)) as server:
                guess = estimate(parse_region(WORLD), zooms, server.url_template, seed=seed, parallel=8)
                seconds, snap = timed_download(server.url_template, zooms, Path(tmp) / f"run{seed}", parallel=8)
            assert snap.cached == snap.max_tiles and snap.failed == 0, snap
            iv = guess.duration_s
            rows.append({"seed": seed, "measured_s": round(seconds, 2), "estimate_s": round(iv.estimate, 2),
                         "low_s": round(iv.low, 2), "high_s": round(iv.high, 2),
                         "covered": iv.low <= seconds <= iv.high, "sample_requests": guess.requests,
                         "sample_throttles": guess.throttling.throttles if guess.throttling else 0,
                         "download_429": server.log.count(429)})
    return {"tiles": snap.max_tiles, "server_per_second": per_second, "parallel": 8, "runs": runs,
            "covered": sum(r["covered"] for r in rows), "target_covered": 9, "rows": rows}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["http2", "nginx", "estimate"], action="append")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--h2-parallel", type=int, default=64)
    parser.add_argument("--placement", choices=["shared", "apart"], default="shared",
                        help="nginx part: every process on any CPU (shared, results key 'nginx'), or this one on "
                             "CPU 0 and nginx on CPU 1 (apart, key 'nginx_apart')")
    args = parser.parse_args()
    parts = args.part or ["http2", "nginx", "estimate"]
    results = load_results("network")
    if "http2" in parts:
        results["http2"] = http2_part(args.runs, args.h2_parallel, "0-5")
        print("http2", results["http2"])
    if "nginx" in parts:
        key = "nginx_apart" if args.placement == "apart" else "nginx"
        earlier = earlier_runs(results.get(key, {}))
        results[key] = nginx_part(args.runs, 16, apart=args.placement == "apart")
        results[key]["placement"] = args.placement
        results[key]["measured_utc"] = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        results[key]["earlier_runs"] = earlier
        print(key, results[key])
    if "estimate" in parts:
        results["estimate"] = estimate_part(10, 100, "0-5")
        print("estimate", results["estimate"])
    save_results("network", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
