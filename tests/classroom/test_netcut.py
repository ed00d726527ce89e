"""The network cut for real: a TCP relay on 127.0.0.1 in front of the embedded tile server resets open
connections and refuses new ones while cut; the engine with ``wait_for_network`` rides out a cut without a
failed tile and pauses itself (never failing tiles) when nothing answers for ``max_wait_s``."""

from __future__ import annotations

import http.client
import threading
import time

import pytest

from fmtc_nb.classroom.netcut import NetworkCut
from fmtc_nb.cover import TileCover
from fmtc_nb.engine.downloader import download
from fmtc_nb.regions import parse_region
from fmtc_nb.store import Root
from fmtc_nb.tileserver import start_server

REGION, ZOOMS = "rect:7.0,46.0,9.0,47.5", "0-11"


@pytest.fixture
def relayed():
    server = start_server()
    net = NetworkCut(("127.0.0.1", server.port))
    yield server, net
    net.close()
    server.stop()


def get(port: int, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/3/4/2.png", headers={"User-Agent": "fmtc-nb tests"})
    response = conn.getresponse()
    return response.status, response.read()


def test_the_relay_forwards_then_resets_open_and_new_connections_until_restored(relayed):
    server, net = relayed
    assert net.url_template(server.url_template) == f"http://127.0.0.1:{net.port}/{{z}}/{{x}}/{{y}}.png"
    kept = http.client.HTTPConnection("127.0.0.1", net.port, timeout=5)
    status, body = get(net.port, kept)
    assert status == 200 and body.startswith(b"\x89PNG")
    served = server.app.requests
    assert net.cut() == 1 and net.is_cut, "the kept-alive connection was open"
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        get(net.port, kept)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        get(net.port)
    assert server.app.requests == served, "nothing reached the server during the cut"
    assert net.counts.reset == 1 and net.counts.refused >= 1 and net.counts.cuts == 1
    net.restore()
    assert get(net.port)[0] == 200 and server.app.requests == served + 1


def cut_once_tiles_arrive(net: NetworkCut, arrived: threading.Event, seconds: float | None) -> threading.Thread:
    def cut() -> None:
        arrived.wait(30)
        net.cut()
        if seconds is not None:
            time.sleep(seconds)
            net.restore()

    thread = threading.Thread(target=cut, daemon=True)
    thread.start()
    return thread


def test_a_cut_in_the_middle_of_a_download_fails_no_tile_and_the_job_goes_on_when_it_ends(relayed, tmp_path):
    server, net = relayed
    arrived = threading.Event()
    cutter = cut_once_tiles_arrive(net, arrived, seconds=3.0)
    snap = download(parse_region(REGION), ZOOMS, net.url_template(server.url_template), "cut", tmp_path,
                    rate_limit=40, wait_for_network=True, max_backoff_s=0.5,
                    on_progress=lambda s: s.successful > 40 and arrived.set())
    cutter.join()
    total = TileCover(parse_region(REGION), [int(z) for z in range(12)]).total
    assert net.counts.reset + net.counts.refused > 0, "the cut met the download"
    assert snap.status == "completed" and snap.failed == 0 and snap.successful == snap.max_tiles == total
    store = Root(tmp_path).open("cut", readonly=True)
    assert store.stats().tiles == total and store.failures() == []


def test_a_network_that_never_comes_back_pauses_the_job_with_no_tile_failed(relayed, tmp_path):
    server, net = relayed
    arrived = threading.Event()
    cutter = cut_once_tiles_arrive(net, arrived, seconds=None)
    snap = download(parse_region(REGION), ZOOMS, net.url_template(server.url_template), "gone", tmp_path,
                    rate_limit=40, wait_for_network=True, max_backoff_s=0.5, max_wait_s=2.0,
                    on_progress=lambda s: s.successful > 40 and arrived.set())
    cutter.join()
    assert snap.status == "paused" and snap.failed == 0 and 40 < snap.successful < snap.max_tiles
