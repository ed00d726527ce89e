"""Pairing that a listener cannot steal: the SPAKE2 exchange over the bridge's own TLS certificate, through a
real TLS-terminating relay on loopback that logs everything it sees, then the pinned certificate."""

from __future__ import annotations

import json
import ssl
import urllib.request

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from android_bridge.tlscert import ensure_certificate, server_context
from fmtc_nb.device import connect, devices, pair
from fmtc_nb.device.pinning import CertificateChanged
from fmtc_nb.errors import DeviceError
from fmtc_nb.pake import encode, side_a
from tests.link.relays import TlsRelay


@pytest.fixture
def tls_device(tmp_path):
    dev = VirtualDeviceProcess(tmp_path / "device", args=("--tls", "--code-tries", "3")).start()
    yield dev
    dev.stop()


def post(url: str, path: str, body: object) -> tuple[int, dict]:
    """A raw POST to a TLS bridge (its certificate not checked: these are the attacker's requests)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_pairing_over_tls_pins_the_devices_certificate(tls_device, tmp_path):
    assert tls_device.url.startswith("https://127.0.0.1:")
    client = pair(tls_device.url, tls_device.code, "phone", tmp_path / "config")
    (saved,) = devices(tmp_path / "config")
    assert saved.fingerprint == tls_device.info["fingerprint"] and saved.certificate.startswith("-----BEGIN")
    assert "certificate" not in saved.public() and "token" not in saved.public()
    with client:
        assert client.info()["device_id"] == tls_device.info["device_id"]
    with connect("phone", tmp_path / "config") as again:  # from the file: the pinned certificate is trusted
        assert again.jobs() == []


def test_a_relay_in_the_middle_learns_neither_code_nor_token_and_pairing_fails(tls_device, tmp_path):
    relay_state = tmp_path / "relay"
    relay_state.mkdir()
    ensure_certificate(relay_state, "relay")
    relay = TlsRelay(server_context(relay_state), ("127.0.0.1", tls_device.port))
    code = tls_device.code
    try:
        with pytest.raises(DeviceError) as info:
            pair(relay.url, code, "phone", tmp_path / "config")
    finally:
        relay.close()
    assert "not confirmed" in str(info.value) and "its own certificate" in str(info.value)
    seen = bytes(relay.log)
    assert b"/api/v1/pair/start" in seen, "the relay did carry the exchange"
    assert code.encode() not in seen and b"/api/v1/pair/finish" not in seen
    assert not (tmp_path / "device" / "bridge" / "tokens.json").exists(), "no token was issued"
    assert devices(tmp_path / "config") == []
    # the phone still pairs directly afterwards (the relay's try counted, the code still works)
    pair(tls_device.url, tls_device.code, "phone", tmp_path / "config").close()


def test_after_pairing_a_bridge_with_a_new_certificate_is_refused(tmp_path):
    root = tmp_path / "device"
    dev = VirtualDeviceProcess(root, args=("--tls",)).start()
    old = dev.info["fingerprint"]
    pair(dev.url, dev.code, "phone", tmp_path / "config").close()
    port = dev.port
    dev.stop()
    for name in ("tls.key", "tls.crt"):  # the app reinstalled, or another machine on the same address
        (root / "bridge" / name).unlink()
    dev = VirtualDeviceProcess(root, port=port, args=("--tls",)).start()
    try:
        assert dev.info["fingerprint"] != old
        with connect("phone", tmp_path / "config") as client, pytest.raises(CertificateChanged) as info:
            client.info()
        message = str(info.value)
        assert dev.info["fingerprint"] in message and old in message and "pair again" in message
        pair(dev.url, dev.code, "phone", tmp_path / "config").close()  # re-pairing replaces the pin
        (saved,) = devices(tmp_path / "config")
        assert saved.fingerprint == dev.info["fingerprint"]
    finally:
        dev.stop()


def test_bad_pairing_messages_are_sentences_and_leave_no_device(tls_device, tmp_path):
    config = tmp_path / "config"
    for body, words in [
        ({"msg": "not base64!", "name": "x"}, "not valid base64"),
        ({"msg": encode(b"\x41" * 10), "name": "x"}, "has 10 bytes, not 33"),
        ({"msg": encode(b"\x41" + b"\xff" * 32), "name": "x"}, "not a valid SPAKE2 message"),
        ({"name": "x"}, "The body must be"),
    ]:
        status, answer = post(tls_device.url, "/api/v1/pair/start", body)
        assert status == 400 and words in answer["error"], (body, answer)
    status, started = post(tls_device.url, "/api/v1/pair/start", {"msg": encode(side_a("000000")[1]), "name": "x"})
    assert status == 200
    status, answer = post(tls_device.url, "/api/v1/pair/finish", {"session": started["session"],
                                                                  "confirm": encode(b"\0" * 32)})
    assert status == 403 and answer["error"] == "The pairing code is wrong."
    status, answer = post(tls_device.url, "/api/v1/pair/finish", {"session": started["session"],
                                                                  "confirm": encode(b"\0" * 32)})
    assert status == 400 and "unknown, used or expired" in answer["error"], "a replayed finish"
    status, answer = post(tls_device.url, "/api/v1/pair/finish", {"session": "x", "confirm": "garbled"})
    assert status == 400
    with pytest.raises(DeviceError, match="not confirmed: either the code is wrong"):  # over TLS, the one sentence
        pair(tls_device.url, "999999" if tls_device.code != "999999" else "111111", "phone", config)
    # three tries used (the garbled point, the raw start, the wrong pair): the next start is locked out
    with pytest.raises(DeviceError, match="locked"):
        pair(tls_device.url, tls_device.code or "123456", "phone", config)
    assert devices(config) == []
    assert not (config / "devices.json").exists()


def test_plain_pairing_is_refused_on_the_lan_only(tmp_path):
    """The plain exchange (the code inside the request) works on loopback; a --lan bridge refuses it. The
    bridge's app is served in-process on 127.0.0.1 (the tests never listen on another address)."""
    import asyncio

    from aiohttp.test_utils import TestClient, TestServer

    from android_bridge.api import build_app
    from android_bridge.bridge import Bridge
    from android_bridge.config import BridgeConfig
    from android_bridge.platform.virtual import VirtualPlatform

    async def plain_pair(lan: bool) -> tuple[int, dict]:
        root = tmp_path / ("lan" if lan else "loopback")
        bridge = Bridge(BridgeConfig(root, lan=lan), VirtualPlatform(root / "bridge"))
        code = bridge.pairing.current()
        assert code is not None
        async with TestClient(TestServer(build_app(bridge), host="127.0.0.1")) as client:
            response = await client.post("/api/v1/pair", json={"code": code.code, "name": "x"})
            return response.status, await response.json()

    status, answer = asyncio.run(plain_pair(lan=True))
    assert status == 403 and "never crosses the network" in answer["error"]
    status, answer = asyncio.run(plain_pair(lan=False))
    assert status == 201 and answer["token"]


def test_an_expired_code_is_a_sentence_and_leaves_no_device(tmp_path):
    dev = VirtualDeviceProcess(tmp_path / "device", args=("--tls", "--code-ttl", "1")).start()
    try:
        old = dev.code
        import time

        time.sleep(1.5)  # the code the user read has expired; the phone shows a new one
        with pytest.raises(DeviceError, match="not confirmed: either the code is wrong"):  # over TLS, the one sentence
            pair(dev.url, old, "phone", tmp_path / "config")
        assert devices(tmp_path / "config") == []
    finally:
        dev.stop()
