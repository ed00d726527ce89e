"""Shared pieces of the recovery tests: a small job, a registry in a temporary root, the CLI as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.zooms import parse_zooms

REPO = Path(__file__).resolve().parents[2]


def small_job(url: str = "http://127.0.0.1:9/{z}/{x}/{y}.png", region: str = "rect:5,45,10,50",
              zooms: str = "0-6", store: str = "s", **options: object) -> DownloadJob:
    """A job over a small region; options are DownloadOptions fields."""
    return DownloadJob(parse_region(region), parse_zooms(zooms), TileSource(url), store, DownloadOptions(**options))


@pytest.fixture
def registry(tmp_path):
    with RecoveryRegistry(tmp_path, lease_s=5.0) as reg:
        yield reg


def fmtc(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``python -m fmtc_nb --root ROOT ARGS`` to the end."""
    return subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(root), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def fmtc_popen(root: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``python -m fmtc_nb --root ROOT ARGS`` (stdout and stderr piped)."""
    return subprocess.Popen([sys.executable, "-m", "fmtc_nb", "--root", str(root), *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
