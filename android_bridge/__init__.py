"""fmtc-nb on an Android phone: HTTP API, foreground service, platform adapters."""
