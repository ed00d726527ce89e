"""fmtc-nb on an Android phone: HTTP API, foreground service, platform adapters."""

from fmtc_nb import __version__

__all__ = ["__version__"]
