"""``recovery resume`` takes the options of how tiles are fetched (``--ca-bundle``, ``--proxy``,
``--no-env-proxy``, ``--http2``, ``--parallel``, ``--rate-limit``, ``--retries``, ``--max-wait``) and records them
with the job: a job that stopped on a certificate the system does not trust is finished with ``--ca-bundle``
instead of downloaded again from scratch (it could not be: resume took no options). Options of which tiles are
stored stay the job's own. A real TLS tile server on 127.0.0.1 whose CA (trustme) the client is not told about."""

from __future__ import annotations

import json

import pytest

from fmtc_nb.cli import main
from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.errors import OptionError, RecoveryError
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from tests.engine import conftest as engine_fixtures
from tests.netservers import without_proxy_environment

tls_ca = engine_fixtures.tls_ca  # a trustme CA the client is not told about
https_server = engine_fixtures.https_server  # a TLS tile server on 127.0.0.1 with a certificate tls_ca signed

REGION = "rect:-180,-85,180,85"


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch):
    without_proxy_environment(monkeypatch)


def recorded(tmp_path, capsys) -> dict:
    assert main(["--root", str(tmp_path), "recovery", "list", "--json"]) == 0
    jobs = json.loads(capsys.readouterr().out)
    assert len(jobs) == 1
    return jobs[0]


def test_a_job_stopped_on_its_certificate_is_finished_by_resume_with_the_ca_bundle(https_server, tls_ca, tmp_path,
                                                                                  capsys, monkeypatch):
    root = ["--root", str(tmp_path)]
    argv = [*root, "download", REGION, "--zoom", "0-1", "--url", https_server.url_template, "--store", "s",
            "--parallel", "2"]
    assert main(argv) == 2
    assert "--ca-bundle FILE" in capsys.readouterr().err.strip().splitlines()[-1]
    job = recorded(tmp_path, capsys)
    assert job["status"] == "failed" and job["tiles_done"] == 0
    monkeypatch.chdir(tmp_path)
    tls_ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    assert main([*root, "recovery", "resume", job["id"][:8], "--ca-bundle", "ca.pem", "--rate-limit", "100",
                 "--json"]) == 0, capsys.readouterr().err
    snap = json.loads(capsys.readouterr().out)
    assert snap["status"] == "completed" and snap["max_tiles"] == snap["successful"] == 5 and snap["failed"] == 0
    assert Root(tmp_path).open("s", readonly=True).stats().tiles == 5
    with RecoveryRegistry(tmp_path) as registry:  # recorded: a later resume sees them
        options = registry.get(job["id"]).job().options
    assert options.ca_bundle == str(tmp_path / "ca.pem") and options.rate_limit == 100.0
    assert options.parallel == 2 and options.skip_existing  # the rest as recorded
    assert recorded(tmp_path, capsys)["status"] == "completed"


def test_bad_resume_options_are_one_sentence_naming_the_flag_and_leave_the_job_alone(https_server, tmp_path,
                                                                                     capsys):
    root = ["--root", str(tmp_path)]
    assert main([*root, "download", REGION, "--zoom", "0", "--url", https_server.url_template, "--store", "s"]) == 2
    job_id = recorded(tmp_path, capsys)["id"]
    for extra, words in ((["--parallel", "0"], "(--parallel 0)"),
                         (["--ca-bundle", str(tmp_path / "missing.pem")], "--ca-bundle")):
        assert main([*root, "recovery", "resume", job_id, *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("fmtc-nb: error: ") and words in err and err.count("\n") == 1, err
    with pytest.raises(SystemExit) as usage:  # which tiles are stored is the job's own: no such flag
        main([*root, "recovery", "resume", job_id, "--skip-sea"])
    assert usage.value.code == 2 and "unrecognized arguments: --skip-sea" in capsys.readouterr().err
    info = recorded(tmp_path, capsys)
    assert info["status"] == "failed" and info["runs"] == 1


def test_the_library_changes_only_how_tiles_are_fetched(https_server, tmp_path):
    job = DownloadJob(parse_region(REGION), [0], TileSource(https_server.url_template), "s",
                      DownloadOptions(skip_sea=True))
    with RecoveryRegistry(tmp_path) as registry:
        tracker = registry.start(job)
        tracker.finished(ProgressSnapshot(), "failed", "stopped")
        with pytest.raises(RecoveryError, match="keeps its option 'skip_sea', which decides which tiles are stored"):
            registry.resume(job.job_id, options={"skip_sea": False})
        with pytest.raises(OptionError, match="parallel"):
            registry.resume(job.job_id, options={"parallel": -1})
        resumed, tracker = registry.resume(job.job_id, options={"http2": True, "proxy": "http://127.0.0.1:9"})
        assert resumed.options.http2 and resumed.options.skip_sea
        assert registry.get(job.job_id).job().options.proxy == "http://127.0.0.1:9"
