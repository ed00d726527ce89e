"""HTTP to one device on httpx: JSON calls, event streams and file downloads over kept connections.

:class:`DeviceLink` (blocking) and :class:`AsyncDeviceLink` (on the running event loop) hold one httpx client
per device: connections are reused, the connect and read timeouts are separate, a failed connect is tried
again (a flaky ``adb forward``), and the environment's proxies (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``)
are never used, since the bearer token must reach the phone and nothing else. A device paired over HTTPS is
reached with its paired certificate as the only trust anchor, so any other certificate is refused.

Every failure becomes a :class:`~fmtc_nb.errors.DeviceError` whose sentence is the device's own error message
(or says why the device could not be reached); :class:`DeviceHTTPError` carries the HTTP status.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse, connect_sse

from fmtc_nb import __version__
from fmtc_nb.device.pinning import certificate_changed, pinned_ssl_context
from fmtc_nb.errors import DeviceError

USER_AGENT = f"fmtc-nb/{__version__} (device client)"
#: Seconds to wait for an answer once connected (an event stream sends a keep-alive at least every 10 s).
DEFAULT_TIMEOUT_S = 30.0
#: Seconds to wait for a connection, per attempt.
CONNECT_TIMEOUT_S = 5.0
#: Further attempts after a failed connect (httpx retries connects only, never a request that was sent).
CONNECT_RETRIES = 2
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


def _options(url: str, token: str | None, timeout: float, certificate: str | None) -> tuple[dict, dict]:
    """(client keywords, transport keywords) both kinds of link share: the token, separate timeouts, connect
    retries, no environment proxies, and the paired certificate as the only trust anchor (if any)."""
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    client = {"base_url": url.rstrip("/"), "headers": headers, "trust_env": False,
              "timeout": httpx.Timeout(timeout, connect=CONNECT_TIMEOUT_S)}
    transport = {"retries": CONNECT_RETRIES, "trust_env": False,
                 "verify": pinned_ssl_context(certificate) if certificate else True}
    return client, transport


def _where(url: str) -> str:
    return url.split("/api/")[0]


def unreachable_error(url: str, exc: Exception, certificate: str | None = None) -> DeviceError:
    """The sentence for a device that could not be reached, or whose certificate is not the paired one."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError) and certificate:
            return certificate_changed(_where(url), certificate)
        cause = cause.__cause__ or cause.__context__
    return DeviceError(f"The device at {_where(url)} cannot be reached ({type(exc).__name__}: {exc}). {OPEN_THE_APP}")


def _error_sentence(response: httpx.Response) -> str:
    try:
        message = json.loads(response.read().decode())["error"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        message = f"The device answered HTTP {response.status_code}."
    if response.status_code == 401:
        message = "The device refused the token (it was revoked or the device was reset); pair again."
    return str(message)


def checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise DeviceHTTPError(_error_sentence(response), response.status_code)
    return response


def _stream_broke(url: str, exc: Exception) -> DeviceError:
    return DeviceError(f"The event stream from {_where(url)} broke ({type(exc).__name__}); the job goes on (or "
                       "resumes) on the device, so watch it again.")


#: What a dropped connection or garbled answer raises inside httpx (mapped to one sentence).
_TRANSPORT_ERRORS = (httpx.TransportError, httpx.DecodingError, httpx.TooManyRedirects)


@contextmanager
def _json_answer(url: str, path: str, certificate: str | None) -> Iterator[None]:
    """A JSON call's failures as sentences: the device unreachable (or its certificate changed), or not JSON."""
    try:
        yield
    except _TRANSPORT_ERRORS as exc:
        raise unreachable_error(url + path, exc, certificate) from None
    except ValueError:
        raise DeviceError(f"The device at {url} sent an answer that is not JSON.") from None


@contextmanager
def _event_stream(url: str, path: str, certificate: str | None) -> Iterator[None]:
    """An event stream's failures as sentences: the device unreachable, or the stream broken."""
    try:
        yield
    except httpx.ConnectError as exc:
        raise unreachable_error(url + path, exc, certificate) from None
    except (*_TRANSPORT_ERRORS, SSEError, ValueError) as exc:
        raise _stream_broke(url + path, exc) from None


class DeviceLink:
    """Blocking HTTP to the device at ``url`` (``token``: its bearer token; ``certificate``: the PEM of the
    certificate it was paired with, for HTTPS: the only one trusted)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 certificate: str | None = None) -> None:
        self.url, self.certificate = url.rstrip("/"), certificate
        options, transport = _options(url, token, timeout, certificate)
        self.client = httpx.Client(transport=httpx.HTTPTransport(**transport), **options)

    def close(self) -> None:
        """Close the kept connections."""
        self.client.close()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """A JSON request to ``path`` (under the device URL); the decoded JSON answer."""
        with _json_answer(self.url, path, self.certificate):
            return checked(self.client.request(method, path, json=body)).json()

    @contextmanager
    def download(self, path: str, accept: str) -> Iterator[Iterator[bytes]]:
        """The body of ``path`` as chunks (a file pulled from the device)."""
        try:
            with self.client.stream("GET", path, headers={"Accept": accept}) as response:
                checked(response)
                yield response.iter_bytes(256 * 1024)
        except _TRANSPORT_ERRORS as exc:
            raise unreachable_error(self.url + path, exc, self.certificate) from None

    def events(self, path: str) -> Iterator[tuple[str, Any]]:
        """``(event name, decoded JSON data)`` of a text/event-stream until the device ends it."""
        with _event_stream(self.url, path, self.certificate), connect_sse(self.client, "GET", path) as source:
            checked(source.response)
            for sse in source.iter_sse():
                yield sse.event, json.loads(sse.data)


class AsyncDeviceLink:
    """:class:`DeviceLink` on ``httpx.AsyncClient``, for code that runs on an event loop (a notebook's kernel)."""

    def __init__(self, url: str, token: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 certificate: str | None = None) -> None:
        self.url, self.certificate = url.rstrip("/"), certificate
        options, transport = _options(url, token, timeout, certificate)
        self.client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(**transport), **options)

    async def close(self) -> None:
        """Close the kept connections."""
        await self.client.aclose()

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        """A JSON request to ``path``; the decoded JSON answer."""
        with _json_answer(self.url, path, self.certificate):
            response = await self.client.request(method, path, json=body)
            if response.status_code >= 400:
                await response.aread()
            return checked(response).json()

    @asynccontextmanager
    async def _sse(self, path: str) -> AsyncIterator[Any]:
        async with aconnect_sse(self.client, "GET", path) as source:
            if source.response.status_code >= 400:
                await source.response.aread()
            checked(source.response)
            yield source

    async def events(self, path: str) -> AsyncIterator[tuple[str, Any]]:
        """``(event name, decoded JSON data)`` of the event stream until the device ends it."""
        with _event_stream(self.url, path, self.certificate):
            async with self._sse(path) as source:
                async for sse in source.aiter_sse():
                    yield sse.event, json.loads(sse.data)

