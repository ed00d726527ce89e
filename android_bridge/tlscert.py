"""The bridge's TLS identity: a key pair and a self-signed certificate made on first start and kept only on the
device (``bridge/tls.key``, mode 0600; ``bridge/tls.crt``), and the server context that serves it.

Clients pin this certificate at pairing (:mod:`fmtc_nb.pake` binds the exchange to its fingerprint), so it
has no host names to match: the phone's LAN address may change. Made with ``cryptography`` (a
python-for-android recipe on the phone): an ECDSA P-256 key, valid for 20 years.
"""

from __future__ import annotations

import datetime
import os
import ssl
from pathlib import Path

KEY_FILE, CERT_FILE = "tls.key", "tls.crt"
VALID_DAYS = 20 * 365


def ensure_certificate(state_dir: Path, device_id: str) -> str:
    """The certificate (PEM) of the bridge in ``state_dir``, made now if there is none."""
    key_path, cert_path = state_dir / KEY_FILE, state_dir / CERT_FILE
    if key_path.exists() and cert_path.exists():
        return cert_path.read_text()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"fmtc-nb bridge {device_id}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem_key)
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_path.write_text(pem)
    return pem


def server_context(state_dir: Path) -> ssl.SSLContext:
    """A TLS server context with the bridge's key and certificate (TLS 1.2 at least)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(state_dir / CERT_FILE, state_dir / KEY_FILE)
    return context
