"""Kill a real ``fmtc-nb`` download with SIGKILL again and again, resuming it each time, and record what
every run fetched and what the store had committed at each kill. Used by the SIGKILL test and by
``benchmarks/bench_recovery.py``.

A kill lands either at a random moment ("random") or right when the store's WAL file starts to grow, that is
while a batch is being committed ("flush").
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fmtc_nb.cover import TileCover
from fmtc_nb.errors import StoreError
from fmtc_nb.recovery import Checkpoint, RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.store import Root

from .conftest import fmtc, fmtc_popen

Tile = tuple[int, int, int]


@dataclass
class KilledRun:
    """One run ended by SIGKILL: ``requested`` tiles it asked the server for, what the store's checkpoint held
    before it started and after the kill, and the tiles the store itself held after the kill."""

    mode: str
    requested: set[Tile]
    committed_before: set[Tile]
    committed_after: set[Tile]
    stored_after: set[Tile]
    registry_status: str
    registry_done: int

    @property
    def refetch(self) -> set[Tile]:
        """Tiles this run fetched that the store had not committed at the kill: they are fetched again."""
        return self.requested - self.committed_after


@dataclass
class KillResult:
    """Every killed run, the final (uninterrupted) run's exit code, the job id and the server's hit counts."""

    job_id: str
    cover: TileCover
    parallel: int
    runs: list[KilledRun] = field(default_factory=list)
    final_code: int | None = None
    final_stderr: str = ""
    hits: Counter[Tile] = field(default_factory=Counter)


def committed(root: Path, store: str, job_id: str | None, cover: TileCover) -> tuple[set[Tile], set[Tile]]:
    """(tiles the store's checkpoint for ``job_id`` says are finished, tiles the store holds)."""
    try:
        with Root(root).open(store, readonly=True) as opened:
            text = opened.read_checkpoint(job_id) if job_id else None
            stored = {(r.z, r.x, r.y) for r in opened.iter_tiles()}
    except StoreError:
        return set(), set()
    finished = Checkpoint.from_text(text).finished
    return {cover.tile_at(i) for i in finished}, stored


def _wal_state(path: Path) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (0, 0)
    return st.st_size, st.st_mtime_ns


def _wait_for(condition: Any, timeout: float, step: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def _settle(server: Any, quiet_s: float = 1.0) -> None:
    """Wait until the server has counted no new request for ``quiet_s`` (those still on the wire at a kill: on a
    loaded machine the server's loop may take several tenths of a second to read them, and a request counted in
    the next run's window would be blamed on the wrong run)."""
    seen, since = server.app.requests, time.monotonic()
    while time.monotonic() - since < quiet_s:
        time.sleep(0.02)
        if server.app.requests != seen:
            seen, since = server.app.requests, time.monotonic()


def _run_and_kill(root: Path, server: Any, args: list[str], mode: str, delay_s: float,
                  wal: Path) -> tuple[int, str] | None:
    """Start ``fmtc-nb ARGS``; once it fetches, wait ``delay_s`` (mode "random") or up to half of it and
    then for the WAL to change (mode "flush": the next flush), and SIGKILL it. (exit code, stderr) if it ended first."""
    start_requests = server.app.requests
    proc = fmtc_popen(root, *args)
    if not _wait_for(lambda: server.app.requests > start_requests or proc.poll() is not None, 60):
        proc.kill()
        raise AssertionError("the download made no request within 60 s")
    if mode == "random":
        time.sleep(delay_s)
    else:
        time.sleep(delay_s / 2)
        state = _wal_state(wal)
        _wait_for(lambda: _wal_state(wal) != state or proc.poll() is not None, 3.0, step=0.0005)
    if proc.poll() is not None:
        return proc.returncode, proc.communicate()[1]
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    return None


def kill_cycles(root: Path, server: Any, region: str, zooms: str, *, parallel: int, kills: int,
                seed: int = 0, min_delay_s: float = 0.2, max_delay_s: float = 2.6,
                rate_limit: float | None = None) -> KillResult:
    """Download ``region`` at ``zooms`` from ``server`` (the demo tile server in a thread) into store "k"
    under ``root``, SIGKILL it ``kills`` times (alternating random and in-flush moments, ``min_delay_s`` to
    ``max_delay_s`` after its first request, so runs span several flushes), resuming each time with
    ``fmtc-nb recovery resume``, then let the last resume finish. ``rate_limit`` (tiles/s) bounds what one run
    can fetch, so a fast machine cannot finish the job before every kill has landed."""
    rng = random.Random(seed)
    cover = TileCover(parse_region(region), zooms)
    wal = Path(str(Root(root).store_path("k")) + "-wal")
    download = ["download", region, "--zoom", zooms, "--url", server.url_template, "--store", "k",
                "--parallel", str(parallel), "--json"]
    if rate_limit is not None:
        download += ["--rate-limit", str(rate_limit)]
    result = KillResult("", cover, parallel)
    for k in range(kills):
        hits_before = Counter(server.app.hits)
        before, _ = committed(root, "k", result.job_id, cover)
        args = download if not result.job_id else ["recovery", "resume", result.job_id, "--json"]
        mode = "flush" if k % 2 else "random"
        ended = _run_and_kill(root, server, args, mode, rng.uniform(min_delay_s, max_delay_s), wal)
        if not result.job_id:
            with RecoveryRegistry(root) as registry:
                result.job_id = registry.jobs()[0].id
        if ended is not None:  # finished before the kill: that was the final run
            result.final_code, result.final_stderr = ended
            break
        _settle(server)
        after, stored = committed(root, "k", result.job_id, cover)
        with RecoveryRegistry(root) as registry:
            info = registry.get(result.job_id)
        requested = {t for t, n in server.app.hits.items() if n > hits_before[t]}
        result.runs.append(KilledRun(mode, requested, before, after, stored, info.status, info.tiles_done))
    if result.final_code is None:
        done = fmtc(root, "recovery", "resume", result.job_id, "--json", timeout=120)
        result.final_code, result.final_stderr = done.returncode, done.stderr
    result.hits = Counter(server.app.hits)
    return result
