"""What the benchmarks share: their results files (``benchmarks/results/<name>.json``), the small-tile pyramid
served by Debian's nginx on loopback, and the bare aiohttp loop the engine is measured against.

Benchmarks run as scripts (``python benchmarks/bench_x.py``), so this folder is on ``sys.path`` and they
import ``from _common import ...``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import random
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def results_path(name: str) -> Path:
    """``benchmarks/results/<name>.json``."""
    return RESULTS_DIR / f"{name}.json"


def load_results(name: str) -> dict[str, Any]:
    """The results written last time (``{}`` if none), for a benchmark that updates some of its keys."""
    path = results_path(name)
    return json.loads(path.read_text()) if path.exists() else {}


#: Runs a results entry keeps of the runs before it (the figures are noisy on shared cores).
EARLIER_RUNS_KEPT = 8


def earlier_runs(previous: dict[str, Any], summary: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The ``earlier_runs`` of a results entry about to be replaced by a new run, newest first, at most
    :data:`EARLIER_RUNS_KEPT`: ``summary`` of the previous entry (default: that entry without its own earlier
    runs), then the runs it kept. Empty if there was no previous entry."""
    if not previous:
        return []
    kept = ("earlier_runs", "earlier_runs_today")
    last = summary if summary is not None else {k: v for k, v in previous.items() if k not in kept}
    return ([last] + [run for key in kept for run in previous.get(key, [])])[:EARLIER_RUNS_KEPT]


def save_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``results`` as indented JSON to ``benchmarks/results/<name>.json``; returns the path."""
    path = results_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


def _png(size: int, seed: int) -> bytes:
    from PIL import Image

    rnd = random.Random(seed)
    img = Image.frombytes("RGB", (size, size), bytes(rnd.getrandbits(8) for _ in range(size * size * 3)))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def make_pyramid(root: Path, zooms: range) -> int:
    """Tiles of mixed sizes (about 0.1 to 30 KB), hard-linked from a few distinct PNG files, and ``sea.png``
    for the tiles beyond (the --million run asks zoom 10 of a zoom-0 pyramid); returns the count."""
    bodies = [root / f"body{i}.png" for i in range(6)]
    for i, (path, size) in enumerate(zip(bodies, (4, 16, 32, 48, 64, 96), strict=True)):
        path.write_bytes(_png(size, i))
    count = 0
    for z in zooms:
        for x in range(1 << z):
            folder = root / str(z) / str(x)
            folder.mkdir(parents=True, exist_ok=True)
            for y in range(1 << z):
                os.link(bodies[(x * 7 + y * 13 + z) % len(bodies)], folder / f"{y}.png")
                count += 1
    (root / "sea.png").write_bytes(_png(8, 99))  # nginx_serving answers tiles beyond the pyramid with it
    return count


@dataclass(frozen=True)
class ServedPyramid:
    """The small-tile pyramid of :func:`make_pyramid` served by nginx: its URL template, the temporary folder
    (for stores), the tile count and the tiles as (z, x, y)."""

    template: str
    folder: Path
    count: int
    tiles: list[tuple[int, int, int]]


@contextlib.contextmanager
def served_pyramid(zooms: range) -> Iterator[ServedPyramid]:
    """:func:`make_pyramid` of ``zooms`` in a temporary folder, served by nginx on loopback (both removed at
    the end)."""
    from tests.estimate.pyramid import nginx_serving

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)  # nginx workers started by root run as nobody
        pyramid = folder / "pyramid"
        pyramid.mkdir()
        count = make_pyramid(pyramid, zooms)
        tiles = [(z, x, y) for z in zooms for x in range(1 << z) for y in range(1 << z)]
        with nginx_serving(pyramid) as template:
            yield ServedPyramid(template, folder, count, tiles)


#: Bodies the bare loop writes per transaction (the engine's default ``batch_size``).
BARE_BATCH = 500


async def bare_loop(template: str, tiles: list[tuple[int, int, int]], parallel: int,
                    db_path: Path | None = None, batch: int = BARE_BATCH) -> int:
    """The reference downloader: ``parallel`` plain aiohttp workers reading every body of ``tiles`` (an answer
    other than 200 raises). With ``db_path``, every ``batch`` bodies go into a plain MBTiles ``tiles`` table
    (WAL, synchronous NORMAL) with one ``executemany`` + commit, inline on the event loop; without, nothing is
    stored. Returns the bytes read."""
    db = None
    if db_path is not None:
        db = sqlite3.connect(db_path, isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, "
                   "tile_data BLOB, PRIMARY KEY (zoom_level, tile_column, tile_row))")
    pending: list[tuple[int, int, int, bytes]] = []
    size = 0

    def commit() -> None:
        if db is not None and pending:
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?)", pending)
            db.execute("COMMIT")
        pending.clear()

    todo = iter(tiles)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=parallel)) as session:
        async def worker() -> None:
            nonlocal size
            for z, x, y in todo:
                async with session.get(template.format(z=z, x=x, y=y)) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"HTTP {resp.status} for {z}/{x}/{y}")
                size += len(body)
                if db is not None:
                    pending.append((z, x, (1 << z) - 1 - y, body))
                    if len(pending) >= batch:
                        commit()

        await asyncio.gather(*(worker() for _ in range(parallel)))
    commit()
    if db is not None:
        stored = db.execute("SELECT count(*) FROM tiles").fetchone()[0]
        db.close()
        if stored != len(tiles):
            raise RuntimeError(f"the bare loop stored {stored} of {len(tiles)} tiles")
    return size
