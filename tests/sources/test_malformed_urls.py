"""A source address Python cannot take apart, or a template with a stray brace, gets one sentence and exit 2
before any store or recovery record exists (it used to be a ValueError traceback, or a store bound for good
to a template that addresses no tile)."""

from __future__ import annotations

import pytest

from fmtc_nb.cli import main

from .test_bad_sources import assert_one_sentence


@pytest.mark.parametrize(("source", "phrase"), [
    ("http://[::1/{z}/{x}/{y}.png", "not a valid URL"),
    ("http://[::1/{z}/{x}/{y}.png?key=SECRET123", "not a valid URL"),
    ("wms:http://[::1/wms?layers=a", "not a valid URL"),
    ("wmts:http://[::1/caps.xml#layer", "not a valid URL"),
    ("tilejson:http://[::1/tiles.json", "not a valid URL"),
    ("http://127.0.0.1:9/{z}/{x}/{y}/{z", "brace that is not part of a placeholder"),
    ("http://127.0.0.1:9/{Z}/{x}/{y}.png", "brace that is not part of a placeholder"),
    ("http://127.0.0.1:9/{z}}/{x}/{y}.png", "brace that is not part of a placeholder"),
])
def test_a_malformed_source_is_one_sentence_and_leaves_nothing_behind(tmp_path, capsys, source, phrase):
    code = main(["--root", str(tmp_path), "download", "rect:6,46,6.2,46.2", "--zoom", "0-3", "--source", source,
                 "--store", "s"])
    err = capsys.readouterr().err
    assert_one_sentence(code, err, phrase)
    assert "SECRET123" not in err
    assert not (tmp_path / "stores" / "s.mbtiles").exists()
    assert main(["--root", str(tmp_path), "recovery", "list", "--json"]) == 0
    assert capsys.readouterr().out.strip() in ("", "[]")


def test_inspect_says_the_same_sentence(tmp_path, capsys):
    code = main(["--root", str(tmp_path), "sources", "inspect", "http://[::1/{z}/{x}/{y}.png"])
    assert_one_sentence(code, capsys.readouterr().err, "not a valid URL")
