"""``fmtc_nb.units``: the one byte formatter every command and panel uses."""

from __future__ import annotations

import pytest

from fmtc_nb.units import human_bytes


@pytest.mark.parametrize(("n", "text"), [(0, "0 B"), (999, "999 B"), (1000, "1 kB"), (262_144, "262 kB"),
                                         (1_100_000, "1.1 MB"), (2e9, "2 GB"), (3.5e12, "3.5 TB")])
def test_human_bytes_uses_si_units(n, text):
    assert human_bytes(n) == text
