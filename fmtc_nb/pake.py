"""The pairing exchange both sides run: SPAKE2 on the six-digit code, bound to the bridge's TLS certificate.

The notebook (side A) and the bridge (side B) each run SPAKE2 with the code the phone shows as the password
(the pure-Python ``spake2`` package); only the two SPAKE2 messages cross the network, so a listener or a relay
learns nothing it could test codes against offline, and a relay that guesses gets one try per pairing start
(the bridge counts each start as a try). From the shared key both sides derive:

- a confirmation from each side over the *transcript*: the certificate fingerprint each side knows (the bridge
  its own, the notebook the one its TLS connection presented), the client's name, both messages and the
  session id. A relay that terminates TLS presents its own certificate, so the fingerprints differ and the
  notebook refuses before anything secret is sent; over plain HTTP (loopback) the fingerprint is empty;
- a box for the bearer token: XOR with an HKDF-SHA256 keystream and an HMAC-SHA256 tag (stdlib only).

Messages cross as base64 text. Every malformed input raises :class:`PairingMessageError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ssl

#: Bytes of a SPAKE2 message of the default group (Ed25519): the side byte and a 32-byte point.
MESSAGE_BYTES = 33
_LABEL = b"fmtc-nb pairing v1"


class PairingMessageError(ValueError):
    """A pairing message is malformed (not base64, the wrong length, not a point of the group)."""


def der_fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate's DER bytes as colon-separated upper-case hex pairs (as browsers show it)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def pem_fingerprint(pem: str) -> str:
    """:func:`der_fingerprint` of a PEM certificate."""
    return der_fingerprint(ssl.PEM_cert_to_DER_cert(pem))


def encode(data: bytes) -> str:
    """Bytes as base64 text for JSON."""
    return base64.b64encode(data).decode()


def decode(text: object, length: int | None = None) -> bytes:
    """Base64 text back to bytes (of exactly ``length`` if given); :class:`PairingMessageError` otherwise."""
    if not isinstance(text, str) or len(text) > 4096:
        raise PairingMessageError("A pairing message must be base64 text.")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise PairingMessageError("A pairing message is not valid base64.") from None
    if length is not None and len(data) != length:
        raise PairingMessageError(f"A pairing message has {len(data)} bytes, not {length}.")
    return data


def hkdf(key: bytes, info: bytes, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869) of ``key`` with an empty salt."""
    prk = hmac.new(b"\0" * 32, key, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out, counter = out + block, counter + 1
    return out[:length]


def transcript(fingerprint: str, name: str, msg_a: bytes, msg_b: bytes, session: str) -> bytes:
    """What both confirmations cover (every field length-prefixed, so none can be shifted into another)."""
    parts = [_LABEL, fingerprint.encode(), name.encode(), msg_a, msg_b, session.encode()]
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def confirmation(key: bytes, side: bytes, seen: bytes) -> bytes:
    """Side ``side`` (b"A" or b"B") proving it holds ``key`` and saw transcript ``seen``."""
    return hmac.new(hkdf(key, b"confirm " + side), seen, hashlib.sha256).digest()


def seal(key: bytes, secret: str) -> str:
    """The token boxed under ``key``: keystream XOR, then an HMAC tag over the ciphertext (base64 text)."""
    data = secret.encode()
    stream = hkdf(key, b"token box", len(data))
    body = bytes(a ^ b for a, b in zip(data, stream, strict=True))
    return encode(body + hmac.new(hkdf(key, b"token tag"), body, hashlib.sha256).digest())


def unseal(key: bytes, box: object) -> str:
    """The token out of :func:`seal`'s box; :class:`PairingMessageError` if it was not sealed under ``key``."""
    raw = decode(box)
    body, tag = raw[:-32], raw[-32:]
    if len(raw) < 33 or not hmac.compare_digest(tag, hmac.new(hkdf(key, b"token tag"), body, hashlib.sha256).digest()):
        raise PairingMessageError("The token box was not sealed with this pairing's key.")
    stream = hkdf(key, b"token box", len(body))
    return bytes(a ^ b for a, b in zip(body, stream, strict=True)).decode()


def side_a(code: str) -> tuple[object, bytes]:
    """(SPAKE2 state, first message) of the notebook's side."""
    from spake2 import SPAKE2_A

    state = SPAKE2_A(code.encode())
    return state, state.start()


def side_b(code: str) -> tuple[object, bytes]:
    """(SPAKE2 state, first message) of the bridge's side."""
    from spake2 import SPAKE2_B

    state = SPAKE2_B(code.encode())
    return state, state.start()


def finish(state: object, peer_message: bytes) -> bytes:
    """The shared key, from a side's state and the other side's message; PairingMessageError if malformed."""
    try:
        return state.finish(peer_message)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - spake2 raises several kinds for a bad point or side byte
        raise PairingMessageError(f"A pairing message is not a valid SPAKE2 message ({type(exc).__name__}).") from None
