"""One scenario of the bridge on a desktop JVM under a simulated Android (run as a script).

``python scenarios.py NAME`` sets the classpath from FMTC_STUB_CLASSPATH (and JVM options such as
``-Dstub.sdk=33`` from FMTC_STUB_OPTIONS) before pyjnius starts the JVM, plays the scenario and prints one JSON
line ``{"result": ...}``. The Android calls are journalled by the stubs (``-Dstub.journal``). A scenario in
which Android ends the process (``Process.killProcess``, a revoked permission, a crash) never prints: the JVM
halts with exit code 9, like a process death, and the test reads the journal and the files left behind.

The service is started the way the app starts it: python-for-android's generated ``ServiceBridge.start``
asks the simulated system to start it, p4a's own ``PythonService.onStartCommand`` runs, and its Python
thread (which has no native Python here) publishes ``PythonService.mService``; this script's Python then
runs the service's entry point, as p4a's native code would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import sys
import threading
import time
import urllib.request
from pathlib import Path

import jnius_config

jnius_config.set_classpath(os.environ["FMTC_STUB_CLASSPATH"])
for option in os.environ.get("FMTC_STUB_OPTIONS", "").split():
    jnius_config.add_options(option)

from jnius import autoclass  # noqa: E402 - the classpath must be set first

from android_bridge.platform.android import AndroidPlatform, ForegroundServiceRefused  # noqa: E402
from android_bridge.platform.base import Notification  # noqa: E402
from fmtc_nb.errors import DeviceError  # noqa: E402

Calls = autoclass("fmtcstub.Calls")
System = autoclass("fmtcstub.AndroidSystem").get()
PythonService = autoclass("org.kivy.android.PythonService")
PythonActivity = autoclass("org.kivy.android.PythonActivity")
ServiceBridge = autoclass("org.fmtcnb.bridge.ServiceBridge")
DATA_SYNC = autoclass("android.content.pm.ServiceInfo").FOREGROUND_SERVICE_TYPE_DATA_SYNC


class FakeClock:
    """Seconds that the scenario moves by hand (the bridge's notification throttle reads it)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress(attempted: int, max_tiles: int, *, ongoing: bool = True) -> Notification:
    percent = 100.0 * attempted / max_tiles
    return Notification(title="Downloading Paris", text=f"{percent:.0f}% · {attempted:,} / {max_tiles:,} tiles",
                        percent=percent, attempted=attempted, max_tiles=max_tiles, ongoing=ongoing)


def wait_for(predicate, timeout_s: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"{what} not met in time")


def open_app():
    """The user opens the app: the activity is on screen."""
    System.openApp()
    return PythonActivity.mActivity or PythonActivity()


def start_service(argument: str = "") -> AndroidPlatform:
    """The app starts the bridge's service (p4a's generated start); returns the service's platform."""
    ServiceBridge.start(open_app(), argument)
    wait_for(lambda: PythonService.mService is not None, 10, "PythonService.mService")
    return AndroidPlatform()


def in_app() -> AndroidPlatform:
    """The app process: a visible PythonActivity, no service."""
    open_app()
    return AndroidPlatform(service=None)


# -- the adapter's calls --------------------------------------------------------------------------------------
def device_info() -> object:
    return dataclasses.asdict(start_service().device_info())


def foreground() -> object:
    """The bridge's ForegroundService drives the adapter: start, at most one update a second, stop."""
    from android_bridge.foreground import ForegroundService

    clock = FakeClock()
    service = ForegroundService(start_service(), clock=clock)
    Calls.record("scenario: downloading")
    for step_s, attempted in ((0.0, 0), (0.4, 100), (0.4, 200), (0.3, 1234), (0.1, 1300), (1.0, 2900)):
        clock.now += step_s
        service.refresh([(attempted, 2938)])
    service.stop()
    return None


def huge_job() -> object:
    start_service().start_foreground(progress(3_000_000_000, 6_000_000_000))
    return None


def refused() -> object:
    platform = start_service()
    System.leaveApp()
    try:
        platform.start_foreground(progress(0, 10))
    except ForegroundServiceRefused as error:
        return {"error": type(error).__name__, "message": str(error)}
    return "started"


def wake_lock() -> object:
    platform = start_service()
    Calls.record("scenario: wake lock")
    platform.acquire_wake_lock()
    platform.acquire_wake_lock()  # already held: nothing more
    platform.release_wake_lock()
    platform.release_wake_lock()  # not held: nothing more
    platform.acquire_wake_lock()
    platform.release_wake_lock()
    return None


def battery_from_app() -> object:
    platform = in_app()
    return {"ignoring": platform.is_ignoring_battery_optimizations(),
            "shown": platform.request_ignore_battery_optimizations()}


def battery_from_service() -> object:
    platform = AndroidPlatform(service=start_service()._service, activity=None)
    PythonActivity.mActivity = None  # the service's process has no activity
    return {"ignoring": platform.is_ignoring_battery_optimizations(),
            "shown": platform.request_ignore_battery_optimizations()}


def notification_permission() -> object:
    platform = in_app()
    return {"granted": platform.request_notification_permission(),
            "info": platform.device_info().notifications_allowed}


def notification_permission_from_service() -> object:
    platform = start_service()
    PythonActivity.mActivity = None
    Calls.record("scenario: asking")
    return platform.request_notification_permission()


def pairing_code() -> object:
    platform = start_service()
    platform.show_pairing_code("042917", time.time() + 300)
    platform.show_pairing_code(None, None)
    return None


def _timeout(checkpoint_seconds: float, *, grace_ms: int, listen: bool = True) -> object:
    """Android 15 calls onTimeout on a service that downloads (the adapter alone, no bridge)."""
    from android_bridge.platform.android import ServiceEvents

    platform = start_service()
    autoclass("org.fmtcnb.bridge.DataSyncService").setGraceMillis(grace_ms)
    platform.start_foreground(progress(10, 100))
    platform.acquire_wake_lock()

    def checkpoint() -> None:
        Calls.record("python checkpoint begins")
        time.sleep(checkpoint_seconds)
        Calls.record("python checkpoint done")

    if listen:
        platform.listen(ServiceEvents(on_timeout=checkpoint, on_started_again=lambda: None,
                                      on_stopping=lambda: Calls.record("python stopping")))
    Calls.record("OS calls onTimeout")
    PythonService.mService.onTimeout(4, DATA_SYNC)  # what Android 15 does after six hours of dataSync
    Calls.record("onTimeout returned")
    if listen:
        platform.timeout_handled.wait(10)
    time.sleep(grace_ms / 1000 + 5)  # the process ends before this (onDestroy ends it)
    return "still alive"


def timeout() -> object:
    return _timeout(0.2, grace_ms=2000)


def timeout_slow_checkpoint() -> object:
    return _timeout(1.5, grace_ms=300)


def timeout_without_listener() -> object:
    return _timeout(0.0, grace_ms=300, listen=False)


# -- the real bridge in the service --------------------------------------------------------------------------
def _env(name: str) -> str:
    return os.environ[f"FMTC_SCENARIO_{name}"]


def _journal_events(platform: AndroidPlatform) -> None:
    """Journal what the service's Python hears (test instrumentation around the bridge's own handlers)."""
    listen = platform.listen

    def journalled(events):
        def wrap(name, handler):
            def call():
                Calls.record(f"python {name} begins")
                handler()
                Calls.record(f"python {name} done")
            return call

        return listen(dataclasses.replace(events, **{
            f.name: wrap(f.name, getattr(events, f.name)) for f in dataclasses.fields(events)}))

    platform.listen = journalled


def serve(platform: AndroidPlatform, argument: str | None = None) -> threading.Thread:
    """The service's entry point (android_bridge.android_service) on its own thread, as p4a runs it."""
    from android_bridge.android_service import run_service

    if argument is None:
        argument = json.dumps({"port": int(_env("PORT"))})
    _journal_events(platform)

    def run() -> None:
        # A thread Python starts has no context class loader on a desktop JVM (p4a runs the service on a Java
        # thread that has the app's); pyjnius builds its Java proxies with that loader.
        java_thread = autoclass("java.lang.Thread").currentThread()
        java_thread.setContextClassLoader(autoclass("java.lang.ClassLoader").getSystemClassLoader())
        asyncio.run(run_service(platform, Path(_env("ROOT")), argument))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_for(lambda: _listening(), 30, "the bridge listening")
    return thread


def _listening() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", int(_env("PORT"))), timeout=1).close()
    except OSError:
        return False
    return True


def _notified_code() -> str | None:
    for line in reversed(list(Calls.all())):
        found = re.search(r"notify id=8765 .*title=Pairing code (\d{3}) (\d{3})", line)
        if found:
            return found.group(1) + found.group(2)
    return None


def _paired(code: str | None = None):
    from fmtc_nb.device import pair

    code = code or wait_for(_notified_code, 20, "the pairing notification")
    return pair(f"http://127.0.0.1:{_env('PORT')}", code, "phone", directory=Path(_env("CONFIG")))


def _connected():
    from fmtc_nb.device import connect

    client = connect("phone", directory=Path(_env("CONFIG")))
    wait_for(lambda: _answers(client), 30, "the bridge answering")
    return client


def _answers(client) -> bool:
    try:
        client.info()
    except DeviceError:
        return False
    return True


def _dispatch(client, **options):
    return client.dispatch(_env("REGION"), _env("ZOOMS"), url=os.environ["FMTC_TILE_URL"], store="alps",
                           parallel=4, **{"rate_limit": float(_env("RATE")), **options})


def _wait_tiles(client, job_id: str, fraction: float) -> dict:
    return wait_for(lambda: (row := client.job(job_id))["tiles_done"] >= row["tiles_total"] * fraction and row,
                    60, "tiles stored")


def job_then(action: str) -> object:
    """The real bridge in the service: paired by the notification's code, a job dispatched while the app is
    on screen, then ``action`` mid-job: ``leave`` (the app goes to the background), ``swipe``, ``revoke``
    (POST_NOTIFICATIONS revoked in the settings), ``stop`` (the status page's Stop button)."""
    platform = start_service()
    serve(platform)
    client = _paired()
    info = client.info()
    row = _dispatch(client)
    job_id = row["id"]
    Calls.record(f"scenario: job {job_id} of {row['tiles_total']} tiles dispatched")
    _wait_tiles(client, job_id, 0.25)
    if action == "leave":
        System.leaveApp()
    elif action == "swipe":
        System.swipeAway()
    elif action == "revoke":
        System.revokePermission("android.permission.POST_NOTIFICATIONS")
    elif action == "stop":
        from android_bridge.android_main import stop_bridge_service

        stop_bridge_service(AndroidPlatform(extra_classes=("org.fmtcnb.bridge.ServiceBridge",)))
    try:
        final = client.watch(job_id)
    except DeviceError as gone:  # the bridge stopped serving: Android is ending this process
        Calls.record(f"notebook: {gone}")
        time.sleep(30)
        raise
    return {"job_id": job_id, "tiles_total": row["tiles_total"], "final": final, "device": info,
            "foreground_after": bool(System.isForeground("ServiceBridge"))}


def job_then_leave() -> object:
    return job_then("leave")


def job_then_swipe() -> object:
    return job_then("swipe")


def job_then_revoke() -> object:
    return job_then("revoke")


def job_then_stop() -> object:
    return job_then("stop")


def idle_in_background() -> object:
    """The bridge waits for a job; the user leaves the app. Android 8+ stops the idle background service."""
    platform = start_service()
    serve(platform)
    _paired()
    System.leaveApp()
    Calls.record("scenario: app left, nothing to download")
    time.sleep(float(_env("WAIT")))
    return {"still_running": bool(System.isRunning("ServiceBridge")), "listening": _listening()}


def dispatch_from_background() -> object:
    """A notebook dispatches while the app is in the background; then the user opens the app."""
    from fmtc_nb.device.http import DeviceHTTPError

    platform = start_service()
    serve(platform)
    client = _paired()
    System.leaveApp()
    answer: dict = {}
    try:
        row = _dispatch(client)
        answer["dispatched"] = row["status"]
        job_id = row["id"]
    except DeviceHTTPError as refused:
        answer.update(status=refused.status, sentence=str(refused))
        (row,) = client.jobs()
        job_id = row["id"]
        answer["row"] = row
        answer["wake_locks_while_waiting"] = int(System.wakeLocksHeld())
        from fmtc_nb.recovery import RecoveryRegistry

        with RecoveryRegistry(Path(_env("ROOT"))) as registry:
            answer["recovery_status"] = registry.get(job_id).status
        Calls.record("scenario: the user opens the app")
        from android_bridge.android_main import start_bridge_service

        open_app()
        start_bridge_service(AndroidPlatform(extra_classes=("org.fmtcnb.bridge.ServiceBridge",)), lan=False)
    answer["final"] = client.watch(job_id)
    answer["wake_locks_after"] = int(System.wakeLocksHeld())
    return answer


def _row_once_refused(client, job_id: str, timeout_s: float = 20.0) -> dict:
    """The job's row once the bridge, started in the background, has met Android's refusal of the foreground
    (its reason then names Android); after ``timeout_s`` (within the idle window the scenario sets) the row as
    it is, for the test to show. A fixed half second was too short on a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while True:
        row = client.job(job_id)
        if (row.get("reason") or "").startswith("Android did not let") or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def restart() -> object:
    """The service starts again on the same root: by the app (``open``) or by Android recreating the sticky
    service in the background (``sticky``: null intent, so the remembered settings); the job finishes."""
    how = _env("RESTART")
    if how == "sticky":
        System.leaveApp()
        System.restartSticky(ServiceBridge)
        wait_for(lambda: PythonService.mService is not None, 10, "PythonService.mService")
        platform = AndroidPlatform()
        serve(platform, argument="")  # p4a passes an empty argument for a null intent
    else:
        platform = start_service()
        serve(platform)
    client = _connected()
    job_id = _env("JOB")
    answer: dict = {"row_at_start": client.job(job_id)}
    if how == "sticky":
        answer["row_in_background"] = _row_once_refused(client, job_id)
        Calls.record("scenario: the user opens the app")
        from android_bridge.android_main import start_bridge_service

        open_app()
        start_bridge_service(AndroidPlatform(extra_classes=("org.fmtcnb.bridge.ServiceBridge",)), lan=False)
    answer["final"] = client.watch(job_id)
    answer["device"] = client.info()
    return answer


def notifications_denied() -> object:
    """Android 13+ without POST_NOTIFICATIONS: no notification shows, so the code comes from the status page."""
    from android_bridge.android_main import ACTIVITY_CLASS, SERVICE_CLASS
    from android_bridge.android_main import serve as serve_page
    from android_bridge.config import BridgeConfig

    platform = start_service()
    serve(platform)
    app = AndroidPlatform(service=None, extra_classes=(SERVICE_CLASS, ACTIVITY_CLASS))
    page_server = serve_page(app, port=0, state_dir=BridgeConfig(root=Path(_env("ROOT"))).state_dir)
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{page_server.server_address[1]}"
    plain = urllib.request.urlopen(base + "/", timeout=10).read().decode()
    keyed_url = wait_for(lambda: next((c.split(" ", 1)[1] for c in Calls.all()
                                       if c.startswith("PythonActivity.loadUrl ")), None), 10, "loadUrl")
    page = urllib.request.urlopen(keyed_url, timeout=10).read().decode()
    code = "".join(re.search(r"Pairing code: <b>(\d{3}) (\d{3})</b>", page).groups())
    client = _paired(code)
    row = _dispatch(client)
    final = client.watch(row["id"])
    page_server.shutdown()
    return {"plain": plain, "page": page, "keyed_url": keyed_url, "final": final, "device": client.info()}


def app_page() -> object:
    """The app's status page (android_main) on a free port: read it, then press its buttons; another app
    (without the key) can see neither the controls nor the code."""
    from android_bridge.android_main import ACTIVITY_CLASS, SERVICE_CLASS
    from android_bridge.android_main import serve as serve_page
    from android_bridge.android_service import write_pairing

    state = Path(autoclass("android.content.Context")().getFilesDir().getAbsolutePath()) / "fmtc-nb" / "bridge"
    state.mkdir(parents=True)
    write_pairing(state, "042917", time.time() + 300)
    platform = in_app()
    platform = AndroidPlatform(service=None, extra_classes=(SERVICE_CLASS, ACTIVITY_CLASS))
    server = serve_page(platform, port=0, state_dir=state, key="k3y")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    plain = urllib.request.urlopen(base + "/", timeout=10).read().decode()
    page = urllib.request.urlopen(base + "/s/k3y/", timeout=10).read().decode()
    statuses = {}
    for path in ("/stop", "/s/wrong/stop", "/s/k3y/battery", "/s/k3y/notifications", "/s/k3y/start-lan",
                 "/s/k3y/stop", "/s/k3y/nothing"):
        Calls.record(f"POST {path}")
        request = urllib.request.Request(base + path, method="POST", data=b"")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                statuses[path] = response.status  # 200 after following the 303 back to the page
        except urllib.error.HTTPError as error:
            statuses[path] = error.code
    server.shutdown()
    return {"plain": plain, "page": page, "statuses": statuses, "port": server.server_address[1]}


SCENARIOS = {f.__name__: f for f in (
    device_info, foreground, huge_job, refused, wake_lock, battery_from_app, battery_from_service,
    notification_permission, notification_permission_from_service, pairing_code, timeout,
    timeout_slow_checkpoint, timeout_without_listener, job_then_leave, job_then_swipe, job_then_revoke,
    job_then_stop, idle_in_background, dispatch_from_background, restart, notifications_denied, app_page,
)}

if __name__ == "__main__":
    outcome = SCENARIOS[sys.argv[1]]()
    print(json.dumps({"result": outcome}, default=lambda value: value.to_dict()), flush=True)  # JobRows too
    # Where the test expects Android to end this process, give it the time: the answer may come first
    time.sleep(float(os.environ.get("FMTC_SCENARIO_DEATH_WAIT_S", "0")))
    os._exit(0)  # the JVM's threads (the simulated system's main thread) must not keep the process
