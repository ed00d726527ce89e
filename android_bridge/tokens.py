"""Bearer tokens of paired notebooks: random, kept until revoked, stored only as SHA-256 hashes.

The file ``root/bridge/tokens.json`` survives restarts of the app; it never holds a token itself. Checks
compare every stored hash in constant time, so neither timing nor the answer tells a wrong token from a
revoked one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from android_bridge.statefile import read_state, write_json_atomically


@dataclass(frozen=True)
class PairedClient:
    """One paired notebook: an id, the name it gave, when it paired (epoch seconds) and its token's hash."""

    id: str
    name: str
    created: float
    token_sha256: str


def token_hash(token: str) -> str:
    """Hex SHA-256 of a token (tokens are 256-bit random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    """The paired clients of a device, persisted atomically as JSON at ``path`` (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._clients: list[PairedClient] = []
        self._clients = read_state(self.path, lambda data: [PairedClient(**c) for c in data["clients"]], list)

    def issue(self, name: str) -> tuple[PairedClient, str]:
        """Pair a client called ``name``: return its record and the token (shown once, never stored)."""
        token = secrets.token_urlsafe(32)
        client = PairedClient(secrets.token_hex(8), name, time.time(), token_hash(token))
        with self._lock:
            self._clients.append(client)
            self._save()
        return client, token

    def check(self, token: str | None) -> PairedClient | None:
        """The client holding ``token``, or None; every hash is compared in constant time."""
        digest = token_hash(token or "")
        found = None
        with self._lock:
            for client in self._clients:
                if hmac.compare_digest(digest, client.token_sha256) and token:
                    found = client
        return found

    def revoke(self, client_id: str) -> bool:
        """Forget a client's token; True if it existed."""
        with self._lock:
            before = len(self._clients)
            self._clients = [c for c in self._clients if c.id != client_id]
            self._save()
            return len(self._clients) < before

    def clients(self) -> list[PairedClient]:
        """Paired clients (hashes included, tokens never)."""
        with self._lock:
            return list(self._clients)

    def _save(self) -> None:
        write_json_atomically(self.path, {"clients": [asdict(c) for c in self._clients]})
