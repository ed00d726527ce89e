"""Fixtures of the build checks: buildozer.spec and python-for-android at the version it pins."""

from __future__ import annotations

import pytest

from tests.android_build import p4a


@pytest.fixture(scope="session")
def spec():
    """The ``[app]`` section of android_bridge/buildozer.spec."""
    return p4a.read_spec()


@pytest.fixture(scope="session")
def tool(spec):
    """python-for-android from the package registry, at the spec's pinned release (cached)."""
    return p4a.fetch_p4a(p4a.pinned_version(spec))
