"""The bridge's small JSON state files (tokens, device id, the ledger of jobs, the virtual screen).

Privacy: the files hold pairing codes, token hashes and job specifications (with their request headers), so
they are written 0600 in a 0700 folder (:func:`make_private_dir`), and a folder left more open by an older
version is closed at start. Reading: a damaged file never keeps the service from starting: it is moved aside
as ``<name>.damaged`` (kept for inspection), a warning is logged, and the caller starts from its default (for
tokens: nobody paired, which refuses every token, so damage never lets anyone in). Writing: the file is
replaced atomically, so a reader (or a process killed mid-write) never sees half a file."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Mode of every state file: read and written by the device's own user only.
PRIVATE_FILE = 0o600
#: Mode of the folders holding them.
PRIVATE_DIR = 0o700


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it, and the files directly in it, private to this user
    (folder 0700, files 0600); returns ``path``."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            os.chmod(entry.path, PRIVATE_FILE)
        elif entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, PRIVATE_DIR)
    return path


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


def write_json_atomically(path: Path, data: Any, mode: int = PRIVATE_FILE) -> None:
    """Replace ``path`` with ``data`` as JSON so a reader never sees half a file; the file gets ``mode``
    (private unless asked otherwise) from its first byte on."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        if hasattr(os, "fchmod"):  # Windows (before Python 3.13) has no fchmod and no POSIX modes; elsewhere
            os.fchmod(f.fileno(), mode)  # also when a leftover temporary file had wider permissions
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
