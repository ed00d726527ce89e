"""Only the HTTP layer (api.py) speaks in status codes: the bridge's logic raises domain errors, mapped by one
table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from android_bridge.api import STATUS_OF, status_of
from android_bridge.errors import BadRequest, BeyondDeviceLimits, JobStateConflict, UnknownJob
from fmtc_nb.errors import JobConflict, OptionError, RecoveryError, RegionError, StoreError, StoreNotFound

BRIDGE = Path(__file__).resolve().parents[2] / "android_bridge"


@pytest.mark.parametrize(("error", "status"), [
    (BadRequest("x"), 400), (OptionError("parallel", 0, "parallelism", "a whole number"), 400),
    (RegionError("x"), 400), (StoreError("x"), 400), (BeyondDeviceLimits("x"), 422), (UnknownJob("x"), 404),
    (StoreNotFound("x"), 404), (JobStateConflict("x"), 409), (JobConflict("x"), 409), (RecoveryError("x"), 409),
])
def test_each_domain_error_has_its_status(error, status):
    assert status_of(error) == status


def test_the_table_lists_subclasses_before_their_bases():
    kinds = [kind for kind, _ in STATUS_OF]
    for i, kind in enumerate(kinds):
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), f"{kind.__name__} is shadowed"


def test_no_module_but_the_http_layer_raises_a_status():
    offenders = []
    for path in sorted(BRIDGE.rglob("*.py")):
        if path.name in ("api.py", "openapi.py", "errors.py", "pairing.py", "pake_sessions.py"):  # see docs/bridge.md
            continue
        text = path.read_text(encoding="utf-8")
        if "ApiError" in text or re.search(r"\b(raise|status\s*=)[^\n]*\b[45]\d\d\b", text):
            offenders.append(path.name)
    assert offenders == []
