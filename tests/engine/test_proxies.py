"""Proxies and TLS for tile servers (issue 15): HTTP_PROXY/HTTPS_PROXY/NO_PROXY honoured unless --no-env-proxy,
--proxy URL, a CA bundle for a TLS-inspecting proxy, and one sentence for --http2 without h2. A real loopback
forward proxy (tests/netservers.py) forwards plain HTTP and tunnels CONNECT for HTTPS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.errors import CertificateError, OptionError
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.zooms import parse_zooms
from tests.netservers import ForwardProxy, Http2TileServer, ThrottlingTileServer, without_proxy_environment


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch):
    without_proxy_environment(monkeypatch)


def fetch_zooms_0_1(url: str, root, **options) -> object:
    opts = DownloadOptions(parallel=4, retries=1, read_timeout_s=5, **options)
    job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-1"), TileSource(url), "t", opts)
    return Download(job, root).run()


def test_http_proxy_from_the_environment_carries_every_request(monkeypatch, tmp_path):
    with ForwardProxy() as proxy, ThrottlingTileServer() as server:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        snap = fetch_zooms_0_1(server.url_template, tmp_path)
    assert snap.cached == 5 and snap.failed == 0
    origin = f"http://127.0.0.1:{server.port}/"
    assert len(proxy.targets("GET")) == len(server.log.statuses) == 5
    assert all(target.startswith(origin) for target in proxy.targets("GET"))


def test_a_host_in_no_proxy_and_no_env_proxy_go_direct(monkeypatch, tmp_path):
    with ForwardProxy() as proxy, ThrottlingTileServer() as server:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        assert fetch_zooms_0_1(server.url_template, tmp_path / "a").cached == 5
        monkeypatch.delenv("NO_PROXY")
        assert fetch_zooms_0_1(server.url_template, tmp_path / "b", env_proxy=False).cached == 5
    assert proxy.requests == [] and len(server.log.statuses) == 10


def test_proxy_option_wins_without_any_environment(tmp_path):
    with ForwardProxy() as proxy, ThrottlingTileServer() as server:
        snap = fetch_zooms_0_1(server.url_template, tmp_path, proxy=proxy.url, env_proxy=False)
    assert snap.cached == 5 and len(proxy.targets("GET")) == 5


def test_https_through_a_connect_tunnel_with_a_ca_bundle(monkeypatch, tmp_path, tls_ca, https_server):
    bundle = tmp_path / "company-ca.pem"
    tls_ca.cert_pem.write_to_path(str(bundle))
    with ForwardProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        snap = fetch_zooms_0_1(https_server.url_template, tmp_path, ca_bundle=str(bundle))
    assert snap.cached == 5 and snap.failed == 0
    assert set(proxy.targets("CONNECT")) == {f"127.0.0.1:{https_server.port}"} and not proxy.targets("GET")


def test_https_without_the_ca_bundle_fails_verification(tmp_path, https_server):
    with pytest.raises(CertificateError, match="--ca-bundle FILE"):  # tests/engine/test_certificates.py
        fetch_zooms_0_1(https_server.url_template, tmp_path)
    assert https_server.log.statuses == []


def test_http2_over_tls_through_httpx(tmp_path, tls_ca, https_server):
    bundle = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(bundle))
    snap = fetch_zooms_0_1(https_server.url_template, tmp_path, ca_bundle=str(bundle), http2=True)
    assert snap.cached == 5 and snap.failed == 0  # aiohttp's server speaks HTTP/1.1: httpx falls back to it


def test_an_unreadable_ca_bundle_is_one_sentence(tmp_path):
    from fmtc_nb.engine.transport import check_transport

    with pytest.raises(OptionError, match=r"^The CA bundle \(ca_bundle\) .* is not a readable PEM file"):
        check_transport(DownloadOptions(ca_bundle=str(tmp_path / "missing.pem")))


def run_cli(tmp_path, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = ["--root", str(tmp_path), "download", "rect:0,0,1,1", "--zoom", "0", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png", "--store",
            "s", "--no-recovery", *extra]
    code = f"import sys; from fmtc_nb.cli import main; sys.exit(main({argv!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])})


@pytest.mark.parametrize("missing", ["h2", "httpx"])
def test_http2_without_h2_or_httpx_is_one_sentence_before_any_request(tmp_path, missing):
    """The installed command, in a process where ``import h2`` (or ``httpx``) fails as on a machine without the
    extra: a module of that name first on PYTHONPATH raises ImportError, as a missing package does."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / f"{missing}.py").write_text(f"raise ImportError(\"No module named '{missing}' (hidden for this test)\")\n")
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(shim), str(Path(__file__).resolve().parents[2])])}
    hidden = subprocess.run([sys.executable, "-c", f"import {missing}"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert hidden.returncode == 1 and f"No module named '{missing}'" in hidden.stderr  # the shim hides it
    root = tmp_path / "root"
    with ThrottlingTileServer() as server:
        argv = [sys.executable, "-m", "fmtc_nb", "--root", str(root), "download", "rect:0,0,1,1", "--zoom", "0-1",
                "--url", server.url_template, "--store", "s", "--no-recovery"]
        refused = subprocess.run([*argv, "--http2"], env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2 and refused.stdout == "" and "Traceback" not in refused.stderr
        assert refused.stderr.startswith("fmtc-nb: error: ") and refused.stderr.count("\n") == 1  # one sentence
        assert refused.stderr == ("fmtc-nb: error: HTTP/2 (--http2) needs httpx with HTTP/2 support, which is not "
                                  "installed: pip install 'fmtc-nb[http2]'.\n")
        assert server.log.statuses == [] and not (root / "stores").exists()  # refused before any request or store
        plain = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)  # HTTP/1.1 needs neither
        assert plain.returncode == 0, plain.stderr
    assert server.log.statuses == [200] * TileCover(parse_region("rect:0,0,1,1"), "0-1").total


def test_cli_refuses_a_missing_ca_bundle_and_a_bad_max_wait_in_one_sentence(tmp_path):
    done = run_cli(tmp_path, "--ca-bundle", str(tmp_path / "nope.pem"))
    assert done.returncode == 2 and "--ca-bundle" in done.stderr and "Traceback" not in done.stderr
    done = run_cli(tmp_path, "--max-wait", "0")
    assert done.returncode == 2 and "--max-wait" in done.stderr


def http2_files(tmp_path: Path, tls_ca) -> Path:
    """A certificate and key for 127.0.0.1 in ``tmp_path`` (cert.pem, key.pem) for ``Http2TileServer``, and the
    CA bundle that trusts them (returned); skips without hypercorn."""
    pytest.importorskip("hypercorn")
    cert = tls_ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    tls_ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return tmp_path / "ca.pem"


def test_http2_really_multiplexes_on_one_connection(tmp_path, tls_ca):
    bundle = http2_files(tmp_path, tls_ca)
    with Http2TileServer(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"), latency_s=0.05) as server:
        opts = DownloadOptions(parallel=32, retries=1, read_timeout_s=5, http2=True, ca_bundle=str(bundle))
        job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-3"), TileSource(server.url_template),
                          "t", opts)
        snap = Download(job, tmp_path).run()
    assert snap.cached == 85 and snap.failed == 0
    assert set(server.versions) == {"2"} and len(server.versions) == 85
    assert len(server.clients) == 1  # every stream on one connection


def test_an_http2_job_leaves_the_next_http1_job_of_the_process_on_http1(tmp_path, tls_ca):
    """httpx offers h2 by setting ALPN on the SSL context it is given: were that the context every session of the
    process shares, the next aiohttp job would offer h2 too, the server would pick it, and HTTP/1.1 requests on
    an HTTP/2 connection get no answer."""
    bundle = http2_files(tmp_path, tls_ca)
    with Http2TileServer(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")) as server:
        first = fetch_zooms_0_1(server.url_template, tmp_path / "h2", ca_bundle=str(bundle), http2=True)
        versions_of_first = list(server.versions)
        second = fetch_zooms_0_1(server.url_template, tmp_path / "h1", ca_bundle=str(bundle))
    assert first.cached == second.cached == 5 and first.failed == second.failed == 0
    assert versions_of_first == ["2"] * 5 and server.versions[5:] == ["1.1"] * 5


def test_over_http2_a_body_that_keeps_coming_outlives_the_read_timeout(tmp_path, tls_ca):
    """The request deadline watches an HTTP/2 answer's body grow too (httpx's byte count): 1.2 s of body in
    pieces 0.15 s apart against a 0.5 s read timeout, every tile fetched once."""
    bundle = http2_files(tmp_path, tls_ca)
    with Http2TileServer(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"), trickle_s=0.15) as server:
        opts = DownloadOptions(parallel=4, retries=0, read_timeout_s=0.5, http2=True, ca_bundle=str(bundle),
                               final_pass=False)
        job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-1"), TileSource(server.url_template),
                          "t", opts)
        snap = Download(job, tmp_path).run()
    assert snap.cached == 5 and snap.failed == 0 and len(server.versions) == 5
