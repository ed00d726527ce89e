"""Shared loopback servers of the estimate tests: the static pyramid behind nginx (built once a session)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.estimate.pyramid import Pyramid, build_pyramid, nginx_serving


@pytest.fixture(scope="session")
def pyramid() -> Iterator[Pyramid]:
    # not under pytest's tmp dirs: those are private (0700) and nginx workers may run as another user
    root = Path(tempfile.mkdtemp(prefix="fmtc-pyramid-"))
    root.chmod(0o755)
    yield build_pyramid(root)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pyramid_url(pyramid: Pyramid) -> Iterator[str]:
    with nginx_serving(pyramid.root) as url:
        yield url
