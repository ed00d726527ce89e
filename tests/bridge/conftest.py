"""Fixtures of the bridge tests: a demo tile server on loopback, virtual devices in real subprocesses."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from android_bridge.launcher import VirtualDeviceProcess


@pytest.fixture(scope="module")
def tile_server() -> Iterator[Any]:
    """The embedded demo tile server (in this process, so its counters can be read), 15 ms a tile."""
    from fmtc_nb.tileserver import start_server

    server = start_server(latency_s=0.015)
    yield server
    server.stop()


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user config directory (paired devices and their tokens go here)."""
    path = tmp_path / "config"
    monkeypatch.setenv("FMTC_NB_CONFIG", str(path))
    return path


@pytest.fixture
def device(tmp_path: Path) -> Iterator[VirtualDeviceProcess]:
    """A fresh virtual device on its own root, started in a subprocess."""
    dev = VirtualDeviceProcess(tmp_path / "device").start()
    yield dev
    dev.stop()


def api(url: str, method: str, path: str, body: Any = None, token: str | None = None,
        headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    """One request to a device: (status, headers, decoded JSON body or raw bytes)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url + path, method=method, data=data)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, head, content = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, head, content = exc.code, dict(exc.headers), exc.read()
    try:
        return status, head, json.loads(content)
    except ValueError:
        return status, head, content


def pair_token(dev: VirtualDeviceProcess, name: str = "tests") -> str:
    """Pair with ``dev`` by the code it shows; the token."""
    status, _, body = api(dev.url, "POST", "/api/v1/pair", {"code": dev.code, "name": name})
    assert status == 201, body
    return body["token"]
