"""A download job: what to fetch (region, zooms), from where (TileSource), into which store, and how."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from fmtc_nb.errors import OptionError, SourceError
from fmtc_nb.source import TileSource

#: Numbers an option may take stay below this (a timeout of 1e300 s would overflow the clock arithmetic).
LARGEST_OPTION = 1e9


@dataclass(frozen=True)
class OptionRule:
    """What one option must be: ``what`` names it in a sentence, ``text`` states the rule; ``kind`` is bool,
    str, int (whole numbers) or float (any finite number); numbers are at least ``low`` (above it if
    ``above_low``) and below :data:`LARGEST_OPTION`; ``optional``: None is allowed."""

    what: str
    text: str
    kind: type
    low: float | None = None
    above_low: bool = False
    optional: bool = False

    def broken(self, value: Any) -> str | None:
        """None if ``value`` keeps the rule, else the rule it breaks."""
        if value is None:
            return None if self.optional else self.text
        if self.kind in (bool, str):
            return None if isinstance(value, self.kind) else self.text
        number = int if self.kind is int else (int, float)
        if isinstance(value, bool) or not isinstance(value, number) or not math.isfinite(value):
            return self.text
        if self.low is not None and (value < self.low or (self.above_low and value == self.low)):
            return self.text
        return f"below {LARGEST_OPTION:,.0f}" if value >= LARGEST_OPTION else None


_SECONDS = "a positive number of seconds"
_SWITCH = "true or false"
#: The rule of every option of :class:`DownloadOptions`, by field name.
OPTION_RULES: dict[str, OptionRule] = {
    "parallel": OptionRule("parallelism", "a whole number of at least 1", int, 1),
    "rate_limit": OptionRule("rate limit", "a positive number of tiles per second", float, 0, True, True),
    "retries": OptionRule("number of retries", "a whole number of 0 or more", int, 0),
    "backoff_s": OptionRule("backoff (backoff_s)", _SECONDS, float, 0, True),
    "max_backoff_s": OptionRule("longest backoff (max_backoff_s)", _SECONDS, float, 0, True),
    "connect_timeout_s": OptionRule("connect timeout (connect_timeout_s)", _SECONDS, float, 0, True),
    "read_timeout_s": OptionRule("read timeout (read_timeout_s)", _SECONDS, float, 0, True),
    "proxy": OptionRule("proxy", "a proxy URL or None", str, optional=True),
    "skip_existing": OptionRule("switch skip_existing", _SWITCH, bool),
    "fresher_than_days": OptionRule("freshness", "a number of days of 0 or more", float, 0, optional=True),
    "skip_sea": OptionRule("switch skip_sea", _SWITCH, bool),
    "batch_size": OptionRule("batch size", "a whole number of tiles of at least 1", int, 1),
    "flush_interval_s": OptionRule("flush interval (flush_interval_s)", _SECONDS, float, 0, True),
    "final_pass": OptionRule("switch final_pass", _SWITCH, bool),
    "max_wait_s": OptionRule("longest wait for the server (max_wait_s)", "a positive number of seconds or None",
                             float, 0, True, True),
    "env_proxy": OptionRule("switch env_proxy", _SWITCH, bool),
    "ca_bundle": OptionRule("CA bundle (ca_bundle)", "the path of a PEM file of CA certificates or None", str,
                            optional=True),
    "http2": OptionRule("switch http2", _SWITCH, bool),
    "wait_for_network": OptionRule("switch wait_for_network", _SWITCH, bool),
}


@dataclass(frozen=True)
class DownloadOptions:
    """How the engine downloads. Names follow httpx where one exists (headers live on the TileSource).

    parallel: concurrent requests; rate_limit: tiles per second (None: unlimited); retries: extra attempts
    per tile after the first; backoff_s: first backoff in seconds (doubles, with jitter, up to max_backoff_s);
    connect_timeout_s and read_timeout_s: seconds; proxy: http(s) proxy URL; skip_existing / fresher_than_days:
    do not fetch tiles already stored (only those fetched within that many days if set); skip_sea: do not
    store tiles identical to the source's sea tile; batch_size: tiles per store transaction;
    flush_interval_s: seconds between flushes at most; final_pass: retry failed requests once more at the end;
    max_wait_s: seconds the job waits for a server that keeps answering "slow down" (429/503) before it pauses
    itself (None: no limit); env_proxy: use HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment (``proxy``
    wins over them); ca_bundle: a PEM file of extra CAs to trust (TLS inspection); http2: request over HTTP/2
    through httpx (the ``fmtc-nb[http2]`` extra); wait_for_network: a request that gets no answer (refused,
    reset, timed out) while no other request of the job was answered since it was sent is not a failed attempt:
    the network is down, so the tile waits (backoff, at most max_backoff_s) and is tried again, and the job
    pauses itself once nothing has answered for max_wait_s (off: such tiles fail after their retries).

    This class is the one place the options are defaulted and checked (:data:`OPTION_RULES`): the CLI takes
    its defaults from these fields and the device bridge builds its jobs' options here. A value breaking a
    rule raises :class:`~fmtc_nb.errors.OptionError` naming the option.
    """

    parallel: int = 16
    rate_limit: float | None = None
    retries: int = 3
    backoff_s: float = 0.25
    max_backoff_s: float = 30.0
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    proxy: str | None = None
    skip_existing: bool = True
    fresher_than_days: float | None = None
    skip_sea: bool = False
    batch_size: int = 500
    flush_interval_s: float = 1.0
    final_pass: bool = True
    max_wait_s: float | None = 900.0
    env_proxy: bool = True
    ca_bundle: str | None = None
    http2: bool = False
    wait_for_network: bool = False

    def __post_init__(self) -> None:
        for name, rule in OPTION_RULES.items():
            value = getattr(self, name)
            broken = rule.broken(value)
            if broken is not None:
                raise OptionError(name, value, rule.what, broken)

    def backoff_delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (from 1): ``backoff_s`` doubling per attempt
        with jitter (x0.5-1.5), at least the server's Retry-After, at most ``max_backoff_s``."""
        delay = self.backoff_s * 2 ** (attempt - 1) * (0.5 + random.random())
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        return min(delay, self.max_backoff_s)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, strict: bool = False) -> DownloadOptions:
        """Inverse of :meth:`to_dict`. Unknown keys (a newer version's) are ignored, unless ``strict`` (a
        request from outside): then the first unknown name raises ``SourceError``."""
        unknown = sorted(str(k) for k in data if k not in OPTION_RULES) if strict else []
        if unknown:
            raise SourceError(f"Unknown download option {unknown[0]!r}; the options are {', '.join(OPTION_RULES)}.")
        return cls(**{k: v for k, v in data.items() if k in OPTION_RULES})


