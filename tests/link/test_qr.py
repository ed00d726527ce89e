"""The phone's status page shows the pairing command as a QR code (and as text beside it): URL, code and
the certificate's fingerprint; a QR reader (zxing-cpp) reading the page as Chromium draws it gets back exactly
that command, and pairing checks the fingerprint it carries."""

from __future__ import annotations

import io
import shutil

import pytest
import zxingcpp
from PIL import Image

from android_bridge.android_main import pairing_command, status_page
from android_bridge.launcher import VirtualDeviceProcess
from android_bridge.platform.base import DeviceInfo
from android_bridge.vendors import vendor_advice
from fmtc_nb.device import devices, pair
from fmtc_nb.errors import DeviceError

INFO = DeviceInfo("android", "15", 35, "Google", "Pixel 9", True, True)
PAIRING = {"code": "042917", "expires_at": 1e12, "url": "https://192.168.1.20:8765",
           "fingerprint": "AB:" * 31 + "CD"}


CHROMIUM = shutil.which("chromium")


def read_qr_codes(page_html: str) -> list[str]:
    """What a QR reader reads from the page's QR code as Chromium draws it (a screenshot of the code)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
        try:
            page = browser.new_page(device_scale_factor=2)
            page.route("**/*", lambda route: route.abort())  # the page needs nothing from any network
            page.set_content(page_html)
            png = page.locator(".pairing-qr svg").screenshot()
        finally:
            browser.close()
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_status_page_draws_the_pairing_command_as_a_qr_code_and_as_text():
    command = pairing_command(PAIRING)
    assert command == f"fmtc-nb device pair https://192.168.1.20:8765 042917 --name phone --fingerprint {'AB:' * 31}CD"
    page = status_page(INFO, vendor_advice("Google"), True, PAIRING, 8765)
    assert f"<code>{command}</code>" in page
    assert read_qr_codes(page) == [command]
    assert "pairing-qr" not in status_page(INFO, vendor_advice("Google"), False, PAIRING, 8765), "stopped: no code"
    assert pairing_command({"code": None, "url": "http://127.0.0.1:8765"}) is None


def test_pairing_checks_the_fingerprint_the_qr_code_carries(tmp_path):
    dev = VirtualDeviceProcess(tmp_path / "device", args=("--tls",)).start()
    try:
        config = tmp_path / "config"
        with pytest.raises(DeviceError, match="not .* as its status page shows"):
            pair(dev.url, dev.code, "phone", config, fingerprint="AB:" * 31 + "CD")
        assert devices(config) == []
        pair(dev.url, dev.code, "phone", config, fingerprint=dev.info["fingerprint"].lower()).close()
        assert [d.fingerprint for d in devices(config)] == [dev.info["fingerprint"]]
    finally:
        dev.stop()
