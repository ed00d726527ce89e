"""Bad job bodies and conflicting actions: a clear JSON error with a fitting status, nothing started or lost."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from fmtc_nb.device import DeviceClient, build_job
from fmtc_nb.device.client import check_mbtiles
from fmtc_nb.errors import DeviceError
from fmtc_nb.regions import parse_region
from tests.bridge.conftest import api, pair_token

REGION = "rect:6.0,46.0,6.5,46.5"


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    dev = VirtualDeviceProcess(tmp_path_factory.mktemp("limited"),
                               args=("--max-tiles", "500", "--max-zoom", "12")).start()
    dev.token = pair_token(dev)
    yield dev
    dev.stop()


def job_body(url: str, **changes):
    body = build_job(REGION, "0-8", url, "good").to_dict()
    body.update(changes)
    return body


def nothing_started(dev) -> None:
    status, _, body = api(dev.url, "GET", "/api/v1/jobs", token=dev.token)
    assert status == 200 and body["jobs"] == []
    assert not (dev.root / "stores").exists() or not any((dev.root / "stores").iterdir())


CASES = [
    ("zoom beyond the limit", {"zooms": [0, 13]}, 422, "limit of 12"),
    ("tiles beyond the limit", {"zooms": [12], "region": parse_region("rect:0,40,20,55").to_geojson()}, 422,
     "limit of 500"),
    ("store escaping the root", {"store": "../outside"}, 400, ".."),
    ("store with a separator", {"store": "a/b"}, 400, "'/'"),
    ("store not a string", {"store": 5}, 400, "store name"),
    ("negative zoom", {"zooms": [-1]}, 400, "negative"),
    ("zooms not a list", {"zooms": "0-8"}, 400, "list of integers"),
    ("region not GeoJSON", {"region": {"type": "Nonsense"}}, 400, ""),
    ("region a file path", {"region": "/etc/passwd"}, 400, "GeoJSON object"),
    ("unknown field", {"surprise": 1}, 400, "surprise"),
    ("unknown option", {"options": {"warp_speed": 9}}, 400, "warp_speed"),
    ("option of the wrong type", {"options": {"parallel": "many"}}, 400, "parallel"),
    ("option out of bounds", {"options": {"parallel": 10_000}}, 400, "parallel"),
    ("zero rate limit", {"options": {"rate_limit": 0}}, 400, "rate limit 0"),
    ("zero timeout", {"options": {"read_timeout_s": 0}}, 400, "read_timeout_s"),
    ("source without template", {"source": {"headers": {}}}, 400, "url_template"),
    ("source not http", {"source": {"url_template": "file:///{z}/{x}/{y}"}}, 400, "http"),
    ("forbidden bulk source", {"source": {"url_template": "https://tile.openstreetmap.org/{z}/{x}/{y}.png"}}, 400,
     "forbids bulk"),
    ("bad job id", {"job_id": "../../x"}, 400, "job_id"),
    ("CA bundle: a file path", {"options": {"ca_bundle": "/etc/ssl/certs/ca-certificates.crt"}}, 400,
     "A phone job takes no CA bundle"),
]


@pytest.mark.parametrize(("what", "changes", "status", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_job_is_refused_and_nothing_starts(limited, tile_server, what, changes, status, words):
    got, head, body = api(limited.url, "POST", "/api/v1/jobs", job_body(tile_server.url_template, **changes),
                          token=limited.token)
    assert got == status, body
    assert head["Content-Type"].startswith("application/json") and words in body["error"]
    nothing_started(limited)


@pytest.mark.parametrize(("raw", "status"), [(b"", 400), (b"{not json", 400), (b"[1, 2]", 400), (b"null", 400),
                                              (b'{"zooms": [Infinity]}', 400), (b"x" * (1 << 20 + 1), 413),
                                              (b"[" * 100_000, 400)])
def test_malformed_or_oversized_body(limited, raw, status):
    got, _, body = api(limited.url, "POST", "/api/v1/jobs", raw=raw, token=limited.token)
    assert got == status and body["error"]
    nothing_started(limited)


def test_unknown_job_and_store_are_404(limited):
    for method, path in (("GET", "/api/v1/jobs/nope"), ("POST", "/api/v1/jobs/nope/pause"),
                         ("POST", "/api/v1/jobs/nope/resume"), ("POST", "/api/v1/jobs/nope/cancel"),
                         ("GET", "/api/v1/jobs/nope/events"), ("GET", "/api/v1/stores/nope/stats"),
                         ("GET", "/api/v1/stores/nope.mbtiles")):
        status, _, body = api(limited.url, method, path, token=limited.token)
        assert status == 404 and body["error"], (method, path)
    status, _, body = api(limited.url, "GET", "/api/v1/stores/..%2F..%2Fetc.mbtiles", token=limited.token)
    assert status in (400, 404) and body["error"]
    status, _, body = api(limited.url, "PUT", "/api/v1/jobs", token=limited.token)
    assert status == 405 and body["error"]


def _stored_tiles(client: DeviceClient, store: str) -> int:
    try:
        return int(client.store_stats(store)["tiles"])
    except DeviceError:  # not created yet
        return 0


def test_running_job_is_not_doubled_and_controls_work(limited, tile_server, tmp_path):
    client = DeviceClient(limited.url, limited.token)
    job = build_job(REGION, "0-8", tile_server.url_template, "slow", rate_limit=4, parallel=1)
    row = client.dispatch_job(job)
    try:
        with pytest.raises(DeviceError, match="already running") as exc:
            client.resume(row["id"])
        assert exc.value.status == 409
        with pytest.raises(DeviceError, match="not started twice") as exc:
            client.dispatch_job(job)  # the same job (same id) again
        assert exc.value.status == 409
        assert len(client.jobs()) == 1
        deadline = time.monotonic() + 60  # a flush or two (seconds on a loaded machine)
        while _stored_tiles(client, "slow") == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        copy = client.pull("slow", tmp_path / "local")  # a consistent copy while the job writes
        check_mbtiles(copy)
        assert 0 < sqlite3.connect(copy).execute("SELECT count(*) FROM tiles").fetchone()[0] < job.cover().total
        assert client.pause(row["id"])["status"] == "paused"
        assert client.resume(row["id"])["status"] == "running"
    finally:
        assert client.cancel(row["id"])["status"] in ("cancelling", "cancelled")
    end = client.watch(row["id"])
    assert end["status"] == "cancelled"
    with pytest.raises(DeviceError, match="cannot be paused") as exc:
        client.pause(row["id"])
    assert exc.value.status == 409
    stats = client.store_stats("slow")
    assert stats["tiles"] == end["tiles_done"], "stored tiles survive a cancel"
    assert json.dumps(stats)


def test_job_that_fails_at_start_is_recorded_failed_with_its_reason(limited, tile_server):
    client = DeviceClient(limited.url, limited.token)
    first = client.dispatch(REGION, "0-3", url=tile_server.url_template, store="mixed")
    assert client.watch(first["id"])["status"] == "completed"
    other = tile_server.url_template.replace("127.0.0.1", "localhost")
    row = client.dispatch(REGION, "0-3", url=other, store="mixed")  # another source into the same store
    end = client.watch(row["id"])
    assert end["status"] == "failed" and "another source" in end["reason"]
    assert client.store_stats("mixed")["tiles"] == first["tiles_total"], "the store lost nothing"
    same = build_job(REGION, "0-3", tile_server.url_template, "mixed", job_id=first["id"])
    with pytest.raises(DeviceError, match="already in the recovery registry") as exc:
        client.dispatch_job(same)  # a finished job's id is not run again under the same id
    assert exc.value.status == 409


def test_a_phone_job_takes_no_ca_bundle_and_says_why(tmp_path, capsys):
    """The phone verifies servers with its own trust store: the client refuses a CA bundle in one sentence (the
    bridge refuses it too, above), ``fmtc-nb device dispatch --ca-bundle`` before any device is asked."""
    from fmtc_nb.cli import main
    from fmtc_nb.device.jobs import NO_PHONE_CA_BUNDLE, build_pack_job
    from fmtc_nb.engine import DownloadOptions

    url = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    for make in (lambda: build_job(REGION, "0-8", url, "s", ca_bundle="ca.pem"),
                 lambda: build_job(REGION, "0-8", url, "s", options=DownloadOptions(ca_bundle="ca.pem")),
                 lambda: build_pack_job(REGION, "0-8", "http://127.0.0.1:9/style.json", "p",
                                        options={"ca_bundle": "ca.pem"})):
        with pytest.raises(DeviceError) as refused:
            make()
        assert str(refused.value) == NO_PHONE_CA_BUNDLE and "own trust store" in NO_PHONE_CA_BUNDLE
    argv = ["--root", str(tmp_path), "device", "dispatch", "never-paired", REGION, "--zoom", "0-3", "--url", url,
            "--store", "s", "--ca-bundle", str(tmp_path / "ca.pem")]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"fmtc-nb: error: {NO_PHONE_CA_BUNDLE}\n"
