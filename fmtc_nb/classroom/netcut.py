"""A network a rule can cut: a TCP relay on 127.0.0.1 between a client (the virtual device's download) and a
server (the embedded tile server), which copies bytes both ways until :meth:`NetworkCut.cut`.

A cut resets every open connection (a TCP RST, as a phone's radio going away leaves the download with a
broken connection) and resets each new connection the moment it is accepted (the client sees "connection
reset"), until :meth:`NetworkCut.restore` lets traffic through again. The relay counts what it did: connections
relayed, reset by a cut, refused during a cut, and the bytes that went through.

>>> with NetworkCut(("127.0.0.1", server.port)) as net:       # doctest: +SKIP
...     url = net.url_template(server.url_template)         # the client downloads through the relay
...     net.cut(); net.restore()
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections.abc import Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

#: Seconds the relay waits for its loop to start, stop, or carry out a cut.
LOOP_TIMEOUT_S = 10.0
T = TypeVar("T")


@dataclass
class CutCounts:
    """What the relay did so far: connections ``relayed`` (accepted while open), ``reset`` (open when a cut came),
    ``refused`` (arrived during a cut and were reset at once), ``cuts`` and ``bytes_relayed`` (both ways)."""

    relayed: int = 0
    reset: int = 0
    refused: int = 0
    cuts: int = 0
    bytes_relayed: int = 0


class NetworkCut:
    """The relay to ``target`` (host, port); it listens on a free port of 127.0.0.1 (:attr:`port`) and runs on
    its own asyncio loop in a daemon thread. :meth:`cut`/:meth:`restore` may be called from any thread and take
    effect before they return."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.counts = CutCounts()
        self._is_cut = False
        self._open: dict[asyncio.StreamWriter, asyncio.StreamWriter] = {}  # client side -> server side
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="network-cut", daemon=True)
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port: int = self._server.sockets[0].getsockname()[1]

    @property
    def is_cut(self) -> bool:
        """True between :meth:`cut` and :meth:`restore`."""
        return self._is_cut

    def url_template(self, template: str) -> str:
        """``template`` (a tile URL template of the target) pointed at the relay instead."""
        parts = urlsplit(template)
        return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.port}"))

    def cut(self) -> int:
        """Cut the network: reset every open connection and every new one until :meth:`restore`. Returns the
        number of connections reset now."""
        return self._call(self._cut())

    def restore(self) -> None:
        """Let traffic through again (new connections are relayed)."""
        self._is_cut = False

    def close(self) -> None:
        """Stop listening, reset what is open and end the loop's thread (idempotent)."""
        if not self._thread.is_alive():
            return
        with suppress(RuntimeError, TimeoutError):
            self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(LOOP_TIMEOUT_S)

    def __enter__(self) -> NetworkCut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- on the relay's loop --------------------------------------------------------------------------------------
    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(LOOP_TIMEOUT_S)

    async def _cut(self) -> int:
        self._is_cut = True
        self.counts.cuts += 1
        open_now = list(self._open.items())
        for client, server in open_now:
            _reset(client)
            _reset(server)
        self.counts.reset += len(open_now)
        return len(open_now)

    async def _close(self) -> None:
        self._server.close()
        for client, server in list(self._open.items()):
            _reset(client)
            _reset(server)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._is_cut:
            self.counts.refused += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(writer)
            return
        if self._is_cut:  # the cut came while the relay connected upstream
            self.counts.refused += 1
            _reset(writer)
            _reset(up_writer)
            return
        self.counts.relayed += 1
        self._open[writer] = up_writer
        try:
            await asyncio.gather(self._pump(reader, up_writer, writer), self._pump(up_reader, writer, up_writer))
        finally:
            self._open.pop(writer, None)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    other: asyncio.StreamWriter) -> None:
        """Copy ``reader`` to ``writer`` until either side ends; then close both ends of the pair."""
        try:
            while data := await reader.read(65536):
                if self._is_cut:
                    break
                writer.write(data)
                self.counts.bytes_relayed += len(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for end in (writer, other):
                if self._is_cut:
                    _reset(end)
                else:
                    with suppress(OSError, RuntimeError):
                        end.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close the connection with a TCP RST (SO_LINGER 0), not a FIN: the peer sees "connection reset"."""
    sock = writer.get_extra_info("socket")
    with suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with suppress(OSError, RuntimeError):
        writer.transport.abort()
