"""python-for-android entry point of the app (the visible activity, webview bootstrap).

The activity asks for ``POST_NOTIFICATIONS`` (Android 13+), starts the bridge's foreground service and serves a
small status page on ``127.0.0.1:WEBVIEW_PORT`` that the webview shows: the device, whether battery
optimisation is ignored (with a button that opens the system dialog), what the phone's vendor is known to do
to background work (dontkillmyapp.com, credited), and buttons to start the bridge on loopback or on the LAN
and to stop it. The pairing code is never on this page (every app on the phone can read loopback pages); the
service shows it in a notification.
"""

from __future__ import annotations

import html
import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from android_bridge.config import DEFAULT_PORT
from android_bridge.platform.base import DeviceInfo

#: The port python-for-android's webview bootstrap opens (``p4a.port`` in buildozer.spec).
WEBVIEW_PORT = 5000
#: The Java class python-for-android generates for ``services = Bridge:...`` (package + "Service" + name).
SERVICE_CLASS = "org.fmtcnb.bridge.ServiceBridge"


def bridge_running(port: int = DEFAULT_PORT) -> bool:
    """Whether something answers on the bridge's port on loopback."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def status_page(info: DeviceInfo, advice: dict[str, Any], running: bool) -> str:
    """The HTML the webview shows (``advice``: :func:`android_bridge.vendors.vendor_advice` for the phone)."""
    e = html.escape
    battery = (
        "Battery optimisation: ignored for this app (good)."
        if info.battery_optimisation_ignored
        else 'Battery optimisation is on: Android may stop downloads. <form method="post" action="/battery">'
        "<button>Exempt this app</button></form>"
    )
    notifications = (
        "Notifications: allowed."
        if info.notifications_allowed
        else 'Notifications are off: the pairing code and progress cannot be shown. <form method="post" '
        'action="/notifications"><button>Allow notifications</button></form>'
    )
    vendor = (
        f"<p>{e(info.vendor)} phones: {e(advice['symptoms'])}. "
        f'Step-by-step fixes: <a href="{e(advice["url"])}">{e(advice["url"])}</a></p>'
        if advice["known"] and advice["award"] > 0
        else f'<p>Stock Android rules apply; see <a href="{e(advice["url"])}">{e(advice["url"])}</a>.</p>'
    )
    state = "running" if running else "stopped"
    buttons = (
        '<form method="post" action="/stop"><button>Stop the bridge</button></form>'
        if running
        else '<form method="post" action="/start"><button>Start (USB: adb forward)</button></form>'
        '<form method="post" action="/start-lan"><button>Start on Wi-Fi (LAN)</button></form>'
    )
    return (
        '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        "<title>fmtc-nb bridge</title><h1>fmtc-nb bridge</h1>"
        f"<p>Android {e(info.android_version)} (API {info.sdk_int}), {e(info.vendor)} {e(info.model)}</p>"
        f"<p>Bridge: {state} on port {DEFAULT_PORT}. The pairing code is in the notification.</p>{buttons}"
        f"<p>{notifications}</p><p>{battery}</p>{vendor}<p><small>{e(advice['attribution'])}</small></p>"
    )


class StatusPage(BaseHTTPRequestHandler):
    """GET / shows :func:`status_page`; POST /battery, /notifications, /start, /start-lan, /stop act."""

    platform: Any = None  # AndroidPlatform of the activity, set by :func:`serve`
    server_version = "fmtc-nb-app"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        from android_bridge.vendors import vendor_advice

        if self.path != "/":
            self.send_error(404)
            return
        info = self.platform.device_info()
        body = status_page(info, vendor_advice(info.vendor), bridge_running()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        actions = {
            "/battery": self.platform.request_ignore_battery_optimizations,
            "/notifications": self.platform.request_notification_permission,
            "/start": lambda: start_bridge_service(self.platform, lan=False),
            "/start-lan": lambda: start_bridge_service(self.platform, lan=True),
            "/stop": lambda: stop_bridge_service(self.platform),
        }
        action = actions.get(self.path)
        if action is None:
            self.send_error(404)
            return
        action()
        self.send_response(303)
        self.send_header("Location", "/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        """Quiet: logcat does not need every page view."""


def start_bridge_service(platform: Any, *, lan: bool, port: int = DEFAULT_PORT) -> None:
    """Start the bridge's foreground service (its argument: port and whether to listen on the LAN)."""
    service = platform.java_class(SERVICE_CLASS)
    service.start(platform.activity(), json.dumps({"port": port, "lan": lan}))


def stop_bridge_service(platform: Any) -> None:
    """Stop the bridge's service (running jobs were checkpointed at most a second ago; recovery resumes them)."""
    platform.java_class(SERVICE_CLASS).stop(platform.activity())


def serve(platform: Any, port: int = WEBVIEW_PORT) -> ThreadingHTTPServer:
    """The status page server on loopback (call ``serve_forever`` on it)."""
    handler = type("BoundStatusPage", (StatusPage,), {"platform": platform})
    return ThreadingHTTPServer(("127.0.0.1", port), handler)


def main() -> None:
    """Entry point python-for-android runs in the app process."""
    from android_bridge.platform.android import AndroidPlatform

    platform = AndroidPlatform(extra_classes=(SERVICE_CLASS,))
    platform.request_notification_permission()
    if not bridge_running():
        start_bridge_service(platform, lan=False)
    serve(platform).serve_forever()


if __name__ == "__main__":
    main()
