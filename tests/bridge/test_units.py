"""Pairing codes, token storage, the foreground lifecycle and the virtual platform, each on its own."""

from __future__ import annotations

import json

import pytest

from android_bridge.foreground import ForegroundService, progress_notification
from android_bridge.pairing import PairingCodes, PairingRefused
from android_bridge.platform.base import Platform
from android_bridge.platform.virtual import VirtualPlatform, read_screen
from android_bridge.tokens import TokenStore, token_hash


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_code_is_six_random_digits_valid_for_its_lifetime():
    clock, shown = Clock(), []
    codes = PairingCodes(ttl_s=300, tries=5, lockout_s=60, on_new_code=shown.append, clock=clock)
    first = codes.current()
    assert len(first.code) == 6 and first.code.isdigit() and first.expires_at == 1300.0
    clock.now = 1299.0
    assert codes.current() == first
    clock.now = 1300.0
    with pytest.raises(PairingRefused, match="expired") as exc:
        codes.redeem(first.code)
    assert exc.value.status == 403
    second = codes.current()
    assert second.expires_at == 1600.0 and shown[-1] == second
    codes.redeem(second.code)
    assert codes.current() != second, "a used code is replaced"
    assert len({PairingCodes(clock=clock).current().code for _ in range(50)}) > 40


def test_wrong_tries_then_lockout_then_new_code():
    clock = Clock()
    codes = PairingCodes(ttl_s=300, tries=3, lockout_s=60, clock=clock)
    right = codes.current().code
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(2):
        with pytest.raises(PairingRefused, match="wrong") as exc:
            codes.redeem(wrong)
        assert exc.value.status == 403
    with pytest.raises(PairingRefused, match="Too many") as exc:
        codes.redeem(wrong)
    assert exc.value.status == 429 and exc.value.retry_after_s == 60
    assert codes.current() is None
    clock.now += 30
    with pytest.raises(PairingRefused, match="locked") as exc:
        codes.redeem(right)
    assert exc.value.retry_after_s == pytest.approx(30)
    clock.now += 31
    fresh = codes.current()
    assert fresh is not None
    codes.redeem(fresh.code)


def test_the_code_changes_by_itself_when_it_expires_and_a_late_user_is_told_so():
    clock, shown = Clock(), []
    codes = PairingCodes(ttl_s=300, tries=2, lockout_s=60, on_new_code=shown.append, clock=clock)
    first = codes.current()
    assert codes.next_change_at() == first.expires_at == 1300.0
    clock.now = 1300.0
    second = codes.current()  # what the bridge's timer calls at next_change_at()
    assert second != first and shown[-1] == second and codes.next_change_at() == 1600.0
    for _ in range(3):  # the expired code is recognised, and never counts as a wrong try
        with pytest.raises(PairingRefused, match="expired") as exc:
            codes.redeem(first.code)
        assert exc.value.status == 403
    codes.redeem(second.code)
    right = codes.current().code
    for _ in range(2):
        with pytest.raises(PairingRefused):
            codes.redeem(f"{(int(right) + 1) % 10**6:06d}")
    assert codes.current() is None and codes.next_change_at() == 1360.0, "locked: the next code comes with its end"


def test_tokens_are_stored_as_hashes_and_checked_across_instances(tmp_path):
    store = TokenStore(tmp_path / "tokens.json")
    client, token = store.issue("nb")
    assert store.check(token) == client and store.check("x" + token) is None and store.check(None) is None
    assert store.check("") is None
    raw = (tmp_path / "tokens.json").read_text()
    assert token not in raw and token_hash(token) in raw
    again = TokenStore(tmp_path / "tokens.json")
    assert again.check(token) == client
    assert again.revoke(client.id) and again.check(token) is None
    assert TokenStore(tmp_path / "tokens.json").check(token) is None


