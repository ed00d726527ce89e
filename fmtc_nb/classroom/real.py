"""A profile run for real: the virtual device (``python -m android_bridge --virtual`` in its own process, through
:class:`~fmtc_nb.device.launcher.VirtualDeviceProcess`) downloads a region from the embedded tile server while a
simulated clock runs ``speedup`` times faster than the wall clock.

The rule book decides what happens when: the model's run of the same profile (same rule book, same job) gives
the events, and each event's ``effect`` is applied to the real processes at its simulated time:

- ``kill``: SIGKILL of the service process (what is not checkpointed is lost);
- ``stop``: SIGTERM (the service stops itself; its jobs stay paused and resumable);
- ``restart``: Android's sticky restart: the device starts again with the app in the background, and the
  virtual platform itself refuses the foreground on API 31+ without the exemption (its row of the lifecycle
  table), leaving the job paused;
- ``screen_off`` / ``swipe``: the app leaves the screen (``app_visible`` false);
- ``reopen``: the app is on screen again: the device starts if it is down (recovery resumes the job) or the
  paused job is resumed;
- ``stall`` of a rule that cuts the network (a vendor's sleep optimisation, Doze): the network is cut for real.
  The device downloads through a :class:`~fmtc_nb.classroom.netcut.NetworkCut` relay on 127.0.0.1 in front
  of the tile server; the cut resets every open connection and every new one. The job is dispatched with the
  engine's ``wait_for_network`` (a request nothing answers is no failed attempt: the tile waits, with a backoff
  of at most :data:`OFFLINE_BACKOFF_S` wall seconds) and goes on by itself once the network is back;
- ``stall`` of Samsung's ignored wake lock (the CPU sleeps): the service process is frozen (SIGSTOP) and
  thawed (SIGCONT) when the stall ends: it runs nothing meanwhile, heartbeat included;
- ``screen_on`` ends every stall, ``charging`` a sleeping CPU and Doze's cut (not a vendor's), ``reopen``
  ends every stall too.

What is measured is real: tiles done over time (a cut or a sleep shows as ``stalled`` while the job's tiles
done do not move), when the job completes, the tiles the server was asked for again, what the relay reset or
refused, and the tiles in the store at the end.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from fmtc_nb.classroom.model import COMPLETED, KILLED, RUNNING, STALLED, WAITING, ModelOptions, simulate
from fmtc_nb.classroom.netcut import NetworkCut
from fmtc_nb.classroom.profiles import Profile
from fmtc_nb.classroom.rulebook import RuleBook
from fmtc_nb.errors import DeviceError

REGION, ZOOMS = "rect:7.0,46.0,9.0,47.5", "0-13"  # 3,224 tiles
STORE = "classroom"
ANDROID_VERSIONS = {26: "8.0", 27: "8.1", 28: "9", 29: "10", 30: "11", 31: "12", 32: "12L", 33: "13", 34: "14",
                    35: "15"}
#: Rules whose ``stall`` is a sleeping CPU (the process is frozen); every other ``stall`` cuts the network.
CPU_SLEEP_RULES = frozenset({"samsung_fgs_wake_lock_ignored"})
#: Network cuts that charging ends (Doze needs the phone unplugged); a screen turned on ends them all.
CHARGING_ENDS = frozenset({"doze_network_suspended"})
#: The job's longest backoff in wall seconds (``max_backoff_s``) while it waits for the network: once the
#: network is back, it goes on within this (60 simulated seconds at 60x).
OFFLINE_BACKOFF_S = 1.0


@dataclass
class RealRun:
    """A real run's outcome, shaped like :class:`~fmtc_nb.classroom.model.ModelRun` (``timeline``, ``events``
    applied, each with the job's ``tiles_done`` and the server's ``tiles_served`` then, ``summary``) plus
    ``tiles_in_store`` and ``tiles_total`` (of the region), ``wall_s`` and ``network`` (what the relay did:
    :class:`~fmtc_nb.classroom.netcut.CutCounts` as a dict)."""

    profile: Profile
    options: ModelOptions
    timeline: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    tiles_in_store: int = 0
    tiles_total: int = 0
    wall_s: float = 0.0
    network: dict[str, int] = field(default_factory=dict)

    def fired(self, rule_id: str) -> list[float]:
        """Simulated times at which ``rule_id`` was applied, each once."""
        return sorted({e["t_s"] for e in self.events if e["rule"] == rule_id})


def calibrate(run: RealRun) -> ModelOptions:
    """Model options whose throughput is that of ``run`` (an undisturbed run: tiles over its simulated time)."""
    seconds = run.summary["time_to_complete_s"]
    if not run.summary["completed"] or not seconds:
        raise ValueError("calibrate needs a run that completed")
    return replace(run.options, rate_tps=run.tiles_total / seconds)


def model_options(rate_limit: float, speedup: float, batch_size: int, tiles_total: int) -> ModelOptions:
    """The model's options for a real run before calibration: the rate limit in simulated time."""
    return ModelOptions(tiles_total=tiles_total, rate_tps=rate_limit / speedup, checkpoint_tiles=batch_size)


