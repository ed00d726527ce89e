"""The bridge's settings: where it keeps its files, where it listens, and the device's limits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Default port of the bridge's HTTP API (``adb forward tcp:8765 tcp:8765`` reaches it over USB).
DEFAULT_PORT = 8765


@dataclass(frozen=True)
class BridgeConfig:
    """Settings of one bridge.

    root: the fmtc-nb root on the device (stores, recovery registry); the bridge's own files live in
    ``root/bridge``. host/port: where the API listens (127.0.0.1 unless ``lan``; port 0 picks a free one). tls:
    serve HTTPS with the device's own certificate also on loopback (``lan`` always serves HTTPS).
    max_tiles: most tiles one job may cover; max_zoom: highest zoom a job may ask for. max_body_bytes: largest
    request body accepted. code_ttl_s: seconds a pairing code stays valid; code_tries: wrong codes accepted
    before the lockout; lockout_s: seconds pairing stays locked afterwards. flush_interval_s and batch_size:
    the engine's buffer limits for jobs run here (seconds, tiles): a flush every half second keeps what a
    killed service loses below a second of work (``benchmarks/bench_bridge.py`` measures it).
    max_cover_rows: most row crossings (a region edge meeting a tile row) the cover of one zoom may take to
    compute, up to about 250 bytes each (see :mod:`android_bridge.coverlimit`). head_timeout_s: seconds a new
    connection has to send its first request head; body_timeout_s: seconds a request body has to arrive;
    keepalive_s: seconds an idle connection stays open between requests. max_connections: open connections
    the API holds at most; max_connections_per_peer: of those, at most this many from one address.
    """

    root: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    lan: bool = False
    tls: bool = False
    max_tiles: int = 2_000_000
    max_zoom: int = 19
    max_body_bytes: int = 1 << 20
    code_ttl_s: float = 300.0
    code_tries: int = 5
    lockout_s: float = 300.0
    flush_interval_s: float = 0.5
    batch_size: int = 200
    max_cover_rows: int = 500_000
    head_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    keepalive_s: float = 15.0
    max_connections: int = 64
    max_connections_per_peer: int = 16

    @property
    def bind_host(self) -> str:
        """The address to bind: every interface when ``lan`` is asked for, else loopback only."""
        return "0.0.0.0" if self.lan else self.host

    @property
    def serves_tls(self) -> bool:
        """HTTPS with the device's own certificate: always on the LAN (the Wi-Fi is not private), on loopback
        when asked for."""
        return self.lan or self.tls

    @property
    def state_dir(self) -> Path:
        """``root/bridge``: tokens, device id, the virtual device's screen and settings (a 0700 folder)."""
        path = Path(self.root) / "bridge"
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
