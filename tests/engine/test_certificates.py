"""A TLS certificate that does not verify is not a cut network (issue: phone jobs wait for the network): the
request fails with a reason naming ``--ca-bundle``, and a job whose every request fails verification stops at
once with one sentence (``CertificateError``), every stored tile kept and no tile marked failed, even with
``wait_for_network`` on, over HTTP/1.1 (aiohttp) and ``--http2`` (httpx). Real TLS servers on 127.0.0.1 whose CA
(trustme) the client does not trust."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.fetch import fetch_tile
from fmtc_nb.engine.transport import tile_session
from fmtc_nb.errors import CertificateError
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms
from tests.netservers import without_proxy_environment

REGION = "rect:-180,-85,180,85"
TRANSPORTS = pytest.mark.parametrize("http2", [False, True], ids=["http1.1", "http2"])


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch):
    without_proxy_environment(monkeypatch)


@pytest.fixture
def untrusted_server(https_server):
    """A TLS tile server whose certificate is signed by a CA (``tls_ca``) the client is not told about."""
    return https_server


@TRANSPORTS
def test_a_certificate_failure_is_a_failed_request_with_the_fix_not_a_missing_answer(untrusted_server, http2):
    async def fetch():
        async with tile_session(DownloadOptions(http2=http2), {"User-Agent": "fmtc-nb tests"}) as session:
            return await fetch_tile(session, untrusted_server.url_template.format(z=0, x=0, y=0), None)

    result = asyncio.run(fetch())
    assert result.kind == "failed" and result.status is None and result.certificate_error
    assert result.reason is not None and result.reason.startswith("The TLS certificate of 127.0.0.1 does not verify")
    assert "unable to get local issuer certificate" in result.reason and "--ca-bundle FILE" in result.reason
    assert untrusted_server.log.statuses == [], "no request reached the server"


@TRANSPORTS
@pytest.mark.parametrize("skip_sea", [False, True], ids=["tiles", "sea-tile-first"])
def test_a_job_whose_server_does_not_verify_stops_at_once_even_waiting_for_the_network(untrusted_server, tmp_path,
                                                                                        http2, skip_sea):
    opts = DownloadOptions(parallel=4, wait_for_network=True, max_wait_s=120.0, http2=http2, skip_sea=skip_sea)
    job = DownloadJob(parse_region(REGION), parse_zooms("0-2"), TileSource(untrusted_server.url_template), "t", opts)
    download = Download(job, tmp_path)
    started = time.monotonic()
    with pytest.raises(CertificateError) as stopped:
        download.run()
    took = time.monotonic() - started
    assert took < 10, f"stopped in {took:.1f} s, not waited out until max_wait_s (120 s)"
    sentence = str(stopped.value)
    assert "The TLS certificate of 127.0.0.1 does not verify" in sentence and "--ca-bundle FILE" in sentence
    assert sentence.count(". ") == 0 and sentence.endswith("kept.")
    snap = download.snapshot
    assert snap.status == "failed" and download.reason == sentence
    assert snap.failed == 0 and snap.cached == 0, "no tile marked failed: they stay to do"
    store = Root(tmp_path).open("t", readonly=True)
    assert store.failures() == [] and store.stats().tiles == 0


def run_cli(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = ["--root", str(tmp_path), "download", REGION, "--zoom", "0-1", "--url", url, "--store", "s", *extra]
    code = f"import sys; from fmtc_nb.cli import main; sys.exit(main({argv!r}))"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])})


def test_the_cli_says_it_in_one_sentence_and_the_ca_bundle_fixes_it(untrusted_server, tls_ca, tmp_path):
    done = run_cli(tmp_path, untrusted_server.url_template, "--max-wait", "120")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "does not verify" in last and "--ca-bundle FILE" in last
    bundle = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(bundle))
    done = run_cli(tmp_path, untrusted_server.url_template, "--ca-bundle", str(bundle), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert Root(tmp_path).open("s", readonly=True).stats().tiles == 5
