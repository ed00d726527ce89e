"""An aiohttp application served by its own event loop in a daemon thread: the demo tile server, a store's
caching proxy and the pack viewer, each startable from a notebook cell (inside the kernel's running loop) or a
script alike."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Self

from aiohttp import web


class ThreadedSite:
    """Serve the application ``make_app()`` builds on ``host``:``port`` (0: any free port) once :meth:`start`
    returns; ``port`` is then the bound port. The application is built and set up on the site's own loop, so
    its startup hooks (sessions, tasks) live there and its cleanup hooks run at :meth:`stop`."""

    def __init__(self, make_app: Callable[[], web.Application], host: str = "127.0.0.1", port: int = 0, *,
                 name: str = "fmtc-nb-site", reuse_address: bool | None = None) -> None:
        self.host, self.port = host, port
        self._make_app, self._reuse_address = make_app, reuse_address
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)

    def start(self, timeout_s: float = 30.0) -> Self:
        """Bind and serve; a port that cannot be bound raises its ``OSError`` after everything is closed again."""
        self._thread.start()
        try:
            self.port = asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout_s)
        except BaseException:
            self._end_loop()
            raise
        return self

    async def _open(self) -> int:
        self._runner = web.AppRunner(self._make_app(), access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port, reuse_address=self._reuse_address).start()
        except BaseException:
            await self._runner.cleanup()
            raise
        return int(self._runner.addresses[0][1])

    @property
    def alive(self) -> bool:
        """True while serving."""
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop serving: the application's cleanup runs, then the loop ends (idempotent)."""
        if self._thread.is_alive():
            if self._runner is not None:
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout_s)
            self._end_loop(timeout_s)

    def wait(self) -> None:
        """Block until another thread calls :meth:`stop`."""
        self._thread.join()

    def _end_loop(self, timeout_s: float = 30.0) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._loop.close()
