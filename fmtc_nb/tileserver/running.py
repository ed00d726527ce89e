"""Run the demo tile server beside other work: in a background thread (notebooks, the CLI demo) or as a
subprocess (tests that kill it). Both handles expose ``url_template``, ``port`` and ``stop()``."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fmtc_nb.errors import SourceError
from fmtc_nb.threaded_site import ThreadedSite
from fmtc_nb.tileserver.faults import Burst429, Faults
from fmtc_nb.tileserver.server import TileApp

if TYPE_CHECKING:
    pass

_URL_LINE = re.compile(r"(http://\S+/\{z\}/\{x\}/\{y\}\.png)")
START_TIMEOUT_S = 30.0


def tilejson_url(url_template: str) -> str:
    """The TileJSON address of the server whose tiles are at ``url_template``."""
    return url_template.split("/{z}")[0] + "/tilejson.json"


def style_url(url_template: str) -> str:
    """The demo MapLibre style's address on the server whose tiles are at ``url_template``."""
    return url_template.split("/{z}")[0] + "/styles/demo.json"


class ServerThread:
    """The tile server on its own event loop in a daemon thread. ``app`` holds the request counters."""

    def __init__(self, faults: Faults | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = TileApp(faults)
        self.host = host
        self.port = port
        self._site = ThreadedSite(self.app.make_app, host, port, name="fmtc-nb-tileserver", reuse_address=True)

    @property
    def url_template(self) -> str:
        """``http://127.0.0.1:PORT/{z}/{x}/{y}.png``."""
        return self.app.url_template

    @property
    def tilejson_url(self) -> str:
        """``http://127.0.0.1:PORT/tilejson.json`` (TileJSON 3.0.0 with the attribution)."""
        return tilejson_url(self.url_template)

    @property
    def style_url(self) -> str:
        """``http://127.0.0.1:PORT/styles/demo.json`` (the vector demo style)."""
        return style_url(self.url_template)

    def start(self) -> ServerThread:
        """Start serving; returns once the port is bound (raises if it cannot be)."""
        if not 0 <= self.port <= 65535:
            raise SourceError(f"The port {self.port} is not between 0 and 65535 (0 picks a free one).")
        try:
            self.port = self._site.start(START_TIMEOUT_S).port
        except TimeoutError:
            raise SourceError(f"The demo tile server did not start on {self.host}:{self.port} "
                              f"within {START_TIMEOUT_S:g} s.") from None
        except OSError as exc:
            raise SourceError(f"The demo tile server could not start on {self.host}:{self.port}: {exc}.") from None
        self.app.url_template = f"http://{self.host}:{self.port}/{{z}}/{{x}}/{{y}}.png"
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end (idempotent)."""
        self._site.stop(START_TIMEOUT_S)


class ServerProcess:
    """The tile server as a ``python -m fmtc_nb serve-tiles`` subprocess; ``kill()`` sends SIGKILL."""

    def __init__(self, faults: Faults | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        faults = faults or Faults()
        cmd = [sys.executable, "-m", "fmtc_nb", "serve-tiles", "--host", host, "--port", str(port),
               "--latency", str(faults.latency_s), "--failure-rate", str(faults.failure_rate),
               "--seed", str(faults.seed)]
        if faults.burst_429 is not None:
            b = faults.burst_429
            cmd += ["--burst-429", f"{b.every}:{b.length}:{b.retry_after_s:g}"]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.url_template = ""
        assert self.process.stdout is not None
        for line in self.process.stdout:  # the server prints its URL template once bound
            match = _URL_LINE.search(line)
            if match:
                self.url_template = match.group(1)
                break
        if not self.url_template:
            self.process.wait(START_TIMEOUT_S)
            raise SourceError(f"The demo tile server subprocess exited with code {self.process.returncode}.")
        self.port = int(self.url_template.split(":")[2].split("/")[0])
        self.tilejson_url = tilejson_url(self.url_template)
        self.style_url = style_url(self.url_template)

    def stop(self) -> None:
        """Terminate the subprocess and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(START_TIMEOUT_S)
        if self.process.stdout:
            self.process.stdout.close()

    def kill(self) -> None:
        """SIGKILL the subprocess (to test how clients cope with a vanished server)."""
        self.process.kill()
        self.stop()


def _faults(latency_s: float, failure_rate: float, burst_429: Burst429 | str | None, seed: int) -> Faults:
    burst = Burst429.parse(burst_429) if isinstance(burst_429, str) else burst_429
    return Faults(latency_s=latency_s, failure_rate=failure_rate, burst_429=burst, seed=seed)


def start_server(port: int = 0, latency_s: float = 0.0, failure_rate: float = 0.0,
                 burst_429: Burst429 | str | None = None, seed: int = 0, host: str = "127.0.0.1") -> ServerThread:
    """Start the demo tile server in a background thread and return its handle (call ``.stop()`` when done).

    ``latency_s``: delay per tile in seconds; ``failure_rate``: fraction of tile requests that fail;
    ``burst_429``: a :class:`Burst429` or ``"EVERY:LENGTH[:RETRY_AFTER_S]"``; ``seed`` varies the failures.
    """
    return ServerThread(_faults(latency_s, failure_rate, burst_429, seed), host, port).start()


@contextmanager
def running_server(port: int = 0, latency_s: float = 0.0, failure_rate: float = 0.0,
                   burst_429: Burst429 | str | None = None, seed: int = 0, host: str = "127.0.0.1",
                   subprocess: bool = False) -> Iterator[ServerThread | ServerProcess]:
    """The demo tile server for the duration of a ``with`` block (a background thread, or a subprocess if
    ``subprocess`` is true); arguments as :func:`start_server`."""
    faults = _faults(latency_s, failure_rate, burst_429, seed)
    server = ServerProcess(faults, host, port) if subprocess else ServerThread(faults, host, port).start()
    try:
        yield server
    finally:
        server.stop()
