"""Men in the middle on loopback, for the link tests: a forward proxy that records every connection (and
answers none), and a TLS-terminating relay that logs everything it sees between a client and a bridge."""

from __future__ import annotations

import asyncio
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
    ways, keeping a copy of everything in :attr:`log` (what an attacker on the Wi-Fi would hold). It runs on an
    asyncio loop in its own thread (an SSL socket must not be read and written from two threads at once)."""

    def __init__(self, server_context: ssl.SSLContext, target: tuple[str, int], target_tls: bool = True) -> None:
        self.server_context, self.target, self.target_tls = server_context, target, target_tls
        self.log = bytearray()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=server_context), self.loop).result(10)
        self.url = f"https://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_tls = None
        if self.target_tls:
            upstream_tls = ssl.create_default_context()
            upstream_tls.check_hostname, upstream_tls.verify_mode = False, ssl.CERT_NONE
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target, ssl=upstream_tls)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                self.log += data
                writer.write(data)
                await writer.drain()
        except (OSError, ssl.SSLError):
            pass
        finally:
            with suppress(OSError, ssl.SSLError, RuntimeError):
                writer.close()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shut(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _shut(self) -> None:
        self.server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@contextmanager
def recording_proxy() -> Iterator[RecordingProxy]:
    proxy = RecordingProxy()
    try:
        yield proxy
    finally:
        proxy.close()
