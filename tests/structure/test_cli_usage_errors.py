"""A mistyped command line (a missing or unknown argument, a value of the wrong kind, a choice not offered) is one
line and exit 2, as every other bad input is: argparse printed its usage block first (14 lines for download)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("argv", "prog", "phrase"), [
    ([], "fmtc-nb", "the following arguments are required: COMMAND"),
    (["frobnicate"], "fmtc-nb", "invalid choice: 'frobnicate'"),
    (["download", "rect:0,0,1,1", "--zoom", "0-3", "--url", "http://127.0.0.1:9/{z}/{x}/{y}", "--store", "s",
      "--parallel", "x"], "fmtc-nb download", "argument --parallel: invalid int value: 'x'"),
    (["download", "rect:0,0,1,1", "--zoom", "0-3"], "fmtc-nb download", "the following arguments are required"),
    (["store", "export", "s", "out", "--format", "xyz"], "fmtc-nb store export", "invalid choice: 'xyz'"),
    (["store"], "fmtc-nb store", "the following arguments are required: SUBCOMMAND"),
    (["count", "rect:0,0,1,1", "--bogus"], "fmtc-nb", "unrecognized arguments: --bogus"),
])
def test_a_mistyped_command_line_is_one_line_and_exit_2(tmp_path, argv, prog, phrase):
    done = subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(tmp_path), *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "usage:" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"{prog}: error: ") and phrase in done.stderr, done.stderr
    assert done.stderr.rstrip().endswith(f"(see '{prog} --help').")


def test_help_still_prints_the_usage():
    done = subprocess.run([sys.executable, "-m", "fmtc_nb", "download", "--help"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: fmtc-nb download")
