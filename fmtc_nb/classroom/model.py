"""The discrete-event model of one download under a :class:`~fmtc_nb.classroom.profiles.Profile` (no network,
no processes): the phone's state changes only at events (user actions, rule timers, completion), and between
two events the job fetches ``rate_tps`` tiles per simulated second while it runs.

The job is stored in batches of ``checkpoint_tiles``: a kill loses the tiles fetched since the last batch, which
are fetched again. ``fmtc=True`` models FMTC's behaviour instead of ours: no buffering (every tile is written
at once, at ``fmtc_write_factor`` of the speed) and a recovery that reports a live job as failed, so nothing
resumes a killed job until the user opens the app and starts it again.

>>> from fmtc_nb.classroom.profiles import Profile
>>> run = simulate(Profile("stock", 34), ModelOptions(tiles_total=1000, rate_tps=1.0))
>>> run.summary["completed"], run.summary["kills"]
(True, 0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from fmtc_nb.android.vendors import vendor_table
from fmtc_nb.classroom.profiles import Profile
from fmtc_nb.classroom.rulebook import RuleBook, rulebook

RUNNING, STALLED, KILLED, WAITING, COMPLETED = "running", "stalled", "killed", "waiting for user", "completed"
#: Timers that run only while the screen is off, and stop when it turns on.
SCREEN_OFF_TIMERS = ("vendor_kill", "evenwell", "sleep_net", "samsung_sleep", "doze")


@dataclass(frozen=True)
class ModelOptions:
    """The job and the model's own numbers: ``tiles_total`` tiles at ``rate_tps`` tiles per simulated second
    (calibrate it from a real run: :func:`fmtc_nb.classroom.real.calibrate`), ``checkpoint_tiles`` per stored
    batch, ``horizon_s`` simulated seconds at most, ``reboot_s`` a restart's duration (assumed), the FMTC mode
    and its ``fmtc_write_factor`` (assumed: unbuffered writes at 80% of the speed)."""

    tiles_total: int = 20_000
    rate_tps: float = 2.0
    checkpoint_tiles: int = 500
    horizon_s: float = 86_400.0
    reboot_s: float = 60.0
    fmtc: bool = False
    fmtc_write_factor: float = 0.8


@dataclass
class ModelRun:
    """A run's outcome: ``timeline`` (rows of simulated time, tiles done, state), ``events`` (time, rule or
    action, what happened) and ``summary`` (see :func:`simulate`)."""

    profile: Profile
    options: ModelOptions
    timeline: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def fired(self, rule_id: str) -> list[float]:
        """The simulated times at which ``rule_id`` (or action) fired, each once."""
        return sorted({e["t_s"] for e in self.events if e["rule"] == rule_id})


class _Phone:
    """The state the model steps through (one instance per run)."""

    def __init__(self, profile: Profile, book: RuleBook, options: ModelOptions) -> None:
        self.p, self.book, self.o = profile, book, options
        self.row = next(r for r in vendor_table() if r["vendor"] == profile.vendor)
        self.run = ModelRun(profile, options)
        self.t = 0.0
        self.done = 0.0  # tiles fetched (stored or in the current batch)
        self.alive = self.fgs = self.visible = self.screen_on = True
        self.charging = self.cpu_asleep = self.doze = False
        self.net_cuts: set[str] = set()  # the rules that cut the network now (Doze's ends with charging)
        self.waiting = False  # the job waits for the user (paused, or its process gone for good)
        self.ds_used = 0.0  # dataSync foreground time used since the user last opened the app
        self.ds_blocked = False
        self.wake_lock_since = 0.0
        self.timers: dict[str, float] = {}
        self.kills = self.stops = self.resumes = 0
        self.refetched = 0
        self.completed_at: float | None = None
        self._next_action = 0  # index of the next script action

    # -- helpers ---------------------------------------------------------------------------------------------
    def holds(self, rule_id: str) -> bool:
        return self.book[rule_id].holds(self.p.vendor, self.p.api)

    def param(self, rule_id: str, name: str) -> float:
        return self.book[rule_id].params[name]

    def log(self, rule_id: str, what: str, effect: str | None = None) -> None:
        """Record an event; ``effect`` is what a real run does then (see :mod:`fmtc_nb.classroom.real`)."""
        self.run.events.append({"t_s": self.t, "rule": rule_id, "what": what, "effect": effect})

    @property
    def rate(self) -> float:
        return self.o.rate_tps * (self.o.fmtc_write_factor if self.o.fmtc else 1.0)

    @property
    def stored(self) -> float:
        if self.o.fmtc:
            return self.done
        batch = self.o.checkpoint_tiles
        return float(min(self.o.tiles_total, math.floor(self.done / batch) * batch))

    @property
    def state(self) -> str:
        if self.completed_at is not None:
            return COMPLETED
        if self.waiting:
            return WAITING
        if not self.alive:
            return KILLED
        if not self.fgs or self.net_cuts or self.cpu_asleep:
            return STALLED
        return RUNNING

    def record(self) -> None:
        self.run.timeline.append({"t_s": self.t, "tiles_done": int(self.done), "state": self.state})

    def user_can_escape(self) -> bool:
        """The battery exemption helps against this vendor (the data's user_can_fix)."""
        return self.p.exempt and bool(self.row["user_can_fix"])

    # -- what changes the phone --------------------------------------------------------------------------------
    def kill(self, rule_id: str, force: bool) -> None:
        """The process dies; a force-stop (or FMTC's recovery) leaves the job to the user, else Android
        restarts the sticky service."""
        if not self.alive:
            return
        lost = int(self.done - self.stored)
        self.refetched += lost
        self.done = self.stored
        self.alive = self.fgs = False
        self.kills += 1
        self.timers.pop("huawei", None)
        self.timers.pop("data_sync", None)
        self.log(rule_id, f"the service process is killed; {lost} tiles of the open batch are lost", "kill")
        if force or self.o.fmtc:
            self.waiting = True
            why = "FMTC's recovery reports the job failed" if self.o.fmtc and not force else "force-stopped"
            self.log(rule_id, f"{why}: the job waits for the user to open the app")
        else:
            self.timers["sticky"] = self.t + self.param("sticky_restart", "restart_delay_s")

    def end_process(self, rule_id: str, why: str) -> None:
        """The service stops itself and p4a ends the process; the job is paused, waiting for the user."""
        self.alive = self.fgs = False
        self.waiting = True
        self.timers.pop("idle_stop", None)
        self.log(rule_id, f"{why}: the service stops", "stop")
        self.log("p4a_destroy_kills_process", "PythonService.onDestroy ends the service's process")

    def enter_foreground(self, cause: str) -> bool:
        """The (re)started service tries to enter the foreground to download."""
        if self.holds("fgs_type_required") and not self.p.service_type_declared:
            self.log("fgs_type_required", "startForeground refused: no foreground service type declared")
            self.waiting = True
            return False
        if self.holds("fgs_background_start_refused") and not (self.visible or self.p.exempt):
            self.log("fgs_background_start_refused",
                     f"{cause}: the foreground start from the background is refused; the job is paused")
            self.waiting = True
            self.timers["idle_stop"] = self.t + self.param("idle_background_service_stopped", "limit_s")
            return False
        if self.ds_blocked:
            self.log("data_sync_timeout", f"{cause}: no dataSync start until the user opens the app")
            self.waiting = True
            self.timers["idle_stop"] = self.t + self.param("idle_background_service_stopped", "limit_s")
            return False
        self.fgs, self.waiting = True, False
        self.timers.pop("idle_stop", None)
        self.wake_lock_since = self.t
        if self.holds("vendor_wake_lock_force_stop"):
            self.timers["huawei"] = self.t + self.param("vendor_wake_lock_force_stop", "limit_s")
        if self.holds("post_notifications_runtime") and not self.p.notifications:
            self.log("post_notifications_runtime", "the notification is hidden (no permission); the job runs")
        return True

    def arm_screen_off_timers(self, restarted: bool = False) -> None:
        """The screen is off (or, ``restarted``, the service came back with the screen still off): the vendor's
        and Android's screen-off timers start now. A kill *at* screen-off happens once per screen-off."""
        t = self.t
        if self.holds("vendor_kill_by_award") and not self.user_can_escape():
            if self.holds("vendor_kill_at_screen_off"):
                if not restarted:
                    self.timers["vendor_kill"] = t + self.param("vendor_kill_at_screen_off", "after_s")
            else:
                award = min(5, max(3, int(self.row["award"])))
                self.timers["vendor_kill"] = t + self.param("vendor_kill_by_award", f"award{award}_s")
        if self.holds("evenwell_screen_off_kill"):
            self.timers["evenwell"] = t + self.param("evenwell_screen_off_kill", "after_s")
        if self.holds("vendor_sleep_cuts_network") and not self.user_can_escape():
            self.timers["sleep_net"] = t + self.param("vendor_sleep_cuts_network", "after_s")
        if not self.charging:
            if self.holds("samsung_fgs_wake_lock_ignored"):
                self.timers["samsung_sleep"] = t + self.param("samsung_fgs_wake_lock_ignored", "cpu_sleep_after_s")
            if self.holds("doze_network_suspended"):
                self.timers["doze"] = t + self.param("doze_network_suspended", "after_s")

    def screen_turns_on(self) -> None:
        for name in SCREEN_OFF_TIMERS:
            self.timers.pop(name, None)
        self.screen_on, self.cpu_asleep, self.doze = True, False, False
        self.net_cuts.clear()

    def restart_process(self, cause: str) -> None:
        """The service process starts again (the system's sticky restart, or the app opened); our bridge
        resumes its jobs through recovery."""
        self.alive = True
        resumable = self.completed_at is None and (not self.o.fmtc or self.visible)
        if resumable and self.enter_foreground(cause):
            self.resumes += 1
            self.log(cause, "the job resumes from its last stored batch")
            if not self.screen_on:
                self.arm_screen_off_timers(restarted=True)

    # -- events --------------------------------------------------------------------------------------------------
    def action(self, do: str) -> None:
        self.log(do, "the user: " + do.replace("_", " "), None if do == "reboot" else do)
        if do == "screen_off":
            self.screen_on = self.visible = False
            self.arm_screen_off_timers()
            self.timers["standby"] = self.t + self.param("standby_bucket_restricted", "rare_after_s")
        elif do == "screen_on":
            self.screen_turns_on()
        elif do == "swipe":
            self.visible = False
            if self.holds("vendor_swipe_kills"):
                self.kill("vendor_swipe_kills", force=True)
            else:
                self.log("p4a_task_removed_stops_non_sticky", "the bridge's service is sticky: it keeps running")
        elif do == "reopen":
            self.screen_turns_on()
            self.visible = True
            self.timers.pop("standby", None)
            self.ds_used, self.ds_blocked = 0.0, False
            if self.completed_at is None and (not self.alive or self.waiting):
                self.waiting = False
                self.restart_process("reopen")
        elif do == "charging":
            self.charging, self.cpu_asleep, self.doze = True, False, False
            self.net_cuts.discard("doze_network_suspended")
            self.timers.pop("samsung_sleep", None)
            self.timers.pop("doze", None)
        elif do == "unplugged":
            self.charging = False
            if not self.screen_on:
                self.arm_screen_off_timers(restarted=True)
        elif do == "reboot":
            self.kill("reboot", force=True)
            self.screen_turns_on()
            self.visible = False
            if self.holds("boot_completed_no_data_sync"):
                self.log("boot_completed_no_data_sync", "after the reboot no dataSync start from BOOT_COMPLETED")

    def timer(self, name: str) -> None:
        if name == "vendor_kill":
            force = self.row["award"] >= self.param("vendor_kill_by_award", "force_stop_min_award")
            self.kill("vendor_kill_at_screen_off" if self.holds("vendor_kill_at_screen_off")
                      else "vendor_kill_by_award", force=force)
        elif name == "evenwell":
            self.kill("evenwell_screen_off_kill", force=True)
        elif name == "huawei":
            self.kill("vendor_wake_lock_force_stop", force=True)
        elif name == "sleep_net":
            if not self.alive:  # a dead process has no network to cut; a restart with the screen off re-arms it
                self.log("vendor_sleep_cuts_network", "no effect, nothing of the app runs")
                return
            self.net_cuts.add("vendor_sleep_cuts_network")
            self.log("vendor_sleep_cuts_network", "the vendor's sleep optimisation cuts the network", "stall")
        elif name == "samsung_sleep":
            if not self.alive:  # no wake lock to ignore, no job to stall; a restart with the screen off re-arms it
                self.log("samsung_fgs_wake_lock_ignored", "no effect, nothing of the app runs")
                return
            self.cpu_asleep = True
            self.log("samsung_fgs_wake_lock_ignored", "the wake lock is ignored: the CPU sleeps, the job stalls",
                     "stall")
        elif name == "doze":
            self.doze = True
            exempt = self.fgs or self.p.exempt or not self.alive
            self.log("doze_network_suspended", "Doze: " + (
                "no effect, nothing of the app runs" if not self.alive else
                "no effect, a foreground service or exempt app keeps its network" if exempt
                else "the network is cut"), None if exempt else "stall")
            if not exempt:
                self.net_cuts.add("doze_network_suspended")
        elif name == "standby":
            self.log("standby_bucket_restricted", "the app is in the rare bucket: " +
                     ("no effect while its foreground service runs" if self.fgs else "its work is deferred"))
        elif name == "sticky":
            self.log("sticky_restart", "Android creates the sticky service again", "restart")
            self.restart_process("sticky_restart")
        elif name == "idle_stop":
            self.end_process("idle_background_service_stopped", "a minute in the background without foreground")
        elif name == "data_sync":
            self.stops += 1
            self.log("data_sync_timeout", "six hours of dataSync used: onTimeout; the job is paused")
            self.ds_blocked = True
            self.timers["timeout_stop"] = self.t + self.param("data_sync_timeout", "grace_s")
            self.fgs = False
        elif name == "timeout_stop":
            self.end_process("data_sync_timeout", "stopSelf within the grace after onTimeout")

    def step(self) -> bool:
        """Advance to the next event and handle it; False when nothing more can happen."""
        candidates: list[tuple[float, str, str]] = [(at, "timer", n) for n, at in self.timers.items()]
        if self._next_action < len(self.p.script):
            a = self.p.script[self._next_action]
            candidates.append((max(a.at_s, self.t), "action", a.do))
        if self.state == RUNNING:
            candidates.append((self.t + (self.o.tiles_total - self.done) / self.rate, "complete", ""))
            if self.holds("data_sync_timeout"):
                left = self.param("data_sync_timeout", "limit_s") - self.ds_used
                candidates.append((self.t + max(0.0, left), "timer", "data_sync"))
        if not candidates:
            return False
        at, kind, name = min(candidates, key=lambda c: (c[0], c[1] != "complete"))
        if at > self.o.horizon_s:
            self.advance(self.o.horizon_s)
            return False
        self.advance(at)
        if kind == "complete":
            self.done = float(self.o.tiles_total)
            self.completed_at = self.t
            self.fgs = False
            self.timers.clear()
            self.log("completed", "every tile of the region is stored")
        elif kind == "action":
            self._next_action += 1
            self.action(name)
        else:
            self.timers.pop(name, None)
            self.timer(name)
        self.record()
        return self.completed_at is None

    def advance(self, to: float) -> None:
        dt = max(0.0, to - self.t)
        if self.state == RUNNING:
            self.done = min(float(self.o.tiles_total), self.done + self.rate * dt)
        if self.fgs:
            self.ds_used += dt
        self.t = to


def simulate(profile: Profile, options: ModelOptions | None = None, book: RuleBook | None = None) -> ModelRun:
    """Run ``profile`` through the model. ``summary``: profile fields, ``mode`` (ours / FMTC), ``completed``,
    ``time_to_complete_s`` (None if not), ``kills``, ``stops`` (six-hour timeouts), ``resumes``,
    ``tiles_refetched`` and ``time_lost_s`` (simulated seconds beyond an undisturbed run)."""
    options = options or ModelOptions()
    phone = _Phone(profile, book or rulebook(), options)
    phone.log("start", "the user dispatches the job with the app on screen")
    if phone.enter_foreground("start"):
        phone.log("fgs_type_required" if phone.holds("fgs_type_required") else "start",
                  "the job runs in a dataSync foreground service")
    phone.record()
    while phone.step():
        pass
    ideal = options.tiles_total / phone.rate
    end = phone.completed_at if phone.completed_at is not None else max(phone.t, options.horizon_s)
    if phone.completed_at is None and phone.t < end:  # nothing more happens: the state holds to the horizon
        phone.advance(end)
        phone.record()
    phone.run.summary = {
        "vendor": profile.vendor, "api": profile.api, "exempt": profile.exempt,
        "notifications": profile.notifications, "mode": "FMTC" if options.fmtc else "fmtc-nb",
        "completed": phone.completed_at is not None, "time_to_complete_s": phone.completed_at,
        "kills": phone.kills, "stops": phone.stops, "resumes": phone.resumes,
        "tiles_refetched": phone.refetched,
        "time_lost_s": (end - ideal) if phone.completed_at is not None else end - phone.done / phone.rate,
    }
    return phone.run
