"""Real parts for the sharded-download tests: nginx on loopback logging every request (the server-side count of
fetches and of requests per second), and a Dask LocalCluster of two single-threaded worker processes."""

from __future__ import annotations

import io
import logging
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.estimate.pyramid import nginx_serving


@dataclass
class TileServer:
    """nginx answering every tile with one small PNG; ``log`` holds ``<epoch s> /z/x/y.png`` per request."""

    url_template: str
    log: Path

    def requests(self) -> list[tuple[float, tuple[int, int, int]]]:
        """(time, tile) of every tile request so far, in log order."""
        out = []
        for line in self.log.read_text().splitlines():
            stamp, uri = line.split(" ", 1)
            parts = uri.strip("/").removesuffix(".png").split("/")
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                z, x, y = (int(p) for p in parts)
                out.append((float(stamp), (z, x, y)))
        return out

    def hits(self) -> Counter[tuple[int, int, int]]:
        """Requests per tile."""
        return Counter(tile for _, tile in self.requests())

    def clear(self) -> None:
        """Forget the requests so far (nginx keeps appending to the same file)."""
        self.log.write_text("")


@pytest.fixture
def tile_server() -> Iterator[TileServer]:
    with tempfile.TemporaryDirectory(prefix="fmtc-scale-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        pyramid = folder / "pyramid"
        pyramid.mkdir()
        body = io.BytesIO()
        Image.new("RGB", (8, 8), (90, 140, 60)).save(body, "PNG")
        (pyramid / "sea.png").write_bytes(body.getvalue())  # nginx answers every tile with it
        log = folder / "access.log"
        with nginx_serving(pyramid, access_log=log) as url:
            yield TileServer(url, log)


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A client of a LocalCluster with 2 worker processes (1 thread each) on 127.0.0.1, as ``local:2`` makes."""
    import dask
    from distributed import Client, LocalCluster

    from fmtc_nb.scale.cluster import LOCAL_LOCKS

    with dask.config.set(LOCAL_LOCKS):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
