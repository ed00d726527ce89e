"""python-for-android entry point of the app (the visible activity, webview bootstrap).

At every start the activity asks for ``POST_NOTIFICATIONS`` (Android 13+) and starts the bridge's service:
the first start runs it; a start while it runs tells it the app is on screen, so jobs that Android refused
to start from the background start now (and Android 15's dataSync time is reset). It then serves the status
page its webview shows: the device, the pairing code (so pairing works with notifications denied), whether
battery optimisation is ignored (with a button for the system dialog), what the phone's vendor is known to
do to background work (dontkillmyapp.com, credited), and buttons to start the bridge on loopback or the LAN
and to stop it.

Every app on a phone can open pages on 127.0.0.1, so the page and its controls live under a random path
(``/s/<key>/``) that only this app's webview is sent to: python-for-android's webview first loads ``/``,
which answers with a page without code or controls and sends the webview to the keyed address.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from android_bridge.android_service import PAIRING_FILE, SETTINGS_FILE
from android_bridge.config import DEFAULT_PORT
from android_bridge.platform.base import DeviceInfo

#: The port python-for-android's webview bootstrap opens (``p4a.port`` in buildozer.spec).
WEBVIEW_PORT = 5000
#: The Java class python-for-android generates for ``services = Bridge:...`` (package + "Service" + name).
SERVICE_CLASS = "org.fmtcnb.bridge.ServiceBridge"
ACTIVITY_CLASS = "org.kivy.android.PythonActivity"
#: The page every other app can see: nothing but where to look.
PLAIN_PAGE = ('<!doctype html><meta charset="utf-8"><title>fmtc-nb bridge</title>'
              "<p>This is the fmtc-nb bridge app's page; open the app to see it.</p>")


def bridge_running(port: int = DEFAULT_PORT) -> bool:
    """Whether something answers on the bridge's port on loopback."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def pairing_text(pairing: dict[str, Any], now: float | None = None) -> str:
    """The pairing code as the page shows it (from the service's ``bridge/pairing.json``).

    >>> pairing_text({"code": "042917", "expires_at": 1e12}, now=0)[:24]
    'Pairing code: <b>042 917'
    >>> pairing_text({})
    'Pairing code: none yet (start the bridge).'
    """
    code, expires_at = pairing.get("code"), pairing.get("expires_at")
    now = time.time() if now is None else now
    if pairing and code is None:
        return "Pairing is locked after too many wrong codes; a new code appears after the lockout."
    if not isinstance(code, str) or not isinstance(expires_at, int | float) or expires_at <= now:
        return "Pairing code: none yet (start the bridge)."
    until = time.strftime("%H:%M", time.localtime(expires_at))
    return f"Pairing code: <b>{html.escape(code[:3])} {html.escape(code[3:])}</b> (valid until {until}; type it in your notebook)"


def pairing_command(pairing: dict[str, Any]) -> str | None:
    """The command a notebook user types to pair (URL, code and, over HTTPS, the certificate's fingerprint), from
    the service's ``pairing.json``; None without a live code or URL."""
    code, url = pairing.get("code"), pairing.get("url")
    if not isinstance(code, str) or not isinstance(url, str):
        return None
    fingerprint = pairing.get("fingerprint") or ""
    return f"fmtc-nb device pair {url} {code} --name phone" + (f" --fingerprint {fingerprint}" if fingerprint else "")


def pairing_qr(pairing: dict[str, Any]) -> str:
    """The pairing command as a QR code (inline SVG, drawn by the pure-Python ``segno``) with the same text
    beside it, for users who copy it from a photo; "" without a live code."""
    command = pairing_command(pairing)
    if command is None:
        return ""
    import segno

    svg = segno.make(command, error="m").svg_inline(scale=3, title="pairing command")
    return f'<figure class="pairing-qr">{svg}<figcaption><code>{html.escape(command)}</code></figcaption></figure>'


def status_page(info: DeviceInfo, advice: dict[str, Any], running: bool, pairing: dict[str, Any],
                port: int = DEFAULT_PORT) -> str:
    """The HTML the webview shows (``advice``: :func:`android_bridge.vendors.vendor_advice` for the phone;
    ``pairing``: the service's ``pairing.json``; ``port``: the bridge's). Forms post to relative addresses
    under the page's key."""
    e = html.escape
    battery = (
        "Battery optimisation: ignored for this app (good)."
        if info.battery_optimisation_ignored
        else 'Battery optimisation is on: Android may stop downloads, and from Android 12 it refuses to start '
        'them while the app is in the background. <form method="post" action="battery">'
        "<button>Exempt this app</button></form>"
    )
    notifications = (
        "Notifications: allowed."
        if info.notifications_allowed
        else 'Notifications are off: progress is not shown in the notification shade (the pairing code is '
        'above). <form method="post" action="notifications"><button>Allow notifications</button></form>'
    )
    vendor = (
        f"<p>{e(info.vendor)} phones: {e(advice['symptoms'])}. "
        f'Step-by-step fixes: <a rel="noreferrer noopener" href="{e(advice["url"])}">{e(advice["url"])}</a></p>'
        if advice["known"] and advice["award"] > 0
        else f'<p>Stock Android rules apply; see <a rel="noreferrer noopener" href="{e(advice["url"])}">'
        f'{e(advice["url"])}</a>.</p>'
    )
    state = "running" if running else "stopped"
    code = f"<p>{pairing_text(pairing)}</p>{pairing_qr(pairing) if running else ''}"
    buttons = (
        '<form method="post" action="stop"><button>Stop the bridge</button></form>'
        if running
        else '<form method="post" action="start"><button>Start (USB: adb forward)</button></form>'
        '<form method="post" action="start-lan"><button>Start on Wi-Fi (LAN)</button></form>'
    )
    return (
        '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        '<meta name="referrer" content="no-referrer"><title>fmtc-nb bridge</title><h1>fmtc-nb bridge</h1>'
        f"<p>Android {e(info.android_version)} (API {info.sdk_int}), {e(info.vendor)} {e(info.model)}</p>"
        f"<p>Bridge: {state} on port {port}.</p>{code}{buttons}"
        f"<p>{notifications}</p><p>{battery}</p>{vendor}<p><small>{e(advice['attribution'])}</small></p>"
    )


