"""An HTTPS tile server on 127.0.0.1 signed by a throwaway test CA (made with Debian's ``openssl``)."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from pathlib import Path

from aiohttp import web

from fmtc_nb.tileserver.server import TileApp

SERVER_EXTENSIONS = ("subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
                     "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                     "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")


def make_test_ca(folder: Path) -> dict[str, Path]:
    """A CA and a server certificate for IP 127.0.0.1 (valid two days): ``ca``, ``cert``, ``key`` paths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "server.ext").write_text(SERVER_EXTENSIONS)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=fmtc-nb test CA", "-extensions", "v3_ca", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}


class HttpsTileServer:
    """The demo tile server behind TLS, in a thread; ``url_template`` is ``https://127.0.0.1:PORT/...``."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.app = TileApp()
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(cert, key)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.url_template = ""

    def start(self) -> HttpsTileServer:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the HTTPS tile server did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def serve() -> web.AppRunner:
            runner = web.AppRunner(self.app.make_app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self._context).start()
            port = runner.addresses[0][1]
            self.url_template = self.app.url_template = f"https://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"
            return runner

        runner = self._loop.run_until_complete(serve())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
