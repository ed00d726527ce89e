"""Real runs on the virtual device (a real subprocess, SIGKILLed; the embedded tile server on 127.0.0.1) on a
simulated clock at 60x: a killing profile loses its service at the rule's time, is resumed after the scripted
reopen and ends with exactly the region's tiles; a stock profile completes with no kill; a vendor's sleep
optimisation cuts the network for real (the relay resets and refuses connections) and Samsung's ignored wake lock
freezes the process (SIGSTOP), each at its rule's time, and the job goes on by itself when the screen turns on."""

from __future__ import annotations

import pytest

from fmtc_nb.classroom.model import KILLED, RUNNING, STALLED, WAITING
from fmtc_nb.classroom.profiles import Action, Profile
from fmtc_nb.classroom.real import run_real
from fmtc_nb.classroom.rulebook import edit, rulebook
from fmtc_nb.engine import DownloadOptions

SPEEDUP = 60.0
TOLERANCE_S = 0.75 * SPEEDUP  # three quarters of a wall second, in simulated seconds
SMALL_ZOOMS = "0-12"  # 878 tiles of the same region: about 9 s of downloading


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("FMTC_NB_CONFIG", str(tmp_path / "config"))
    return tmp_path


def test_xiaomi_14_not_exempt_is_killed_on_time_and_resumed_by_the_reopen(config):
    profile = Profile("xiaomi", 34, script=(Action(60.0, "screen_off"), Action(900.0, "reopen")))
    run = run_real(profile, root=config / "run", speedup=SPEEDUP, timeout_s=120)
    kill_at = 60.0 + rulebook()["vendor_kill_by_award"].params["award5_s"]
    (killed,) = run.fired("vendor_kill_by_award")
    assert killed == pytest.approx(kill_at, abs=TOLERANCE_S)
    before = [row for row in run.timeline if row["t_s"] < killed]
    after_kill = [row for row in run.timeline if killed < row["t_s"] < 900.0]
    assert before[-1]["state"] == "running" and after_kill
    assert {row["state"] for row in after_kill} <= {KILLED, WAITING}, "nothing runs until the user reopens"
    (reopened,) = run.fired("reopen")
    assert reopened == pytest.approx(900.0, abs=TOLERANCE_S)
    assert any(row["state"] == "running" for row in run.timeline if row["t_s"] > reopened)
    assert run.summary["completed"] and run.summary["kills"] == 1 and run.summary["resumes"] == 1
    assert run.tiles_in_store == run.tiles_total == 3224, "exactly the region's tiles"


def test_stock_completes_with_no_kill(config):
    run = run_real(Profile("stock", 34), root=config / "run", speedup=SPEEDUP, timeout_s=120)
    assert run.summary["completed"] and run.summary["kills"] == 0 and run.summary["tiles_refetched"] == 0
    assert {row["state"] for row in run.timeline} <= {"running", "completed"}
    assert run.tiles_in_store == run.tiles_total


def stalled_between(run, start: dict, end: dict) -> list[dict]:
    """The timeline from a wall second after ``start`` (in-flight answers land) to ``end``, checked stalled."""
    rows = [row for row in run.timeline if start["t_s"] + SPEEDUP < row["t_s"] < end["t_s"]]
    assert rows and {row["state"] for row in rows} == {STALLED}
    assert len({row["tiles_done"] for row in rows}) == 1, "no tile is fetched while stalled"
    # only requests already sent when the stall began may still reach the server (at most one per connection)
    assert end["tiles_served"] - start["tiles_served"] <= DownloadOptions().parallel, "no new request while stalled"
    return rows


def assert_goes_on_and_completes(run, after: dict) -> None:
    later = [row for row in run.timeline if row["t_s"] > after["t_s"]]
    assert any(row["state"] == RUNNING for row in later) and later[-1]["tiles_done"] > after["tiles_done"]
    assert run.summary["completed"] and run.summary["kills"] == 0 and run.summary["stops"] == 0
    assert run.tiles_in_store == run.tiles_total == 878, "exactly the region's tiles"


def stall_run(config, vendor: str, api: int, rule: str, **timing: float):
    """``vendor`` at ``api``, screen off at 1 min and on at 6 min, ``rule`` edited to stall 2 min after the
    screen went off: the run, its stall and the screen-on event, both checked on time."""
    book = edit(rulebook(), rule, **timing)
    profile = Profile(vendor, api, script=(Action(60.0, "screen_off"), Action(360.0, "screen_on")))
    run = run_real(profile, root=config / "run", zooms=SMALL_ZOOMS, speedup=SPEEDUP, book=book, timeout_s=90)
    (stall,) = [e for e in run.events if e["rule"] == rule]
    (back,) = [e for e in run.events if e["rule"] == "screen_on"]
    assert stall["effect"] == "stall" and stall["t_s"] == pytest.approx(180.0, abs=TOLERANCE_S)
    assert back["t_s"] == pytest.approx(360.0, abs=TOLERANCE_S)
    stalled_between(run, stall, back)
    assert_goes_on_and_completes(run, back)
    return run


def test_realme_sleep_optimisation_cuts_the_network_for_real_until_the_screen_turns_on(config):
    run = stall_run(config, "realme", 34, "vendor_sleep_cuts_network", after_s=120)
    assert run.network["cuts"] == 1 and run.network["reset"] + run.network["refused"] > 0, "real connections cut"
    assert run.summary["network_cuts"] == 1 and run.summary["cpu_sleeps"] == 0


def test_samsung_ignored_wake_lock_freezes_the_process_until_the_screen_turns_on(config):
    run = stall_run(config, "samsung", 33, "samsung_fgs_wake_lock_ignored", cpu_sleep_after_s=120)
    assert run.summary["cpu_sleeps"] == 1 and run.summary["network_cuts"] == 0 and run.network["cuts"] == 0
