"""Client of a paired device (an Android phone running ``android_bridge``, or the virtual device).

- :func:`pair` proves the code the device shows (never sending it) for a token kept in the user's config
  (mode 0600), pinning the device's certificate over HTTPS;
- :func:`devices` lists paired devices, :func:`connect` returns a :class:`DeviceClient` for one;
- :class:`DeviceClient`: ``info``, ``dispatch``, ``watch`` / ``events`` (live), ``pause`` / ``resume`` /
  ``cancel``, ``jobs_frame`` / ``recovery_frame`` / ``stores_frame`` (pandas), ``store_stats``, ``pull``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import urlsplit

from fmtc_nb.device.client import DeviceClient
from fmtc_nb.device.jobs import build_job
from fmtc_nb.device.pair_exchange import exchange
from fmtc_nb.device.paired import PairedDevice, forget_device, load_devices, new_device, save_device
from fmtc_nb.errors import DeviceError

__all__ = ["DeviceClient", "PairedDevice", "build_job", "connect", "devices", "forget", "pair"]


def pair(url: str, code: str, name: str, directory: Path | None = None, fingerprint: str | None = None) -> DeviceClient:
    """Pair with the device at ``url`` using the six-digit ``code`` it shows, without sending the code (a
    SPAKE2 exchange bound to the device's certificate, :mod:`fmtc_nb.device.pair_exchange`); remember it as
    ``name`` with its token and, over HTTPS, its certificate, the only one trusted for it from then on.
    ``fingerprint``: the certificate's SHA-256 as the phone's status page shows it (checked when given)."""
    if not name or not name.isprintable() or len(name) > 100:
        raise DeviceError("A device name must be 1-100 printable characters.")
    code = str(code).strip()
    if not _is_http_url(str(url)):
        raise DeviceError(f"The device URL {url!r} is not an http(s) URL such as http://127.0.0.1:8765.")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise DeviceError("The pairing code must be the six digits the device shows.")
    paired = exchange(url, code, name, expected=fingerprint)
    device = new_device(name, url, paired.token, paired.device_id, paired.certificate)
    save_device(device, directory)
    return DeviceClient(device.url, device.token, device.name, certificate=device.certificate)


def _is_http_url(url: str) -> bool:
    try:
        parsed = urlsplit(url)
        parsed.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.hostname)


def devices(directory: Path | None = None) -> list[PairedDevice]:
    """The paired devices, by name."""
    return sorted(load_devices(directory).values(), key=lambda d: d.name)


def connect(name: str, directory: Path | None = None) -> DeviceClient:
    """The client of paired device ``name``."""
    return DeviceClient.named(name, directory)


def forget(name: str, directory: Path | None = None, revoke: bool = True) -> None:
    """Forget device ``name`` here, revoking its token on the device first when it can be reached."""
    if revoke:
        with contextlib.suppress(DeviceError):
            connect(name, directory).unpair()
    forget_device(name, directory)
