"""Where fmtc-nb keeps its files: the root directory and the user's config directory."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from fmtc_nb.errors import StoreError

APP_NAME = "fmtc-nb"


def default_root() -> Path:
    """The root holding stores and the recovery registry: ``$FMTC_NB_ROOT`` or the user data directory."""
    env = os.environ.get("FMTC_NB_ROOT")
    return Path(env).expanduser() if env else Path(user_data_dir(APP_NAME))


def resolve_root(root: str | os.PathLike[str] | None = None) -> Path:
    """``root`` if given, else :func:`default_root`; the directory is created if missing."""
    if root is not None and not str(root).strip():
        raise StoreError("The root directory is an empty path; give a directory or leave --root out.")
    path = Path(root).expanduser() if root is not None else default_root()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "it is a file" if path.is_file() or isinstance(exc, FileExistsError) else exc.strerror or str(exc)
        raise StoreError(f"The root directory {path} cannot be used: {why}.") from None
    return path


def config_dir() -> Path:
    """The user's config directory (device tokens live here): ``$FMTC_NB_CONFIG`` or the platform default."""
    env = os.environ.get("FMTC_NB_CONFIG")
    return Path(env).expanduser() if env else Path(user_config_dir(APP_NAME))
