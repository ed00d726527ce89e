"""What a notebook starts, in one place: its root directory, the embedded tile server, virtual devices and
caching proxies; :meth:`NotebookSession.close` (also run at exit) stops them all, so no process is left behind.

>>> session = NotebookSession("plan")          # doctest: +SKIP
>>> server = session.tile_server()              # background thread; session.close() stops it
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


class NotebookSession:
    """A notebook's root and the servers and processes it started, stopped in reverse order by :meth:`close`.

    The root is ``root`` if given, else a fresh folder ``notebook-NAME-*`` inside ``$FMTC_NB_ROOT`` (so the demo
    stores and jobs never mix with the user's own, and a notebook can be run again), else a fresh temporary
    directory."""

    def __init__(self, name: str, root: str | os.PathLike[str] | None = None) -> None:
        if root is not None:
            self.root = Path(root)
            self.root.mkdir(parents=True, exist_ok=True)
        else:
            parent = os.environ.get("FMTC_NB_ROOT")
            if parent:
                Path(parent).mkdir(parents=True, exist_ok=True)
            prefix = f"notebook-{name}-" if parent else f"fmtc-nb-{name}-"
            self.root = Path(tempfile.mkdtemp(prefix=prefix, dir=parent or None))
        self._stops: list[Callable[[], Any]] = []
        atexit.register(self.close)

    def add(self, stop: Callable[[], Any]) -> None:
        """Run ``stop()`` when the session closes."""
        self._stops.append(stop)

    def tile_server(self, **options: Any) -> Any:
        """Start the embedded Natural Earth tile server (options of ``fmtc_nb.tileserver.start_server``)."""
        from fmtc_nb.tileserver import start_server

        server = start_server(**options)
        self.add(server.stop)
        return server

    def virtual_device(self, name: str = "phone", *args: str) -> Any:
        """Start a virtual device (``python -m android_bridge --virtual``, a child process) whose root is
        ``root/name``."""
        from fmtc_nb.device.launcher import VirtualDeviceProcess

        device = VirtualDeviceProcess(self.root / name, args=args).start()
        self.add(device.stop)
        return device

    def store_proxy(self, store: str, **options: Any) -> Any:
        """Serve a store of this root through the caching proxy (options of ``fmtc_nb.store.proxy.serve_store``)."""
        from fmtc_nb.store.proxy import serve_store

        proxy = serve_store(store, self.root, **options)
        self.add(proxy.stop)
        return proxy

    def close(self) -> None:
        """Stop everything started, newest first (idempotent)."""
        while self._stops:
            with contextlib.suppress(Exception):
                self._stops.pop()()