def test_virtual_platform_is_a_platform_and_shows_what_the_phone_shows(tmp_path):
    platform = VirtualPlatform(tmp_path)
    assert isinstance(platform, Platform)
    info = platform.device_info()
    assert info.platform == "virtual" and not info.battery_optimisation_ignored and info.notifications_allowed
    note = progress_notification([(10, 40)])
    platform.start_foreground(note)
    platform.acquire_wake_lock()
    screen = read_screen(tmp_path)
    assert screen["foreground"] and screen["wake_lock"] and screen["notification"]["percent"] == 25.0
    assert screen["notification"]["text"] == "25% · 10 / 40 tiles"
    platform.stop_foreground()
    platform.release_wake_lock()
    assert read_screen(tmp_path)["notification"] is None and not read_screen(tmp_path)["wake_lock"]
    assert platform.request_ignore_battery_optimizations()
    assert platform.is_ignoring_battery_optimizations()
    assert json.loads((tmp_path / "virtual_settings.json").read_text())["battery_optimisation_ignored"]
    platform.change_settings(sdk_int=34, notifications_allowed=False, user_accepts_requests=False)
    assert not platform.request_notification_permission()
    assert VirtualPlatform(tmp_path).device_info().sdk_int == 34, "settings survive a restart"


def test_foreground_updates_at_most_once_a_second_and_wake_lock_only_while_downloading(tmp_path):
    clock = Clock()
    platform = VirtualPlatform(tmp_path)
    service = ForegroundService(platform, min_interval_s=1.0, clock=clock)
    service.refresh([(0, 100)])
    assert platform.screen["foreground"] and platform.screen["wake_lock"]
    for step in range(1, 31):  # ten progress reports a second for three seconds
        clock.now += 0.1
        service.refresh([(step, 100)])
    assert platform.screen["notification_updates"] == 3
    service.refresh([])  # every job paused: no dataSync foreground time spent, no wake lock
    assert not platform.screen["wake_lock"] and not platform.screen["foreground"]
    assert platform.screen["notification"] is None
    service.refresh([(30, 100)])
    assert platform.screen["wake_lock"] and platform.screen["foreground"]
    service.refresh([])
    assert not platform.screen["foreground"] and not platform.screen["wake_lock"]


def test_refused_foreground_holds_neither_foreground_nor_wake_lock(tmp_path):
    from android_bridge.platform.base import ForegroundServiceRefused

    platform = VirtualPlatform(tmp_path)
    platform.change_settings(sdk_int=31, app_visible=False, battery_optimisation_ignored=False)
    service = ForegroundService(platform)
    with pytest.raises(ForegroundServiceRefused, match="background"):
        service.refresh([(0, 100)])
    assert not service.in_foreground and not service.wake_lock_held
    assert not platform.screen["foreground"] and not platform.screen["wake_lock"]
    platform.change_settings(battery_optimisation_ignored=True)  # an exemption from the Android 12 rule
    service.refresh([(0, 100)])
    assert platform.screen["foreground"] and platform.screen["wake_lock"]


@pytest.mark.parametrize("url", ["notaurl", "ftp://host:1", "http://", "http://[::1", "http://localhost:abc"])
def test_pair_refuses_a_url_that_is_not_http_with_one_sentence(url, tmp_path):
    from fmtc_nb.device import pair
    from fmtc_nb.errors import DeviceError

    with pytest.raises(DeviceError, match="is not an http") as exc:
        pair(url, "123456", "phone", directory=tmp_path)
    assert exc.value.exit_code == 2 and not (tmp_path / "devices.json").exists()


def test_build_job_takes_options_as_a_dict_and_refuses_unknown_ones():
    from fmtc_nb.device import build_job
    from fmtc_nb.errors import DeviceError

    url = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    job = build_job("rect:5,45,6,46", "0-3", url, "s", options={"rate_limit": 40}, parallel=2)
    assert job.options.rate_limit == 40 and job.options.parallel == 2
    with pytest.raises(DeviceError, match="Unknown or invalid download option"):
        build_job("rect:5,45,6,46", "0-3", url, "s", bogus=1)


