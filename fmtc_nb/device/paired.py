"""Paired devices, remembered in the user's config directory (``devices.json``, mode 0600: it holds tokens)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock

from fmtc_nb.errors import DeviceError
from fmtc_nb.paths import config_dir

FILE_NAME = "devices.json"
#: Seconds a pairing waits for another one writing the file.
LOCK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PairedDevice:
    """A device this user paired: the name they gave it, its API URL, the bearer token and its id."""

    name: str
    url: str
    token: str = field(repr=False)  # never in a notebook's output
    device_id: str = ""
    paired_at: float = 0.0
    #: The PEM certificate of a device paired over HTTPS (the only one trusted for it), and its SHA-256.
    certificate: str = field(default="", repr=False)
    fingerprint: str = ""

    def public(self) -> dict[str, object]:
        """The record without the token (for listings)."""
        return {k: v for k, v in asdict(self).items() if k not in ("token", "certificate")}


def devices_file(directory: Path | None = None) -> Path:
    """Where paired devices are kept."""
    return Path(directory or config_dir()) / FILE_NAME


def load_devices(directory: Path | None = None) -> dict[str, PairedDevice]:
    """Paired devices by name."""
    path = devices_file(directory)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {d["name"]: PairedDevice(**d) for d in data.get("devices", [])}
    except (ValueError, KeyError, TypeError) as exc:
        raise DeviceError(f"The paired-devices file {path} is damaged ({exc}); remove it and pair again.") from None


@contextmanager
def _locked(directory: Path | None) -> Iterator[None]:
    """Hold the paired-devices lock (``devices.json.lock``, an OS file lock on every platform, via ``filelock``)
    for a read-modify-write, so two pairings at once lose neither device."""
    path = devices_file(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(FILE_NAME + ".lock"), mode=0o600, timeout=LOCK_TIMEOUT_S):
        yield


def save_device(device: PairedDevice, directory: Path | None = None) -> Path:
    """Add or replace ``device`` (by name); the file is written atomically with mode 0600, under the lock."""
    with _locked(directory):
        devices = load_devices(directory)
        devices[device.name] = device
        return _write(devices, directory)


def _write(devices: dict[str, PairedDevice], directory: Path | None) -> Path:
    path = devices_file(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"devices": [asdict(d) for d in devices.values()]}, f, indent=1)
    os.chmod(tmp, 0o600)  # also when the file existed with wider permissions
    os.replace(tmp, path)
    return path


def forget_device(name: str, directory: Path | None = None) -> None:
    """Remove a paired device (its token is gone from this computer)."""
    with _locked(directory):
        devices = load_devices(directory)
        if devices.pop(name, None) is None:
            raise DeviceError(f"No paired device is called {name!r}.")
        _write(devices, directory)


def get_device(name: str, directory: Path | None = None) -> PairedDevice:
    """The paired device called ``name``; DeviceError naming the known ones otherwise."""
    devices = load_devices(directory)
    if name not in devices:
        known = ", ".join(sorted(devices)) or "none yet; run `fmtc-nb device pair URL CODE --name NAME`"
        raise DeviceError(f"No paired device is called {name!r} (paired: {known}).")
    return devices[name]


def new_device(name: str, url: str, token: str, device_id: str, certificate: str | None = None) -> PairedDevice:
    """A freshly paired device record (``certificate``: the PEM pinned for a device paired over HTTPS)."""
    from fmtc_nb.pake import pem_fingerprint

    return PairedDevice(name, url.rstrip("/"), token, device_id, time.time(), certificate or "",
                        pem_fingerprint(certificate) if certificate else "")
