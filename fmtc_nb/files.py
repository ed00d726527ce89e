"""Moving finished files into place the same way on Linux, Android, macOS and Windows.

Stores, imports and exports are built in a temporary file beside their target and appear in one step, so no
reader (and no kill) ever sees half of one. ``os.replace`` does that on every platform for a target that may
be replaced, as long as the new file is closed (Windows refuses to move an open file, or to replace one that
another program holds open). :func:`move_unless_exists` does it for a target that must not be overwritten.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def move_unless_exists(src: Path, dst: Path) -> None:
    """Move the closed file ``src`` to ``dst`` unless ``dst`` exists (then FileExistsError, ``src`` kept).

    A hard link makes ``dst`` appear complete in one step, and fails if another process created ``dst``
    first. Where hard links are refused (Android forbids apps to make them, and FAT/exFAT drives have none),
    ``dst`` is claimed by an exclusive create and ``src`` then replaces the empty claim: a reader may see an
    empty ``dst`` for that instant, never a partial one.
    """
    try:
        os.link(src, dst)
    except (FileExistsError, FileNotFoundError):
        raise
    except OSError:  # EACCES (Android's SELinux), EPERM / ENOTSUP (FAT, exFAT), Windows' "incorrect function"
        _claim_and_replace(src, dst)
    else:
        src.unlink()


def _claim_and_replace(src: Path, dst: Path) -> None:
    os.close(os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # FileExistsError if taken
    try:
        os.replace(src, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            dst.unlink()  # still our empty claim
        raise
