"""Process liveness on every platform: the real /proc and psutil answers about real processes of this machine,
with Windows and macOS faked (``sys.platform``, ``os.name``, psutil hidden in ``sys.modules``) since CI runs
on Linux only. Each platform is asked about a live process, a SIGKILLed one (zombie, then reaped) and a pid
that another process took over."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from fmtc_nb.recovery import liveness
from fmtc_nb.recovery.liveness import GONE, UNKNOWN, look, process_alive, process_stat, start_token

# name: (sys.platform, os.name, psutil importable, backend expected)
PLATFORMS = {
    "linux": ("linux", "posix", True, "proc"),
    "linux-no-psutil": ("linux", "posix", False, "proc"),
    "android": ("android", "posix", False, "proc"),
    "macos": ("darwin", "posix", True, "psutil"),
    "macos-no-psutil": ("darwin", "posix", False, "signal"),
    "windows": ("win32", "nt", True, "psutil"),
    "windows-no-psutil": ("win32", "nt", False, "none"),
}
# what process_alive answers, per backend: a live process, a SIGKILLed zombie, a reaped one, a reused pid
EXPECTED = {
    "proc": {"live": True, "zombie": False, "reaped": False, "reused": False},
    "psutil": {"live": True, "zombie": False, "reaped": False, "reused": False},
    "signal": {"live": None, "zombie": None, "reaped": False, "reused": None},  # a taken pid cannot be judged
    "none": {"live": None, "zombie": None, "reaped": None, "reused": None},  # Windows without psutil: never asked
}


@contextlib.contextmanager
def faked(name: str) -> Iterator[str]:
    """Pretend to run on platform ``name`` (only around liveness calls: pathlib refuses os.name 'nt' here)."""
    platform, os_name, with_psutil, expected_backend = PLATFORMS[name]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "platform", platform)
        mp.setattr(os, "name", os_name)
        if not with_psutil:
            mp.setitem(sys.modules, "psutil", None)  # `import psutil` now raises ImportError
        yield expected_backend


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def sigkill(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``child`` and wait until it is a zombie (dead, not reaped)."""
    child.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while (stat := process_stat(child.pid)) is not None and stat[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process_stat(child.pid)[0] == "Z"


def ask(name: str, pid: int, token: str | None) -> bool | None:
    with faked(name):
        return process_alive(pid, token or "")


def record(name: str, pid: int) -> str | None:
    with faked(name):
        return start_token(pid)


@pytest.mark.parametrize("name", PLATFORMS)
def test_each_platform_picks_its_backend(name):
    with faked(name) as expected:
        assert liveness.backend() == expected


@pytest.mark.parametrize("name", PLATFORMS)
def test_a_live_process_then_killed_then_reaped(name):
    backend = PLATFORMS[name][3]
    child = sleeper()
    try:
        token = record(name, child.pid)
        assert (token is not None) == (backend in ("proc", "psutil"))
        assert ask(name, child.pid, token) is EXPECTED[backend]["live"]
        sigkill(child)
        assert ask(name, child.pid, token) is EXPECTED[backend]["zombie"]
    finally:
        child.kill()
        child.wait()
    assert ask(name, child.pid, token) is EXPECTED[backend]["reaped"]
    with faked(name):
        assert start_token(child.pid) is None


def _reuse_a_pid(name: str) -> tuple[str | None, subprocess.Popen[bytes]]:
    """Record a process's start token, SIGKILL it, and start another process with the same pid (through
    /proc/sys/kernel/ns_last_pid). Returns the first token and the second process; skips the test where
    choosing pids is not allowed."""
    for _ in range(20):  # a process of another test may take the freed pid first: then try with a new one
        first = sleeper()
        token = record(name, first.pid)
        first.send_signal(signal.SIGKILL)
        first.wait()
        time.sleep(0.02)  # at least one clock tick, so the new process's start differs even in /proc ticks
        for _ in range(5):
            try:
                with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                    f.write(str(first.pid - 1))
            except OSError:
                pytest.skip("this machine does not let a test choose the next pid (needs CAP_SYS_ADMIN)")
            second = sleeper()
            if second.pid == first.pid:
                return token, second
            second.kill()
            second.wait()
    pytest.fail("other processes kept taking the freed pid")


@pytest.mark.parametrize("name", PLATFORMS)
def test_a_pid_reused_by_another_process_is_gone(name):
    backend = PLATFORMS[name][3]
    token, second = _reuse_a_pid(name)
    try:
        assert record(name, second.pid) != token or backend in ("signal", "none")
        assert ask(name, second.pid, token) is EXPECTED[backend]["reused"]
    finally:
        second.kill()
        second.wait()


@pytest.mark.parametrize("name", PLATFORMS)
def test_a_token_of_another_process_does_not_match(name):
    """The pid-reuse check without choosing pids: process B's pid asked with process A's start token."""
    backend = PLATFORMS[name][3]
    first = sleeper()
    time.sleep(0.05)
    second = sleeper()
    try:
        first_token = record(name, first.pid)
        expected = {"proc": False, "psutil": False, "signal": None, "none": None}[backend]
        assert ask(name, second.pid, first_token) is expected
        assert ask(name, first.pid, first_token) is EXPECTED[backend]["live"]
    finally:
        for child in (first, second):
            child.kill()
            child.wait()


def test_windows_without_psutil_never_sends_a_signal():
    sent = []
    child = sleeper()
    try:
        with faked("windows-no-psutil"), pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))  # on Windows, signal 0 is Ctrl-C
            assert look(child.pid) == UNKNOWN and look(os.getpid()) == UNKNOWN
            assert start_token(child.pid) is None
            assert process_alive(child.pid, "") is None and process_alive(2**22 + 7, "created:1.0") is None
            assert liveness._look_signal(child.pid) == UNKNOWN  # even if reached, the probe refuses
    finally:
        child.kill()
        child.wait()
    assert sent == []


