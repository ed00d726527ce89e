"""The OpenAPI document stays true: it lists exactly the served routes, real answers match its schemas, and a
schemathesis run generated from it finds no 5xx answer and no crash of the virtual device."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from android_bridge.api import build_app
from android_bridge.bridge import Bridge
from android_bridge.config import BridgeConfig
from android_bridge.launcher import VirtualDeviceProcess
from android_bridge.openapi import openapi_document
from android_bridge.platform.virtual import VirtualPlatform
from fmtc_nb.device import DeviceClient
from tests.bridge.conftest import api, pair_token


def served_routes(tmp_path: Path) -> set[tuple[str, str]]:
    bridge = Bridge(BridgeConfig(tmp_path), VirtualPlatform(tmp_path / "bridge"))
    routes = set()
    for route in build_app(bridge).router.routes():
        if route.method == "HEAD":
            continue
        routes.add((route.method.lower(), route.resource.canonical))
    return routes


def test_document_lists_exactly_the_served_routes(tmp_path):
    doc = openapi_document()
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert served_routes(tmp_path) == documented
    assert doc["openapi"].startswith("3.")
    json.dumps(doc)


def check(doc: dict, schema_name: str, instance: object) -> None:
    jsonschema.validate(instance, {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]},
                        cls=jsonschema.Draft202012Validator)


#: The device's requests beyond loopback go to a dead proxy on loopback: a generated style or TileJSON URL never
#: reaches the internet (every fetch the device makes honours these, as a phone's HTTP stack does).
OFFLINE_ENV = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
               "no_proxy": "127.0.0.1,localhost"}


@pytest.fixture(scope="module")
def busy_device(tmp_path_factory, tile_server):
    """A device with one finished job and one store, whose requests cannot leave loopback."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in OFFLINE_ENV.items():
            patch.setenv(name, value)
            patch.setenv(name.upper(), value)
        dev = VirtualDeviceProcess(tmp_path_factory.mktemp("doc")).start()
    dev.token = pair_token(dev)
    client = DeviceClient(dev.url, dev.token)
    row = client.dispatch("rect:6,46,6.4,46.3", "0-9", url=tile_server.url_template, store="doc")
    dev.job_id = row["id"]
    assert client.watch(row["id"])["status"] == "completed"
    yield dev
    dev.stop()


def test_real_answers_match_the_schemas(busy_device):
    dev, token = busy_device, busy_device.token
    status, _, doc = api(dev.url, "GET", "/api/v1/openapi.json", token=token)
    assert status == 200 and doc == json.loads(json.dumps(openapi_document()))
    for path, schema in (("/api/v1/device", "Device"), ("/api/v1/jobs", "JobList"),
                         (f"/api/v1/jobs/{dev.job_id}", "JobRow"), ("/api/v1/recovery", "RecoveryList"),
                         ("/api/v1/stores", "StoreList"), ("/api/v1/stores/doc/stats", "StoreStats"),
                         ("/api/v1/jobs/missing", "Error")):
        status, _, body = api(dev.url, "GET", path, token=token)
        check(doc, schema, body)
    for action in ("pause", "cancel"):
        status, _, body = api(dev.url, "POST", f"/api/v1/jobs/{dev.job_id}/{action}", token=token)
        assert str(status) in doc["paths"][f"/api/v1/jobs/{{job_id}}/{action}"]["post"]["responses"]
        check(doc, "JobRow" if status == 200 else "Error", body)
    client = DeviceClient(dev.url, token)
    events = list(client.events(dev.job_id))
    assert [name for name, _ in events] == ["progress", "end"]
    for _, data in events:  # the event data is what the events operation's description promises
        check(doc, "Snapshot", data)
        assert data["job_id"] == dev.job_id and isinstance(data["tiles_done"], int)


@pytest.mark.skipif(shutil.which("schemathesis", path=str(Path(sys.executable).parent)) is None,
                    reason="schemathesis is not installed")
def test_schemathesis_finds_no_server_error(busy_device, tmp_path):
    dev = busy_device
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(api(dev.url, "GET", "/api/v1/openapi.json", token=dev.token)[2]))
    cmd = [str(Path(sys.executable).parent / "schemathesis"), "run", str(spec), "--url", dev.url,
           "-H", f"Authorization: Bearer {dev.token}",
           "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance,"
           "ignored_auth,negative_data_rejection",
           "--exclude-operation-id", "unpair",  # would revoke the run's own token
           "--phases", "examples,coverage,fuzzing", "-n", "40", "--seed", "7", "-w", "1",
           "--generation-database", "none", "--request-timeout", "20", "--no-color",
           "--report", "junit", "--report-dir", str(tmp_path / "report")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"\d+ generated, \d+ passed", run.stdout)
    assert dev.process.poll() is None, "the device survived the fuzzing"
    log = dev.log_path.read_text()
    assert "internal error on" not in log, log[-3000:]  # what the API logs before any 500 answer
    assert api(dev.url, "GET", "/api/v1/device", token=dev.token)[0] == 200
