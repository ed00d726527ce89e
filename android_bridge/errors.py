"""The bridge's errors. Its logic (jobs, job parsing, stores) raises domain errors, each one sentence for the
user: these below and those of :mod:`fmtc_nb.errors`. Only the HTTP layer (:mod:`android_bridge.api`, its
``STATUS_OF`` table) turns them into status codes; :class:`ApiError` is that layer's own.
"""

from __future__ import annotations

from fmtc_nb.errors import FmtcError


class BadRequest(FmtcError):
    """A request or job body is malformed (wrong type, unknown field, bad value)."""


class BeyondDeviceLimits(FmtcError):
    """A well-formed job asks for more than this device allows (tiles, zooms)."""


class UnknownJob(FmtcError, LookupError):
    """No job of that id on this device."""


class JobStateConflict(FmtcError):
    """The job's state does not allow the action: starting it twice, pausing a job that does not run."""


class WaitingForApp(FmtcError):
    """Android refused the foreground service (Android 12+ from the background, or Android 15's daily dataSync
    time used up): the job is kept, paused, and starts when the app is opened."""


class ApiError(Exception):
    """Raised by the HTTP layer itself (api.py only): answered as ``{"error": message}`` with ``status``;
    ``headers`` are added to the answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
