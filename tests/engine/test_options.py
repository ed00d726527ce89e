"""DownloadOptions is the one place its options are defaulted and checked: every bad value is one sentence
naming the option, and the commands take their defaults from its fields."""

from __future__ import annotations

import dataclasses
import math

import pytest

from fmtc_nb.cli import build_parser
from fmtc_nb.cli.download import ENGINE_FLAGS
from fmtc_nb.engine.job import OPTION_RULES, DownloadOptions
from fmtc_nb.errors import OptionError, SourceError

BAD = [("parallel", 0), ("parallel", True), ("parallel", 2.5), ("parallel", "many"), ("rate_limit", 0),
       ("rate_limit", math.nan), ("rate_limit", -1.0), ("retries", -1), ("backoff_s", 0), ("max_backoff_s", math.inf),
       ("connect_timeout_s", 1e300), ("read_timeout_s", 0), ("proxy", 5), ("skip_existing", "yes"),
       ("fresher_than_days", -3.0), ("skip_sea", 1), ("batch_size", 0), ("flush_interval_s", -1.0),
       ("final_pass", None), ("max_wait_s", 0), ("env_proxy", "no"), ("ca_bundle", 3), ("http2", None)]


def test_every_field_has_a_rule():
    assert list(OPTION_RULES) == [f.name for f in dataclasses.fields(DownloadOptions)]


@pytest.mark.parametrize(("name", "value"), BAD, ids=[f"{n}={v!r}" for n, v in BAD])
def test_a_bad_value_is_one_sentence_naming_the_option(name, value):
    with pytest.raises(OptionError) as exc:
        DownloadOptions(**{name: value})
    error = exc.value
    assert (error.option, error.value) == (name, value) and isinstance(error, SourceError)
    text = str(error)
    assert text.startswith(f"The {OPTION_RULES[name].what} ") and text.endswith(".") and text.count(". ") == 0
    assert "--flag" in str(error.given_as("--flag"))


def test_good_values_pass_and_from_dict_is_strict_only_when_asked():
    options = DownloadOptions(parallel=1, rate_limit=0.5, retries=0, fresher_than_days=0, proxy="http://p:3128")
    assert DownloadOptions.from_dict(options.to_dict(), strict=True) == options
    assert DownloadOptions.from_dict({"parallel": 2, "from_a_newer_version": 1}).parallel == 2
    with pytest.raises(SourceError, match="Unknown download option 'warp_speed'"):
        DownloadOptions.from_dict({"warp_speed": 9}, strict=True)


@pytest.mark.parametrize("argv", [
    ["download", "rect:0,0,1,1", "--zoom", "0-2", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png", "--store", "s"],
    ["device", "dispatch", "phone", "rect:0,0,1,1", "--zoom", "0-2", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png",
     "--store", "s"],
    ["estimate", "rect:0,0,1,1", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png"],
    ["demo"],
], ids=["download", "device dispatch", "estimate", "demo"])
def test_command_defaults_are_the_options_defaults(argv):
    args = build_parser().parse_args(argv)
    defaults = DownloadOptions()
    taken = [name for name in ENGINE_FLAGS if hasattr(args, name)]
    assert taken, "the command takes engine options"
    assert {name: getattr(args, name) for name in taken} == {name: getattr(defaults, name) for name in taken}
