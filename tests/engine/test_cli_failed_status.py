"""``run_with_bar`` (the CLI's download, ``download --style``, ``recovery resume``) gives a non-zero exit code for
every end that is not ``completed``: a job ending ``failed`` with no tile failed returned 0. Driven by a real job
that ends that way: a download from a TLS server on 127.0.0.1 whose certificate does not verify stops ``failed``
with no tile failed (``CertificateError``); the engine raises it, which the CLI turns into exit 2, so the run is
given to ``run_with_bar`` through a wrapper that returns the final snapshot instead, as a future end might."""

from __future__ import annotations

from typing import Any

from fmtc_nb.cli.download import run_with_bar
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.errors import CertificateError
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.zooms import parse_zooms
from tests.netservers import without_proxy_environment


class ReturnsItsEnd:
    """A real Download whose run returns the final snapshot where the engine raises CertificateError."""

    def __init__(self, download: Download) -> None:
        self.inner, self.job, self.checkpointer = download, download.job, download.checkpointer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "on_progress":
            self.inner.on_progress = value
        object.__setattr__(self, name, value)

    def run(self) -> ProgressSnapshot:
        try:
            return self.inner.run()
        except CertificateError:
            return self.inner.snapshot


def test_a_job_that_ends_failed_with_no_failed_tile_is_not_exit_0(https_server, tmp_path, monkeypatch, capsys):
    without_proxy_environment(monkeypatch)
    job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-1"), TileSource(https_server.url_template),
                      "s", DownloadOptions(parallel=2))
    run = ReturnsItsEnd(Download(job, tmp_path))
    code = run_with_bar(run, json_out=False)
    snap = run.inner.snapshot
    assert snap.status == "failed" and snap.failed == 0, "the real job ended failed with no tile failed"
    assert code == 1
    err = capsys.readouterr().err
    assert "fmtc-nb: failed: The TLS certificate of 127.0.0.1 does not verify" in err and "--ca-bundle FILE" in err
