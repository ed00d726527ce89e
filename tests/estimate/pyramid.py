"""A static tile pyramid with a known true total: unique land tiles of mixed sizes, one shared sea tile.

Land is a few discs ("islands") in the region; every land tile is its own file (a real PNG of one of a
dozen noise levels, made unique by a tEXt chunk naming the tile); every other tile is the same sea PNG,
served by nginx's ``try_files`` fallback. The true transfer total is the sum of all tile sizes, the true
storage total counts the sea tile once.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Rectangle

REGION = Rectangle(-12.0, 34.0, 32.0, 62.0)
ZOOMS = range(0, 11)
#: (lon, lat, radius in degrees) of the land discs: about 46% land, 54% sea
ISLANDS = ((-3.0, 53.0, 7.0), (14.0, 46.0, 10.0), (25.0, 58.0, 5.0), (0.0, 40.0, 4.0))
#: smaller discs for a harsher pyramid: about 22% land, 78% sea (benchmarks)
SMALL_ISLANDS = ((-3.0, 53.0, 5.0), (12.0, 45.0, 7.0), (25.0, 58.0, 3.5), (2.0, 40.0, 2.0))
Islands = tuple[tuple[float, float, float], ...]


def _png(noise_share: float, seed: int) -> bytes:
    """A 256x256 PNG: green with ``noise_share`` of its rows random noise (bigger share, bigger file)."""
    rng = np.random.default_rng(seed)
    pixels = np.zeros((256, 256, 3), dtype=np.uint8)
    pixels[:] = (110, 170, 90)
    rows = int(256 * noise_share)
    pixels[:rows] = rng.integers(0, 256, size=(rows, 256, 3), dtype=np.uint8) // 16 * 16
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def _with_text(png: bytes, text: str) -> bytes:
    """``png`` with a tEXt chunk inserted before IEND (still a valid PNG, unique per ``text``)."""
    data = b"tile\x00" + text.encode()
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    return png[:-12] + chunk + png[-12:]


def sea_png() -> bytes:
    """The one sea tile."""
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (170, 211, 223)).save(out, "PNG")
    return out.getvalue()


def detail_level(z: int, x: int, y: int, levels: int = 12, islands: Islands = ISLANDS) -> int | None:
    """None for sea; for land a detail level 0..levels-1, higher towards an island's centre (like a city),
    jittered by two levels either way."""
    n = 1 << z
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    for a, b, r in islands:
        d = math.hypot(lon - a, lat - b)
        if d <= r:
            jitter = (x * 7919 + y * 104729 + z * 1299709) % 5 - 2
            return min(levels - 1, max(0, round((1 - d / r) * (levels - 1)) + jitter))
    return None


@dataclass(frozen=True)
class Pyramid:
    """A pyramid on disk: ``root`` directory, true ``transfer_bytes`` and ``storage_bytes``, ``tiles``."""

    root: Path
    tiles: int
    land_tiles: int
    transfer_bytes: int
    storage_bytes: int


def build_pyramid(root: Path, islands: Islands = ISLANDS) -> Pyramid:
    """Write the land tiles of REGION at ZOOMS under ``root``/z/x/y.png plus ``root``/sea.png."""
    bases = [_png(share, i) for i, share in enumerate(np.linspace(0.0, 0.9, 12) ** 1.5)]
    sea = sea_png()
    (root / "sea.png").write_bytes(sea)
    cover = TileCover(REGION, ZOOMS)
    land = land_bytes = 0
    made: set[Path] = set()
    for z, x, y in cover.tiles():
        level = detail_level(z, x, y, len(bases), islands)
        if level is None:
            continue
        body = _with_text(bases[level], f"{z}/{x}/{y}")
        folder = root / str(z) / str(x)
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        (folder / f"{y}.png").write_bytes(body)
        land += 1
        land_bytes += len(body)
    sea_tiles = cover.total - land
    return Pyramid(root, cover.total, land, land_bytes + sea_tiles * len(sea), land_bytes + len(sea))


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def nginx_serving(root: Path, access_log: Path | None = None, fallback: str = "sea.png",
                  ext: str = "png") -> Iterator[str]:
    """nginx serving ``root`` on loopback, unknown tiles answered with ``fallback`` (a file in ``root``);
    yields the URL template of ``.ext`` tiles.

    With ``access_log``, every request is logged there as ``<epoch seconds with ms> <request uri>``.
    Connections are kept alive for any number of requests, so a client never re-sends a request on a
    connection nginx closed (aiohttp does that once), and the log counts each tile the client asked for."""
    port = free_port()
    root.chmod(0o755)  # nginx workers may run as another user
    work = Path(tempfile.mkdtemp(prefix="fmtc-nginx-"))
    conf = work / "nginx.conf"
    log = f"log_format hits '$msec $request_uri'; access_log {access_log} hits;" if access_log else "access_log off;"
    conf.write_text(
        f"worker_processes 1; pid {work}/nginx.pid; error_log {work}/error.log; daemon on;\n"
        "events { worker_connections 1024; }\n"
        f"http {{ {log} keepalive_requests 100000000; client_body_temp_path {work}; proxy_temp_path {work}; "
        f"fastcgi_temp_path {work}; uwsgi_temp_path {work}; scgi_temp_path {work};\n"
        f"  types {{ image/png png; image/jpeg jpg; }}\n"
        f"  server {{ listen 127.0.0.1:{port}; root {root}; location / {{ try_files $uri /{fallback}; }} }} }}\n")
    subprocess.run([shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-e", str(work / "error.log")],
                   check=True, capture_output=True)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.{ext}"
    finally:
        pid = int((work / "nginx.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)
