"""The device panel: pair with a phone (or the virtual device) by its code, see its facts and battery-
optimisation state, dispatch the current region, watch the job live, and see the phone's notification.

>>> panel = DevicePanel(device_url, picker=picker, tile_url=server.url_template, screen=dev.screen)  # doctest: +SKIP
>>> panel.pair(dev.code); panel.dispatch(store="phone-demo"); panel.watch(); panel.wait()
"""

from __future__ import annotations

import asyncio
import dataclasses
import html
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w

from fmtc_nb.android.notification import progress_notification
from fmtc_nb.android.vendors import vendor_advice
from fmtc_nb.device import DeviceClient, pair
from fmtc_nb.device.aclient import AsyncDeviceClient
from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.errors import DeviceError, FmtcError
from fmtc_nb.reports import ProgressRecorder
from fmtc_nb.states import END_STATUSES
from fmtc_nb.widgets.progress_view import ProgressView
from fmtc_nb.wire import JobEvent, JobRow

#: Shown under the device's facts when it stopped answering.
_STALE = "<div style='font-size:11px;color:#c92a2a'>(last read; the device does not answer now)</div>"
#: Seconds between reads of the phone's screen while watching.
SCREEN_POLL_S = 0.5


def notification_html(notification: dict[str, Any] | None, app: str = "fmtc-nb") -> str:
    """The progress notification drawn roughly as Android shows it (``None``: no notification)."""
    if not notification:
        return "<div class='fmtc-notification' style='color:#777'><i>No notification is showing.</i></div>"
    percent = max(0.0, min(100.0, float(notification.get("percent") or 0.0)))
    ongoing = "ongoing · cannot be swiped away" if notification.get("ongoing") else "can be dismissed"
    return (
        "<div class='fmtc-notification' style='max-width:380px;border-radius:14px;padding:10px 14px;"
        "background:#f1f3f5;box-shadow:0 1px 4px #0003;font-family:sans-serif'>"
        f"<div style='font-size:11px;color:#555'>⬇ {html.escape(app)} · {ongoing}</div>"
        f"<div style='font-weight:600;margin-top:2px'>{html.escape(str(notification.get('title', '')))}</div>"
        f"<div style='font-size:13px'>{html.escape(str(notification.get('text', '')))}</div>"
        "<div style='height:4px;background:#d0d4d8;border-radius:2px;margin-top:6px'>"
        f"<div style='height:4px;width:{percent:.1f}%;background:#1c7ed6;border-radius:2px'></div></div></div>")


def _yes(flag: Any, yes: str, no: str) -> str:
    return yes if flag else no


