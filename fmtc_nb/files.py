"""Moving finished files into place the same way on Linux, Android, macOS and Windows.

Stores, imports and exports are built in a temporary file beside their target and appear in one step, so no
reader (and no kill) ever sees half of one. ``os.replace`` does that on every platform for a target that may
be replaced, as long as the new file is closed (Windows refuses to move an open file, or to replace one that
another program holds open). :func:`move_unless_exists` does it for a target that must not be overwritten;
:func:`built_beside` for one that is replaced (a file or a whole folder).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from fmtc_nb.errors import FmtcError


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


@contextlib.contextmanager
def built_beside(out: Path, error: type[FmtcError], *, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``out`` to write in (with ``folder``: an empty folder made there; else nothing
    exists there yet). When the block ends well, what was written takes ``out``'s place in one step (a folder at
    ``out`` is first moved aside, then deleted); when it raises, the temporary path is removed and ``out`` kept.

    The caller decides beforehand whether ``out`` may be replaced. What was written must be closed (Windows moves
    no open file); a target another program holds open (Windows) is kept and raises ``error`` in one sentence.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.partial")
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if folder:
        tmp.mkdir()
    try:
        yield tmp
        try:
            _replace(tmp, out, old)
        except OSError as exc:
            raise error(f"The target {out} cannot be replaced ({exc.strerror or exc}); close any program that "
                        "has it open and try again.") from None
    finally:
        for leftover in (tmp, old):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.exists() or leftover.is_symlink():
                leftover.unlink()


def _replace(new: Path, out: Path, old: Path) -> None:
    """``new`` takes ``out``'s place; a folder at ``out`` goes to ``old`` first, and back if ``new`` cannot move."""
    if not (out.is_dir() and not out.is_symlink()):
        os.replace(new, out)
        return
    os.replace(out, old)
    try:
        os.replace(new, out)
    except OSError:
        os.replace(old, out)
        raise
