"""Requests as a hostile or unlucky client sends them: split and slow bodies, chunked bodies over the limit,
half-sent heads by the hundred, dropped event streams, look-alike tokens, non-ASCII file names.

Every test runs a virtual device in a real subprocess and talks to it over loopback sockets."""

from __future__ import annotations

import email.utils
import json
import math
import os
import re
import socket
import struct
import time
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from fmtc_nb.device import DeviceClient
from tests.bridge.conftest import api, pair_token

HEAD_TIMEOUT_S = 3.0
BODY_TIMEOUT_S = 1.0
MAX_CONNECTIONS = 40
PER_PEER = 10


@pytest.fixture
def guarded(tmp_path):
    """A device with short head/body timeouts and small connection caps, and a paired token."""
    dev = VirtualDeviceProcess(tmp_path / "guarded", args=(
        "--head-timeout", str(HEAD_TIMEOUT_S), "--body-timeout", str(BODY_TIMEOUT_S),
        "--max-connections", str(MAX_CONNECTIONS), "--max-connections-per-peer", str(PER_PEER))).start()
    dev.token = pair_token(dev)
    yield dev
    dev.stop()


def raw_request(port: int, parts: list[bytes], pause_s: float = 0.2, timeout: float = 15.0) -> tuple[int, bytes]:
    """Send ``parts`` as separate TCP sends ``pause_s`` apart; (status, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for n, part in enumerate(parts):
            if n:
                time.sleep(pause_s)
            sock.sendall(part)
        data = b""
        while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _expected_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(data)


def post_head(path: str, length: int | None, token: str | None = None, chunked: bool = False) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# -- item 7: a body is read whole, up to the limit -----------------------------------------------------------
def test_pairing_body_split_over_two_sends_pairs(device):
    body = json.dumps({"code": device.code, "name": "split"}).encode()
    status, answer = raw_request(device.port, [post_head("/api/v1/pair", len(body)) + body[:9], body[9:]])
    assert status == 201, answer
    assert json.loads(answer)["token"]


def wiggly_polygon(vertices: int) -> dict:
    """A GeoJSON polygon around Geneva with many vertices (coordinates written with full precision)."""
    ring = []
    for k in range(vertices):
        angle = 2 * math.pi * k / vertices
        radius = 0.2 + 0.01 * math.sin(7 * angle)
        ring.append([6.15 + radius * math.cos(angle) + 1e-12 * k, 46.2 + radius * math.sin(angle) / 1.3])
    ring.append(ring[0])
    return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_400_kb_geojson_dispatched_with_the_projects_client(device, tile_server):
    region = wiggly_polygon(10_000)
    assert 380_000 < len(json.dumps(region)) < 1 << 20
    client = DeviceClient(device.url, pair_token(device))
    for attempt in range(3):
        row = client.dispatch(region, "0-9", url=tile_server.url_template, store=f"big-{attempt}",
                              rate_limit=5, parallel=1)
        assert row["status"] == "running" and row["tiles_total"] > 0
        assert client.cancel(row["id"])["status"] in ("cancelling", "cancelled")
        assert client.watch(row["id"])["status"] == "cancelled"


def test_chunked_body_over_the_limit_is_refused_413_not_parsed_from_its_prefix(device):
    token = pair_token(device)
    limit = api(device.url, "GET", "/api/v1/device", token=token)[2]["limits"]["max_body_bytes"]
    valid = json.dumps({"code": device.code, "name": "prefix"}).encode()
    padding = b" " * (limit + 10)
    chunks = [valid, padding[: limit // 2], padding[limit // 2:]]
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    code_before = device.code
    status, answer = raw_request(device.port, [post_head("/api/v1/pair", None, chunked=True) + encoded[:200],
                                               encoded[200:]])
    assert status == 413, answer
    assert "larger than" in json.loads(answer)["error"]
    assert device.code == code_before, "the code was not used"


def test_a_body_that_stops_arriving_gets_408_after_the_body_timeout(guarded):
    started = time.monotonic()
    status, answer = raw_request(guarded.port, [post_head("/api/v1/pair", 100) + b'{"code": '], timeout=10)
    assert status == 408 and "did not arrive" in json.loads(answer)["error"]
    assert BODY_TIMEOUT_S <= time.monotonic() - started < BODY_TIMEOUT_S + 3


# -- item 6: half-sent requests, connection caps, dropped event streams -------------------------------------
def half_open(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /api/v1/device HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def state(sock: socket.socket) -> str:
    """How the device treats a half-sent request: "held" (still waiting for it), "503" (refused with a
    sentence), "408" (closed with a sentence) or "closed" (reset or closed without one)."""
    sock.settimeout(0.05)
    try:
        data = sock.recv(65536)
    except TimeoutError:
        return "held"
    except OSError:
        return "closed"
    return data[9:12].decode() if data.startswith(b"HTTP/1.1 ") else "closed"


def test_half_sent_heads_are_closed_and_connections_are_capped(guarded):
    pid = guarded.info["pid"]
    baseline = open_fds(pid)
    slow = [half_open(guarded.port, "127.0.0.2") for _ in range(300)]
    try:
        time.sleep(0.3)
        states = [state(s) for s in slow]
        assert states.count("held") == PER_PEER, "one address holds at most its share of connections"
        assert states.count("503") >= 1 and set(states) <= {"held", "503", "closed"}
        assert open_fds(pid) <= baseline + PER_PEER + MAX_CONNECTIONS + 2  # refusals are read for a second
        status, _, body = api(guarded.url, "GET", "/api/v1/device", token=guarded.token)
        assert status == 200, body  # another address is served meanwhile
        time.sleep(HEAD_TIMEOUT_S + 0.5)
        assert all(state(s) != "held" for s in slow), "every half-sent request was closed"
        assert open_fds(pid) <= baseline + 2
    finally:
        for s in slow:
            s.close()
    many = [half_open(guarded.port, f"127.0.{n // 200}.{2 + n % 200}") for n in range(MAX_CONNECTIONS + 20)]
    try:
        time.sleep(0.3)
        states = [state(s) for s in many]
        assert states.count("held") == MAX_CONNECTIONS and states.count("503") == 20, "the device holds its cap"
        time.sleep(HEAD_TIMEOUT_S + 0.5)
        assert [state(s) for s in many[:MAX_CONNECTIONS]] == ["408"] * MAX_CONNECTIONS, "late heads get a sentence"
    finally:
        for s in many:
            s.close()
    time.sleep(0.3)
    assert open_fds(pid) <= baseline + 2
    assert api(guarded.url, "GET", "/api/v1/device", token=guarded.token)[0] == 200


def test_refused_connection_gets_a_503_sentence(guarded):
    slow = [half_open(guarded.port, "127.0.0.3") for _ in range(PER_PEER)]
    try:
        time.sleep(0.2)
        with socket.socket() as extra:
            extra.settimeout(5)
            extra.bind(("127.0.0.3", 0))
            extra.connect(("127.0.0.1", guarded.port))
            extra.sendall(b"GET /api/v1/device HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while chunk := extra.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"Retry-After" in head
        assert "too many connections" in json.loads(body)["error"]
    finally:
        for s in slow:
            s.close()


def test_dropped_event_stream_clients_leave_no_traceback(guarded, tile_server):
    client = DeviceClient(guarded.url, guarded.token)
    row = client.dispatch("rect:6.0,46.0,6.5,46.5", "0-8", url=tile_server.url_template, store="watched",
                          rate_limit=5, parallel=1)
    try:
        for _ in range(8):
            with socket.create_connection(("127.0.0.1", guarded.port), timeout=5) as sock:
                sock.sendall(f"GET /api/v1/jobs/{row['id']}/events HTTP/1.1\r\nHost: x\r\n"
                             f"Authorization: Bearer {guarded.token}\r\n\r\n".encode())
                seen = b""
                while b"event: progress" not in seen:
                    chunk = sock.recv(65536)
                    assert chunk, "the stream ended early"
                    seen += chunk
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not FIN
        time.sleep(1.0)
    finally:
        client.cancel(row["id"])
        client.watch(row["id"])
    log = guarded.log_path.read_text()
    assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]


# -- item 14: tokens compared exactly; non-ASCII file names -------------------------------------------------
def test_only_the_exact_token_is_accepted(device):
    token = pair_token(device)
    # (whitespace around a header value is not part of it in HTTP, so "Bearer TOKEN " is the exact token)
    for header in (f"Bearer  {token}", f"Bearer\t{token}", f"Bearer {token}x", f"Bearer {token[:-1]}",
                   f"Bearer {token.upper()}", f"Bearer {token}\x00", f"Bearer {token} {token}"):
        try:
            status = api(device.url, "GET", "/api/v1/device", headers={"Authorization": header})[0]
        except ValueError:  # a header the client library itself refuses to send
            continue
        refused = (400, 401) if "\x00" in header else (401,)  # a NUL may be refused as a bad header first
        assert status in refused, repr(header)
    assert api(device.url, "GET", "/api/v1/device", headers={"Authorization": f"bearer {token}"})[0] == 200


def test_non_ascii_store_name_in_content_disposition(device, tile_server, tmp_path):
    client = DeviceClient(device.url, pair_token(device))
    name = "Zürich 東京"
    row = client.dispatch("rect:6.0,46.0,6.5,46.5", "0-3", url=tile_server.url_template, store=name)
    assert client.watch(row["id"])["status"] == "completed"
    status, head, body = api(device.url, "GET", f"/api/v1/stores/{quote(name)}.mbtiles", token=client.token)
    assert status == 200 and body[:16] == b"SQLite format 3\x00"
    disposition = head["Content-Disposition"]
    assert disposition.isascii()
    assert 'filename="Z_rich __.mbtiles"' in disposition, "an ASCII fallback for old clients"
    extended = re.search(r"filename\*=([^;]+)", disposition).group(1)
    charset, _, encoded = email.utils.decode_rfc2231(extended)
    assert charset == "UTF-8" and unquote(encoded, encoding=charset) == f"{name}.mbtiles"
    assert Path(client.pull(name, tmp_path / "local")).name == f"{name}.mbtiles"