def info_html(info: dict[str, Any], advice: dict[str, Any] | None = None) -> str:
    """The device's facts and the app's background-work state as an HTML table."""
    battery = _yes(info.get("battery_optimisation_ignored"),
                   "<b style='color:#2b8a3e'>exempt</b> (downloads may run in the background)",
                   "<b style='color:#c92a2a'>optimised</b> (the system may stop background downloads)")
    rows = [
        ("device", f"{html.escape(str(info.get('vendor', '')))} {html.escape(str(info.get('model', '')))} "
                   f"({html.escape(str(info.get('platform', '')))})"),
        ("Android", f"{html.escape(str(info.get('android_version', '')))} (API {info.get('sdk_int', '?')})"),
        ("battery optimisation", battery),
        ("notifications", _yes(info.get("notifications_allowed"), "allowed", "not allowed")),
        ("foreground service", _yes(info.get("foreground"), "running", "not running")),
        ("active jobs", str(info.get("active_jobs", 0))),
    ]
    if advice is not None:
        rows.append(("vendor rating", f"{advice['award']}/5 on <a href='{html.escape(advice['url'])}' "
                                      f"target='_blank'>dontkillmyapp.com</a> "
                                      f"({html.escape(advice['vendor'])}{'' if advice.get('known') else ', assumed'})"))
    body = "".join(f"<tr><td style='padding-right:1em'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    credit = f"<div style='font-size:11px;color:#555'>{html.escape(advice['attribution'])}</div>" if advice else ""
    return f"<table class='fmtc-device-info'>{body}</table>{credit}"


class DevicePanel:
    """A paired device's panel. ``url``: the device's API URL; ``picker``: a RegionPicker whose region and zooms
    :meth:`dispatch` sends; ``tile_url``: the tile source the device downloads from; ``screen``: a function
    returning what the phone shows (``VirtualDeviceProcess.screen`` for the virtual device) for the
    notification view (without it, as for a real phone, the notification is rebuilt from the job's progress);
    ``config_dir``: where the device token is kept (default: the user's config)."""

    def __init__(self, url: str = "", *, picker: Any = None, tile_url: str | None = None, store: str = "phone",
                 config_dir: str | Path | None = None, screen: Callable[[], dict[str, Any]] | None = None,
                 name: str = "phone") -> None:
        self.picker, self.tile_url, self.screen = picker, tile_url, screen
        self.config_dir = Path(config_dir) if config_dir is not None else None
        self.client: DeviceClient | None = None
        self.info: dict[str, Any] = {}
        self.job: JobRow | None = None
        self.notification: dict[str, Any] | None = None  # the card drawn (from the panel's state)
        self.phone_notification: dict[str, Any] | None = None  # what the phone's screen last showed
        self.lost = False
        self.recorder = ProgressRecorder()
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        #: The task of :meth:`watch_task` (on the kernel's event loop), None before.
        self.task: asyncio.Task[JobRow | None] | None = None
        self._last_screen = 0.0
        self._last_event: JobEvent | None = None
        self.url_input = w.Text(value=url, description="device URL", placeholder="http://PHONE-IP:8765")
        self.code_input = w.Text(description="code", placeholder="6 digits on the phone", layout=w.Layout(width="220px"))
        self.name_input = w.Text(value=name, description="name", layout=w.Layout(width="220px"))
        self.pair_button = w.Button(description="Pair", icon="link")
        self.pair_button.on_click(lambda _b: self._guarded(self.pair))
        self.info_view = w.HTML("<i>Not paired yet: enter the code the phone shows and press Pair.</i>")
        self.store_input = w.Text(value=store, description="store")
        self.dispatch_button = w.Button(description="Dispatch region", icon="paper-plane", button_style="primary")
        self.dispatch_button.on_click(lambda _b: self._guarded(self._dispatch_and_watch))
        buttons = {"Pause": self.pause, "Resume": self.resume, "Cancel": self.cancel}
        self.job_buttons = [w.Button(description=label) for label in buttons]
        for button, action in zip(self.job_buttons, buttons.values(), strict=True):
            button.on_click(lambda _b, act=action: self._guarded(act))
        self.progress = ProgressView("on device")
        self.notification_view = w.HTML(notification_html(None))
        self.message = w.HTML()
        self.widget = w.VBox([
            w.HBox([self.url_input, self.code_input, self.name_input, self.pair_button]), self.info_view,
            w.HBox([self.store_input, self.dispatch_button, *self.job_buttons]), self.message,
            w.HBox([self.progress.widget, w.VBox([w.HTML("<b>On the phone</b>"), self.notification_view],
                                                 layout=w.Layout(margin="0 0 0 32px"))]),
        ])

    # -- pairing and facts ---------------------------------------------------------------------------
    def pair(self, code: str | None = None, name: str | None = None) -> DeviceClient:
        """Pair with the code the phone shows (default: the code field) and show the device's facts."""
        code = code if code is not None else self.code_input.value
        name = name or self.name_input.value
        self.client = pair(self.url_input.value, str(code), name, self.config_dir)
        self.code_input.value = ""
        self.name_input.value = name  # the name the device was paired as
        self.refresh_info()
        return self.client

    def use(self, client: DeviceClient) -> None:
        """Use an already paired device."""
        self.client = client
        self.url_input.value = client.url
        self.refresh_info()

    def refresh_info(self) -> dict[str, Any]:
        """Ask the device for its facts (battery optimisation, notifications, foreground state) and show them."""
        self.info = self._client().info()
        self.info_view.value = info_html(self.info, vendor_advice(str(self.info.get("vendor", ""))))
        return self.info

    # -- jobs ----------------------------------------------------------------------------------------
    def dispatch(self, region: Any = None, zooms: Any = None, store: str | None = None, **options: Any) -> JobRow:
        """Send a job to the device: ``region``/``zooms`` default to the picker's; ``options`` are
        DownloadOptions fields (``rate_limit``, ``parallel`` ...). Returns the device's job row."""
        region = region if region is not None else getattr(self.picker, "region", None)
        zooms = zooms if zooms is not None else getattr(self.picker, "zooms", None)
        if region is None or zooms is None:
            raise DeviceError("There is no region to dispatch: draw one on the map or pass region= and zooms=.")
        if self.tile_url is None:
            raise DeviceError("The panel needs tile_url= (the tile source the device downloads from).")
        job = self._client().dispatch(region, zooms, self.tile_url, store or self.store_input.value, **options)
        self.job, self.recorder, self._last_event, self.lost = job, ProgressRecorder(), None, False
        self.message.value = f"Job <code>{html.escape(job.id)}</code> runs on the device."
        self._show()
        return job

    def watch(self, job_id: str | None = None) -> None:
        """Follow the job live in the background (the panel and the notification view update); see :meth:`wait`."""
        job_id = job_id or self._job_id()
        self.lost, self.error = False, None
        self._thread = threading.Thread(target=self._follow, args=(job_id,), name="fmtc-nb-device-watch",
                                        daemon=True)
        self._thread.start()

    def watch_task(self, job_id: str | None = None) -> asyncio.Task[JobRow | None]:
        """Follow the job live as a task on the running event loop (a notebook's kernel: no thread); cancel the
        task to stop following (the job goes on on the device). ``await panel.finished()`` waits for it."""
        job_id = job_id or self._job_id()
        self.lost, self.error = False, None
        self.task = asyncio.get_running_loop().create_task(self._follow_async(job_id))
        return self.task

    async def finished(self, timeout: float | None = None) -> JobRow | None:
        """Await the end of :meth:`watch_task` (at most ``timeout`` seconds); returns the job's row as last seen."""
        if self.task is not None:
            await asyncio.wait([self.task], timeout=timeout)
        return self.job

    def wait(self, timeout: float | None = None) -> JobRow | None:
        """Wait until the watched job ends (or ``timeout`` seconds); returns the job's row as last seen."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.job

    def pause(self) -> JobRow:
        """Pause the job on the device."""
        return self._control("pause")

    def resume(self) -> JobRow:
        """Resume the job on the device (after a pause, or after the service was killed and restarted)."""
        return self._control("resume")

    def cancel(self) -> JobRow:
        """Cancel the job (tiles already stored stay)."""
        return self._control("cancel")

    def refresh_screen(self) -> dict[str, Any] | None:
        """Read what the phone shows now and draw its notification (None without a screen function)."""
        if self.screen is None:
            return None
        shown = self.screen()
        self.phone_notification = shown.get("notification")
        self._show()
        return shown

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- internals -----------------------------------------------------------------------------------
    def _client(self) -> DeviceClient:
        if self.client is None:
            raise DeviceError("No device is paired yet: pair with the code the phone shows first.")
        return self.client

    def _job_id(self) -> str:
        if self.job is None:
            raise DeviceError("No job yet: dispatch a region first.")
        return self.job.id

    def _control(self, action: str) -> JobRow:
        job: JobRow = getattr(self._client(), action)(self._job_id())
        self.job = job
        self.message.value = f"Job {html.escape(action)}: now <b>{html.escape(job.status)}</b>."
        self._show()
        return job

    def _dispatch_and_watch(self) -> None:
        self.dispatch()
        self.watch()

    def _guarded(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except FmtcError as exc:
            self.message.value = f"<span style='color:#c92a2a'>{html.escape(str(exc))}</span>"

    def _follow(self, job_id: str) -> None:
        client = self._client()
        try:
            job = client.watch(job_id, on_progress=lambda event: self._on_event(event, self._poll_device))
            self.job = job
            self.message.value = f"Job ended on the device: <b>{html.escape(job.status)}</b>."
        except FmtcError as exc:
            self._lost(exc)
        self._poll_device()
        self._show()

    async def _follow_async(self, job_id: str) -> JobRow | None:
        client = self._client()
        async with AsyncDeviceClient(client.url, client.token, client.name,
                                     certificate=client.link.certificate) as aclient:
            try:
                self.job = await aclient.watch(job_id, on_progress=self._on_event)
                self.message.value = f"Job ended on the device: <b>{html.escape(self.job.status)}</b>."
            except FmtcError as exc:
                self._lost(exc)
            try:
                self.info = await aclient.info()
                self.info_view.value = info_html(self.info, vendor_advice(str(self.info.get("vendor", ""))))
            except FmtcError:
                self.info_view.value = info_html(self.info) + _STALE
        self._read_screen()
        self._show()
        return self.job

    def _lost(self, exc: FmtcError) -> None:
        self.error, self.lost = str(exc), True
        self.message.value = (f"<span style='color:#c92a2a'>Lost the device: {html.escape(self.error)}</span> "
                              "The job stopped there. If its service was killed, it resumes the job when it "
                              "starts again; then watch again.")

    def _on_event(self, event: JobEvent, poll: Callable[[], None] | None = None) -> None:
        """One progress event of the watched job: it becomes the panel's state; now and then ``poll`` reads the
        device's facts and screen again (default: only the screen, as the task reads the facts at the end)."""
        self._last_event = event
        self.recorder.on_progress(event.overall)
        if time.monotonic() - self._last_screen >= SCREEN_POLL_S:
            self._last_screen = time.monotonic()
            (poll or self._read_screen)()
        self._show()

    def _poll_device(self) -> None:
        """Read the device's facts (foreground service, active jobs) and what its screen shows; a device that
        does not answer keeps its last facts, marked as such."""
        try:
            self.info = self._client().info()
            self.info_view.value = info_html(self.info, vendor_advice(str(self.info.get("vendor", ""))))
        except FmtcError:
            self.info_view.value = info_html(self.info) + _STALE
        self._read_screen()

    def _read_screen(self) -> None:
        if self.screen is not None:
            try:
                self.phone_notification = self.screen().get("notification")
            except (OSError, ValueError):
                self.phone_notification = None

    @property
    def status(self) -> str:
        """The panel's one state: the job's status from its last event or row; ``stopped`` once the device was
        lost while the job ran (its service was killed); ``pending`` before any job."""
        if self.job is None:
            return "pending"
        if self.job.status in END_STATUSES:
            return self.job.status
        if self.lost:
            return "stopped"
        return self._last_event.overall.status if self._last_event is not None else self.job.status

    @property
    def shown(self) -> ProgressSnapshot | None:
        """The figures the panel, the card and the reports show: the ended job's row split by the last event,
        else the last event (earlier runs included), else the dispatched row's."""
        if self.job is None:
            return None
        if self.job.status in END_STATUSES or self._last_event is None:
            return self._final_shown(self.job)
        return self._last_event.overall

    def _show(self) -> None:
        """Draw figures, buttons and the notification card from the one state."""
        status, shown = self.status, self.shown
        if shown is not None:
            self.progress.update(shown, status)
        pause, resume, cancel = self.job_buttons
        pause.disabled = status != "running"
        resume.disabled = status not in ("paused", "stopped")
        cancel.disabled = status not in ("running", "paused", "stopped")
        self.notification = card_of(status, shown)
        self.notification_view.value = notification_html(self.notification)

    def _final_shown(self, job: JobRow) -> ProgressSnapshot:
        """The figures at the end, from the job's row (every run) split by the last progress event."""
        return job.progress(self._last_event.snapshot if self._last_event is not None else None)


#: The card's title once the job is no longer downloading.
CARD_TITLES = {"completed": "Offline map download completed",
               "cancelled": "Offline map download cancelled", "failed": "Offline map download failed",
               "stopped": "Offline map download stopped (the app was closed)"}


def card_of(status: str, shown: ProgressSnapshot | None) -> dict[str, Any] | None:
    """The notification card for the panel's state, with the panel's figures: the app's own progress
    notification while the job downloads, a dismissable card naming the state once it stopped or ended (None
    before any job, and while paused: the app leaves the foreground and removes its notification)."""
    if shown is None or status == "paused":
        return None
    built = dataclasses.asdict(progress_notification([(shown.attempted, shown.max_tiles)]))
    if status in CARD_TITLES:
        built.update(title=CARD_TITLES[status], ongoing=False)
    return built
