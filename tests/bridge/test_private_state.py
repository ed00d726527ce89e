"""What other local users can see: the device's state files (codes, tokens, job specs, headers) are 0600 in
0700 folders, checked by mode and, where a second user can be made, by reading them as that user. And the
pairing code shown on the screen is always one that works: a new one appears when the old expires."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from fmtc_nb.device import DeviceClient
from fmtc_nb.source import TileSource
from tests.bridge.conftest import api, pair_token

OTHER_USER = "nobody"  # every Debian/Ubuntu system has it; nothing is added to the machine
PRIVATE_FILES = ("bridge/screen.json", "bridge/tokens.json", "bridge/intended_jobs.json", "bridge/device.json",
                 "recovery.sqlite", "recovery.sqlite-wal", "recovery.sqlite-shm")


@pytest.fixture
def open_root():
    """A device root in a folder every local user may enter (as a home directory usually is)."""
    parent = Path(tempfile.mkdtemp(prefix="fmtc-nb-open-"))
    parent.chmod(0o755)
    yield parent / "device"
    shutil.rmtree(parent, ignore_errors=True)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def other_user() -> str | None:
    """A second local user to read files as (``nobody``, if this test runs as root and it exists), else None."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        return None
    if subprocess.run(["id", OTHER_USER], capture_output=True).returncode != 0:
        return None
    return OTHER_USER


def readable_by(user: str, path: Path) -> bool:
    done = subprocess.run(["runuser", "-u", user, "--", "head", "-c", "1", str(path)], capture_output=True,
                          timeout=30)
    assert done.returncode == 0 or b"Permission denied" in done.stderr, done.stderr
    return done.returncode == 0


def test_state_files_are_private(open_root, tile_server):
    dev = VirtualDeviceProcess(open_root).start()
    try:
        client = DeviceClient(dev.url, pair_token(dev))
        source = TileSource(tile_server.url_template, headers={"Authorization": "Bearer provider-secret"})
        row = client.dispatch("rect:6.0,46.0,6.5,46.5", "0-8", source=source, store="secret", rate_limit=5,
                              parallel=1)
        # the job spec with its header is in the registry
        assert b"provider-secret" in (open_root / "recovery.sqlite").read_bytes() + \
            (open_root / "recovery.sqlite-wal").read_bytes()
        assert mode(open_root / "bridge") == 0o700
        for name in PRIVATE_FILES:
            assert mode(open_root / name) == 0o600, name
        user = other_user()
        if user is not None:
            control = open_root / "world-readable.txt"  # the check can see a readable file: it has teeth
            control.write_text("x")
            control.chmod(0o644)
            assert readable_by(user, control)
            for name in PRIVATE_FILES:
                assert not readable_by(user, open_root / name), name
        client.cancel(row["id"])
        client.watch(row["id"])
    finally:
        dev.stop()


def test_files_left_open_by_an_older_version_are_made_private_at_start(open_root):
    state = open_root / "bridge"
    state.mkdir(parents=True)
    state.chmod(0o755)
    contents = {"screen.json": "{}", "tokens.json": '{"clients": []}', "intended_jobs.json": "{}",
                "device.json": '{"device_id": "device-older"}'}
    for name, text in contents.items():
        (state / name).write_text(text)
        (state / name).chmod(0o644)
    import sqlite3

    sqlite3.connect(open_root / "recovery.sqlite").close()
    (open_root / "recovery.sqlite").chmod(0o644)
    dev = VirtualDeviceProcess(open_root).start()
    try:
        assert mode(state) == 0o700
        for name in ("bridge/screen.json", "bridge/tokens.json", "bridge/device.json", "recovery.sqlite"):
            assert mode(open_root / name) == 0o600, name
    finally:
        dev.stop()


def test_a_new_code_appears_on_the_screen_when_the_old_expires(tmp_path):
    dev = VirtualDeviceProcess(tmp_path / "dev", args=("--code-ttl", "2")).start()
    try:
        first = dev.screen()
        time.sleep(max(first["pairing_expires_at"] - time.time(), 0) + 0.5)  # nobody asks the device anything
        second = dev.screen()
        assert second["pairing_code"] and second["pairing_code"] != first["pairing_code"]
        assert second["pairing_expires_at"] > time.time() - 0.5
        status, _, body = api(dev.url, "POST", "/api/v1/pair", {"code": first["pairing_code"], "name": "late"})
        assert status == 403 and "expired" in body["error"], "the code that just expired says so"
        code = dev.code
        status, _, body = api(dev.url, "POST", "/api/v1/pair", {"code": code, "name": "on time"})
        if status == 403 and "expired" in body["error"]:  # it turned over between reading and sending
            status, _, body = api(dev.url, "POST", "/api/v1/pair", {"code": dev.code, "name": "on time"})
        assert status == 201, body
    finally:
        dev.stop()