def test_paired_device_repr_never_shows_the_token(tmp_path):
    from fmtc_nb.device import devices
    from fmtc_nb.device.paired import new_device, save_device

    save_device(new_device("phone", "http://127.0.0.1:8765/", "s3cret-token", "device-1"), tmp_path)
    (listed,) = devices(tmp_path)
    assert listed.token == "s3cret-token" and "s3cret" not in repr(listed) and "s3cret" not in repr([listed])


def test_damaged_state_files_are_moved_aside_and_never_let_a_token_in(tmp_path):
    from android_bridge.bridge import device_id
    from android_bridge.statefile import read_state

    state = tmp_path / "bridge"
    state.mkdir()
    tokens = TokenStore(state / "tokens.json")
    _, token = tokens.issue("notebook")
    (state / "tokens.json").write_text('{"clients": [{"id": 1}]')  # half a file
    restarted = TokenStore(state / "tokens.json")
    assert restarted.check(token) is None and restarted.clients() == []
    assert (state / "tokens.json.damaged").read_text() == '{"clients": [{"id": 1}]'
    (state / "device.json").write_text("\x00\x00")
    assert device_id(state).startswith("device-") and (state / "device.json.damaged").exists()
    assert device_id(state) == device_id(state), "the new id is kept"
    (state / "ledger.json").write_text("[1, 2]")
    assert read_state(state / "ledger.json", dict, dict) == {} and not (state / "ledger.json").exists()


def test_a_hand_edited_settings_file_that_is_not_json_gives_the_defaults(tmp_path):
    from android_bridge.platform.virtual import SETTINGS_FILE, VirtualSettings, read_settings

    (tmp_path / SETTINGS_FILE).write_text('{"battery_optimisation_ignored": tru')
    assert read_settings(tmp_path) == VirtualSettings()
    (tmp_path / SETTINGS_FILE).write_text('{"battery_optimisation_ignored": true}')
    assert read_settings(tmp_path).battery_optimisation_ignored is True


def test_state_files_are_written_whole_with_the_mode_asked(tmp_path):
    import stat

    from android_bridge.statefile import read_state, write_json_atomically

    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0o644)
    write_json_atomically(path, {"a": [1, 2]}, mode=0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and read_state(path, dict, dict) == {"a": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["secret.json"], "no temporary file left behind"


def test_a_pulled_file_must_be_an_intact_fmtc_store(tmp_path):
    import sqlite3

    from fmtc_nb.device.client import check_mbtiles
    from fmtc_nb.errors import StoreError
    from fmtc_nb.store import Root

    Root(tmp_path).open_or_create("real", "http://127.0.0.1:1/{z}/{x}/{y}.png").close()
    check_mbtiles(Root(tmp_path).store_path("real"))  # a store the local root opens passes
    plain = tmp_path / "plain.mbtiles"  # MBTiles tables only: the local root could not open it
    db = sqlite3.connect(plain)
    db.executescript("CREATE TABLE metadata (name TEXT, value TEXT); CREATE TABLE tiles (zoom_level INTEGER, "
                     "tile_column INTEGER, tile_row INTEGER, tile_data BLOB);")
    db.close()
    with pytest.raises(StoreError, match="not an intact fmtc-nb store"):
        check_mbtiles(plain)
    (tmp_path / "junk.mbtiles").write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a valid SQLite database"):
        check_mbtiles(tmp_path / "junk.mbtiles")


def test_the_jobs_ledger_loses_no_update_when_threads_race(tmp_path):
    import threading

    from android_bridge.recovery_link import RecoveryLink
    from fmtc_nb.store import Root

    link = RecoveryLink(tmp_path / "bridge", "device-1", Root(tmp_path))

    def note(worker: int) -> None:
        for n in range(25):
            link.intend(f"job-{worker}-{n}", paused=n % 2 == 1)
            if n % 5 == 4:
                link.done_with(f"job-{worker}-{n}")

    threads = [threading.Thread(target=note, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ledger = link.intended()
    assert len(ledger) == 8 * 20 and ledger["job-3-1"] == {"paused": True} and "job-3-4" not in ledger
    link.registry.close()
