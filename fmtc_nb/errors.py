"""Typed exceptions of fmtc-nb.

Every error a user can cause is an :class:`FmtcError` whose message is one clear sentence. The CLI prints it
and exits with :attr:`FmtcError.exit_code` (2 for bad input); library users catch the subclass they care about.
Append new subclasses at the end of this module.
"""


class FmtcError(Exception):
    """Base class of all fmtc-nb errors: the message is one sentence meant for the user."""

    exit_code = 2


class RegionError(FmtcError, ValueError):
    """A region, region spec or GeoJSON document is malformed or unsupported."""


class ZoomError(FmtcError, ValueError):
    """A zoom level or zoom range is outside 0-22 or reversed."""


class StoreError(FmtcError):
    """A store cannot be created, opened, read or written as asked."""


class StoreNotFound(StoreError, LookupError):
    """No store of that name exists in the root."""


class StoreExists(StoreError):
    """A store of that name exists already and no conflict strategy was given."""


class SourceError(FmtcError, ValueError):
    """A tile source (URL template, headers, User-Agent) is invalid."""


class PolicyError(SourceError):
    """The tile server's usage policy forbids what was asked (e.g. bulk download from tile.openstreetmap.org)."""


class JobConflict(FmtcError):
    """A job is already claimed by a live runner, so it cannot be resumed or retried here."""


class RecoveryError(FmtcError):
    """A recovery record is missing or cannot be acted on."""


class EstimateError(FmtcError):
    """An estimate or zoom plan cannot be made (nothing usable came back, or no zoom fits the budget)."""


class DeviceError(FmtcError):
    """A paired device refused a request, could not be reached, or is unknown."""
