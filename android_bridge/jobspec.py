"""Turn a ``POST /api/v1/jobs`` body into a :class:`~fmtc_nb.engine.DownloadJob`, checking the device's limits.

The body is :meth:`DownloadJob.to_dict` (region as a GeoJSON object, never a file path). Anything malformed
raises a domain error (:class:`~android_bridge.errors.BadRequest` or one of ``fmtc_nb.errors``), anything
beyond the device's configured limits :class:`~android_bridge.errors.BeyondDeviceLimits`; the options are
checked by ``DownloadOptions`` itself. Nothing is started or stored before the whole body has passed.
"""

from __future__ import annotations

import re
from dataclasses import replace

from android_bridge.config import BridgeConfig
from android_bridge.coverlimit import bounded_total
from android_bridge.errors import BadRequest, BeyondDeviceLimits
from fmtc_nb.engine.job import DownloadJob, DownloadOptions
from fmtc_nb.errors import FmtcError

#: What a client may ask of this device beyond DownloadOptions' own rules (inclusive bounds).
OPTION_BOUNDS: dict[str, tuple[int, int]] = {"parallel": (1, 64), "retries": (0, 10), "batch_size": (1, 10_000)}
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SOURCE_KEYS: dict[str, type | tuple[type, ...]] = {"url_template": str, "headers": dict, "contact": (str, type(None)),
                                                   "subdomains": list, "tile_format": (str, type(None))}


def _check_options(raw: object) -> DownloadOptions:
    """The options of the body, checked by DownloadOptions (strictly: unknown names refused), then held to
    the device's bounds."""
    if raw is not None and not isinstance(raw, dict):
        raise BadRequest("'options' must be an object of download options.")
    options = DownloadOptions.from_dict(raw or {}, strict=True)
    for name, (low, high) in OPTION_BOUNDS.items():
        value = getattr(options, name)
        if not low <= value <= high:
            raise BadRequest(f"The download option {name!r} = {value!r} is outside this device's bounds "
                             f"{low}-{high}.")
    return options


def _check_source(raw: object) -> None:
    if not isinstance(raw, dict) or not isinstance(raw.get("url_template"), str):
        raise BadRequest("'source' must be an object with a 'url_template' string.")
    for key, value in raw.items():
        kind = _SOURCE_KEYS.get(key)
        if kind is None:
            raise BadRequest(f"Unknown source field {key!r}.")
        if not isinstance(value, kind):
            raise BadRequest(f"The source field {key!r} has the wrong type.")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.get("headers", {}).items()):
        raise BadRequest("Source headers must map strings to strings.")
    if not all(isinstance(s, str) for s in raw.get("subdomains", [])):
        raise BadRequest("Source subdomains must be strings.")


def parse_job(body: object, config: BridgeConfig) -> DownloadJob:
    """The job described by ``body``, within ``config``'s limits; raises a domain error otherwise."""
    from fmtc_nb.store.names import check_name

    if not isinstance(body, dict):
        raise BadRequest("The job must be a JSON object.")
    missing = [k for k in ("region", "zooms", "source", "store") if k not in body]
    if missing:
        raise BadRequest(f"The job lacks {', '.join(missing)}.")
    unknown = set(body) - {"region", "zooms", "source", "store", "options", "job_id"}
    if unknown:
        raise BadRequest(f"Unknown job field(s): {', '.join(sorted(unknown))}.")
    if not isinstance(body["region"], dict):
        raise BadRequest("'region' must be a GeoJSON object.")
    zooms = body["zooms"]
    if not isinstance(zooms, list) or not zooms or not all(isinstance(z, int) and not isinstance(z, bool)
                                                           for z in zooms):
        raise BadRequest("'zooms' must be a non-empty list of integers.")
    if any(z < 0 for z in zooms):
        raise BadRequest("Zoom levels cannot be negative.")
    if max(zooms) > config.max_zoom:
        raise BeyondDeviceLimits(f"Zoom {max(zooms)} is beyond this device's limit of {config.max_zoom}.")
    check_name(body["store"])
    job_id = body.get("job_id")
    if job_id is not None and not (isinstance(job_id, str) and _JOB_ID.fullmatch(job_id)):
        raise BadRequest("'job_id' must be 1-64 letters, digits, '-' or '_'.")
    _check_source(body["source"])
    options = _check_options(body.get("options"))
    try:
        job = DownloadJob.from_dict({**body, "zooms": sorted(set(zooms)), "options": options.to_dict()})
        job.source.check_bulk_allowed()
        total = bounded_total(job.region, job.zooms, config)  # refused before any large cover is counted
    except FmtcError:  # a RegionError is a ValueError too: it keeps its own sentence
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise BadRequest(f"The job is malformed ({type(exc).__name__}: {exc}).") from None
    if total == 0:
        raise BeyondDeviceLimits("The region covers no tiles at these zooms.")
    return device_buffers(job, config)


def device_buffers(job: DownloadJob, config: BridgeConfig) -> DownloadJob:
    """The job with buffers no larger than the device allows, so a kill loses at most about a second of work."""
    opts = job.options
    small = replace(opts, flush_interval_s=min(opts.flush_interval_s, config.flush_interval_s),
                    batch_size=min(opts.batch_size, config.batch_size))
    return replace(job, options=small)