class StatusPage(BaseHTTPRequestHandler):
    """``GET /s/<key>/`` shows :func:`status_page`; ``POST /s/<key>/{battery,notifications,start,start-lan,
    stop}`` act. Anything else gets :data:`PLAIN_PAGE` (GET) or 403 (POST); ``GET /`` also sends the app's
    webview to the keyed page."""

    platform: Any = None  # AndroidPlatform of the activity, set by :func:`serve`
    key = ""  # the random path segment only the app's webview is sent to, set by :func:`serve`
    state_dir: Path | None = None  # the service's bridge/ directory (pairing.json), set by :func:`serve`
    show_keyed_page: Any = None  # callable(url): load the keyed page in the app's webview
    server_version = "fmtc-nb-app"

    def _action(self) -> str | None:
        """The part after ``/s/<key>/`` when the key is right, else None."""
        parts = self.path.split("?")[0].split("/")
        if len(parts) != 4 or parts[1] != "s" or not hmac.compare_digest(parts[2], self.key):
            return None
        return parts[3]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        from android_bridge.vendors import vendor_advice

        action = self._action()
        if action != "":
            if self.path == "/" and self.show_keyed_page is not None:
                port = cast(ThreadingHTTPServer, self.server).server_port
                self.show_keyed_page(f"http://127.0.0.1:{port}/s/{self.key}/")
            self._send(200, PLAIN_PAGE)
            return
        info = self.platform.device_info()
        port = self._state(SETTINGS_FILE).get("port", DEFAULT_PORT)
        body = status_page(info, vendor_advice(info.vendor), bridge_running(port), self._state(PAIRING_FILE), port)
        self._send(200, body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        actions = {
            "battery": self.platform.request_ignore_battery_optimizations,
            "notifications": self.platform.request_notification_permission,
            "start": lambda: start_bridge_service(self.platform, lan=False),
            "start-lan": lambda: start_bridge_service(self.platform, lan=True),
            "stop": lambda: stop_bridge_service(self.platform),
        }
        action = self._action()
        if action is None:
            self._send(403, "<p>These controls belong to the fmtc-nb app.</p>")
            return
        if action not in actions:
            self.send_error(404)
            return
        actions[action]()
        self.send_response(303)
        self.send_header("Location", f"/s/{self.key}/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _state(self, name: str) -> dict[str, Any]:
        """A state file the service writes in its ``bridge/`` folder ({} when missing or damaged)."""
        from android_bridge.statefile import read_state

        return read_state(self.state_dir / name, dict, dict) if self.state_dir else {}

    def _send(self, status: int, body_text: str) -> None:
        body = body_text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """Quiet: logcat does not need every page view."""


def start_bridge_service(platform: Any, *, lan: bool, port: int = DEFAULT_PORT) -> None:
    """Start the bridge's service (its argument: port and whether to listen on the LAN); when it runs
    already, Android delivers a second start, which starts the jobs that waited for the app."""
    service = platform.java_class(SERVICE_CLASS)
    service.start(platform.activity(), json.dumps({"port": port, "lan": lan}))


def stop_bridge_service(platform: Any) -> None:
    """Stop the bridge's service (its jobs checkpoint as it is destroyed; recovery resumes them)."""
    platform.java_class(SERVICE_CLASS).stop(platform.activity())


def webview_loader(platform: Any, min_interval_s: float = 1.0) -> Any:
    """``show(url)``: load ``url`` in the app's webview (``PythonActivity.loadUrl``), at most once a second."""
    last = [float("-inf")]
    lock = threading.Lock()

    def show(url: str) -> None:
        with lock:
            if time.monotonic() - last[0] < min_interval_s:
                return
            last[0] = time.monotonic()
        platform.java_class(ACTIVITY_CLASS).loadUrl(url)

    return show


def serve(platform: Any, port: int = WEBVIEW_PORT, state_dir: Path | None = None,
          key: str | None = None) -> ThreadingHTTPServer:
    """The status page server on loopback (call ``serve_forever`` on it); ``server.key`` is its path key."""
    key = key or secrets.token_urlsafe(24)
    handler = type("BoundStatusPage", (StatusPage,), {
        "platform": platform, "key": key, "state_dir": state_dir,
        "show_keyed_page": staticmethod(webview_loader(platform))})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.key = key  # type: ignore[attr-defined]
    return server


def main() -> None:
    """Entry point python-for-android runs in the app process."""
    from android_bridge.android_service import device_root, use_pure_python
    from android_bridge.config import BridgeConfig
    from android_bridge.platform.android import AndroidPlatform

    use_pure_python()
    platform = AndroidPlatform(extra_classes=(SERVICE_CLASS,))
    platform.request_notification_permission()
    start_bridge_service(platform, lan=False)  # running already: the service hears that the app is open
    serve(platform, state_dir=BridgeConfig(root=device_root()).state_dir).serve_forever()


if __name__ == "__main__":
    main()
