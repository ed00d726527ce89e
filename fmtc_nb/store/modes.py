"""Settings of the caching tile proxy, importable without aiohttp (the CLI parser uses them)."""

#: Proxy modes: answer from the store first, ask the origin first, or never use the network.
MODES = ("cache-first", "online-first", "cache-only")
#: Days a stored tile counts as fresh for the proxy unless told otherwise.
DEFAULT_VALID_FOR_DAYS = 30.0
