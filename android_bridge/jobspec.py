"""Turn a ``POST /api/v1/jobs`` body into a :class:`~fmtc_nb.engine.DownloadJob` or, for a body whose ``kind`` is
``pack``, a style pack's :class:`~fmtc_nb.packs.PackJob`, checking the device's limits.

The body is :meth:`DownloadJob.to_dict` or :meth:`PackJob.to_dict` (region as a GeoJSON object, never a file
path; a pack's style an http(s) URL, never a file of the device). A pack is planned here (its style and each
source's TileJSON are read) so its tiles are held to the device's limits before it is accepted; the run reads
them again when it freezes its plan. Anything malformed
raises a domain error (:class:`~android_bridge.errors.BadRequest` or one of ``fmtc_nb.errors``), anything
beyond the device's configured limits :class:`~android_bridge.errors.BeyondDeviceLimits`; the options are
checked by ``DownloadOptions`` itself. Nothing is started or stored before the whole body has passed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, TypeVar

from android_bridge.config import BridgeConfig
from android_bridge.coverlimit import bounded_total
from android_bridge.errors import BadRequest, BeyondDeviceLimits
from fmtc_nb.android.joboptions import NO_PHONE_CA_BUNDLE, phone_options
from fmtc_nb.engine.job import DownloadJob, DownloadOptions
from fmtc_nb.errors import FmtcError
from fmtc_nb.packs.job import KIND as PACK
from fmtc_nb.packs.job import PackJob

_Job = TypeVar("_Job", DownloadJob, PackJob)

#: What a client may ask of this device beyond DownloadOptions' own rules (inclusive bounds).
OPTION_BOUNDS: dict[str, tuple[int, int]] = {"parallel": (1, 64), "retries": (0, 10), "batch_size": (1, 10_000)}
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SOURCE_KEYS: dict[str, type | tuple[type, ...]] = {"url_template": str, "headers": dict, "contact": (str, type(None)),
                                                   "subdomains": list, "tile_format": (str, type(None))}


def _check_options(raw: object) -> DownloadOptions:
    """The options of the body, checked by DownloadOptions (strictly: unknown names refused), then held to
    the device's bounds; fields left out take a phone job's defaults (it waits for the network, see
    :mod:`fmtc_nb.android.joboptions`), so only ``"wait_for_network": false`` turns that off."""
    if raw is not None and not isinstance(raw, dict):
        raise BadRequest("'options' must be an object of download options.")
    options = DownloadOptions.from_dict(phone_options(raw or {}), strict=True)
    if options.ca_bundle is not None:
        raise BadRequest(NO_PHONE_CA_BUNDLE)
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
    _check_headers(raw.get("headers", {}), "Source headers")
    if not all(isinstance(s, str) for s in raw.get("subdomains", [])):
        raise BadRequest("Source subdomains must be strings.")


def _check_headers(raw: dict[Any, Any], what: str) -> None:
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise BadRequest(f"{what} must map strings to strings.")


def _check_fields(body: object, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    """``body`` as a dict holding every ``required`` field and no field beyond ``optional`` (BadRequest)."""
    if not isinstance(body, dict):
        raise BadRequest("The job must be a JSON object.")
    missing = [k for k in required if k not in body]
    if missing:
        raise BadRequest(f"The job lacks {', '.join(missing)}.")
    unknown = set(body) - set(required) - set(optional)
    if unknown:
        raise BadRequest(f"Unknown job field(s): {', '.join(sorted(unknown))}.")
    return body


def _check_common(body: dict[str, Any], config: BridgeConfig) -> list[int]:
    """Check what tile jobs and packs share (region, zooms, store name, job id); the sorted zooms."""
    from fmtc_nb.store.names import check_name

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
    return sorted(set(zooms))


def parse_job(body: object, config: BridgeConfig) -> DownloadJob | PackJob:
    """The job described by ``body``, within ``config``'s limits; raises a domain error otherwise."""
    if isinstance(body, dict) and body.get("kind") == PACK:
        return parse_pack(body, config)
    body = _check_fields(body, ("region", "zooms", "source", "store"), ("options", "job_id"))
    zooms = _check_common(body, config)
    _check_source(body["source"])
    options = _check_options(body.get("options"))
    try:
        job = DownloadJob.from_dict({**body, "zooms": zooms, "options": options.to_dict()})
        job.source.check_bulk_allowed()
        total = bounded_total(job.region, job.zooms, config)  # refused before any large cover is counted
    except FmtcError:  # a RegionError is a ValueError too: it keeps its own sentence
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise BadRequest(f"The job is malformed ({type(exc).__name__}: {exc}).") from None
    if total == 0:
        raise BeyondDeviceLimits("The region covers no tiles at these zooms.")
    return device_buffers(job, config)


def parse_pack(body: object, config: BridgeConfig) -> PackJob:
    """The style pack ``body`` describes, planned and within ``config``'s limits; a domain error otherwise."""
    from fmtc_nb.packs.documents import is_url
    from fmtc_nb.packs.plan import plan_pack
    from fmtc_nb.packs.style import load_style

    body = _check_fields(body, ("kind", "region", "zooms", "style", "store"),
                         ("options", "job_id", "glyphs", "headers", "contact"))
    zooms = _check_common(body, config)
    if not isinstance(body["style"], str) or not is_url(body["style"]):
        raise BadRequest("A pack's 'style' must be the http(s) URL of the style (the phone cannot read files of "
                         "the computer, and does not read its own).")
    if not isinstance(body.get("glyphs", "latin"), str):
        raise BadRequest("'glyphs' must be a string such as 'latin' or 'all'.")
    if not isinstance(body.get("headers") or {}, dict):
        raise BadRequest("'headers' must be an object.")
    _check_headers(body.get("headers") or {}, "Pack headers")
    if not isinstance(body.get("contact"), str | None):
        raise BadRequest("'contact' must be a string.")
    options = _check_options(body.get("options"))
    try:
        job = PackJob.from_dict({**body, "zooms": zooms, "options": options.to_dict()})
        bounded_total(job.region, job.zooms, config)  # each source covers at most this: refused before planning
        fetch = job.document_fetch()
        plan = plan_pack(load_style(job.style, fetch), job.region, job.zooms, job.store, glyphs=job.glyphs,
                         fetch=fetch)
        for source in plan.sources:
            job.tile_source(source.template, source.tile_format).check_bulk_allowed()
    except FmtcError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise BadRequest(f"The pack job is malformed ({type(exc).__name__}: {exc}).") from None
    if plan.tiles > config.max_tiles:
        raise BeyondDeviceLimits(f"The pack covers {plan.tiles:,} tiles over its {len(plan.sources)} sources, beyond "
                                 f"this device's limit of {config.max_tiles:,} tiles.")
    if plan.tiles == 0:
        raise BeyondDeviceLimits("The pack covers no tiles at these zooms.")
    return device_buffers(job, config)


def device_buffers(job: _Job, config: BridgeConfig) -> _Job:
    """The job with buffers no larger than the device allows, so a kill loses at most about a second of work."""
    opts = job.options
    small = replace(opts, flush_interval_s=min(opts.flush_interval_s, config.flush_interval_s),
                    batch_size=min(opts.batch_size, config.batch_size))
    return replace(job, options=small)
