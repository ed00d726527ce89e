"""The bulk download engine: concurrent, rate limited, retried, validated, buffered, resumable."""

from fmtc_nb.engine.downloader import Download, download
from fmtc_nb.engine.hooks import Checkpointer, NullCheckpointer
from fmtc_nb.engine.job import DownloadJob, DownloadOptions
from fmtc_nb.engine.progress import ProgressSnapshot, TileEvent
from fmtc_nb.engine.validate import image_problem

__all__ = ["Checkpointer", "Download", "DownloadJob", "DownloadOptions", "NullCheckpointer", "ProgressSnapshot",
           "TileEvent", "download", "image_problem"]
