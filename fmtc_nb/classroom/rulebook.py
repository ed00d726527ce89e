"""The classroom's rule book: one rule per documented behaviour, each with its source and its timings as named,
editable parameters.

Android's own rules are the rows of :mod:`fmtc_nb.android.lifecycle` (the table the bridge and its tests obey),
referenced by id: their sentence, source, API level and durations are read from the row, never copied. The
vendor rules come from the bundled dontkillmyapp.com data (award level, ``fgs_killed_by_default``,
``user_can_fix`` and the symptoms text); which vendors a rule touches is found in that data. Where no source
gives a number, the parameter is listed in ``assumptions`` with why, and shown as an assumption.

>>> book = rulebook()
>>> book["data_sync_timeout"].params["limit_s"]
21600.0
>>> edit(book, "vendor_kill_by_award", award5_s=300)["vendor_kill_by_award"].params["award5_s"]
300.0
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from fmtc_nb.android import lifecycle
from fmtc_nb.android.vendors import ATTRIBUTION, SITE, vendor_table
from fmtc_nb.errors import ProfileError

RuleBook = dict[str, "Rule"]


@dataclass(frozen=True)
class Rule:
    """A behaviour: ``id``, ``behaviour`` (one sentence), ``source`` (URL), ``lifecycle`` (the id of the
    :mod:`fmtc_nb.android.lifecycle` row it is, or None), ``min_api``/``max_api`` (API levels it holds on),
    ``vendors`` (the vendors it touches, None: all), ``params`` (seconds unless the name says otherwise) and
    ``assumptions`` (parameter name -> why it is assumed, for numbers no source gives)."""

    id: str
    behaviour: str
    source: str
    lifecycle: str | None = None
    min_api: int = 1
    max_api: int = 99
    vendors: tuple[str, ...] | None = None
    params: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    assumptions: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def holds(self, vendor: str, api: int) -> bool:
        """Whether the rule applies to a phone of ``vendor`` at API level ``api``."""
        return self.min_api <= api <= self.max_api and (self.vendors is None or vendor in self.vendors)


def _android(row_id: str, **params: float) -> Rule:
    """A rule that is the lifecycle row ``row_id``: sentence, source and API level from the row; its
    ``limit_s`` (if any) as the parameter ``limit_s``; extra parameters are assumptions of the model."""
    row = lifecycle.rule(row_id)
    values = {"limit_s": float(row.limit_s)} if row.limit_s is not None else {}
    values.update({k: float(v) for k, v in params.items()})
    why = {name: ASSUMED[name] for name in params}
    return Rule(row.id, row.rule, row.source, lifecycle=row.id, min_api=row.min_api,
                params=MappingProxyType(values), assumptions=MappingProxyType(why))


def _vendors_whose(symptom: str) -> tuple[str, ...]:
    """The vendors whose symptoms text matches the regular expression ``symptom``."""
    return tuple(r["vendor"] for r in vendor_table() if re.search(symptom, r["symptoms"], re.IGNORECASE))


def _vendor_rule(rule_id: str, behaviour: str, vendors: tuple[str, ...], params: dict[str, float],
                 assumed: tuple[str, ...], min_api: int = 1, max_api: int = 99) -> Rule:
    """A rule from the vendor data: its source is the vendors' pages, with the data's credit."""
    source = f"{SITE} ({', '.join(vendors)}); {ATTRIBUTION}"
    return Rule(rule_id, behaviour, source, min_api=min_api, max_api=max_api, vendors=vendors,
                params=MappingProxyType(params),
                assumptions=MappingProxyType({name: ASSUMED[name] for name in assumed}))


#: Why each assumed number is what it is (no source gives one).
ASSUMED = {
    "award5_s": "dontkillmyapp gives no times; an award-5 vendor is taken to kill 10 min after the screen turns off",
    "award4_s": "no time in the data; an award-4 vendor is taken to kill 15 min after the screen turns off",
    "award3_s": "no time in the data; an award-3 vendor is taken to kill 30 min after the screen turns off",
    "force_stop_min_award": "taken: from award 4 a vendor kill acts like a force-stop, so START_STICKY does not "
                            "bring the service back; below it, Android restarts the sticky service",
    "after_s": "the data says it happens but not after how long",
    "cpu_sleep_after_s": "the data says the wake lock is ignored, not when the CPU sleeps; taken as 10 min",
    "restart_delay_s": "Android's first restart delay for a crashed sticky service is about a second and grows; "
                       "taken as 5 s",
    "rare_after_s": "the docs give no fixed time for the rare bucket; taken as 12 h unused",
    "grace_s": "the docs say 'a few seconds'; the lifecycle table's TIMEOUT_GRACE_S",
}


def rulebook() -> RuleBook:
    """The rules, by id (a fresh dict: edit it with :func:`edit`)."""
    killers = tuple(r["vendor"] for r in vendor_table() if r["fgs_killed_by_default"])
    rules = [
        _vendor_rule(
            "vendor_kill_by_award",
            "A vendor that kills foreground services by default (fgs_killed_by_default) kills the app's process "
            "a while after the screen turns off, sooner the higher its award; the battery exemption stops it "
            "only where the data says the user can fix it (user_can_fix).",
            killers, {"award5_s": 600.0, "award4_s": 900.0, "award3_s": 1800.0, "force_stop_min_award": 4.0},
            ("award5_s", "award4_s", "award3_s", "force_stop_min_award")),
        _vendor_rule(
            "vendor_kill_at_screen_off",
            "Vendors whose symptoms say apps are closed when the screen turns off or locks kill the process "
            "soon after it does (instead of the award's delay).",
            tuple(v for v in _vendors_whose(r"screen[- ]off|screen turns off|screen lock") if v in killers),
            {"after_s": 30.0}, ("after_s",)),
        _vendor_rule(
            "vendor_swipe_kills",
            "Vendors whose symptoms say swiping the app from recents kills it end the whole process on a swipe, "
            "sticky service or not.",
            _vendors_whose(r"swip"), {}, ()),
        _vendor_rule(
            "vendor_wake_lock_force_stop",
            "Huawei force-stops apps that hold a wake lock for over 60 min (HwPFWService), screen on or off; the "
            "exemption does not help (user_can_fix is no).",
            _vendors_whose(r"wake lock over 60 min"), {"limit_s": 3600.0}, ()),
        _vendor_rule(
            "vendor_sleep_cuts_network",
            "Vendors with a sleep standby optimisation cut the app's network a while after the screen turns off, "
            "foreground service or not, unless the user exempted the app where the data says that helps.",
            _vendors_whose(r"sleep standby|standby sleep"), {"after_s": 1800.0}, ("after_s",)),
        _vendor_rule(
            "samsung_fgs_wake_lock_ignored",
            "On Samsung from Android 11 (API 30), wake locks held in foreground services are ignored, so the CPU "
            "sleeps with the screen off and the download stalls; One UI 6 keeps foreground services working for "
            "apps targeting Android 14 (API 34+).",
            _vendors_whose(r"wake locks held in foreground services are ignored"), {"cpu_sleep_after_s": 600.0},
            ("cpu_sleep_after_s",), min_api=30, max_api=33),
        _vendor_rule(
            "evenwell_screen_off_kill",
            "Nokia's Evenwell killed every process 20 min after the screen turned off, whitelisted or not, "
            "before Android 9 (API 28).",
            _vendors_whose(r"Evenwell killed all processes after 20 min"), {"after_s": 1200.0}, (), max_api=27),
        _android("doze_network_suspended", after_s=1800.0),
        _android("standby_bucket_restricted", rare_after_s=43200.0),
        _android("idle_background_service_stopped"),
        _android("fgs_background_start_refused"),
        _android("post_notifications_runtime"),
        _android("fgs_type_required"),
        _android("data_sync_timeout", grace_s=lifecycle.TIMEOUT_GRACE_S),
        _android("p4a_task_removed_stops_non_sticky"),
        _android("p4a_destroy_kills_process"),
        _android("sticky_restart", restart_delay_s=5.0),
        _android("boot_completed_no_data_sync"),
    ]
    return {r.id: r for r in rules}



def edit(book: RuleBook, rule_id: str, **params: float) -> RuleBook:
    """A copy of ``book`` with parameters of ``rule_id`` changed (ProfileError for an unknown rule or name)."""
    if rule_id not in book:
        raise ProfileError(f"Unknown rule {rule_id!r}; known rules: {', '.join(book)}.")
    old = book[rule_id]
    unknown = sorted(set(params) - set(old.params))
    if unknown:
        raise ProfileError(f"The rule {rule_id} has no parameter {unknown[0]!r}; it has: "
                           f"{', '.join(old.params) or 'none'}.")
    return {**book, rule_id: replace(old, params=MappingProxyType({**old.params,
                                                                  **{k: float(v) for k, v in params.items()}}))}


def rulebook_frame(book: RuleBook | None = None) -> Any:
    """The rule book as a pandas DataFrame: one row per rule with its parameters and, marked, the assumed
    ones; ``frame.attrs["attribution"]`` carries the vendor data's credit."""
    import pandas as pd

    rows = []
    for r in (book or rulebook()).values():
        params = ", ".join(f"{k}={v:g}" + (" (assumed)" if k in r.assumptions else "") for k, v in r.params.items())
        rows.append({"rule": r.id, "api": f"{r.min_api}+" if r.max_api == 99 else f"{r.min_api}-{r.max_api}",
                     "vendors": "all" if r.vendors is None else ", ".join(r.vendors), "params": params,
                     "assumptions": "; ".join(r.assumptions.values()), "behaviour": r.behaviour,
                     "source": r.source, "lifecycle row": r.lifecycle or ""})
    frame = pd.DataFrame(rows)
    frame.attrs["attribution"] = ATTRIBUTION
    return frame
