"""Profiles and scripts are parsed with one-sentence errors; ``fmtc-nb simulate`` prints the outcome with the
vendor data's credit and refuses bad input with exit 2; the sweep covers every vendor row x API x exemption;
the outcome frames and the FMTC comparison say what they should."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fmtc_nb.android.vendors import ATTRIBUTION, vendor_table
from fmtc_nb.classroom.model import COMPLETED, ModelOptions, simulate
from fmtc_nb.classroom.outcomes import compare_with_fmtc, summary_frame, sweep, timeline_frame
from fmtc_nb.classroom.profiles import Action, Profile, parse_script
from fmtc_nb.classroom.rulebook import edit, rulebook, rulebook_frame
from fmtc_nb.errors import ProfileError
from fmtc_nb.units import human_duration


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fmtc_nb", "simulate", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_a_script_parses_with_units_and_sorted():
    script = parse_script('{"actions": [{"at": "2h", "do": "reopen"}, {"at": 90, "do": "screen_off"}]}')
    assert script == (Action(90.0, "screen_off"), Action(7200.0, "reopen"))


@pytest.mark.parametrize("text, words", [
    ("[{", "not valid JSON"),
    ('{"at": 1}', "must be a JSON list"),
    ('[{"at": "1m", "do": "dance"}]', "unknown action 'dance'"),
    ('[{"at": "soon", "do": "reopen"}]', "is not a number of seconds"),
    ('[{"at": 1, "do": "reopen", "extra": 2}]', 'exactly "at" and "do"'),
    ('[{"at": -5, "do": "reopen"}]', "between 0 and 30 days"),
])
def test_bad_scripts_are_one_sentence(text, words):
    with pytest.raises(ProfileError) as err:
        parse_script(text)
    assert words in str(err.value) and str(err.value).count("\n") == 0


def test_profiles_take_every_vendor_row_and_refuse_others():
    assert {Profile(r["vendor"].upper(), 30).vendor for r in vendor_table()} == {r["vendor"] for r in vendor_table()}
    with pytest.raises(ProfileError, match="Unknown vendor 'nokla'"):
        Profile("nokla", 30)
    with pytest.raises(ProfileError, match="from 26 to 35"):
        Profile("stock", 25)


def test_rule_book_edits_are_checked_and_assumptions_shown():
    with pytest.raises(ProfileError, match="no parameter 'speed'"):
        edit(rulebook(), "sticky_restart", speed=1)
    with pytest.raises(ProfileError, match="Unknown rule"):
        edit(rulebook(), "nope", after_s=1)
    frame = rulebook_frame()
    row = frame.set_index("rule").loc["vendor_kill_by_award"]
    assert "award5_s=600 (assumed)" in row["params"] and "dontkillmyapp" in row["source"]
    assert frame.set_index("rule").loc["data_sync_timeout", "params"].startswith("limit_s=21600,")
    assert frame.attrs["attribution"] == ATTRIBUTION


def test_the_bridge_reads_the_same_lifecycle_rows():
    from android_bridge import lifecycle_rules
    from fmtc_nb.android import lifecycle

    assert lifecycle_rules.RULES is lifecycle.RULES
    book = rulebook()
    assert book["data_sync_timeout"].source == lifecycle.rule("data_sync_timeout").source


def test_timeline_and_summary_frames():
    run = simulate(Profile("xiaomi", 34), ModelOptions(tiles_total=20_000, rate_tps=2.0))
    frame = timeline_frame(run)
    assert list(frame.columns) == ["t_s", "t_h", "tiles_done", "state"]
    assert {"running", "killed", "waiting for user", "completed"} >= set(frame["state"]) >= {"running", COMPLETED}
    assert frame["tiles_done"].iloc[-1] == 20_000
    summary = summary_frame([run]).iloc[0]
    assert summary["kills"] == 1 and summary["resumes"] == 1 and summary["tiles_refetched"] > 0
    assert summary["time_to_complete_s"] == pytest.approx(7200 + (20_000 - 1000) / 2.0)


def test_fmtc_comparison_waits_for_the_user_where_ours_resumes_itself():
    both = compare_with_fmtc(Profile("oppo", 30), ModelOptions(tiles_total=20_000, rate_tps=2.0))
    ours, fmtc = both["fmtc-nb"], both["FMTC"]
    assert ours["resumes"] >= 1 and ours["time_to_complete_s"] < 11_000, "the sticky restart resumed it"
    assert fmtc["time_to_complete_s"] > 7200, "FMTC's job waited for the reopen at 2 h"
    assert fmtc["tiles_refetched"] == 0, "no buffering: nothing lost"


def test_sweep_covers_every_vendor_api_and_exemption():
    frame = sweep(ModelOptions(tiles_total=20_000, rate_tps=2.0))
    assert len(frame) == len(vendor_table()) * 10 * 2
    stock = frame[(frame["vendor"] == "stock")]
    assert stock["completed"].all() and (stock["kills"] == 0).all()


def test_cli_text_and_json_carry_the_attribution():
    text = cli("--vendor", "Xiaomi", "--android", "34")
    assert text.returncode == 0 and "vendor_kill_by_award" in text.stdout and ATTRIBUTION in text.stdout
    data = json.loads(cli("--vendor", "stock", "--android", "35", "--json").stdout)
    assert data["attribution"] == ATTRIBUTION and data["summary"]["completed"] and data["summary"]["kills"] == 0
    stock = cli("--vendor", "stock", "--android", "35").stdout  # durations in the words of every other output
    assert f"completed in {human_duration(data['summary']['time_to_complete_s'])};" in stock
    assert f"time lost {human_duration(data['summary']['time_lost_s'])}" in stock
    swept = json.loads(cli("sweep", "--json").stdout)
    assert len(swept["runs"]) == 360 and swept["attribution"] == ATTRIBUTION  # its speed: bench_classroom.py
    assert len({(run["vendor"], run["api"], run["exempt"]) for run in swept["runs"]}) == 360  # each profile once


@pytest.mark.parametrize("args, words", [
    (("--vendor", "acme", "--android", "34"), "Unknown vendor 'acme'"),
    (("--vendor", "stock", "--android", "99"), "from 26 to 35"),
    (("--vendor", "stock"), "Give --vendor and --android"),
    (("sweeps",), "Unknown simulate target"),
    (("--vendor", "stock", "--android", "34", "--script", "/nonexistent/x.json"), "Cannot read the script"),
    (("--vendor", "stock", "--android", "34", "--tiles", "0"), "--tiles must be at least 1"),
])
def test_cli_bad_input_is_one_sentence_and_exit_2(args, words):
    done = cli(*args)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_cli_script_file(tmp_path):
    script = tmp_path / "s.json"
    script.write_text('[{"at": "1m", "do": "screen_off"}, {"at": "30m", "do": "reopen"}]')
    data = json.loads(cli("--vendor", "xiaomi", "--android", "34", "--script", str(script), "--json").stdout)
    reopen = [e for e in data["events"] if e["rule"] == "reopen"]
    assert reopen and reopen[0]["t_s"] == 1800.0 and data["summary"]["completed"]
    script.write_text('[{"at": "1m", "do": "fly"}]')
    bad = cli("--vendor", "xiaomi", "--android", "34", "--script", str(script))
    assert bad.returncode == 2 and "unknown action 'fly'" in bad.stderr


def test_cli_real_runs_the_virtual_device(tmp_path):
    done = subprocess.run([sys.executable, "-m", "fmtc_nb", "simulate", "--vendor", "stock", "--android", "34",
                           "--real", "--json"], capture_output=True, text=True, timeout=240,
                          env={**os.environ, "FMTC_NB_CONFIG": str(tmp_path / "config")})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["summary"]["mode"] == "real" and data["summary"]["completed"] and data["summary"]["kills"] == 0
    assert data["attribution"] == ATTRIBUTION
