"""Style pack tests: the embedded demo server (vector tiles, TileJSON, style, sprite, glyphs) on loopback, and a
fresh root per test."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Rectangle
from fmtc_nb.store import Root
from fmtc_nb.tileserver import ServerThread, start_server

#: Lake Geneva and the western Alps: small covers at z0-9 (every source, every band of the data).
REGION = Rectangle(6.1, 46.1, 7.3, 46.9)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def demo() -> Iterator[ServerThread]:
    """The demo tile server in a thread of this process (its counters are readable)."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def root(tmp_path: Path) -> Root:
    return Root(tmp_path / "root")


def cover_keys(zooms: list[int]) -> set[tuple[int, int, int]]:
    """Every (z, x, y) of the test region's cover at ``zooms``."""
    return set(TileCover(REGION, zooms).tiles())


def stored_keys(root: Root, store: str) -> set[tuple[int, int, int]]:
    with root.open(store, readonly=True) as s:
        return {(r.z, r.x, r.y) for r in s.iter_tiles()}


def write_style(path: Path, doc: dict) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "fmtc_nb", *args]
