"""The certificate a device was paired with, and TLS that trusts exactly it.

A bridge on the LAN serves HTTPS with a self-signed certificate made on the phone. Pairing binds the client to
that certificate (:mod:`fmtc_nb.pake`); afterwards the client trusts that one certificate as its only
anchor (no host name check: a phone's LAN address changes) and refuses any other with a sentence that names
both fingerprints.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

from fmtc_nb.errors import DeviceError
from fmtc_nb.pake import pem_fingerprint as fingerprint


class CertificateChanged(DeviceError):
    """The device presented a certificate other than the one it was paired with."""


def pinned_ssl_context(pem: str) -> ssl.SSLContext:
    """A client context whose only trust anchor is the paired certificate ``pem``."""
    context = ssl.create_default_context(cadata=pem)
    context.check_hostname = False  # the certificate itself is the identity; the phone's address may change
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def presented_certificate(url: str, timeout: float = 5.0) -> str:
    """The certificate (PEM) the HTTPS server at ``url`` presents, unverified: what the TLS connection saw."""
    parts = urlsplit(url)
    try:
        return ssl.get_server_certificate((parts.hostname or "", parts.port or 443), timeout=timeout)
    except (OSError, ssl.SSLError) as exc:
        raise DeviceError(f"The device at {url} did not complete a TLS handshake ({exc}).") from None


def certificate_changed(url: str, paired_pem: str) -> CertificateChanged:
    """The sentence for a device whose certificate is not the paired one (fetches the one presented now)."""
    try:
        now = fingerprint(presented_certificate(url))
    except DeviceError:
        now = "unknown (no handshake)"
    return CertificateChanged(
        f"The device at {url} presented a certificate with fingerprint {now}, not the one it was paired with "
        f"({fingerprint(paired_pem)}). If the phone was reset or the app reinstalled, pair again; otherwise "
        "something between this computer and the phone is answering in its place, so nothing was sent.")
