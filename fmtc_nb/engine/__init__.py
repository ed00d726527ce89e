"""The bulk download engine: concurrent, rate limited, retried, validated, buffered, resumable.

The names below are imported on first use, so ``fmtc_nb.engine.job`` and ``fmtc_nb.engine.progress`` (the
options and the progress model, which the CLI, the device client and the widgets read) load without aiohttp.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fmtc_nb.engine.downloader import Download, download
    from fmtc_nb.engine.hooks import Checkpointer, NullCheckpointer
    from fmtc_nb.engine.job import DownloadJob, DownloadOptions
    from fmtc_nb.engine.progress import ProgressSnapshot, TileEvent
    from fmtc_nb.engine.validate import image_problem

_HOMES = {
    "Checkpointer": "hooks", "Download": "downloader", "DownloadJob": "job", "DownloadOptions": "job",
    "NullCheckpointer": "hooks", "ProgressSnapshot": "progress", "TileEvent": "progress", "download": "downloader",
    "image_problem": "validate",
}

__all__ = ["Checkpointer", "Download", "DownloadJob", "DownloadOptions", "NullCheckpointer", "ProgressSnapshot",
           "TileEvent", "download", "image_problem"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"fmtc_nb.engine.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'fmtc_nb.engine' has no attribute {name!r}")
