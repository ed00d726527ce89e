"""Typed exceptions of fmtc-nb.

Every error a user can cause is an :class:`FmtcError` whose message is one clear sentence. The CLI prints it
and exits with :attr:`FmtcError.exit_code` (2 for bad input); library users catch the subclass they care about.
Append new subclasses at the end of this module.
"""

from __future__ import annotations


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


class OptionError(SourceError):
    """A download option breaks its rule (raised by ``DownloadOptions``): ``option`` is the field's name,
    ``value`` what was given, ``what`` how a sentence calls the option and ``rule`` what it must be."""

    def __init__(self, option: str, value: object, what: str, rule: str, given_as: str | None = None) -> None:
        self.option, self.value, self.what, self.rule = option, value, what, rule
        shown = f"({given_as} {value!r})" if given_as else repr(value)
        super().__init__(f"The {what} {shown} is not {rule}.")

    def given_as(self, flag: str) -> OptionError:
        """The same error naming the command-line flag the value came from (``--parallel``)."""
        return OptionError(self.option, self.value, self.what, self.rule, flag)


class StoreBusy(StoreError):
    """Another program held a store's write lock longer than the busy timeout, so a write was not made."""


class DiskFull(StoreError):
    """The file system holding a store has no space left, so a write was not made."""


class ClusterError(FmtcError):
    """A sharded download cannot run as asked: Dask is missing, a cluster address is malformed or unreachable,
    or a sharding option is impossible."""


class ShardError(ClusterError):
    """A shard of a sharded download failed on its workers (its tiles stay checkpointed; the job is resumable)."""

    exit_code = 1


class PackError(FmtcError):
    """A map style pack cannot be planned, downloaded, stored or exported as asked (a bad style, a source
    without tiles, a resource that could not be fetched)."""


class ProfileError(FmtcError, ValueError):
    """A classroom profile, user-action script or rule parameter is malformed or unknown."""


class CertificateError(SourceError):
    """The tile server's TLS certificate does not verify, so no request of a job can succeed: the job stops with
    this sentence (every stored tile kept, no tile marked failed); the fix is ``--ca-bundle`` (``ca_bundle``)."""
