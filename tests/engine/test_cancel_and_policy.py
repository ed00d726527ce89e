"""Issue 21 items 5 (engine half) and 10: a cancel never waits for the rate limiter, and the bulk-download
refusal for tile.openstreetmap.org holds for every host a request can reach, after normalising."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver

from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.fetch import fetch_tile
from fmtc_nb.errors import PolicyError
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource, check_bulk_url
from fmtc_nb.zooms import parse_zooms

WORLD = "rect:-180,-85,180,85"


def make_job(url: str, **options: object) -> DownloadJob:
    return DownloadJob(parse_region(WORLD), parse_zooms("0-4"), TileSource(url), "s", DownloadOptions(**options))


def test_cancel_from_another_thread_at_a_slow_rate_ends_at_once(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    download = Download(make_job(server.url_template, rate_limit=0.01, parallel=4), tmp_path)
    download.start()
    deadline = time.monotonic() + 30
    while sum(server.hits.values()) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # every worker now waits ~100 s for its next token
    started = time.monotonic()
    download.cancel()
    final = download.wait(10)
    assert time.monotonic() - started < 2 and final.status == "cancelled"
    assert final.attempted == sum(server.hits.values()) == final.flushed  # the finished tile is stored


def test_ctrl_c_with_rate_limit_0_01_acts_at_once(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    proc = subprocess.Popen([sys.executable, "-m", "fmtc_nb", "--root", str(tmp_path), "download", WORLD, "--zoom",
                             "0-4", "--url", server.url_template, "--store", "s", "--rate-limit", "0.01", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while sum(server.hits.values()) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 3 and "Traceback" not in err


@pytest.mark.parametrize(("template", "subdomains"), [
    ("https://tile.openstreetmap.org./{z}/{x}/{y}.png", ("a", "b", "c")),
    ("https://tile.openstreetmap.org../{z}/{x}/{y}.png", ("a", "b", "c")),
    ("https://TILE.OpenStreetMap.ORG:443/{z}/{x}/{y}.png", ("a", "b", "c")),
    ("https://{s}.openstreetmap.org/{z}/{x}/{y}.png", ("a", "tile")),
    ("https://{s}/{z}/{x}/{y}.png", ("tiles.example.org", "tile.openstreetmap.org")),
    ("https://ｔｉｌｅ．openstreetmap．org/{z}/{x}/{y}.png", ("a", "b", "c")),
    ("https://user:pw@a.tile.openstreetmap.org./{z}/{x}/{y}.png", ("a", "b", "c")),
])
def test_osm_refused_after_normalising_every_host(template, subdomains):
    with pytest.raises(PolicyError, match="forbids bulk"):
        TileSource(template, subdomains=subdomains).check_bulk_allowed()


def test_other_hosts_stay_allowed():
    TileSource("https://{s}.tile.example.org/{z}/{x}/{y}.png").check_bulk_allowed()
    TileSource("https://tile.openstreetmap.org.example.com/{z}/{x}/{y}.png").check_bulk_allowed()
    TileSource("https://nottile.openstreetmap.org/{z}/{x}/{y}.png").check_bulk_allowed()


class LoopbackResolver(AbstractResolver):
    """Resolves every name to 127.0.0.1, so a redirect to any host stays on this machine."""

    async def resolve(self, host, port=0, family=socket.AF_INET):
        return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": socket.AF_INET, "proto": 0,
                 "flags": socket.AI_NUMERICHOST}]

    async def close(self):
        pass


def test_a_redirect_to_osm_is_refused_before_it_is_followed(fault_server):
    osm = fault_server(lambda z, x, y, n: "ok")  # stands in for tile.openstreetmap.org (resolved to loopback)
    hop = f"http://tile.openstreetmap.org.:{osm.port}/0/0/0.png"
    origin = fault_server(lambda z, x, y, n: f"redirect:{hop}")

    async def fetch():
        connector = aiohttp.TCPConnector(resolver=LoopbackResolver())
        async with aiohttp.ClientSession(connector=connector) as session:
            return await fetch_tile(session, origin.url_template.format(z=0, x=0, y=0), None,
                                    allowed=check_bulk_url)

    with pytest.raises(PolicyError, match="forbids bulk"):
        asyncio.run(fetch())
    assert sum(origin.hits.values()) == 1 and sum(osm.hits.values()) == 0


def test_redirects_elsewhere_are_followed(fault_server):
    target = fault_server(lambda z, x, y, n: "ok")
    origin = fault_server(lambda z, x, y, n: f"redirect:{target.url_template.format(z=z, x=x, y=y)}")

    async def fetch():
        async with aiohttp.ClientSession() as session:
            return await fetch_tile(session, origin.url_template.format(z=1, x=0, y=1), None, allowed=check_bulk_url)

    assert asyncio.run(fetch()).kind == "ok" and target.hits[(1, 0, 1)] == 1


def test_a_download_redirected_to_osm_stops_with_the_policy_sentence(fault_server, tmp_path):
    origin = fault_server(lambda z, x, y, n: "redirect:https://tile.openstreetmap.org./0/0/0.png")
    download = Download(make_job(origin.url_template, retries=0), tmp_path)
    with pytest.raises(PolicyError, match="forbids bulk"):
        download.run()
    assert download.snapshot.status == "failed" and "forbids bulk" in download.reason


@pytest.mark.parametrize(("text", "words"), [
    ('{"type": "GeometryCollection", "geometries": [' * 400
     + '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}' + "]}" * 400, "16 deep"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1e400, 0], [1, 1], [0, 0]]]}', "not finite"),
    ('{"type": "Polygon", "coordinates": [[[0, 0], [1' + "0" * 400 + ', 0], [1, 1], [0, 0]]]}', "too large"),
])
def test_cli_hostile_geojson_is_one_sentence_and_creates_nothing(tmp_path, text, words):
    """Issue 21 item 12 through the CLI (the region checks themselves are the lead's, in fmtc_nb.regions)."""
    region = tmp_path / "region.geojson"
    region.write_text(text)
    done = subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(tmp_path / "root"), "download",
                           str(region), "--zoom", "0-3", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png", "--store",
                           "s"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("fmtc-nb: error: ") and words in done.stderr
    assert done.stderr.count("\n") == 1 and not (tmp_path / "root" / "stores").exists()
