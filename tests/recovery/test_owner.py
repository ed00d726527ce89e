"""Owners and liveness: pids checked with their start time, zombies are gone, other hosts and devices."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace

from fmtc_nb.recovery import Owner, owner_alive
from fmtc_nb.recovery.owner import boot_id, process_stat


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
