"""Men in the middle on loopback, for the link tests: a forward proxy that records every connection (and
answers none), and a TLS-terminating relay that logs everything it sees between a client and a bridge."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class RecordingProxy:
    """A TCP listener on 127.0.0.1 that records the first bytes of each connection and closes it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.seen: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(65536))
                except OSError:
                    self.seen.append(b"")

    def close(self) -> None:
        self.sock.close()


class TlsRelay:
    """Listens with TLS on 127.0.0.1 under its own certificate (``server_context``), connects to the bridge at
    ``target`` (host, port) with TLS (unverified: a relay does not care) or plain TCP, and copies bytes both
    ways, keeping a copy of everything in :attr:`log` (what an attacker on the Wi-Fi would hold)."""

    def __init__(self, server_context: ssl.SSLContext, target: tuple[str, int], target_tls: bool = True) -> None:
        self.server_context, self.target, self.target_tls = server_context, target, target_tls
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.log = bytearray()
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(raw,), daemon=True).start()

    def _relay(self, raw: socket.socket) -> None:
        try:
            client = self.server_context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        upstream = socket.create_connection(self.target)
        if self.target_tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            upstream = context.wrap_socket(upstream)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    self.log += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with suppress(OSError):
                    s.close()

    def close(self) -> None:
        self.sock.close()


@contextmanager
def recording_proxy() -> Iterator[RecordingProxy]:
    proxy = RecordingProxy()
    try:
        yield proxy
    finally:
        proxy.close()
