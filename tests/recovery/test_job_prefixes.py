"""Issue 21 item 14 (CLI part): a job id prefix works the same in every ``fmtc-nb recovery`` command: a unique
prefix names the job, an ambiguous one is one sentence naming the problem, and ids are matched exactly (case,
``%`` and ``_`` included)."""

from __future__ import annotations

import json

import pytest

from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.recovery.owner import Owner

from .conftest import fmtc, small_job

SNAP = None


@pytest.fixture
def jobs(tmp_path):
    """Three stopped jobs: abc1_x, abd2%y, ABC3 (cancelled, so every command may act on them)."""
    from fmtc_nb.engine.progress import ProgressSnapshot

    with RecoveryRegistry(tmp_path) as registry:
        for job_id in ("abc1_x", "abd2%y", "ABC3"):
            tracker = registry.start(small_job(), Owner.this_process(), job_id=job_id)
            tracker.finished(ProgressSnapshot(), "cancelled", "interrupted")
    return tmp_path


@pytest.mark.parametrize("command", ["show", "cancel", "forget", "resume"])
def test_every_command_takes_a_unique_prefix_and_refuses_an_ambiguous_one(jobs, command):
    ambiguous = fmtc(jobs, "recovery", command, "ab")
    assert ambiguous.returncode == 2 and "matches several jobs" in ambiguous.stderr
    assert "Traceback" not in ambiguous.stderr and ambiguous.stderr.count("\n") == 1
    for prefix, wanted in (("abc", "abc1_x"), ("abd2%", "abd2%y"), ("AB", "ABC3")):
        done = fmtc(jobs, "recovery", command, prefix, *(["--json"] if command == "show" else []))
        if command == "resume":  # the job runs against a port nothing listens on: its tiles fail, it ends
            assert done.returncode in (0, 1), done.stderr
        else:
            assert done.returncode == 0, done.stderr
        if command == "show":
            assert json.loads(done.stdout)["id"] == wanted
        else:
            assert wanted in done.stdout + done.stderr


@pytest.mark.parametrize("prefix", ["abc1?x", "a_c", "a%", "Abc", "abc1_x "])
def test_wildcards_and_case_are_not_prefix_matches(jobs, prefix):
    done = fmtc(jobs, "recovery", "show", prefix)
    assert done.returncode == 2 and "no job" in done.stderr, done.stderr
