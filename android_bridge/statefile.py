"""The bridge's small JSON state files (tokens, device id, the ledger of jobs, the virtual screen).

Reading: a damaged file never keeps the service from starting: it is moved aside as ``<name>.damaged`` (kept
for inspection), a warning is logged, and the caller starts from its default (for tokens: nobody paired,
which refuses every token, so damage never lets anyone in). Writing: the file is replaced atomically, so a
reader (or a process killed mid-write) never sees half a file."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def read_state(path: Path, parse: Callable[[Any], T], default: Callable[[], T]) -> T:
    """``parse(JSON of path)``, or ``default()`` when the file is missing, or damaged (then moved aside)."""
    if not path.exists():
        return default()
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # bad JSON, UTF-8 or shape
        aside = path.with_name(path.name + ".damaged")
        os.replace(path, aside)
        log.warning("%s was damaged (%s: %s); moved to %s and started afresh", path, type(exc).__name__, exc, aside)
        return default()


def write_json_atomically(path: Path, data: Any, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` as JSON so a reader never sees half a file; ``mode`` (e.g. ``0o600``)
    sets the file's permissions, else the umask decides."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        if mode is not None and hasattr(os, "fchmod"):  # Windows (before Python 3.13) has no fchmod and no
            os.fchmod(f.fileno(), mode)  # POSIX modes; there, also when a leftover file had wider permissions
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
