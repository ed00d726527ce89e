"""python-for-android entry point of the bridge's foreground service (``services = Bridge:...`` in buildozer.spec).

The service process runs the same :class:`android_bridge.bridge.Bridge` as the virtual device, with the
:class:`~android_bridge.platform.android.AndroidPlatform`. Its argument (``PYTHON_SERVICE_ARGUMENT``, set by
the app when it starts the service) is JSON: ``{"port": 8765, "lan": false}``. The device's fmtc-nb root is
``$ANDROID_PRIVATE/fmtc-nb`` (app-private storage).

The service enters the foreground at once with a "ready" notification (replacing python-for-android's own); the
bridge then shows job progress and leaves the foreground when no job is left.

When Android 15 ends the dataSync time (``onTimeout``), the jobs are stopped the way a clean shutdown stops
them: the engine flushes its buffer and checkpoints, the jobs stay resumable, and the next start of the service
resumes them through recovery.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from android_bridge.platform.base import Notification

#: Seconds the jobs get to flush and checkpoint after ``onTimeout`` (the Java guard stops the service at 3 s).
TIMEOUT_CHECKPOINT_S = 2.5


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


def ready_notification(port: int | None, lan: bool) -> Notification:
    """What the phone shows while the bridge waits for a job (no progress bar: no tiles yet).

    >>> ready_notification(8765, False).text
    'Listening on 127.0.0.1:8765 (USB: adb forward tcp:8765 tcp:8765)'
    """
    where = (
        f"every network, port {port}" if lan else f"127.0.0.1:{port} (USB: adb forward tcp:{port} tcp:{port})"
    )
    return Notification("fmtc-nb bridge ready", f"Listening on {where}", 0.0, 0, 0, ongoing=True)


def device_root(environ: dict[str, str] | None = None) -> Path:
    """``$ANDROID_PRIVATE/fmtc-nb`` (python-for-android sets ANDROID_PRIVATE to the app's files directory)."""
    env = os.environ if environ is None else environ
    private = env.get("ANDROID_PRIVATE")
    if not private:
        raise RuntimeError("ANDROID_PRIVATE is not set: this entry point runs inside python-for-android")
    return Path(private) / "fmtc-nb"


async def run_service(platform: Any, root: Path, argument: str = "") -> None:
    """Serve the bridge until Android ends the service's foreground time (or the process is killed)."""
    from android_bridge.bridge import Bridge
    from android_bridge.config import BridgeConfig

    settings = service_settings(argument)
    bridge = Bridge(BridgeConfig(root=root, port=settings["port"], lan=settings["lan"]), platform)
    await bridge.start()
    if not bridge.resumed:
        platform.start_foreground(ready_notification(bridge.port, settings["lan"]))
    loop = asyncio.get_running_loop()
    timed_out = asyncio.Event()

    def checkpoint() -> None:  # on the timeout thread: pause every job so recovery resumes it later
        bridge.jobs.shutdown(timeout=TIMEOUT_CHECKPOINT_S)
        loop.call_soon_threadsafe(timed_out.set)

    platform.on_foreground_timeout(checkpoint)
    print(f"fmtc-nb bridge {bridge.device_id} at {bridge.url}; resumed {bridge.resumed}", flush=True)
    await timed_out.wait()
    await bridge.stop()


def main() -> None:
    """Entry point python-for-android runs in the service process."""
    from android_bridge.platform.android import AndroidPlatform

    asyncio.run(run_service(AndroidPlatform(), device_root(), os.environ.get("PYTHON_SERVICE_ARGUMENT", "")))


if __name__ == "__main__":
    main()
