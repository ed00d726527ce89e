"""The bulk download engine: concurrent, rate limited, retried, validated, buffered, resumable."""

from fmtc_nb.engine.hooks import Checkpointer, NullCheckpointer
from fmtc_nb.engine.job import DownloadJob, DownloadOptions
from fmtc_nb.engine.progress import ProgressSnapshot, TileEvent

__all__ = ["Checkpointer", "DownloadJob", "DownloadOptions", "NullCheckpointer", "ProgressSnapshot", "TileEvent"]
