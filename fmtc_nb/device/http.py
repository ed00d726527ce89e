"""Tiny synchronous HTTP for the device client (stdlib only): JSON calls, event streams and file downloads.

Every failure becomes a :class:`~fmtc_nb.errors.DeviceError` whose sentence is the device's own error
message (or says why the device could not be reached); ``status`` holds the HTTP status when there was one.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import IO, Any

from fmtc_nb import __version__
from fmtc_nb.errors import DeviceError

USER_AGENT = f"fmtc-nb/{__version__} (device client)"
#: Seconds to wait for an answer (an event stream sends a keep-alive at least every 10 s).
DEFAULT_TIMEOUT_S = 30.0
#: What to do when a phone does not answer: Android stops the bridge while nothing downloads and the app is
#: not on screen (docs/android.md, "Service model"); opening the app starts it and resumes its jobs.
OPEN_THE_APP = ("If it is a phone, open the fmtc-nb bridge app on it (Android stops the bridge while the app is "
                "in the background and nothing downloads; its jobs resume when it starts), check the USB "
                "forward or Wi-Fi, and try again.")


class DeviceHTTPError(DeviceError):
    """The device answered with an error status (``status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def open_url(method: str, url: str, body: Any = None, token: str | None = None,
             timeout: float = DEFAULT_TIMEOUT_S, accept: str = "application/json") -> IO[bytes]:
    """Send a request and return the open response (raise DeviceError on failure)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("User-Agent", USER_AGENT)
    request.add_header("Accept", accept)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http(s) URLs of paired devices)
    except urllib.error.HTTPError as exc:
        raise DeviceHTTPError(_error_sentence(exc), exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeviceError(f"The device at {url.split('/api/')[0]} cannot be reached ({reason}). {OPEN_THE_APP}") from None


def _error_sentence(exc: urllib.error.HTTPError) -> str:
    try:
        message = json.loads(exc.read().decode())["error"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        message = f"The device answered HTTP {exc.code}."
    if exc.code == 401:
        message = "The device refused the token (it was revoked or the device was reset); pair again."
    return message


def call(method: str, url: str, body: Any = None, token: str | None = None,
         timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    """A JSON request; the decoded JSON answer."""
    with open_url(method, url, body, token, timeout) as response:
        return json.loads(response.read().decode())


def server_sent_events(url: str, token: str | None, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[tuple[str, Any]]:
    """``(event name, decoded JSON data)`` of a text/event-stream until the device ends it."""
    with open_url("GET", url, None, token, timeout, accept="text/event-stream") as response:
        yield from _parse_events(response, url)


def _parse_events(response: IO[bytes], url: str) -> Iterator[tuple[str, Any]]:
    name, data = "message", list[str]()
    try:
        for raw in response:
            line = raw.decode().rstrip("\r\n")
            if not line:
                if data:
                    yield name, json.loads("\n".join(data))
                name, data = "message", []
            elif not line.startswith(":"):
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise DeviceError(f"The event stream from {url.split('/api/')[0]} broke ({type(exc).__name__}); the job "
                          "goes on (or resumes) on the device, so watch it again.") from None
