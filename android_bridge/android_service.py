"""python-for-android entry point of the bridge's service (``services = Bridge:service.py:sticky:...``).

The service process runs the same :class:`android_bridge.bridge.Bridge` as the virtual device, with the
:class:`~android_bridge.platform.android.AndroidPlatform`. Its argument (``PYTHON_SERVICE_ARGUMENT``, set by
the app when it starts the service) is JSON: ``{"port": 8765, "lan": false}``; an empty argument (Android
recreating the sticky service after a kill) means the settings of the last start. The device's fmtc-nb root
is ``$ANDROID_PRIVATE/fmtc-nb`` (app-private storage).

The service model (docs/android.md): the bridge listens while the service runs; it is a dataSync foreground
service only while a job downloads (the job manager's :class:`~android_bridge.foreground.ForegroundService`),
so an idle bridge spends none of Android 15's six daily hours. What Android tells the service reaches the
jobs through :class:`~android_bridge.platform.android.ServiceEvents`: the timeout and the service's end
checkpoint every job (paused, resumable), and a second start (the user opened the app) starts the jobs
Android refused to start from the background. The pairing code is also written to the app's private
``bridge/pairing.json`` for the app's status page, so pairing works with notifications denied.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

#: The switches that keep the C extensions of aiohttp and its helpers unused: the phone runs (and the tests
#: check) their pure-Python code, whatever the build left in site-packages.
PURE_PYTHON_SWITCHES = ("AIOHTTP_NO_EXTENSIONS", "MULTIDICT_NO_EXTENSIONS", "YARL_NO_EXTENSIONS",
                        "FROZENLIST_NO_EXTENSIONS", "PROPCACHE_NO_EXTENSIONS")
#: Seconds the jobs get to flush and checkpoint after ``onTimeout`` (the Java guard stops the service at 3 s).
TIMEOUT_CHECKPOINT_S = 2.5
#: Seconds the jobs get to flush and checkpoint in ``onDestroy`` (on Android's main thread).
STOPPING_CHECKPOINT_S = 2.0
#: The reasons recorded on the jobs the service pauses when it ends.
TIMED_OUT = ("Android ended the six hours a day it allows background downloads (Android 15); open the fmtc-nb "
             "app on the phone to continue the job")
STOPPED = "the service stopped; open the fmtc-nb app on the phone to continue the job"
PAIRING_FILE = "pairing.json"
SETTINGS_FILE = "service_settings.json"


def use_pure_python() -> None:
    """Set :data:`PURE_PYTHON_SWITCHES` (before aiohttp is imported) unless already set."""
    for name in PURE_PYTHON_SWITCHES:
        os.environ.setdefault(name, "1")


def service_settings(argument: str) -> dict[str, Any]:
    """Port and LAN flag from the service argument (JSON; empty or malformed: the defaults).

    >>> service_settings('{"port": 9000, "lan": true}')
    {'port': 9000, 'lan': True}
    >>> service_settings("")
    {'port': 8765, 'lan': False}
    """
    from android_bridge.config import DEFAULT_PORT

    try:
        given = json.loads(argument) if argument else {}
    except ValueError:
        given = {}
    if not isinstance(given, dict):
        given = {}
    port = given.get("port", DEFAULT_PORT)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        port = DEFAULT_PORT
    return {"port": port, "lan": given.get("lan") is True}


def remembered_settings(state_dir: Path, argument: str) -> dict[str, Any]:
    """The settings of this start: from ``argument``, remembered in ``state_dir``; an empty argument (Android
    recreating the sticky service) gives the remembered ones."""
    from android_bridge.statefile import read_state, write_json_atomically

    path = state_dir / SETTINGS_FILE
    if not argument:
        return service_settings(json.dumps(read_state(path, dict, dict)))
    settings = service_settings(argument)
    write_json_atomically(path, settings)
    return settings


def write_pairing(state_dir: Path, code: str | None, expires_at: float | None, url: str | None = None,
                  fingerprint: str = "") -> None:
    """Record the pairing code the phone shows (None: locked), the URL a notebook reaches the bridge at and
    the fingerprint of its certificate, for the app's status page (app-private)."""
    from android_bridge.statefile import write_json_atomically

    write_json_atomically(state_dir / PAIRING_FILE, {"code": code, "expires_at": expires_at, "url": url,
                                                      "fingerprint": fingerprint})


def lan_address() -> str | None:
    """The phone's address on its Wi-Fi (the interface of the default route; a UDP socket "connected" to a
    private address sends nothing); None without a network."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return str(probe.getsockname()[0])
        except OSError:
            return None


def device_root(environ: dict[str, str] | None = None) -> Path:
    """``$ANDROID_PRIVATE/fmtc-nb`` (python-for-android sets ANDROID_PRIVATE to the app's files directory)."""
    env = os.environ if environ is None else environ
    private = env.get("ANDROID_PRIVATE")
    if not private:
        raise RuntimeError("ANDROID_PRIVATE is not set: this entry point runs inside python-for-android")
    return Path(private) / "fmtc-nb"


async def run_service(platform: Any, root: Path, argument: str = "") -> None:
    """Serve the bridge until Android ends the service (timeout or destroy) or the process is killed."""
    from android_bridge.bridge import Bridge
    from android_bridge.config import BridgeConfig
    from android_bridge.pairing import PairingCode
    from android_bridge.platform.android import ServiceEvents

    state_dir = BridgeConfig(root=root).state_dir
    settings = remembered_settings(state_dir, argument)

    address = lan_address() if settings["lan"] else "127.0.0.1"  # None: no Wi-Fi, so no pairing command to show
    url = f"{'https' if settings['lan'] else 'http'}://{address}:{settings['port']}" if address else None

    def show_code(code: PairingCode | None) -> None:  # for the app's status page
        from android_bridge.tlscert import CERT_FILE
        from fmtc_nb.pake import pem_fingerprint

        cert = state_dir / CERT_FILE  # made before the first code on the LAN (Bridge.__init__)
        fingerprint = pem_fingerprint(cert.read_text()) if settings["lan"] and cert.exists() else ""
        write_pairing(state_dir, code.code if code else None, code.expires_at if code else None, url, fingerprint)

    bridge = Bridge(BridgeConfig(root=root, port=settings["port"], lan=settings["lan"]), platform,
                    on_pairing_code=show_code)
    await bridge.start()
    loop = asyncio.get_running_loop()
    ended = asyncio.Event()

    def stop_jobs(timeout_s: float, reason: str) -> None:  # pause every job so recovery resumes it later
        bridge.jobs.shutdown(timeout=timeout_s, reason=reason)
        loop.call_soon_threadsafe(ended.set)

    platform.listen(ServiceEvents(
        on_timeout=lambda: stop_jobs(TIMEOUT_CHECKPOINT_S, TIMED_OUT),
        on_started_again=bridge.jobs.resume_waiting,
        on_stopping=lambda: stop_jobs(STOPPING_CHECKPOINT_S, STOPPED),
    ))
    print(f"fmtc-nb bridge {bridge.device_id} at {bridge.url}; resumed {bridge.resumed}", flush=True)
    await ended.wait()
    await bridge.stop()


def main() -> None:
    """Entry point python-for-android runs in the service process."""
    use_pure_python()
    from android_bridge.platform.android import AndroidPlatform

    asyncio.run(run_service(AndroidPlatform(), device_root(), os.environ.get("PYTHON_SERVICE_ARGUMENT", "")))


if __name__ == "__main__":
    main()
