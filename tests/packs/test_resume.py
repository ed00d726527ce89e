"""A pack download killed with SIGKILL and resumed through the recovery registry is exact: each store ends with
exactly its source's cover, and the only tiles fetched twice are those the kill caught in flight or unflushed
(fetched but not in the store's committed checkpoint); the style and resources are not fetched again. The resume
changes how tiles are fetched (``--parallel``, ``--rate-limit``, ``--retries``): the run keeps to them and they
are recorded with the pack job, as for a tile job."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter

from fmtc_nb.cover import TileCover
from fmtc_nb.recovery import Checkpoint, RecoveryRegistry
from fmtc_nb.regions import Rectangle
from fmtc_nb.tileserver import start_server

from .conftest import cli

REGION = Rectangle(5.0, 45.0, 11.0, 48.0)  # Switzerland and around: 44 vector tiles at z0-8, 368 raster at z0-10
ZOOMS = {"naturalearth": list(range(9)), "basemap": list(range(11))}
RESUME_RATE = 30.0  # tiles a second on resume: slower than the kill-time run's parallel 4 at 30 ms a tile


def cover_keys(zooms: list[int]) -> set[tuple[int, int, int]]:
    return set(TileCover(REGION, zooms).tiles())


def stored_keys(root, store: str) -> set[tuple[int, int, int]]:
    with root.open(store, readonly=True) as s:
        return {(r.z, r.x, r.y) for r in s.iter_tiles()}


def _committed(root, store: str, source: str, job_id: str) -> set[tuple[int, int, int]]:
    """Tiles the store's checkpoint of the job holds as finished."""
    with root.open(store, readonly=True) as s:
        text = s.read_checkpoint(job_id)
    cover = TileCover(REGION, ZOOMS[source])
    return {cover.tile_at(i) for i in Checkpoint.from_text(text).finished} if text else set()


def _raster_committed(root) -> bool:
    """True once the raster source's store holds a committed batch of the (only) job."""
    if not root.exists("alps.basemap"):
        return False
    with RecoveryRegistry(root) as registry:
        jobs = registry.jobs()
    return bool(jobs) and bool(_committed(root, "alps.basemap", "basemap", jobs[0].id))


def _hits(server) -> dict[str, Counter]:
    return {"naturalearth": Counter(server.app.vector.hits), "basemap": Counter(server.app.hits)}


def test_a_killed_pack_resumes_exactly(root):
    server = start_server(latency_s=0.03)
    try:
        popen = subprocess.Popen(cli("--root", str(root.path), "download", "rect:5,45,11,48", "--zoom", "0-10",
                                     "--style", server.style_url, "--store", "alps", "--parallel", "4", "--json"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not _raster_committed(root):  # killed during the second source (raster), once a batch is stored
            assert popen.poll() is None and time.monotonic() < deadline, popen.stderr.read() if popen.stderr else ""
            time.sleep(0.02)
        os.kill(popen.pid, signal.SIGKILL)
        popen.wait(30)
        popen.stderr.close()
        at_kill = _hits(server)
        with RecoveryRegistry(root) as registry:
            (info,) = registry.jobs()
        assert info.status == "failed" and info.store == "alps"
        committed = {sid: _committed(root, f"alps.{sid}", sid, info.id) for sid in ZOOMS}
        assert committed["naturalearth"] == cover_keys(ZOOMS["naturalearth"])  # the first source had finished
        assert set() < committed["basemap"] < cover_keys(ZOOMS["basemap"])  # killed mid-source, after a commit
        resources_at_kill = Counter(server.app.vector.resource_hits)

        started = time.monotonic()
        done = subprocess.run(cli("--root", str(root.path), "recovery", "resume", info.id, "--json", "--parallel", "2",
                                  "--rate-limit", str(RESUME_RATE), "--retries", "5"),
                              capture_output=True, text=True, timeout=300)
        took = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        fetched = sum(sum(_hits(server)[sid].values()) - sum(at_kill[sid].values()) for sid in ZOOMS)
        assert took >= (fetched - len(ZOOMS) * RESUME_RATE / 10) / RESUME_RATE  # each source's bucket: 0.1 s burst
        for sid, zooms in ZOOMS.items():
            assert stored_keys(root, f"alps.{sid}") == cover_keys(zooms)
            hits = _hits(server)[sid]
            assert set(hits) == cover_keys(zooms)  # nothing outside the cover was asked for
            refetch = set(at_kill[sid]) - committed[sid]
            assert dict(hits) == {tile: 2 if tile in refetch else 1 for tile in cover_keys(zooms)}
        assert Counter(server.app.vector.resource_hits) == resources_at_kill  # style, TileJSON, sprites, glyphs once
        assert all(n == 1 for n in resources_at_kill.values())
        with RecoveryRegistry(root) as registry:
            info = registry.get(info.id)
        total = sum(len(cover_keys(z)) for z in ZOOMS.values()) + 14
        assert (info.status, info.tiles_done, info.tiles_total, info.runs) == ("completed", total, total, 2)
        options = info.job().options
        assert (options.parallel, options.rate_limit, options.retries) == (2, RESUME_RATE, 5)  # a later resume too
    finally:
        server.stop()