@pytest.mark.parametrize("name", PLATFORMS)
def test_pid_zero_and_negative_pids_are_gone_without_probing(name, monkeypatch):
    sent = []
    monkeypatch.setattr(os, "kill", lambda pid, sig: sent.append((pid, sig)))  # kill(0, 0) would "find" our group
    with faked(name):
        assert look(0) == GONE and look(-1) == GONE
        assert process_alive(0, "") is False
    assert sent == []


def test_linux_tokens_are_the_same_with_and_without_psutil():
    """psutil installed or not, a Linux host records and reads the same exact token (so a registry written by
    one environment is read right by another), and it agrees with psutil's own start time."""
    me = os.getpid()
    with faked("linux"):
        with_psutil = start_token(me)
    with faked("linux-no-psutil"):
        without = start_token(me)
    assert with_psutil == without == f"{liveness.boot_id()}:{process_stat(me)[1]}"
    ticks = int(with_psutil.rsplit(":", 1)[1])
    since_boot = psutil.Process(me).create_time() - psutil.boot_time()
    assert abs(ticks / os.sysconf("SC_CLK_TCK") - since_boot) < 1e-3
    assert liveness.boot_id() == Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def test_psutil_tokens_are_creation_times():
    me = os.getpid()
    with faked("windows"):
        token = start_token(me)
    assert token is not None and token.startswith("created:")
    assert abs(float(token.removeprefix("created:")) - psutil.Process(me).create_time()) < 1e-5


def test_same_start_compares_creation_times_within_a_millisecond():
    assert liveness.same_start("created:1718000000.123456", "created:1718000000.123900")
    assert not liveness.same_start("created:1718000000.123456", "created:1718000000.130000")
    assert not liveness.same_start("created:1718000000.1", "created:bad")
    assert liveness.same_start("b00t:123", "b00t:123") and not liveness.same_start("b00t:123", "b00t:124")
    assert not liveness.same_start("b00t:123", "created:123")  # a token of another platform's kind: another process
