"""Real runs on the virtual device (a real subprocess, SIGKILLed; the embedded tile server on 127.0.0.1) on a
simulated clock at 60x: a killing profile loses its service at the rule's time, is resumed after the scripted
reopen and ends with exactly the region's tiles; a stock profile completes with no kill."""

from __future__ import annotations

import pytest

from fmtc_nb.classroom.model import KILLED, WAITING
from fmtc_nb.classroom.profiles import Action, Profile
from fmtc_nb.classroom.real import run_real
from fmtc_nb.classroom.rulebook import rulebook

SPEEDUP = 60.0
TOLERANCE_S = 0.75 * SPEEDUP  # three quarters of a wall second, in simulated seconds


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
