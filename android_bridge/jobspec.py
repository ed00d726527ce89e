"""Turn a ``POST /api/v1/jobs`` body into a :class:`~fmtc_nb.engine.DownloadJob`, checking the device's limits.

The body is :meth:`DownloadJob.to_dict` (region as a GeoJSON object, never a file path). Anything malformed
is a 400, anything beyond the device's configured limits a 422; nothing is started or stored before the
whole body has passed.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

from android_bridge.config import BridgeConfig
from android_bridge.errors import ApiError
from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.errors import FmtcError

#: Bounds of the options a client may set (inclusive); other numeric options must be non-negative.
OPTION_BOUNDS: dict[str, tuple[float, float]] = {"parallel": (1, 64), "retries": (0, 10), "batch_size": (1, 10_000)}
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SOURCE_KEYS: dict[str, type | tuple[type, ...]] = {"url_template": str, "headers": dict, "contact": (str, type(None)), "subdomains": list,
                "tile_format": (str, type(None))}


def check_store_name(name: object) -> str:
    """A store name that stays inside the root, or a 400."""
    from fmtc_nb.store.names import check_name

    try:
        return check_name(name)
    except FmtcError as exc:
        raise ApiError(400, str(exc)) from None


def _check_options(raw: object) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ApiError(400, "'options' must be an object of download options.")
    defaults = {f.name: f.default for f in fields(DownloadOptions)}
    for key, value in raw.items():
        if key not in defaults:
            raise ApiError(400, f"Unknown download option {key!r}.")
        default = defaults[key]
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9
        elif isinstance(default, float) or key in ("rate_limit", "fresher_than_days"):
            number = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e9
            ok = number or (value is None and default is None)
        else:
            ok = value is None or isinstance(value, str)
        low, high = OPTION_BOUNDS.get(key, (None, None))
        if ok and low is not None and not (low <= value <= high):
            ok = False
        if not ok:
            raise ApiError(400, f"The download option {key!r} has an invalid value {value!r}.")
    return raw  # DownloadOptions itself refuses the rest (a zero rate limit or timeout ...): a 400 in parse_job


def _check_source(raw: object) -> None:
    if not isinstance(raw, dict) or not isinstance(raw.get("url_template"), str):
        raise ApiError(400, "'source' must be an object with a 'url_template' string.")
    for key, value in raw.items():
        kind = _SOURCE_KEYS.get(key)
        if kind is None:
            raise ApiError(400, f"Unknown source field {key!r}.")
        if not isinstance(value, kind):
            raise ApiError(400, f"The source field {key!r} has the wrong type.")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.get("headers", {}).items()):
        raise ApiError(400, "Source headers must map strings to strings.")
    if not all(isinstance(s, str) for s in raw.get("subdomains", [])):
        raise ApiError(400, "Source subdomains must be strings.")


def parse_job(body: object, config: BridgeConfig) -> DownloadJob:
    """The job described by ``body``, within ``config``'s limits; raises :class:`ApiError` otherwise."""
    if not isinstance(body, dict):
        raise ApiError(400, "The job must be a JSON object.")
    missing = [k for k in ("region", "zooms", "source", "store") if k not in body]
    if missing:
        raise ApiError(400, f"The job lacks {', '.join(missing)}.")
    unknown = set(body) - {"region", "zooms", "source", "store", "options", "job_id"}
    if unknown:
        raise ApiError(400, f"Unknown job field(s): {', '.join(sorted(unknown))}.")
    if not isinstance(body["region"], dict):
        raise ApiError(400, "'region' must be a GeoJSON object.")
    zooms = body["zooms"]
    if not isinstance(zooms, list) or not zooms or not all(isinstance(z, int) and not isinstance(z, bool)
                                                           for z in zooms):
        raise ApiError(400, "'zooms' must be a non-empty list of integers.")
    if any(z < 0 for z in zooms):
        raise ApiError(400, "Zoom levels cannot be negative.")
    if max(zooms) > config.max_zoom:
        raise ApiError(422, f"Zoom {max(zooms)} is beyond this device's limit of {config.max_zoom}.")
    check_store_name(body["store"])
    job_id = body.get("job_id")
    if job_id is not None and not (isinstance(job_id, str) and _JOB_ID.fullmatch(job_id)):
        raise ApiError(400, "'job_id' must be 1-64 letters, digits, '-' or '_'.")
    _check_source(body["source"])
    options = _check_options(body.get("options"))
    try:
        job = DownloadJob.from_dict({**body, "zooms": sorted(set(zooms)), "options": options})
        job.source.check_bulk_allowed()
        total = job.cover().total
    except FmtcError as exc:
        raise ApiError(400, str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ApiError(400, f"The job is malformed ({type(exc).__name__}: {exc}).") from None
    if total > config.max_tiles:
        raise ApiError(422, f"The job covers {total:,} tiles, beyond this device's limit of {config.max_tiles:,}.")
    if total == 0:
        raise ApiError(422, "The region covers no tiles at these zooms.")
    return device_buffers(job, config)


def device_buffers(job: DownloadJob, config: BridgeConfig) -> DownloadJob:
    """The job with buffers no larger than the device allows, so a kill loses at most about a second of work."""
    opts = job.options
    small = replace(opts, flush_interval_s=min(opts.flush_interval_s, config.flush_interval_s),
                    batch_size=min(opts.batch_size, config.batch_size))
    return replace(job, options=small)
