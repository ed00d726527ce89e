"""Fixtures shared by the phone tests and the JVM lifecycle scenarios."""

from __future__ import annotations

import pytest

from fmtc_nb.tileserver import running_server


@pytest.fixture(scope="module")
def tile_server():
    """The demo tile server on 127.0.0.1, 5 ms a tile."""
    with running_server(latency_s=0.005) as server:
        yield server
