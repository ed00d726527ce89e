"""The platform adapter for a real Android phone, through pyjnius.

It runs inside python-for-android: in the service process the context is ``PythonService.mService`` (an
instance of :mod:`android_bridge.java`'s ``DataSyncService``), in the app process ``PythonActivity.mActivity``.
pyjnius is imported lazily, so this module imports on desktops too; on a desktop JVM the tests put stub
``android.*`` classes on the classpath and drive the very same calls.

Android facts this adapter relies on (developer.android.com):
- the progress notification lives on a channel of low importance (no sound, no peeking) created on API 26+;
- ``startForeground(id, notification, FOREGROUND_SERVICE_TYPE_DATA_SYNC)`` on API 29+ (the type is mandatory
  on API 34+), the two-argument form before;
- ``POST_NOTIFICATIONS`` is a runtime permission from API 33; before that it is always granted;
- battery-optimisation exemption: ``PowerManager.isIgnoringBatteryOptimizations`` and the settings screen
  ``ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS`` with ``package:<name>`` data (API 23+), shown only by a
  visible activity;
- notification updates faster than a few per second are dropped by the system, so updates are throttled to
  one a second here as well as in the bridge.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from android_bridge.platform.base import DeviceInfo, ForegroundServiceRefused, Notification

__all__ = ["AndroidPlatform", "ForegroundServiceRefused", "ServiceEvents", "progress_bar"]

CHANNEL_ID = "fmtc_nb_downloads"
CHANNEL_NAME = "Map downloads"
CHANNEL_DESCRIPTION = "Progress of offline map downloads running in the background"
WAKE_LOCK_TAG = "fmtc-nb:download"
POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
NOTIFICATION_PERMISSION_REQUEST_CODE = 7301
PAIRING_NOTIFICATION_ID = (
    8765  # apart from the service's progress notification (python-for-android ids: 1, 2, ...)
)
JAVA_INT_MAX = 2**31 - 1
PROGRESS_SCALE = 10_000  # progress-bar steps used when tile counts overflow a Java int

SDK_OREO = 26  # notification channels, Notification.Builder(context, channel)
SDK_Q = 29  # startForeground with a service type
SDK_TIRAMISU = 33  # POST_NOTIFICATIONS runtime permission
SDK_MARSHMALLOW = 23  # battery-optimisation exemption API
SDK_NOUGAT = 24  # stopForeground(int flags)

SERVICE_CLASS = "org.fmtcnb.bridge.DataSyncService"

#: Every Java class the adapter uses, loaded once in the constructor: on Android a thread Python started
#: cannot find the app's classes, so later calls (from the bridge's job threads) only use these.
JAVA_CLASSES = (
    "android.os.Build",
    "android.os.Build$VERSION",
    "android.content.Context",
    "android.content.Intent",
    "android.content.pm.PackageManager",
    "android.content.pm.ServiceInfo",
    "android.app.Service",
    "android.app.Notification$Builder",
    "android.app.NotificationChannel",
    "android.app.NotificationManager",
    "android.os.PowerManager",
    "android.provider.Settings",
    "android.net.Uri",
    "org.kivy.android.PythonService",
    "org.kivy.android.PythonActivity",
)


@dataclass(frozen=True)
class ServiceEvents:
    """What the service does when Android speaks to it (see ``java/.../ServiceEventListener``).

    ``on_timeout``: Android 15 ended the dataSync time: checkpoint and pause every job (runs on a thread of its
    own; afterwards the wake lock is released and the service stops). ``on_started_again``: the app was opened
    while the service runs: start what waited (own thread). ``on_stopping``: the service is being destroyed and
    the process ends next: checkpoint now (on Android's main thread, so briefly).
    """

    on_timeout: Callable[[], object]
    on_started_again: Callable[[], object]
    on_stopping: Callable[[], object]


def progress_bar(attempted: int, max_tiles: int) -> tuple[int, int]:
    """``(max, progress)`` for ``Notification.Builder.setProgress``, both within a Java int.

    >>> progress_bar(5, 10)
    (10, 5)
    >>> progress_bar(3_000_000_000, 6_000_000_000)
    (10000, 5000)
    """
    max_tiles = max(0, max_tiles)
    attempted = min(max(0, attempted), max_tiles)
    if max_tiles <= JAVA_INT_MAX:
        return max_tiles, attempted
    return PROGRESS_SCALE, attempted * PROGRESS_SCALE // max_tiles


class AndroidPlatform:
    """:class:`~android_bridge.platform.base.Platform` on a phone (python-for-android + pyjnius).

    ``service`` and ``activity`` default to python-for-android's published instances; ``extra_classes`` are
    more Java classes to load now, for :meth:`java_class`. Notification updates are shown as they come: the
    bridge's :class:`~android_bridge.foreground.ForegroundService` already sends at most one a second.
    """

    name = "android"

    def __init__(
        self,
        *,
        service: Any = None,
        activity: Any = None,
        extra_classes: tuple[str, ...] = (),
    ) -> None:
        from jnius import autoclass, cast

        self._classes = {name: autoclass(name) for name in (*JAVA_CLASSES, *extra_classes)}
        self._cast = cast
        self._service = (
            service if service is not None else self._classes["org.kivy.android.PythonService"].mService
        )
        self._activity = activity
        self._version = self._classes["android.os.Build$VERSION"]
        self._channel_ready = False
        self._wake_lock: Any = None
        self._listener: Any = None
        self._timeout_done = threading.Event()
        self._lock = threading.Lock()
        self._data_sync = self._find_data_sync_service()

    # -- context -------------------------------------------------------------------------------------------
    @property
    def sdk_int(self) -> int:
        """The phone's API level (``Build.VERSION.SDK_INT``)."""
        return int(self._version.SDK_INT)

    def _any_activity(self) -> Any:
        """The app's activity, or None (the service process never has one)."""
        if self._activity is not None:
            return self._activity
        return self._classes["org.kivy.android.PythonActivity"].mActivity

    def _visible_activity(self) -> Any:
        """The activity on screen, or None: requests that show a dialog need it."""
        activity = self._any_activity()
        if activity is None or activity.isFinishing():
            return None
        return activity

    def java_class(self, name: str) -> Any:
        """A Java class loaded by the constructor (``JAVA_CLASSES`` or ``extra_classes``)."""
        return self._classes[name]

    def activity(self) -> Any:
        """The app's visible activity; RuntimeError in the service process or while it finishes."""
        activity = self._visible_activity()
        if activity is None:
            raise RuntimeError("no visible activity: this needs the app on screen")
        return activity

    def _context(self) -> Any:
        context = self._service if self._service is not None else self._any_activity()
        if context is None:
            raise RuntimeError("no Android context: neither a running service nor a visible activity")
        return context

    def _data_sync_service(self) -> Any:
        """The service as ``DataSyncService`` (our Java subclass), or None when it is another class."""
        return self._data_sync

    def _find_data_sync_service(self) -> Any:
        if self._service is None:
            return None
        java_class = self._service.getClass()
        while java_class is not None:
            if java_class.getName() == SERVICE_CLASS:
                return self._cast(SERVICE_CLASS, self._service)
            java_class = java_class.getSuperclass()
        return None  # plain PythonService: a build without android_bridge/java

    def _system_service(self, name: str, java_class: str) -> Any:
        context_class = self._classes["android.content.Context"]
        service_name = getattr(context_class, name)
        return self._cast(self._classes[java_class], self._context().getSystemService(service_name))

    def _power_manager(self) -> Any:
        return self._system_service("POWER_SERVICE", "android.os.PowerManager")

    def _notification_manager(self) -> Any:
        return self._system_service("NOTIFICATION_SERVICE", "android.app.NotificationManager")

    def _notification_id(self) -> int:
        service = self._data_sync_service()
        return int(service.notificationId()) if service is not None else 1

    # -- Platform ------------------------------------------------------------------------------------------
    def device_info(self) -> DeviceInfo:
        """The device's facts (Build) and the app's permission / battery-optimisation state."""
        build = self._classes["android.os.Build"]
        return DeviceInfo(
            platform="android",
            android_version=str(self._version.RELEASE),
            sdk_int=self.sdk_int,
            vendor=str(build.MANUFACTURER),
            model=str(build.MODEL),
            battery_optimisation_ignored=self.is_ignoring_battery_optimizations(),
            notifications_allowed=self._notifications_granted(),
        )

    def _ensure_channel(self) -> None:
        if self._channel_ready or self.sdk_int < SDK_OREO:
            return
        manager_class = self._classes["android.app.NotificationManager"]
        channel = self._classes["android.app.NotificationChannel"](
            CHANNEL_ID, CHANNEL_NAME, manager_class.IMPORTANCE_LOW
        )
        channel.setDescription(CHANNEL_DESCRIPTION)
        self._notification_manager().createNotificationChannel(channel)
        self._channel_ready = True

    def _builder(self, title: str, text: str) -> Any:
        """A ``Notification.Builder`` on the downloads channel with title, text and the app's icon."""
        context = self._context()
        builder_class = self._classes["android.app.Notification$Builder"]
        builder = builder_class(context, CHANNEL_ID) if self.sdk_int >= SDK_OREO else builder_class(context)
        builder.setContentTitle(title)
        builder.setContentText(text)
        builder.setSmallIcon(context.getApplicationInfo().icon)
        builder.setOnlyAlertOnce(True)
        return builder

    def _build(self, notification: Notification) -> Any:
        builder = self._builder(notification.title, notification.text)
        bar_max, bar_progress = progress_bar(notification.attempted, notification.max_tiles)
        builder.setProgress(bar_max, bar_progress, False)
        builder.setOngoing(notification.ongoing)
        return builder.build()

    def start_foreground(self, notification: Notification) -> None:
        """Enter the foreground as a ``dataSync`` service showing ``notification``.

        Raises :class:`ForegroundServiceRefused` when Android says no (API 31+ refuses a start from the
        background, API 35 once the six-hour dataSync budget is used up).
        """
        if self._service is None:
            raise RuntimeError("start_foreground needs the service process (PythonService.mService is null)")
        with self._lock:
            self._ensure_channel()
            built = self._build(notification)
            try:
                if self.sdk_int >= SDK_Q:
                    service_info = self._classes["android.content.pm.ServiceInfo"]
                    self._service.startForeground(
                        self._notification_id(), built, service_info.FOREGROUND_SERVICE_TYPE_DATA_SYNC
                    )
                else:
                    self._service.startForeground(self._notification_id(), built)
            except Exception as error:  # jnius.JavaException: ForegroundServiceStartNotAllowedException, ...
                java_class = getattr(error, "classname", None) or type(error).__name__
                said = getattr(error, "innermessage", None) or str(error).splitlines()[0]
                raise ForegroundServiceRefused(f"Android refused the foreground service: {java_class}: {said}") from error

    def update_notification(self, notification: Notification) -> None:
        """Show ``notification`` in place of the current one (the bridge calls this at most once a second)."""
        with self._lock:
            self._ensure_channel()
            self._notification_manager().notify(self._notification_id(), self._build(notification))

    def stop_foreground(self) -> None:
        """Leave the foreground state and remove the notification."""
        if self._service is None:
            return
        with self._lock:
            if self.sdk_int >= SDK_NOUGAT:
                service_class = self._classes["android.app.Service"]
                self._service.stopForeground(service_class.STOP_FOREGROUND_REMOVE)
            else:
                self._service.stopForeground(True)

    def acquire_wake_lock(self) -> None:
        """Hold a partial wake lock (CPU on, screen may sleep); a second call while held does nothing."""
        with self._lock:
            if self._wake_lock is None:
                power_class = self._classes["android.os.PowerManager"]
                self._wake_lock = self._power_manager().newWakeLock(
                    power_class.PARTIAL_WAKE_LOCK, WAKE_LOCK_TAG
                )
                self._wake_lock.setReferenceCounted(False)
            if not self._wake_lock.isHeld():
                self._wake_lock.acquire()

    def release_wake_lock(self) -> None:
        """Release the partial wake lock if held."""
        with self._lock:
            if self._wake_lock is not None and self._wake_lock.isHeld():
                self._wake_lock.release()

    def is_ignoring_battery_optimizations(self) -> bool:
        """Whether the app is exempt from battery optimisation (always true before API 23)."""
        if self.sdk_int < SDK_MARSHMALLOW:
            return True
        return bool(self._power_manager().isIgnoringBatteryOptimizations(self._context().getPackageName()))

    def request_ignore_battery_optimizations(self) -> bool:
        """Open the system dialog that exempts the app; only from a visible activity.

        Returns whether the dialog was shown (not when exempt already, before API 23, or with no activity).
        """
        activity = self._visible_activity()
        if activity is None or self.sdk_int < SDK_MARSHMALLOW or self.is_ignoring_battery_optimizations():
            return False
        settings = self._classes["android.provider.Settings"]
        uri = self._classes["android.net.Uri"].parse("package:" + activity.getPackageName())
        intent = self._classes["android.content.Intent"](
            settings.ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS, uri
        )
        activity.startActivity(intent)
        return True

    def _notifications_granted(self) -> bool:
        if self.sdk_int < SDK_TIRAMISU:
            return True
        granted = self._classes["android.content.pm.PackageManager"].PERMISSION_GRANTED
        return int(self._context().checkSelfPermission(POST_NOTIFICATIONS)) == granted

    def request_notification_permission(self) -> bool:
        """Ask for ``POST_NOTIFICATIONS`` on API 33+ (from a visible activity); return whether it is granted.

        The answer to a request arrives later, so right after asking this returns False.
        """
        if self._notifications_granted():
            return True
        activity = self._visible_activity()
        if activity is not None:
            activity.requestPermissions([POST_NOTIFICATIONS], NOTIFICATION_PERMISSION_REQUEST_CODE)
        return False

    # -- pairing --------------------------------------------------------------------------------------------
    def show_pairing_code(self, code: str | None, expires_at: float | None) -> None:
        """Show the one-time pairing code in its own notification (None: pairing is locked; the note says so).

        Notifications are private to the phone's user, unlike anything served on the loopback interface, which
        every app on the phone could read. ``expires_at`` is wall-clock seconds since the epoch.
        """
        with self._lock:
            self._ensure_channel()
            if code is None:
                title, text = "Pairing locked", "Too many wrong codes; a new code appears after the lockout."
            else:
                until = time.strftime("%H:%M", time.localtime(expires_at)) if expires_at else "soon"
                title, text = (
                    f"Pairing code {code[:3]} {code[3:]}",
                    f"Type it in your notebook; valid until {until}.",
                )
            self._notification_manager().notify(PAIRING_NOTIFICATION_ID, self._builder(title, text).build())

    # -- what Android tells the service: Android 15's timeout, a second start, the end -------------------------
    def listen(self, events: ServiceEvents) -> None:
        """Hear the service's events (``DataSyncService.setListener``); see :class:`ServiceEvents`.

        After ``on_timeout`` (whatever it raises) the wake lock is released and the service leaves the
        foreground and stops; :attr:`timeout_handled` is set when all that is done. After ``on_stopping`` the
        wake lock is released (python-for-android then ends the process).
        """
        service = self._data_sync_service()
        if service is None:
            raise RuntimeError(f"the running service is not {SERVICE_CLASS}; its events cannot be heard")
        from jnius import PythonJavaClass, java_method

        platform = self

        def in_thread(target: Callable[[], object], name: str) -> None:
            threading.Thread(target=target, name=name, daemon=True).start()

        class Listener(PythonJavaClass):
            __javainterfaces__ = ["org/fmtcnb/bridge/ServiceEventListener"]
            __javacontext__ = "app"

            @java_method("(II)V")
            def onForegroundTimeout(self, start_id: int, service_type: int) -> None:  # noqa: N802 - Java name
                in_thread(lambda: platform._handle_timeout(events.on_timeout), "fmtc-nb-timeout")

            @java_method("()V")
            def onStartedAgain(self) -> None:  # noqa: N802 - Java name
                in_thread(events.on_started_again, "fmtc-nb-started-again")

            @java_method("()V")
            def onStopping(self) -> None:  # noqa: N802 - Java name
                try:
                    events.on_stopping()
                finally:
                    platform.release_wake_lock()

        self._listener = Listener()  # pyjnius needs the Python object kept alive
        service.setListener(self._listener)  # a static method, reached through the instance

    @property
    def timeout_handled(self) -> threading.Event:
        """Set once a foreground timeout has been checkpointed and the service stopped."""
        return self._timeout_done

    def _handle_timeout(self, checkpoint: Callable[[], object]) -> None:
        try:
            checkpoint()
        finally:
            self.release_wake_lock()
            service = self._data_sync_service()
            if service is not None:
                service.stopAfterTimeout()
            self._timeout_done.set()
