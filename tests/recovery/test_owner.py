"""Owners and liveness: pids checked with their start time, zombies are gone, other hosts and devices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import psutil  # loaded for this platform before tests pretend to be on another one
import pytest

from fmtc_nb.recovery import Owner, RecoveryRegistry, liveness, owner_alive
from fmtc_nb.recovery.liveness import boot_id, process_stat

from .conftest import small_job


def test_this_process_is_alive_and_round_trips():
    me = Owner.this_process()
    assert me.kind == "process" and me.pid == os.getpid() and me.started.startswith(boot_id())
    assert owner_alive(me, "j") is True
    assert Owner.from_json(me.to_json()) == me
    assert me.describe() == f"process {os.getpid()} on host {me.host}"


def test_a_reused_pid_is_not_the_owner():
    me = Owner.this_process()
    ticks = int(me.started.rsplit(":", 1)[1])
    assert owner_alive(replace(me, started=f"{boot_id()}:{ticks + 1}"), "j") is False  # same pid, other start
    assert owner_alive(replace(me, started=f"another-boot:{ticks}"), "j") is False  # same pid, before a reboot


def test_an_ended_process_is_gone_and_a_zombie_too():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = Owner.process(child.pid)
    deadline = time.monotonic() + 10
    while (stat := process_stat(child.pid)) is not None and stat[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process_stat(child.pid)[0] == "Z"  # exited, not reaped yet
    assert owner_alive(owner, "j") is False
    child.wait()
    assert owner_alive(owner, "j") is False


def test_a_process_on_another_host_cannot_be_asked():
    assert owner_alive(replace(Owner.this_process(), host="elsewhere"), "j") is None


def test_devices_are_asked_through_the_bridge_callable():
    phone = Owner.device("pixel-7")
    assert phone.describe() == "device pixel-7" and Owner.from_json(phone.to_json()) == phone
    assert owner_alive(phone, "j") is None  # no bridge registered
    asked = []

    def bridge(device_id: str, job_id: str) -> bool | None:
        asked.append((device_id, job_id))
        return {"j1": True, "j2": False}.get(job_id)

    assert [owner_alive(phone, j, bridge) for j in ("j1", "j2", "j3")] == [True, False, None]
    assert asked == [("pixel-7", "j1"), ("pixel-7", "j2"), ("pixel-7", "j3")]

    def unreachable(device_id: str, job_id: str) -> bool:
        raise ConnectionError("no route")

    assert owner_alive(phone, "j1", unreachable) is None  # cannot be asked, never "gone"


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_on_macos_and_windows_a_sigkilled_runner_makes_its_job_failed(platform, registry, monkeypatch):
    """The registry's verdict through psutil (macOS and Windows, faked here by ``sys.platform``)."""
    assert psutil.pid_exists(os.getpid())
    monkeypatch.setattr(sys, "platform", platform)
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = Owner.process(runner.pid)
        assert owner.started.startswith("created:")
        tracker = registry.start(small_job(), owner)
        assert registry.get(tracker.job_id).status == "running"
        runner.send_signal(signal.SIGKILL)
        runner.wait()
    finally:
        runner.kill()
    info = registry.get(tracker.job_id)
    assert info.status == "failed" and "ended without finishing" in info.reason


def test_where_liveness_cannot_be_read_a_job_is_never_failed_only_stale(tmp_path, monkeypatch):
    """Windows without psutil: the owner cannot be asked, so a silent job turns stale after the lease (the
    pid's fate is unknown), never failed. (``os.name`` is not faked here: pathlib refuses 'nt' on Linux.)"""
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "psutil", None)
    monkeypatch.setattr(liveness, "backend", lambda: "none")  # what os.name == "nt" selects
    with RecoveryRegistry(tmp_path, lease_s=0.2) as registry:
        owner = Owner.process(dead_pid_of_a_child())
        assert owner.started == ""
        tracker = registry.start(small_job(), owner)
        assert registry.get(tracker.job_id).status == "running"
        time.sleep(0.3)
        assert registry.get(tracker.job_id).status == "stale"


def dead_pid_of_a_child() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
