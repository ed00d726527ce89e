"""The httpx device client: environment proxies never see a device request (the token stays between this
computer and the phone), one kept connection, and paired devices written under a lock by real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from fmtc_nb.device import DeviceClient, devices, pair
from fmtc_nb.errors import DeviceError
from tests.link.relays import recording_proxy

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def device(tmp_path):
    dev = VirtualDeviceProcess(tmp_path / "device").start()
    yield dev
    dev.stop()


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"])
def test_environment_proxies_never_see_a_device_request(device, tmp_path, monkeypatch, variable):
    with recording_proxy() as proxy:
        monkeypatch.setenv(variable, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        client = pair(device.url, device.code, "phone", tmp_path / "config")
        with client:
            assert client.info()["device_id"]
            assert client.jobs() == []
            assert client.stores() == []
        assert proxy.seen == [], "a device request went to the proxy"


def test_one_connection_is_kept_for_many_calls(device, tmp_path):
    client = pair(device.url, device.code, "phone", tmp_path / "config")
    ports = set()
    with client:
        for _ in range(20):
            client.info()
            pool = client.link.client._transport._pool  # httpcore's pool: the open connections
            ports.update(id(conn) for conn in pool.connections)
    assert len(ports) == 1


def test_an_unreachable_device_is_one_sentence(tmp_path):
    client = DeviceClient("http://127.0.0.1:9", "token")
    with pytest.raises(DeviceError, match="cannot be reached") as info:
        client.info()
    assert "open the fmtc-nb bridge app" in str(info.value)


def test_two_processes_pairing_at_once_lose_no_device(tmp_path):
    """Eight processes each save 25 devices into one devices.json at the same time: all 200 are there."""
    config = tmp_path / "config"
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from fmtc_nb.device.paired import new_device, save_device\n"
            "who = sys.argv[1]\n"
            "for i in range(25):\n"
            "    save_device(new_device(f'{who}-{i}', 'http://127.0.0.1:1', 't' * 20, who), Path(sys.argv[2]))\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", code, f"p{n}", str(config)], env=env) for n in range(8)]
    assert [p.wait(120) for p in procs] == [0] * 8
    names = {d.name for d in devices(config)}
    assert names == {f"p{n}-{i}" for n in range(8) for i in range(25)}
    assert oct((config / "devices.json").stat().st_mode & 0o777) == "0o600"
    assert json.loads((config / "devices.json").read_text())["devices"]
