"""Each rule of the rule book fires in the model at its stated time (times read from the rule's parameters, so
an edited parameter moves the event), and only on the phones it holds for."""

from __future__ import annotations

import pytest

from fmtc_nb.classroom.model import RUNNING, STALLED, WAITING, ModelOptions, simulate
from fmtc_nb.classroom.profiles import Action, Profile
from fmtc_nb.classroom.rulebook import edit, rulebook

BIG = ModelOptions(tiles_total=10_000_000, rate_tps=2.0)  # never completes within the 24 h horizon
OFF = (Action(60.0, "screen_off"),)
BOOK = rulebook()


def run(vendor: str, api: int, script=OFF, book=None, options=BIG, **profile):
    return simulate(Profile(vendor, api, script=tuple(script), **profile), options, book or BOOK)


def p(rule_id: str, name: str) -> float:
    return BOOK[rule_id].params[name]


def state_at(result, t_s: float) -> str:
    return [row["state"] for row in result.timeline if row["t_s"] <= t_s][-1]


@pytest.mark.parametrize("vendor, award", [("xiaomi", 5), ("meizu", 4), ("vivo", 3)])
def test_vendor_kill_by_award_after_the_screen_turns_off(vendor, award):
    result = run(vendor, 34)
    assert result.fired("vendor_kill_by_award")[0] == 60.0 + p("vendor_kill_by_award", f"award{award}_s")


def test_an_edited_award_time_moves_the_kill():
    result = run("xiaomi", 34, book=edit(BOOK, "vendor_kill_by_award", award5_s=300))
    assert result.fired("vendor_kill_by_award") == [360.0]
    assert state_at(result, 400) == WAITING, "award 5 acts as a force-stop: the job waits for the user"


def test_exemption_stops_the_kill_only_where_the_user_can_fix_it():
    assert run("vivo", 34, exempt=True).fired("vendor_kill_by_award") == []  # user_can_fix: yes
    assert run("xiaomi", 34, exempt=True).fired("vendor_kill_by_award") == [660.0]  # user_can_fix: no


def test_kill_at_screen_off_is_soon_and_once():
    result = run("oppo", 30)
    assert result.fired("vendor_kill_at_screen_off") == [60.0 + p("vendor_kill_at_screen_off", "after_s")]
    assert result.fired("sticky_restart")[0] == 90.0 + p("sticky_restart", "restart_delay_s")
    assert state_at(result, 200) == RUNNING, "below API 31 the sticky restart enters the foreground again"


def test_swipe_kills_on_vendors_that_say_so_and_not_on_stock():
    swipe = (Action(100.0, "swipe"),)
    assert run("oneplus", 34, swipe).fired("vendor_swipe_kills") == [100.0]
    stock = run("stock", 34, swipe)
    assert stock.fired("p4a_task_removed_stops_non_sticky") == [100.0] and state_at(stock, 200) == RUNNING


def test_huawei_force_stops_a_wake_lock_held_an_hour():
    result = run("huawei", 34, script=())
    assert result.fired("vendor_wake_lock_force_stop") == [p("vendor_wake_lock_force_stop", "limit_s")]
    assert state_at(result, 4000) == WAITING


def test_sleep_standby_cuts_the_network():
    book = edit(BOOK, "vendor_sleep_cuts_network", after_s=600)
    result = run("realme", 34, book=book)
    assert result.fired("vendor_sleep_cuts_network") == [660.0] and state_at(result, 700) == STALLED
    assert run("realme", 34, book=book, exempt=True).fired("vendor_sleep_cuts_network") == []


def test_samsung_ignores_fgs_wake_locks_from_android_11_to_13():
    book = edit(BOOK, "vendor_kill_by_award", award5_s=50_000)
    result = run("samsung", 31, book=book)
    at = 60.0 + p("samsung_fgs_wake_lock_ignored", "cpu_sleep_after_s")
    assert result.fired("samsung_fgs_wake_lock_ignored") == [at] and state_at(result, at + 1) == STALLED
    assert run("samsung", 34, book=book).fired("samsung_fgs_wake_lock_ignored") == []
    assert run("samsung", 29, book=book).fired("samsung_fgs_wake_lock_ignored") == []


def test_evenwell_kills_before_android_9_only():
    assert run("nokia", 27, exempt=True).fired("evenwell_screen_off_kill") == [60.0 + 1200.0]
    assert run("nokia", 28).fired("evenwell_screen_off_kill") == []


def test_doze_and_standby_fire_and_spare_a_foreground_service():
    result = run("stock", 34)
    doze, standby = result.fired("doze_network_suspended"), result.fired("standby_bucket_restricted")
    assert doze == [60.0 + p("doze_network_suspended", "after_s")]
    assert standby == [60.0 + p("standby_bucket_restricted", "rare_after_s")]
    assert state_at(result, 80_000) == RUNNING
    charging = run("stock", 34, script=(Action(30.0, "charging"), *OFF))
    assert charging.fired("doze_network_suspended") == [], "no Doze while charging"


