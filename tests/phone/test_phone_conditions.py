"""The bridge under the phone's conditions: the APK's package versions (buildozer.spec's pins; aiohttp from our
pure-Python recipe), their C extensions absent and switched off, ``python -OO``, and no system CA store, with
HTTPS tiles trusted through certifi only. The device runs in ``.venv-phone`` (tests/phone/phone_env.py); the
notebook side runs here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from fmtc_nb.cover import TileCover
from fmtc_nb.device import pair
from fmtc_nb.regions import parse_region
from fmtc_nb.zooms import parse_zooms
from tests.phone.https_tiles import HttpsTileServer, make_test_ca
from tests.phone.phone_env import PURE, REPO, phone_environ, phone_python, phone_requirements

REGION, ZOOMS = "rect:8.0,46.5,9.0,47.2", "0-9"
pytestmark = pytest.mark.phone


@pytest.fixture(scope="module")
def python():
    return phone_python()


def test_the_phone_python_carries_the_pinned_packages_without_c_extensions(python, tmp_path):
    probe = (
        "import importlib.metadata as m, json, pathlib, sys\n"
        "import android_bridge.api, aiohttp.http_parser as hp, multidict, multidict._multidict_py as mpy, certifi\n"
        f"names = {list(phone_requirements())!r}\n"
        f"pure = {list(PURE)!r}\n"
        "so = {n: [str(f) for f in (m.distribution(n).files or []) if str(f).endswith('.so')] for n in pure}\n"
        "print(json.dumps({'versions': {n: m.version(n) for n in names}, 'so': so, 'optimize': sys.flags.optimize,\n"
        "  'docstrings': android_bridge.api.__doc__ is not None,\n"
        "  'python_parser': hp.HttpRequestParser is hp.HttpRequestParserPy, 'python_multidict': multidict.MultiDict is mpy.MultiDict}))\n"
    )
    env = phone_environ(tmp_path)
    out = subprocess.run([str(python), "-OO", "-c", probe], env=env, capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    assert found["versions"] == phone_requirements()
    assert found["so"] == {name: [] for name in PURE}, "no C extension was built"
    assert found["optimize"] == 2 and not found["docstrings"], "-OO, as p4a compiles the app"
    assert found["python_parser"] and found["python_multidict"], "the pure-Python code runs"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_test_ca(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_tiles(tls):
    server = HttpsTileServer(tls["cert"], tls["key"]).start()
    yield server
    server.stop()


def certifi_trusting(python, folder, extra_ca=None) -> str:
    """A copy of the phone's certifi whose bundle also trusts ``extra_ca`` (a public CA signing a tile server
    would be in it already); returns the folder to put first on PYTHONPATH."""
    out = subprocess.run([str(python), "-c", "import certifi, os; print(os.path.dirname(certifi.__file__))"],
                         capture_output=True, text=True, check=True)
    shutil.copytree(out.stdout.strip(), folder / "certifi")
    if extra_ca is not None:
        with open(folder / "certifi" / "cacert.pem", "a") as bundle:
            bundle.write("\n" + extra_ca.read_text())
    return str(folder)


@pytest.mark.parametrize("trusted", [True, False], ids=["certifi-trusts-the-ca", "unknown-ca"])
def test_https_tiles_with_no_system_ca_store_are_trusted_through_certifi(python, tls, https_tiles, tmp_path,
                                                                         monkeypatch, trusted):
    shadow = certifi_trusting(python, tmp_path / "shadow", tls["ca"] if trusted else None)
    for key, value in phone_environ(tmp_path, f"{shadow}:{REPO}").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FMTC_NB_CONFIG", str(tmp_path / "notebook"))
    device = VirtualDeviceProcess(tmp_path / "phone", python=(str(python), "-OO")).start()
    try:
        client = pair(device.url, device.code, "phone")
        row = client.dispatch(REGION, ZOOMS, url=https_tiles.url_template, store="alps", parallel=4,
                              retries=0, final_pass=False)
        final = client.watch(row["id"])
    finally:
        device.stop()
    total = TileCover(parse_region(REGION), parse_zooms(ZOOMS)).total
    if trusted:
        assert final["status"] == "completed" and final["tiles_done"] == total and final["tiles_failed"] == 0
        assert sum(https_tiles.app.hits.values()) >= total
    else:  # the control: without certifi's trust the same requests fail; the system store is not used. A job
        # whose every request fails verification stops at once with the reason (not a network wait: a phone job
        # waits for the network by default), failing no tile
        assert final["status"] == "failed" and final["tiles_failed"] == 0 and sum(https_tiles.app.hits.values()) == 0
        assert "does not verify" in final["reason"] and "--ca-bundle" in final["reason"]


def device_test_files() -> list[str]:
    """The files of tests/bridge and tests/link that talk to a virtual device process (the rest test the bridge
    in-process, where the phone's interpreter plays no part)."""
    uses_device = re.compile(r"def test_\w+\([^)]*\bdevice\b|VirtualDeviceProcess")
    files = [p for area in ("bridge", "link") for p in (REPO / "tests" / area).glob("test_*.py")]
    return sorted(str(p.relative_to(REPO)) for p in files if uses_device.search(p.read_text()))


@pytest.mark.slow
def test_bridge_api_tests_pass_on_the_phone_python(python, tmp_path):
    """The tests of tests/bridge that run a device (the API over HTTP, pairing, security, bad input, job
    control, kill and resume), with the device in the phone's Python. The schemathesis fuzz is left out here
    (it runs in tests/bridge on the desktop)."""
    files = device_test_files()
    assert "tests/bridge/test_end_to_end.py" in files and "tests/bridge/test_security.py" in files
    assert "tests/link/test_pairing.py" in files  # SPAKE2 and the TLS certificate made on the phone's Python
    env = {**os.environ, **phone_environ(tmp_path), "FMTC_NB_DEVICE_PYTHON": f"{python} -OO"}
    proc = subprocess.run([sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
                           "-n", "2", "-k", "not schemathesis"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout
