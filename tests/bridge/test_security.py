"""Pairing and token rules against a virtual device in a real subprocess on loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from android_bridge.config import BridgeConfig
from android_bridge.launcher import VirtualDeviceProcess
from tests.bridge.conftest import api, pair_token

PATHS = ["/api/v1/device", "/api/v1/jobs", "/api/v1/jobs/nope", "/api/v1/recovery", "/api/v1/stores",
         "/api/v1/stores/x/stats", "/api/v1/stores/x.mbtiles", "/api/v1/openapi.json", "/api/v1/no-such-thing",
         "/elsewhere"]


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_every_endpoint_needs_the_token_and_401_reveals_nothing(device):
    token = pair_token(device)
    bodies = set()
    for path in PATHS:
        for auth in (None, "wrong", token[:-1] + ("A" if token[-1] != "A" else "B"), ""):
            headers = {} if auth is None else {"Authorization": f"Bearer {auth}"}
            status, head, body = api(device.url, "GET", path, headers=headers)
            assert status == 401, (path, auth, body)
            assert head.get("WWW-Authenticate") == "Bearer"
            bodies.add(json.dumps(body))
        status, _, body = api(device.url, "GET", path, headers={"Authorization": f"Basic {token}"})
        assert status == 401
        bodies.add(json.dumps(body))
    assert bodies == {json.dumps({"error": "Unauthorized."})}
    assert api(device.url, "GET", "/api/v1/device", token=token)[0] == 200


def test_token_hash_only_survives_restart_and_can_be_revoked(device):
    token = pair_token(device, "notebook A")
    stored = (device.root / "bridge" / "tokens.json").read_text()
    assert token not in stored and "token_sha256" in stored
    assert (device.root / "bridge" / "tokens.json").stat().st_mode & 0o777 == 0o600
    device.restart()
    assert api(device.url, "GET", "/api/v1/device", token=token)[0] == 200
    status, _, body = api(device.url, "DELETE", "/api/v1/pair", token=token)
    assert status == 200 and body == {"revoked": True}
    assert api(device.url, "GET", "/api/v1/device", token=token)[0] == 401


def test_code_is_one_time_and_wrong_codes_refused(device):
    code = device.code
    status, _, body = api(device.url, "POST", "/api/v1/pair", {"code": wrong_code(code), "name": "x"})
    assert status == 403 and "wrong" in body["error"]
    status, _, body = api(device.url, "POST", "/api/v1/pair", {"code": code, "name": "x"})
    assert status == 201 and len(body["token"]) >= 40
    assert device.code != code
    status, _, body = api(device.url, "POST", "/api/v1/pair", {"code": code, "name": "again"})
    assert status == 403, "a used code never works twice"
    for bad in (123456, "12345", "1234567", "abcdef", "١٢٣٤٥٦", None):
        status, _, body = api(device.url, "POST", "/api/v1/pair", {"code": bad, "name": "x"})
        assert status == 400 and "six digits" in body["error"]
    for raw in (b"{", b"[]", b'{"code": "123456", "extra": 1}', b"\xff\xfe", b'{"code": NaN}'):
        status, _, body = api(device.url, "POST", "/api/v1/pair", raw=raw)
        assert status == 400 and "error" in body


@pytest.fixture
def strict_device(tmp_path, request):
    """A device with 3 tries, a 2 s lockout and the code lifetime (s) the test parametrizes."""
    ttl = request.param
    dev = VirtualDeviceProcess(tmp_path / "strict", args=("--code-tries", "3", "--lockout", "2",
                                                           "--code-ttl", str(ttl))).start()
    yield dev
    dev.stop()


@pytest.mark.parametrize("strict_device", [60], indirect=True)
def test_lockout_after_wrong_tries_then_new_code(strict_device):
    dev = strict_device
    code = dev.code
    for _ in range(3):
        status, head, body = api(dev.url, "POST", "/api/v1/pair", {"code": wrong_code(code), "name": "x"})
    assert status == 429 and int(head["Retry-After"]) >= 1 and "locked" in body["error"]
    assert dev.code is None, "while locked the phone shows no code"
    status, _, _ = api(dev.url, "POST", "/api/v1/pair", {"code": code, "name": "x"})
    assert status == 429, "even the right code is refused during the lockout"
    time.sleep(2.2)
    status, _, body = api(dev.url, "POST", "/api/v1/pair", {"code": code, "name": "x"})
    assert status == 403, "the code shown before the lockout is dead"
    status, _, body = api(dev.url, "POST", "/api/v1/pair", {"code": dev.code, "name": "x"})
    assert status == 201


@pytest.mark.parametrize("strict_device", [1.5], indirect=True)
def test_expired_code_is_refused_and_replaced(strict_device):
    dev = strict_device
    code = dev.code
    time.sleep(1.7)
    status, _, body = api(dev.url, "POST", "/api/v1/pair", {"code": code, "name": "late"})
    assert status == 403 and "expired" in body["error"]
    fresh = dev.code
    assert fresh and fresh != code
    assert api(dev.url, "POST", "/api/v1/pair", {"code": fresh, "name": "in time"})[0] == 201


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_binds_loopback_unless_lan_is_asked(device, tmp_path):
    assert device.url.startswith("http://127.0.0.1:")
    assert listening_addresses(device.port) == {"0100007F"}
    # (the team's machines allow loopback servers only, so the LAN choice is checked without binding)
    assert BridgeConfig(tmp_path).bind_host == "127.0.0.1"
    assert BridgeConfig(tmp_path, lan=True).bind_host == "0.0.0.0"