def test_background_foreground_start_refused_from_31_and_the_idle_service_stopped():
    kill = 60.0 + p("vendor_kill_by_award", "award3_s")
    restart = kill + p("sticky_restart", "restart_delay_s")
    result = run("lenovo", 31)
    assert result.fired("fgs_background_start_refused") == [restart]
    stopped = restart + p("idle_background_service_stopped", "limit_s")
    assert result.fired("idle_background_service_stopped") == result.fired("p4a_destroy_kills_process") == [stopped]
    assert state_at(result, restart + 100) == WAITING
    older = run("lenovo", 30)
    assert older.fired("fgs_background_start_refused") == [] and state_at(older, restart + 1) == RUNNING


def test_hidden_notification_from_33_without_the_permission():
    assert run("stock", 33, notifications=False).fired("post_notifications_runtime") == [0.0]
    assert run("stock", 32, notifications=False).fired("post_notifications_runtime") == []


def test_service_type_required_from_34():
    result = run("stock", 34, service_type_declared=False)
    assert result.fired("fgs_type_required") == [0.0] and state_at(result, 10) == WAITING
    assert state_at(run("stock", 33, service_type_declared=False), 10) == RUNNING


def test_six_hour_data_sync_limit_on_35_and_the_reopen_brings_it_back():
    result = run("stock", 35, script=(Action(30_000.0, "reopen"),))
    limit = p("data_sync_timeout", "limit_s")
    assert result.fired("data_sync_timeout")[0] == limit
    assert result.fired("p4a_destroy_kills_process")[0] == limit + p("data_sync_timeout", "grace_s")
    assert state_at(result, 25_000) == WAITING and state_at(result, 30_001) == RUNNING
    assert result.summary["stops"] == 2, "the reopen resets the six hours, which run out again at 30000 s + 6 h"
    assert run("stock", 34, script=()).fired("data_sync_timeout") == []


def test_reboot_on_15_no_data_sync_from_boot():
    result = run("stock", 35, script=(Action(100.0, "reboot"),))
    assert result.fired("boot_completed_no_data_sync") == [100.0] and state_at(result, 200) == WAITING


def test_every_rule_of_the_book_fires_in_some_profile():
    """The profiles above, together, fire every rule of the book (a new rule needs its test)."""
    swipe, reboot = (Action(100.0, "swipe"),), (Action(100.0, "reboot"),)
    runs = [run("xiaomi", 34), run("oppo", 30), run("oneplus", 34, swipe), run("stock", 34, swipe),
            run("huawei", 34, ()), run("realme", 34), run("samsung", 31, book=edit(BOOK, "vendor_kill_by_award",
                                                                                  award5_s=50_000)),
            run("nokia", 27), run("lenovo", 31), run("stock", 33, notifications=False),
            run("stock", 34, service_type_declared=False), run("stock", 35, ()), run("stock", 35, reboot)]
    fired = {e["rule"] for r in runs for e in r.events}
    assert set(BOOK) <= fired, f"rules never fired: {sorted(set(BOOK) - fired)}"


@pytest.mark.parametrize("vendor", ["oneplus", "wiko", "realme"])
def test_a_vendor_never_cuts_the_network_of_a_process_that_is_not_running(vendor):
    """OnePlus is force-stopped at 11 min, Wiko's service stopped at 2.6 min, Realme killed at 31 min, the
    moment its sleep cut is due: the cut at 31 min has no process to cut, so a real run does nothing then, and
    the job resumed when the app is reopened runs (its screen is on)."""
    result = run(vendor, 34, script=(*OFF, Action(7200.0, "reopen")))
    cut = p("vendor_sleep_cuts_network", "after_s") + 60.0
    (event,) = [e for e in result.events if e["rule"] == "vendor_sleep_cuts_network"]
    assert event["t_s"] == cut and event["effect"] is None and event["what"] == "no effect, nothing of the app runs"
    assert state_at(result, cut + 1) != STALLED and state_at(result, 7201) == RUNNING
    assert not [e for e in result.events if e["effect"] == "stall"], "nothing is stalled for real"


def test_the_cut_still_comes_for_a_process_that_runs_then():
    result = run("realme", 34, book=edit(BOOK, "vendor_sleep_cuts_network", after_s=600))
    (event,) = [e for e in result.events if e["rule"] == "vendor_sleep_cuts_network"]
    assert event["effect"] == "stall" and state_at(result, 700) == STALLED


def test_samsungs_cpu_sleep_never_stalls_a_process_that_is_not_running():
    """Samsung kills at 11 min (award 5, made a plain kill here so Android restarts the sticky service), the moment
    its CPU sleep is due: the sleep has no wake lock to ignore then, and the restarted job runs (it was stalled
    from its first second: the sleep of the dead process stuck to it). Each re-armed sleep comes with the re-armed
    kill, so none finds the job running."""
    book = edit(BOOK, "vendor_kill_by_award", force_stop_min_award=6)
    result = run("samsung", 30, book=book)
    due = 60.0 + p("samsung_fgs_wake_lock_ignored", "cpu_sleep_after_s")
    assert result.fired("vendor_kill_by_award")[0] == due
    first = [e for e in result.events if e["rule"] == "samsung_fgs_wake_lock_ignored"][0]
    assert first["t_s"] == due and first["effect"] is None and first["what"] == "no effect, nothing of the app runs"
    restart = result.fired("sticky_restart")[0]
    assert state_at(result, restart + 1) == RUNNING
    assert state_at(result, restart + 599) == RUNNING
    assert not [e for e in result.events if e["effect"] == "stall"], "nothing is stalled for real"