def run_real(profile: Profile, *, root: str | Path | None = None, region: str = REGION, zooms: str = ZOOMS,
             rate_limit: float = 100.0, speedup: float = 60.0, batch_size: int = 100,
             options: ModelOptions | None = None, book: RuleBook | None = None,
             progress: Callable[[str], None] | None = None, timeout_s: float = 300.0) -> RealRun:
    """Run ``profile`` on a virtual device in ``root`` (a temporary folder if None): ``rate_limit`` tiles per
    wall second, ``speedup`` simulated seconds per wall second, stored in batches of ``batch_size``.
    ``options`` (the plan's model options; default from the rate limit) and ``book`` decide the events."""
    from fmtc_nb.cover import TileCover
    from fmtc_nb.regions import parse_region

    total = TileCover(parse_region(region), zooms).total
    options = replace(options or model_options(rate_limit, speedup, batch_size, total), tiles_total=total,
                      checkpoint_tiles=batch_size)
    plan = simulate(profile, options, book)
    if root is None:
        with tempfile.TemporaryDirectory(prefix="fmtc-classroom-") as tmp:
            return _Runner(profile, options, plan.events, Path(tmp), speedup, progress).run(
                region, zooms, rate_limit, batch_size, total, timeout_s)
    return _Runner(profile, options, plan.events, Path(root), speedup, progress).run(
        region, zooms, rate_limit, batch_size, total, timeout_s)


def stored_tiles(device_root: Path) -> int:
    """Tiles in the run's store, read from the stopped device's files (the bridge's store root is
    ``Root(device_root)``); 0 if the job never created it."""
    from fmtc_nb.store import Root

    root = Root(device_root)
    if not root.exists(STORE):
        return 0
    store = root.open(STORE, readonly=True)
    try:
        return int(store.stats().tiles)
    finally:
        store.close()


