"""An empty or blank contact (``--contact ''``, ``TileSource(contact="")``) is a bad input: the user meant to put
a way to reach them in the User-Agent and it would carry none. One sentence naming the flag and exit 2 on the
command line, OptionError in the library (it was accepted and the User-Agent sent without it)."""

from __future__ import annotations

import pytest

from fmtc_nb.cli import main
from fmtc_nb.device.jobs import build_pack_job
from fmtc_nb.errors import OptionError
from fmtc_nb.packs.job import PackJob
from fmtc_nb.regions import Rectangle
from fmtc_nb.source import TileSource, default_user_agent

URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # never asked: the contact is refused first


@pytest.mark.parametrize("contact", ["", "   ", "\t"])
def test_the_library_refuses_an_empty_contact(contact):
    with pytest.raises(OptionError, match=r"^The contact '.*' is not an e-mail address or URL") as err:
        TileSource(URL, contact=contact)
    assert err.value.option == "contact" and str(err.value).count(". ") == 0
    with pytest.raises(OptionError):
        default_user_agent(contact)
    with pytest.raises(OptionError):  # a style pack's own requests (style, TileJSON, sprites, glyphs)
        PackJob(Rectangle(6, 46, 7, 47), [0, 1], "http://127.0.0.1:9/style.json", "p", contact=contact).request_headers()
    with pytest.raises(OptionError):  # a phone's pack job, before anything is sent
        build_pack_job("rect:6,46,7,47", "0-1", "http://127.0.0.1:9/style.json", "p", contact=contact)
    assert "gis@example.org" in TileSource(URL, contact="gis@example.org").user_agent
    assert TileSource(URL).user_agent == default_user_agent(None)  # leaving it out is fine


@pytest.mark.parametrize("command", [["download", "--store", "s", "--url", URL],
                                     ["download", "--store", "p", "--style", "http://127.0.0.1:9/style.json"],
                                     ["estimate", "--url", URL],
                                     ["estimate", "--style", "http://127.0.0.1:9/style.json"]])
def test_the_cli_says_it_in_one_sentence_and_exits_2(tmp_path, capsys, command):
    argv = ["--root", str(tmp_path), command[0], "rect:6,46,7,47", "--zoom", "0-3", *command[1:], "--contact", ""]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fmtc-nb: error: The contact (--contact '') is not an e-mail address or URL"), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "stores").exists() or not any((tmp_path / "stores").iterdir())


def test_device_dispatch_refuses_it_before_looking_for_the_device(tmp_path, capsys):
    argv = ["--root", str(tmp_path), "device", "dispatch", "no-such-phone", "rect:6,46,7,47", "--zoom", "0-3",
            "--url", URL, "--store", "s", "--contact", ""]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("fmtc-nb: error: The contact (--contact '') is not")
