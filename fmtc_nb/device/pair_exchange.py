"""The notebook's side of pairing (:mod:`fmtc_nb.pake`): the code stays here, the certificate gets pinned.

Over HTTPS the first connection cannot check the phone's self-signed certificate against anything, so it
records the certificate the connection presented and lets the exchange decide: the bridge's confirmation
covers the fingerprint of the certificate it serves, so a relay presenting its own certificate fails the
check here, before this side sends its own confirmation, and never sees a token. After a good exchange that
certificate is the only one trusted for the device (:mod:`fmtc_nb.device.pinning`).
"""

from __future__ import annotations

import hmac
import ssl
from dataclasses import dataclass
from typing import Any

import httpx

from fmtc_nb.device.http import USER_AGENT, checked, unreachable_error
from fmtc_nb.errors import DeviceError
from fmtc_nb.pake import (
    MESSAGE_BYTES,
    PairingMessageError,
    confirmation,
    decode,
    der_fingerprint,
    encode,
    finish,
    side_a,
    transcript,
    unseal,
)

PAIR_START, PAIR_FINISH = "/api/v1/pair/start", "/api/v1/pair/finish"


@dataclass(frozen=True)
class Paired:
    """What a good exchange gives: the token, the device's id and, over HTTPS, its certificate (PEM)."""

    token: str
    device_id: str
    certificate: str | None


def _presented(response: httpx.Response) -> bytes | None:
    """The DER certificate the TLS connection of ``response`` presented (None over plain HTTP)."""
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    return ssl_object.getpeercert(True) if ssl_object is not None else None


def exchange(url: str, code: str, name: str, timeout: float = 30.0, expected: str | None = None) -> Paired:
    """Pair with the bridge at ``url`` by the six-digit ``code`` without sending it; :class:`DeviceError`
    with one sentence for every failure (wrong code, someone in the middle, garbled answers, lockout).
    ``expected``: the certificate fingerprint the phone's status page shows (its QR code), checked too."""
    unchecked = ssl.create_default_context()
    unchecked.check_hostname, unchecked.verify_mode = False, ssl.CERT_NONE  # decided by the exchange below
    with httpx.Client(base_url=url.rstrip("/"), trust_env=False, verify=unchecked, timeout=timeout,
                      headers={"User-Agent": USER_AGENT}) as client:
        state, msg_a = side_a(code)
        start = _post(client, PAIR_START, {"msg": encode(msg_a), "name": name})
        der = _presented(start.response)
        fingerprint = der_fingerprint(der) if der else ""
        if expected and expected.strip().upper() != fingerprint:
            raise DeviceError(f"The device at {url} presented certificate {fingerprint or 'none (plain HTTP)'}, not "
                              f"{expected.strip().upper()} as its status page shows; nothing was sent.")
        try:
            msg_b = decode(start.body.get("msg"), MESSAGE_BYTES)
            session = start.body.get("session")
            if not isinstance(session, str):
                raise PairingMessageError("The device's answer has no session.")
            key = finish(state, msg_b)
            seen = transcript(fingerprint, name, msg_a, msg_b, session)
            if not hmac.compare_digest(decode(start.body.get("confirm"), 32), confirmation(key, b"B", seen)):
                raise DeviceError(_not_confirmed(fingerprint))
            done = _post(client, PAIR_FINISH, {"session": session, "confirm": encode(confirmation(key, b"A", seen))})
            if der is not None and _presented(done.response) not in (None, der):
                raise DeviceError("The device changed its certificate during pairing; pair again.")
            token = unseal(key, done.body.get("box"))
        except PairingMessageError as exc:
            raise DeviceError(f"The device's pairing answer is garbled ({exc}); pair again.") from None
    pem = ssl.DER_cert_to_PEM_cert(der) if der else None
    return Paired(token, str(done.body.get("device_id", "")), pem)


def _not_confirmed(fingerprint: str) -> str:
    """The sentence for a bridge confirmation that does not match (this side then sends nothing more)."""
    if not fingerprint:  # plain HTTP on loopback (adb forward): nothing else can be in the middle
        return "The pairing code is wrong or has expired; use the code the device shows now."
    return ("The pairing was not confirmed: either the code is wrong or something between this computer and the "
            f"phone answered in its place with its own certificate ({fingerprint}); check the code the phone shows "
            "and pair again. Nothing secret was sent.")


@dataclass(frozen=True)
class _Answer:
    response: httpx.Response
    body: dict[str, Any]


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> _Answer:
    try:
        response = checked(client.post(path, json=body))
        data = response.json()
    except (httpx.TransportError, httpx.DecodingError) as exc:
        raise unreachable_error(str(client.base_url) + path, exc) from None
    except ValueError:
        raise DeviceError(f"The device at {client.base_url} sent a pairing answer that is not JSON.") from None
    if not isinstance(data, dict):
        raise DeviceError(f"The device at {client.base_url} sent a pairing answer that is not an object.")
    return _Answer(response, data)
