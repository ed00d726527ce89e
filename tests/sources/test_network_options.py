"""A source's description (TileJSON, capabilities) and an estimate's sample go as the download's tiles do: through
the proxy the command names, with the CA bundle it gives; a bad option is one sentence before any request."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fmtc_nb.engine import DownloadOptions
from fmtc_nb.sources import resolve_source
from fmtc_nb.tileserver import start_server
from tests.netservers import ForwardProxy, without_proxy_environment


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch):
    without_proxy_environment(monkeypatch)


@pytest.fixture(scope="module")
def demo():
    server = start_server()
    yield server
    server.stop()


def test_a_tilejson_is_fetched_through_the_job_s_proxy(demo):
    with ForwardProxy() as proxy:
        source = resolve_source(demo.tilejson_url, network=DownloadOptions(proxy=proxy.url))
    assert source.url_template == demo.url_template
    assert proxy.targets("GET") == [demo.tilejson_url]
    with ForwardProxy() as proxy:
        resolve_source(demo.tilejson_url)  # no proxy named, none in the environment: direct
    assert proxy.targets("GET") == []


def test_the_estimate_command_sends_its_description_and_sample_through_its_proxy(demo, tmp_path):
    with ForwardProxy() as proxy:
        done = subprocess.run([sys.executable, "-m", "fmtc_nb", "estimate", "rect:5,45,11,48", "--zoom", "0-6",
                               "--source", demo.tilejson_url, "--proxy", proxy.url, "--samples", "30", "--seed", "1",
                               "--json"], capture_output=True, text=True, timeout=120)
        through = proxy.targets("GET")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tiles"] > 0
    assert through[0] == demo.tilejson_url and len(through) > 1  # then the sampled tiles
    assert all(url.startswith(demo.url_template.split("/{z}")[0]) for url in through)
    bad = subprocess.run([sys.executable, "-m", "fmtc_nb", "estimate", "rect:5,45,11,48", "--source",
                          demo.tilejson_url, "--ca-bundle", str(tmp_path / "missing.pem")], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--ca-bundle" in bad.stderr and "Traceback" not in bad.stderr
