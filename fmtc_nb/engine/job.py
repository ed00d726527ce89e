"""A download job: what to fetch (region, zooms), from where (TileSource), into which store, and how."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from fmtc_nb.errors import SourceError
from fmtc_nb.source import TileSource


@dataclass(frozen=True)
class DownloadOptions:
    """How the engine downloads. Names follow httpx where one exists (headers live on the TileSource).

    parallel: concurrent requests; rate_limit: tiles per second (None: unlimited); retries: extra attempts
    per tile after the first; backoff_s: first backoff in seconds (doubles, with jitter); connect_timeout_s
    and read_timeout_s: seconds; proxy: http(s) proxy URL; skip_existing / fresher_than_days: do not fetch
    tiles already stored (only those fetched within that many days if set); skip_sea: do not store tiles
    identical to the source's sea tile; batch_size: tiles per store transaction; flush_interval_s: seconds
    between flushes at most; final_pass: retry failed requests once more at the end.
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

    def __post_init__(self) -> None:
        def positive(value: float) -> bool:
            return isinstance(value, int | float) and math.isfinite(value) and value > 0

        if not isinstance(self.parallel, int) or self.parallel < 1:
            raise SourceError(f"The parallelism {self.parallel!r} is not a whole number of at least 1.")
        if self.rate_limit is not None and not positive(self.rate_limit):
            raise SourceError(f"The rate limit {self.rate_limit!r} is not a positive number of tiles per second.")
        if not isinstance(self.retries, int) or self.retries < 0:
            raise SourceError(f"The retries {self.retries!r} are not a whole number of 0 or more.")
        if self.fresher_than_days is not None and not math.isfinite(self.fresher_than_days):
            raise SourceError(f"The freshness {self.fresher_than_days!r} is not a finite number of days.")
        for name in ("backoff_s", "max_backoff_s", "connect_timeout_s", "read_timeout_s", "flush_interval_s"):
            if not positive(getattr(self, name)):
                raise SourceError(f"The option {name} = {getattr(self, name)!r} is not a positive number of seconds.")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise SourceError(f"The batch size {self.batch_size!r} is not a whole number of at least 1.")

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
    def from_dict(cls, data: dict[str, Any]) -> DownloadOptions:
        """Inverse of :meth:`to_dict` (unknown keys ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


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