class _Runner:
    """Applies the plan's effects to the device at their simulated times and records what happens."""

    def __init__(self, profile: Profile, options: ModelOptions, plan: list[dict[str, Any]], root: Path,
                 speedup: float, progress: Callable[[str], None] | None) -> None:
        from fmtc_nb.device.launcher import VirtualDeviceProcess

        self.profile, self.options, self.speedup, self.say = profile, options, speedup, progress or (lambda _: None)
        self.plan = [e for e in plan if e.get("effect")]
        self.root = root
        self.device = VirtualDeviceProcess(root / "phone")
        self.result = RealRun(profile, options)
        self.client: Any = None
        self.job_id = ""
        self.net: NetworkCut | None = None
        self.server: Any = None
        self.cuts: set[str] = set()  # the rules that cut the network now
        self.asleep = False  # the service process is frozen (a sleeping CPU)
        self.kills = self.stops = self.resumes = self.sleeps = 0
        self.t0 = 0.0
        self.last_done = 0

    def now(self) -> float:
        """Simulated seconds since the job was dispatched."""
        return (time.monotonic() - self.t0) * self.speedup

    def run(self, region: str, zooms: str, rate_limit: float, batch_size: int, total: int,
            timeout_s: float) -> RealRun:
        from fmtc_nb.device import pair
        from fmtc_nb.tileserver import start_server

        p = self.profile
        self.device.change_settings(sdk_int=p.api, android_version=ANDROID_VERSIONS[p.api], vendor=p.vendor,
                                    battery_optimisation_ignored=p.exempt, notifications_allowed=p.notifications,
                                    user_accepts_requests=False, app_visible=True)
        server = self.server = start_server()
        net = self.net = NetworkCut(("127.0.0.1", server.port))
        started = time.monotonic()
        try:
            self.device.start()
            self.client = pair(self.device.url, str(self.device.code), "classroom", directory=self.root / "config")
            row = self.client.dispatch(region, zooms, url=net.url_template(server.url_template), store=STORE,
                                       rate_limit=rate_limit, batch_size=batch_size, wait_for_network=True,
                                       max_backoff_s=OFFLINE_BACKOFF_S)
            self.job_id = row["id"]
            self.t0 = time.monotonic()
            completed_at = self.loop(timeout_s)
        finally:
            self.device.stop()
            net.close()
            server.stop()
        self.result.tiles_in_store = stored_tiles(self.device.root)
        self.result.tiles_total = total
        self.result.network = asdict(net.counts)
        self.result.wall_s = time.monotonic() - started
        refetched = max(0, int(server.app.requests) - total)
        end = completed_at if completed_at is not None else self.now()
        ideal = total / self.options.rate_tps
        self.result.summary = {
            "vendor": p.vendor, "api": p.api, "exempt": p.exempt, "notifications": p.notifications, "mode": "real",
            "completed": completed_at is not None, "time_to_complete_s": completed_at, "kills": self.kills,
            "stops": self.stops, "resumes": self.resumes, "network_cuts": net.counts.cuts, "cpu_sleeps": self.sleeps,
            "tiles_refetched": refetched,
            "time_lost_s": max(0.0, end - ideal),
        }
        return self.result

    def loop(self, timeout_s: float) -> float | None:
        """Apply the plan and poll the job until it completes (its simulated completion time) or times out."""
        pending = list(self.plan)
        while time.monotonic() - self.t0 < timeout_s:
            while pending and pending[0]["t_s"] <= self.now():
                self.apply(pending.pop(0))
            state = self.poll(pending)
            if state == COMPLETED:
                return self.result.timeline[-1]["t_s"]
            time.sleep(0.05)
        return None

    def poll(self, pending: list[dict[str, Any]]) -> str:
        """Record (simulated time, tiles done, state) from the device, or from what is known while it is down or
        frozen (a frozen device answers nothing: it is not asked)."""
        alive = self.device.process is not None and self.device.process.poll() is None
        status, before = None, self.last_done
        if alive and self.asleep:
            status = "asleep"
        elif alive:
            try:
                row = self.client.job(self.job_id)
                status, self.last_done = row["status"], int(row["tiles_done"])
            except (DeviceError, OSError):  # the device went down between two polls: it answers again or is gone
                status = None
        if status == "completed":
            state = COMPLETED
        elif not alive or status is None:
            state = KILLED if any(e["effect"] == "restart" for e in pending[:1]) else WAITING
        elif status == "asleep" or (self.cuts and status == "running" and self.last_done == before):
            state = STALLED  # the CPU sleeps, or the network is cut and the job's tiles done stand still
        elif status == "paused":
            state = WAITING
        else:
            state = RUNNING
        self.result.timeline.append({"t_s": self.now(), "tiles_done": self.last_done, "state": state})
        return state

    def apply(self, event: dict[str, Any]) -> None:
        """Do what the event's effect means to the real device, and note it at the current simulated time."""
        effect, at = event["effect"], self.now()
        assert self.net is not None
        if effect == "kill":
            self.device.kill()
            self.kills += 1
            self.asleep = False
        elif effect == "stop":
            if self.device.process is not None and self.device.process.poll() is None:
                self.stops += 1
            self.device.stop()
            self.asleep = False
        elif effect == "restart":
            self.device.change_settings(app_visible=False)
            self.device.start()
            self._count_resume()
        elif effect in ("screen_off", "swipe"):
            self.device.change_settings(app_visible=False)
        elif effect == "reopen":
            self.device.change_settings(app_visible=True)
            self.wake(screen_on=True)
            if self.device.process is None or self.device.process.poll() is not None:
                self.device.start()
            elif self.client.job(self.job_id)["status"] == "paused":
                self.client.resume(self.job_id)
            self._count_resume()
        elif effect == "stall" and event["rule"] in CPU_SLEEP_RULES:
            if self.device.process is not None and self.device.process.poll() is None and not self.asleep:
                self.device.freeze()
                self.asleep = True
                self.sleeps += 1
        elif effect == "stall":
            self.cuts.add(event["rule"])
            if not self.net.is_cut:
                self.net.cut()
        elif effect in ("screen_on", "charging"):
            self.wake(screen_on=effect == "screen_on")
        applied = {**event, "t_s": at, "planned_t_s": event["t_s"], "tiles_done": self.last_done,
                   "tiles_served": int(self.server.app.requests)}
        self.result.events.append(applied)
        self.say(f"{applied['t_s']:8.0f} s  {event['rule']}: {effect}")

    def wake(self, screen_on: bool) -> None:
        """End the stalls the screen turning on (all) or charging (a sleeping CPU, Doze's cut) ends."""
        if self.asleep:
            self.device.thaw()
            self.asleep = False
        self.cuts = set() if screen_on else self.cuts - CHARGING_ENDS
        if not self.cuts and self.net is not None and self.net.is_cut:
            self.net.restore()

    def _count_resume(self) -> None:
        try:
            if self.client.job(self.job_id)["status"] == "running":
                self.resumes += 1
        except (DeviceError, OSError):  # a device that refused or died is simply not resumed
            pass
