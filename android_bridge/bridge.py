"""The bridge: one object holding the device's identity, pairing, tokens, jobs and HTTP server.

``Bridge(config, platform)`` is what the Android service entry point and ``python -m android_bridge --virtual``
both run: :meth:`start` binds the API (127.0.0.1 unless ``config.lan``), behind the connection caps and
request-head deadline of :mod:`android_bridge.guard`, shows a new pairing code whenever the last one expires,
and resumes the jobs that died with the previous process; :meth:`stop` leaves running jobs paused and resumable.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from android_bridge import __version__
from android_bridge.config import BridgeConfig
from android_bridge.foreground import ForegroundService
from android_bridge.guard import ConnectionGuard
from android_bridge.jobs import JobManager
from android_bridge.pairing import PairingCode, PairingCodes
from android_bridge.pake_sessions import PakeSessions
from android_bridge.platform.base import Platform
from android_bridge.recovery_link import RecoveryLink
from android_bridge.statefile import make_private_dir, read_state, write_json_atomically
from android_bridge.tlscert import ensure_certificate, server_context
from android_bridge.tokens import TokenStore
from fmtc_nb.pake import pem_fingerprint


def device_id(state_dir: Path) -> str:
    """This device's stable id (``state_dir/device.json``, created on first start)."""
    path = state_dir / "device.json"
    known = read_state(path, lambda data: str(data["device_id"]), str)
    if known:
        return known
    ident = f"device-{secrets.token_hex(6)}"
    write_json_atomically(path, {"device_id": ident})
    return ident


class Bridge:
    """The on-device app: API server, pairing, tokens, jobs and the foreground service."""

    version = __version__

    def __init__(self, config: BridgeConfig, platform: Platform,
                 on_pairing_code: Callable[[PairingCode | None], None] | None = None) -> None:
        from fmtc_nb.store import Root

        self.config = config
        self.platform = platform
        state = make_private_dir(config.state_dir)  # also closes what an older version left open
        self.device_id = device_id(state)
        #: The device's TLS certificate (PEM) and its fingerprint when it serves HTTPS; None and "" otherwise.
        self.certificate = ensure_certificate(state, self.device_id) if config.serves_tls else None
        self.fingerprint = pem_fingerprint(self.certificate) if self.certificate else ""
        #: Pairing exchanges under way (see :mod:`android_bridge.pake_sessions`).
        self.pake = PakeSessions()
        for leftover in (state / "exports").glob("export-*.mbtiles"):  # copies a killed process left behind
            leftover.unlink(missing_ok=True)
        self.tokens = TokenStore(state / "tokens.json")
        self._code_listeners = [c for c in (on_pairing_code, self._show_code) if c is not None]
        self.pairing = PairingCodes(config.code_ttl_s, config.code_tries, config.lockout_s,
                                    on_new_code=self._announce_code)
        self.store_root = Root(config.root)
        self.foreground = ForegroundService(platform)
        self.link = RecoveryLink(state, self.device_id, self.store_root)
        self.jobs = JobManager(self.link, self.foreground)
        self.link.answer_liveness(self.jobs.is_active)
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self._code_turner: asyncio.Task[None] | None = None
        self.port: int | None = None
        self.resumed: list[str] = []

    @property
    def url(self) -> str:
        """The API's base URL (loopback form; on the LAN use the device's address)."""
        return f"{'https' if self.certificate else 'http'}://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Serve the API and resume this device's jobs that died with the previous process."""
        from android_bridge.api import build_app

        cfg = self.config
        # aiohttp closes connections idle between requests itself; at most 100 header lines of 8 KiB each
        self._runner = web.AppRunner(build_app(self), access_log=None, handle_signals=False,
                                     keepalive_timeout=cfg.keepalive_s, max_headers=100, max_field_size=8190)
        await self._runner.setup()
        assert self._runner.server is not None
        guard = ConnectionGuard(self._runner.server, max_connections=cfg.max_connections,
                                max_per_peer=cfg.max_connections_per_peer, head_timeout_s=cfg.head_timeout_s)
        tls = server_context(cfg.state_dir) if self.certificate else None
        self._listener = await asyncio.get_running_loop().create_server(guard, cfg.bind_host, cfg.port, backlog=128,
                                                                        ssl=tls)
        self.port = int(self._listener.sockets[0].getsockname()[1])
        self._code_turner = asyncio.create_task(self._turn_expired_codes())
        self.resumed = await asyncio.to_thread(self.jobs.resume_orphans)

    async def stop(self) -> None:
        """Leave running jobs paused (resumable), leave the foreground and stop serving."""
        await asyncio.to_thread(self.jobs.shutdown)
        if self._code_turner is not None:
            self._code_turner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._code_turner
        if self._listener is not None:
            self._listener.close()
        if self._runner is not None:
            if self._runner.server is not None:
                await self._runner.server.shutdown(2.0)
            await self._runner.cleanup()

    async def _turn_expired_codes(self) -> None:
        """Show a new pairing code as soon as the shown one expires (or a lockout ends), as the phone would."""
        while True:
            wait_s = self.pairing.next_change_at() - time.time()
            await asyncio.sleep(min(max(wait_s, 0.0) + 0.01, 60.0))
            self.pairing.current()

    def _announce_code(self, code: PairingCode | None) -> None:
        for listener in getattr(self, "_code_listeners", ()):
            listener(code)

    def _show_code(self, code: PairingCode | None) -> None:
        show: Any = getattr(self.platform, "show_pairing_code", None)
        if show is not None:
            show(code.code if code else None, code.expires_at if code else None)
