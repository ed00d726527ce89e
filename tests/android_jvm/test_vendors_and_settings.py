"""The vendor table (dontkillmyapp.com data) and the service's settings parsing: plain Python, no JVM."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from android_bridge.android_service import device_root, service_settings
from fmtc_nb.android.vendors import ATTRIBUTION, vendor_advice, vendor_frame, vendor_table

CSV = Path(__file__).resolve().parents[2] / "fmtc_nb" / "data" / "android_vendors.csv"


def test_table_has_every_csv_row_with_typed_columns():
    with CSV.open(encoding="utf-8") as handle:
        raw = list(csv.DictReader(handle))
    table = vendor_table()
    assert [row["vendor"] for row in table] == [row["vendor"] for row in raw]
    for row in table:
        assert 0 <= row["award"] <= 5
        assert row["fgs_killed_by_default"] == (row["award"] >= 3)
        assert row["url"].startswith("https://dontkillmyapp.com/")


@pytest.mark.parametrize(
    ("manufacturer", "vendor", "known"),
    [
        ("samsung", "samsung", True),
        ("Xiaomi", "xiaomi", True),
        ("HONOR", "huawei", True),
        ("Google", "stock", True),
        ("Fairphone", "stock", False),
        (" OnePlus ", "oneplus", True),
    ],
)
def test_vendor_advice_matches_build_manufacturer(manufacturer, vendor, known):
    advice = vendor_advice(manufacturer)
    assert advice["vendor"] == vendor and advice["known"] is known
    assert advice["attribution"] == ATTRIBUTION


def test_attribution_credits_dontkillmyapp_and_the_licence():
    assert "dontkillmyapp.com / Urbandroid Team" in ATTRIBUTION and "CC-BY" in ATTRIBUTION
    assert vendor_advice("stock")["url"] == "https://dontkillmyapp.com/stock_android"


def test_frame_lists_worst_vendors_first_with_attribution():
    frame = vendor_frame()
    assert list(frame["award"]) == sorted(frame["award"], reverse=True)
    assert frame.attrs["attribution"] == ATTRIBUTION
    assert len(frame) == len(vendor_table())


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ('{"port": 9000, "lan": true}', {"port": 9000, "lan": True}),
        ("", {"port": 8765, "lan": False}),
        ("not json", {"port": 8765, "lan": False}),
        ("[1, 2]", {"port": 8765, "lan": False}),
        ('{"port": 70000, "lan": "yes"}', {"port": 8765, "lan": False}),
        ('{"port": true}', {"port": 8765, "lan": False}),
    ],
)
def test_service_settings_never_fail(argument, expected):
    assert service_settings(argument) == expected


def test_device_root_is_in_app_private_storage():
    assert device_root({"ANDROID_PRIVATE": "/data/user/0/org.fmtcnb.bridge/files"}) == Path(
        "/data/user/0/org.fmtcnb.bridge/files/fmtc-nb"
    )
    with pytest.raises(RuntimeError):
        device_root({})


def test_an_empty_argument_means_the_settings_of_the_last_start(tmp_path):
    """Android recreates a sticky service with a null intent (p4a passes an empty argument): the bridge comes
    back on the port and interface of its last start, not on the defaults."""
    from android_bridge.android_service import remembered_settings

    assert remembered_settings(tmp_path, "") == {"port": 8765, "lan": False}
    assert remembered_settings(tmp_path, '{"port": 9100, "lan": true}') == {"port": 9100, "lan": True}
    assert remembered_settings(tmp_path, "") == {"port": 9100, "lan": True}
    (tmp_path / "service_settings.json").write_text("{damaged")
    assert remembered_settings(tmp_path, "") == {"port": 8765, "lan": False}
