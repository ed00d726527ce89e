"""The layers of the code hold: no import cycle, the core never imports Jupyter or the bridge."""

from __future__ import annotations

import pytest

from tests.structure.imports import cycles, import_graph


def test_no_import_cycle_anywhere():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


@pytest.mark.xfail(strict=True, reason="widgets import android_bridge until the layering change (issue 12) lands")
def test_fmtc_nb_never_imports_the_bridge():
    graph = import_graph()
    offenders = sorted(m for m, deps in graph.items()
                       if m.startswith("fmtc_nb") and any(d.startswith("android_bridge") for d in deps))
    assert offenders == []


def test_regions_never_read_the_cover():
    graph = import_graph()
    assert all("fmtc_nb.cover" not in deps for m, deps in graph.items() if m.startswith("fmtc_nb.regions"))
    assert graph["fmtc_nb.regions.spans"] == set(), "spans is the leaf of regions"
