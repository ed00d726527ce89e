"""The embedded demo tile server, exercised over real HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from PIL import Image

from fmtc_nb.engine.downloader import sea_tile as engine_sea_tile
from fmtc_nb.engine.validate import image_problem
from fmtc_nb.errors import SourceError
from fmtc_nb.tileserver import (
    ATTRIBUTION,
    Burst429,
    Faults,
    render_tile,
    running_server,
    sea_tile,
    start_server,
)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def test_tiles_are_deterministic_pngs_with_land_and_borders():
    first = render_tile(0, 0, 0)
    assert first == render_tile(0, 0, 0)
    image = Image.open(io.BytesIO(first))
    assert image.format == "PNG" and image.size == (256, 256)
    assert len(image.getcolors()) >= 5  # sea, borders and several land colours
    europe = render_tile(4, 8, 5)
    assert europe != first and image_problem(europe) is None


def test_every_open_sea_tile_is_the_same_bytes_as_the_engines_reference_sea_tile():
    assert render_tile(*engine_sea_tile()) == sea_tile()
    assert render_tile(10, 100, 600) == sea_tile()  # South Pacific at z10
    assert render_tile(5, 16, 10) != sea_tile()  # Africa


def test_tiles_outside_the_pyramid_are_refused():
    with pytest.raises(ValueError):
        render_tile(2, 4, 0)


def test_high_zoom_tiles_render_quickly_and_fill_inland_areas():
    # A z16 tile in central Siberia is one land colour, no sea.
    image = Image.open(io.BytesIO(render_tile(16, 49152, 18874)))
    assert [index for _, index in image.getcolors()] != [0]


def test_server_answers_with_etag_cache_control_and_304():
    with running_server() as server:
        url = server.url_template.format(z=3, x=4, y=2)
        status, headers, body = get(url)
        assert status == 200 and headers["Content-Type"] == "image/png" and body == render_tile(3, 4, 2)
        assert headers["ETag"] and "max-age" in headers["Cache-Control"]
        assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
        assert get(server.url_template.format(z=1, x=2, y=0))[0] == 404
        base = server.url_template.split("/{z}")[0]
        assert server.tilejson_url == base + "/tilejson.json"
        tilejson = json.loads(get(server.tilejson_url)[2])
        assert tilejson["attribution"] == ATTRIBUTION and tilejson["tiles"] == [server.url_template]
        assert "Natural Earth" in get(base + "/")[2].decode()


def test_failure_rate_produces_every_fault_kind_and_retries_eventually_succeed():
    with running_server(failure_rate=0.5, seed=3) as server:
        seen = set()
        for x in range(16):
            for _attempt in range(20):
                status, headers, body = get(server.url_template.format(z=4, x=x, y=5))
                if status == 200 and image_problem(body) is None:
                    break
                seen.add(status if status != 200 else ("html" if body.startswith(b"<!") else "truncated"))
            assert body == render_tile(4, x, 5)
        assert seen == {500, 503, "html", "truncated"}
        assert server.app.statuses["200"] == 16


def test_429_bursts_carry_retry_after():
    with running_server(burst_429="3:2:0.5") as server:
        statuses = [get(server.url_template.format(z=2, x=1, y=1)) for _ in range(10)]
        assert [s for s, _, _ in statuses] == [200, 200, 200, 429, 429] * 2
        assert statuses[3][1]["Retry-After"] == "0.5"


def test_fault_decisions_are_reproducible():
    faults = Faults(failure_rate=0.3, seed=7)
    first = [faults.decide(5, x, 3, 1, x) for x in range(32)]
    assert first == [faults.decide(5, x, 3, 1, x) for x in range(32)]
    assert 0 < sum(d != "ok" for d in first) < 32


@pytest.mark.parametrize("text", ["", "5", "a:b", "0:3", "3:0", "1.5:2", "1:2:3:4", "10:5:-2", "10:2.5", "nan:3"])
def test_bad_burst_specs_are_one_sentence_errors(text):
    with pytest.raises(SourceError):
        Burst429.parse(text)


def test_subprocess_server_can_be_killed():
    with running_server(subprocess=True, latency_s=0.01) as server:
        status, _, body = get(server.url_template.format(z=0, x=0, y=0))
        assert status == 200 and body == render_tile(0, 0, 0)
        server.kill()
        with pytest.raises(OSError):
            urllib.request.urlopen(server.url_template.format(z=0, x=0, y=0), timeout=5)
        assert server.process.returncode == -9


def test_cli_rejects_bad_options_with_exit_code_2():
    for bad in (["--burst-429", "x"], ["--failure-rate", "2"], ["--latency", "nan"], ["--port", "-5"],
                ["--port", "70000"]):
        done = subprocess.run([sys.executable, "-m", "fmtc_nb", "serve-tiles", "--port", "0", *bad],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and done.stderr.startswith("fmtc-nb: error: "), (bad, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_its_url_template_and_stops_on_ctrl_c_or_a_process_manager_s_sigterm(stop):
    proc = subprocess.Popen([sys.executable, "-m", "fmtc_nb", "serve-tiles", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("Serving demo tiles at http://127.0.0.1:") and line.rstrip().endswith("/{z}/{x}/{y}.png")
        url = line.split(" at ")[1].strip()
        assert get(url.format(z=1, x=0, y=0))[0] == 200
        proc.send_signal(stop)
        assert proc.wait(20) == 0
    finally:
        proc.kill()
        proc.stdout.close()


def test_a_port_in_use_is_a_one_sentence_error():
    with running_server() as first, pytest.raises(SourceError, match="could not start"):
        start_server(port=first.port)
