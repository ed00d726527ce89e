"""One scenario of the Android adapter on a desktop JVM with stub ``android.*`` classes (run as a script).

``python scenarios.py NAME`` sets the classpath from FMTC_STUB_CLASSPATH (and JVM options such as
``-Dstub.sdk=33`` from FMTC_STUB_OPTIONS) before pyjnius starts the JVM, plays the scenario through
:class:`android_bridge.platform.android.AndroidPlatform`, and prints one JSON line: ``calls`` (the journal of
Android calls the stubs recorded) and ``result``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

import jnius_config

jnius_config.set_classpath(os.environ["FMTC_STUB_CLASSPATH"])
for option in os.environ.get("FMTC_STUB_OPTIONS", "").split():
    jnius_config.add_options(option)

from jnius import autoclass, cast  # noqa: E402 - the classpath must be set first

from android_bridge.platform.android import AndroidPlatform, ForegroundServiceRefused  # noqa: E402
from android_bridge.platform.base import Notification  # noqa: E402

Calls = autoclass("fmtcstub.Calls")


class FakeClock:
    """Seconds that the scenario moves by hand (the bridge's notification throttle reads it)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress(attempted: int, max_tiles: int, *, ongoing: bool = True) -> Notification:
    percent = 100.0 * attempted / max_tiles
    return Notification(
        title="Downloading Paris",
        text=f"{percent:.0f}% · {attempted:,} / {max_tiles:,} tiles",
        percent=percent,
        attempted=attempted,
        max_tiles=max_tiles,
        ongoing=ongoing,
    )


def in_service() -> AndroidPlatform:
    """The service process: DataSyncService published as PythonService.mService, no activity."""
    autoclass("org.fmtcnb.bridge.DataSyncService")()
    return AndroidPlatform()


def in_app() -> AndroidPlatform:
    """The app process: a visible PythonActivity, no service."""
    autoclass("org.kivy.android.PythonActivity")()
    return AndroidPlatform()


def device_info() -> object:
    info = in_service().device_info()
    return dataclasses.asdict(info)


def foreground() -> object:
    """The bridge's ForegroundService drives the adapter: start, at most one update a second, stop."""
    from android_bridge.foreground import ForegroundService

    clock = FakeClock()
    service = ForegroundService(in_service(), clock=clock)
    for step_s, attempted in ((0.0, 0), (0.4, 100), (0.4, 200), (0.3, 1234), (0.1, 1300), (1.0, 2900)):
        clock.now += step_s
        service.refresh([(attempted, 2938)], downloading=True)
    service.stop()
    return None


def huge_job() -> object:
    platform = in_service()
    platform.start_foreground(progress(3_000_000_000, 6_000_000_000))
    return None


def refused() -> object:
    platform = in_service()
    try:
        platform.start_foreground(progress(0, 10))
    except ForegroundServiceRefused as error:
        return type(error).__name__
    return "started"


def wake_lock() -> object:
    platform = in_service()
    platform.acquire_wake_lock()
    platform.acquire_wake_lock()  # already held: nothing more
    platform.release_wake_lock()
    platform.release_wake_lock()  # not held: nothing more
    platform.acquire_wake_lock()
    platform.release_wake_lock()
    return None


def battery_from_app() -> object:
    platform = in_app()
    return {
        "ignoring": platform.is_ignoring_battery_optimizations(),
        "shown": platform.request_ignore_battery_optimizations(),
    }


def battery_from_service() -> object:
    platform = in_service()
    return {
        "ignoring": platform.is_ignoring_battery_optimizations(),
        "shown": platform.request_ignore_battery_optimizations(),
    }


def notification_permission() -> object:
    platform = in_app()
    return {
        "granted": platform.request_notification_permission(),
        "info": platform.device_info().notifications_allowed,
    }


def notification_permission_from_service() -> object:
    return in_service().request_notification_permission()


def _timeout(checkpoint_seconds: float, *, grace_ms: int, listen: bool = True) -> object:
    service_class = autoclass("org.fmtcnb.bridge.DataSyncService")
    platform = in_service()
    service_class.setGraceMillis(grace_ms)
    platform.start_foreground(progress(10, 100))
    platform.acquire_wake_lock()

    def checkpoint() -> None:
        Calls.record("python checkpoint begins")
        time.sleep(checkpoint_seconds)
        Calls.record("python checkpoint done")

    if listen:
        platform.on_foreground_timeout(checkpoint)
    service = autoclass("org.kivy.android.PythonService").mService
    service_type = autoclass("android.content.pm.ServiceInfo").FOREGROUND_SERVICE_TYPE_DATA_SYNC
    Calls.record("OS calls onTimeout")
    service.onTimeout(4, service_type)  # what Android 15 does after six hours of dataSync
    Calls.record("onTimeout returned")
    handled = platform.timeout_handled.wait(10) if listen else None
    time.sleep(grace_ms / 1000 + 0.3)  # the Java guard has had its chance too
    data_sync = cast("org.fmtcnb.bridge.DataSyncService", service)
    return {"handled": handled, "timed_out": bool(data_sync.hasTimedOut())}


def timeout() -> object:
    return _timeout(0.2, grace_ms=2000)


def timeout_slow_checkpoint() -> object:
    return _timeout(1.5, grace_ms=300)


def timeout_without_listener() -> object:
    return _timeout(0.0, grace_ms=300, listen=False)


def pairing_code() -> object:
    platform = in_service()
    platform.show_pairing_code("042917", time.time() + 300)
    platform.show_pairing_code(None, None)
    return None


def _serve_in_thread(platform: AndroidPlatform) -> threading.Thread:
    """The service entry point (android_bridge.android_service) on its own thread, as python-for-android runs it."""
    from android_bridge.android_service import run_service

    argument = json.dumps({"port": int(os.environ["FMTC_SCENARIO_PORT"])})
    root = Path(os.environ["FMTC_SCENARIO_ROOT"])

    def serve() -> None:
        # A thread Python starts has no context class loader on a desktop JVM (python-for-android runs the
        # service on a Java thread that has the app's); pyjnius builds its Java proxies with that loader.
        java_thread = autoclass("java.lang.Thread").currentThread()
        java_thread.setContextClassLoader(autoclass("java.lang.ClassLoader").getSystemClassLoader())
        asyncio.run(run_service(platform, root, argument))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _wait_for(predicate, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError("condition not met in time")


def _listening() -> bool:
    try:
        socket.create_connection(("127.0.0.1", int(os.environ["FMTC_SCENARIO_PORT"])), timeout=1).close()
    except OSError:
        return False
    return True


def _pairing_code() -> str | None:
    for line in Calls.all():
        found = re.search(r"notify id=8765 .*title=Pairing code (\d{3}) (\d{3})", line)
        if found:
            return found.group(1) + found.group(2)
    return None


def service_timeout() -> object:
    """The real bridge in the service: paired, a job dispatched, then Android 15 ends the dataSync time."""
    from fmtc_nb.device import pair

    platform = in_service()
    autoclass("org.fmtcnb.bridge.DataSyncService").setGraceMillis(3000)
    thread = _serve_in_thread(platform)
    code = _wait_for(_pairing_code)
    _wait_for(_listening)
    url = f"http://127.0.0.1:{os.environ['FMTC_SCENARIO_PORT']}"
    client = pair(url, code, "phone", directory=Path(os.environ["FMTC_SCENARIO_CONFIG"]))
    info = client.info()
    row = client.dispatch(
        os.environ["FMTC_SCENARIO_REGION"],
        os.environ["FMTC_SCENARIO_ZOOMS"],
        url=os.environ["FMTC_TILE_URL"],
        store="alps",
        rate_limit=200,
        parallel=4,
    )
    job_id = row["id"]
    _wait_for(lambda: client.job(job_id)["tiles_done"] >= row["tiles_total"] // 3)
    service = autoclass("org.kivy.android.PythonService").mService
    Calls.record("OS calls onTimeout")
    service.onTimeout(1, autoclass("android.content.pm.ServiceInfo").FOREGROUND_SERVICE_TYPE_DATA_SYNC)
    handled = platform.timeout_handled.wait(10)
    thread.join(10)
    return {
        "job_id": job_id,
        "tiles_total": row["tiles_total"],
        "handled": handled,
        "service_returned": not thread.is_alive(),
        "device": info,
    }


def service_restart() -> object:
    """The service started again after the timeout: the bridge resumes the job and finishes it."""
    from fmtc_nb.device import connect

    platform = in_service()
    _serve_in_thread(platform)
    client = _wait_for(lambda: _connect_when_up(connect))
    job_id = os.environ["FMTC_SCENARIO_JOB"]
    final = client.watch(job_id)
    return {"final": final.to_dict(), "jobs": [job.to_dict() for job in client.jobs()]}


def _connect_when_up(connect):
    client = connect("phone", directory=Path(os.environ["FMTC_SCENARIO_CONFIG"]))
    try:
        client.info()
    except Exception:
        return None
    return client


def app_page() -> object:
    """The app's status page (android_main) on a free port: read it, then press its buttons."""
    import urllib.request

    from android_bridge.android_main import SERVICE_CLASS, serve

    autoclass("org.kivy.android.PythonActivity")()
    platform = AndroidPlatform(extra_classes=(SERVICE_CLASS,))
    server = serve(platform, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    page = urllib.request.urlopen(base + "/", timeout=10).read().decode()
    statuses = {}
    for path in ("/battery", "/notifications", "/start-lan", "/stop", "/nothing"):
        Calls.record(f"POST {path}")
        request = urllib.request.Request(base + path, method="POST", data=b"")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                statuses[path] = response.status  # 200 after following the 303 back to the page
        except urllib.error.HTTPError as error:
            statuses[path] = error.code
    server.shutdown()
    return {"page": page, "statuses": statuses}


SCENARIOS = {
    f.__name__: f
    for f in (
        device_info,
        foreground,
        huge_job,
        refused,
        wake_lock,
        battery_from_app,
        battery_from_service,
        notification_permission,
        notification_permission_from_service,
        timeout,
        timeout_slow_checkpoint,
        timeout_without_listener,
        pairing_code,
        service_timeout,
        service_restart,
        app_page,
    )
}

if __name__ == "__main__":
    result = SCENARIOS[sys.argv[1]]()
    print(json.dumps({"calls": list(Calls.all()), "result": result}))
