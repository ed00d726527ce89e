"""The download options a resumed job may change: those of how tiles are fetched, never of which are stored.

A job that stopped on a certificate the system does not trust, behind a proxy it was not told about, or too fast
for its server, is resumed with the fix (``--ca-bundle``, ``--proxy``, ``--rate-limit``...) instead of downloaded
again from scratch; the new options are recorded with the job, so a later resume uses them too. The options
that decide which tiles end up in the store (``skip_existing``, ``fresher_than_days``, ``skip_sea``) are the
job's own and stay as recorded: changing them half-way would make the checkpoint's count of done tiles wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from fmtc_nb.errors import RecoveryError

RESUME_OPTIONS = frozenset({
    "parallel", "rate_limit", "retries", "backoff_s", "max_backoff_s", "connect_timeout_s", "read_timeout_s",
    "proxy", "env_proxy", "ca_bundle", "http2", "batch_size", "flush_interval_s", "final_pass", "max_wait_s",
    "wait_for_network",
})
"""The DownloadOptions fields a resume may change (see the module docstring)."""


def reoptioned(job: Any, changes: Mapping[str, Any]) -> Any:
    """``job`` (a DownloadJob or PackJob) with its options updated by ``changes`` (DownloadOptions field ->
    value); RecoveryError naming a field that would change what is downloaded, OptionError (from
    DownloadOptions) for a value breaking its rule."""
    fixed = sorted(set(changes) - RESUME_OPTIONS)
    if fixed:
        raise RecoveryError(f"A resumed job keeps its option {fixed[0]!r}, which decides which tiles are stored; "
                            f"only {', '.join(sorted(RESUME_OPTIONS))} can change on resume.")
    if not changes:
        return job
    return dataclasses.replace(job, options=dataclasses.replace(job.options, **changes))
