"""A region with no map tile (wholly beyond latitude +-85.05, where Web Mercator maps end) is one sentence and
exit 2 for ``download`` and ``estimate``, before any store or recovery record exists (it was "completed: 0 of 0
tiles" with an empty store and a job, and "the source answered nothing usable for 0 sampled tiles ()")."""

from __future__ import annotations

import pytest

from fmtc_nb.cli import main
from fmtc_nb.engine import DownloadJob
from fmtc_nb.errors import RegionError
from fmtc_nb.estimate import estimate
from fmtc_nb.regions import Circle, Rectangle
from fmtc_nb.regions.validate import check_has_tiles
from fmtc_nb.source import TileSource

SENTENCE = "The region covers no map tile: it lies beyond latitude +-85.05 degrees"
URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"  # never asked: the region is refused first


@pytest.mark.parametrize("spec", ["rect:0,86,1,89", "rect:-180,-90,180,-85.06", "circle:0,89.9,1"])
@pytest.mark.parametrize("command", [["download", "--store", "polar"], ["estimate"], ["download", "--store", "p",
                                                                                       "--style", "/nonexistent"]])
def test_a_region_without_tiles_is_one_sentence_and_leaves_nothing(tmp_path, capsys, spec, command):
    argv = ["--root", str(tmp_path), command[0], spec, "--zoom", "0-12", *command[1:]]
    if "--style" not in argv:
        argv += ["--url", URL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fmtc-nb: error: {SENTENCE}") and err.count("\n") == 1, err
    assert not (tmp_path / "stores").exists() or not any((tmp_path / "stores").iterdir())
    assert main(["--root", str(tmp_path), "recovery", "list", "--json"]) == 0
    assert capsys.readouterr().out.strip() in ("", "[]")


def test_the_library_says_the_same_and_a_region_touching_the_limit_has_tiles():
    with pytest.raises(RegionError, match="covers no map tile"):
        estimate(Rectangle(0, 86, 1, 89), "0-3", URL)
    with pytest.raises(RegionError, match="covers no map tile"):  # the job itself: library, panels, device
        DownloadJob(Rectangle(0, 86, 1, 89), [0, 1], TileSource(URL), "polar")
    check_has_tiles(Rectangle(0, 85.0, 1, 89))  # partly below the limit: tiles
    check_has_tiles(Circle(0, 89.9, 600))  # a polar cap reaching below 85.05: tiles
