"""The jobs a client sends to a device, built from friendly arguments and checked before anything is sent: a
tile download (:func:`build_job`) or a style pack (:func:`build_pack_job`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fmtc_nb.android.joboptions import NO_PHONE_CA_BUNDLE
from fmtc_nb.errors import DeviceError

if TYPE_CHECKING:
    from fmtc_nb.engine import DownloadJob
    from fmtc_nb.packs.job import PackJob


def build_job(region: Any, zooms: Any, url: str | None = None, store: str | None = None, *, source: Any = None,
              options: Any = None, job_id: str | None = None, **option_fields: Any) -> DownloadJob:
    """A :class:`~fmtc_nb.engine.DownloadJob` from friendly arguments (checked here, before anything is sent).

    ``region``: a Region, a GeoJSON dict or a spec/file (``rect:W,S,E,N`` ...); ``zooms``: "0-12", an int or a
    list; ``url`` or ``source`` (a TileSource); ``options``: DownloadOptions, a dict of its fields, or ``option_fields``
    (fields left out take the phone's defaults: ``wait_for_network=True``, ``max_wait_s=3600``, see
    :mod:`fmtc_nb.android.joboptions`; ``wait_for_network=False`` turns the waiting off).
    """
    from fmtc_nb.engine import DownloadJob
    from fmtc_nb.source import TileSource
    from fmtc_nb.zooms import parse_zooms

    if store is None:
        raise DeviceError("A job needs a store name.")
    if source is None:
        if url is None:
            raise DeviceError("A job needs a tile URL template (url=...) or a TileSource (source=...).")
        source = TileSource(url)
    source.check_bulk_allowed()
    extra = {"job_id": job_id} if job_id else {}
    return DownloadJob(as_region(region), parse_zooms(zooms), source, store, as_options(options, option_fields),
                       **extra)


def as_region(region: Any) -> Any:
    """A Region from a Region, a GeoJSON dict, or a spec or file (``rect:W,S,E,N`` ...)."""
    from fmtc_nb.regions import Region, parse_region, region_from_geojson

    if isinstance(region, dict):
        return region_from_geojson(region)
    return region if isinstance(region, Region) else parse_region(region)


def as_options(options: Any, option_fields: dict[str, Any]) -> Any:
    """DownloadOptions from DownloadOptions (sent as it is), or a dict of its fields (as in a job body) or keyword
    fields, the fields left out taking a phone job's defaults (:func:`fmtc_nb.android.joboptions.phone_options`);
    DeviceError for a ``ca_bundle`` (:data:`NO_PHONE_CA_BUNDLE`)."""
    from fmtc_nb.android.joboptions import phone_options
    from fmtc_nb.engine import DownloadOptions

    if not isinstance(options, DownloadOptions):
        try:
            options = DownloadOptions(**phone_options({**(options or {}), **option_fields}))
        except TypeError as exc:
            raise DeviceError(f"Unknown or invalid download option ({exc}).") from None
    if options.ca_bundle is not None:
        raise DeviceError(NO_PHONE_CA_BUNDLE)
    return options


def build_pack_job(region: Any, zooms: Any, style: str, name: str, *, glyphs: str = "latin",
                   headers: dict[str, str] | None = None, contact: str | None = None, options: Any = None,
                   job_id: str | None = None, **option_fields: Any) -> PackJob:
    """A :class:`~fmtc_nb.packs.PackJob` for a device (``region``, ``zooms`` and options as
    :func:`build_job`); the style must be an http(s) URL, which the phone reads itself."""
    from fmtc_nb.packs.documents import is_url
    from fmtc_nb.packs.job import PackJob
    from fmtc_nb.source import check_contact
    from fmtc_nb.zooms import parse_zooms

    check_contact(contact)
    if not is_url(style):
        raise DeviceError(f"The phone cannot read the style {style!r}: give its http(s) URL (serve a style file "
                          "with `fmtc-nb serve` or any web server the phone reaches).")
    extra = {"job_id": job_id} if job_id else {}
    return PackJob(as_region(region), parse_zooms(zooms), style, name, as_options(options, option_fields), glyphs,
                   dict(headers or {}), contact, **extra)