@dataclass(frozen=True)
class DownloadJob:
    """Region (a ``fmtc_nb.regions.Region``) and zooms, the source, the store name and the options.

    ``job_id`` is stable for the job's life (kept by :meth:`to_dict`/:meth:`from_dict`); a new job gets a
    random 16-hex-digit id. Recovery and checkpoints use it to name the job.
    """

    region: Any
    zooms: list[int]
    source: TileSource
    store: str
    options: DownloadOptions = field(default_factory=DownloadOptions)
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    def __post_init__(self) -> None:
        from fmtc_nb.regions.validate import check_has_tiles

        check_has_tiles(self.region)  # a polar region: RegionError, not "completed: 0 of 0" and an empty store

    def cover(self) -> Any:
        """The job's ``TileCover`` (streamed, never materialised)."""
        from fmtc_nb.cover import TileCover

        return TileCover(self.region, self.zooms)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; the region as GeoJSON."""
        src = self.source
        return {
            "region": self.region.to_geojson(),
            "zooms": list(self.zooms),
            "source": {"url_template": src.url_template, "headers": dict(src.headers), "contact": src.contact,
                       "subdomains": list(src.subdomains), "tile_format": src.tile_format},
            "store": self.store,
            "options": self.options.to_dict(),
            "job_id": self.job_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DownloadJob:
        """Inverse of :meth:`to_dict`."""
        from fmtc_nb.regions import region_from_geojson

        s = data["source"]
        source = TileSource(s["url_template"], headers=dict(s.get("headers") or {}), contact=s.get("contact"),
                            subdomains=tuple(s.get("subdomains") or ()), tile_format=s.get("tile_format"))
        extra = {"job_id": str(data["job_id"])} if data.get("job_id") else {}
        return cls(region_from_geojson(data["region"]), [int(z) for z in data["zooms"]], source, data["store"],
                   DownloadOptions.from_dict(data.get("options") or {}), **extra)
