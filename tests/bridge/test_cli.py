"""``fmtc-nb device ...`` against a virtual device in a subprocess."""

from __future__ import annotations

import json
import sqlite3

from android_bridge.platform.virtual import change_settings
from fmtc_nb.cli import main

REGION = "rect:7.0,46.0,7.6,46.4"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_device_cli_round_trip(device, tile_server, config_dir, tmp_path, capsys):
    code, out, _ = run(capsys, "device", "pair", device.url, device.code, "--name", "phone")
    assert code == 0 and "paired with phone" in out
    code, out, _ = run(capsys, "device", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and listed[0]["name"] == "phone" and "token" not in listed[0]
    code, out, _ = run(capsys, "device", "info", "phone", "--json")
    assert code == 0 and json.loads(out)["platform"] == "virtual"
    code, out, _ = run(capsys, "device", "info", "phone")
    assert "battery optimisation ignored: no" in out
    change_settings(device.root / "bridge", battery_optimisation_ignored=True)  # the user, in the phone's settings
    code, out, _ = run(capsys, "device", "info", "phone")
    assert "battery optimisation ignored: yes" in out

    code, out, _ = run(capsys, "device", "dispatch", "phone", REGION, "--zoom", "0-9", "--url",
                       tile_server.url_template, "--store", "cli", "--wait", "--json", "--parallel", "4")
    final = json.loads(out)
    assert code == 0 and final["status"] == "completed" and final["tiles_done"] == final["tiles_total"] > 0
    code, out, _ = run(capsys, "device", "jobs", "phone", "--json")
    rows = json.loads(out)
    assert code == 0 and {"id", "store", "status", "tiles_done", "tiles_total"} <= set(rows[0])
    code, out, _ = run(capsys, "device", "dispatch", "phone", REGION, "--zoom", "0-9", "--url",
                       tile_server.url_template, "--store", "cli2")
    assert code == 0 and len(out.strip()) == 16, "prints the job id"
    code, out, _ = run(capsys, "device", "watch", "phone", out.strip(), "--json")
    assert code == 0 and json.loads(out)["status"] == "completed"

    local = str(tmp_path / "local")
    code, out, _ = run(capsys, "--root", local, "device", "pull", "phone", "cli")
    assert code == 0 and "pulled cli" in out
    db = sqlite3.connect(tmp_path / "local" / "stores" / "cli.mbtiles")
    assert db.execute("SELECT count(*) FROM tiles").fetchone()[0] == final["tiles_total"]
    db.close()
    code, _, err = run(capsys, "--root", local, "device", "pull", "phone", "cli")
    assert code == 2 and "exists already" in err
    code, _, err = run(capsys, "--root", local, "device", "pull", "phone", "cli", "--replace")
    assert code == 0


def test_device_cli_errors_are_one_sentence(device, config_dir, capsys):
    code, _, err = run(capsys, "device", "info", "nobody")
    assert code == 2 and err.startswith("fmtc-nb: error: No paired device is called 'nobody'")
    code, _, err = run(capsys, "device", "pair", device.url, "000000" if device.code != "000000" else "111111",
                       "--name", "x")
    assert code == 2 and err.startswith("fmtc-nb: error: The pairing code is wrong")
    code, _, err = run(capsys, "device", "pair", "http://127.0.0.1:9", "123456", "--name", "x")
    assert code == 2 and "cannot be reached" in err
    code, _, _ = run(capsys, "device", "pair", device.url, device.code, "--name", "phone")
    device.kill()
    code, _, err = run(capsys, "device", "jobs", "phone")
    assert code == 2 and "cannot be reached" in err


def test_dispatch_sends_headers_and_tile_format_with_the_source(device, tile_server, config_dir, capsys):
    from fmtc_nb.recovery import RecoveryRegistry

    assert run(capsys, "device", "pair", device.url, device.code, "--name", "phone")[0] == 0
    code, _, err = run(capsys, "device", "dispatch", "phone", REGION, "--zoom", "0-3", "--url",
                       tile_server.url_template, "--store", "h", "--header", "no colon")
    assert code == 2 and err == "fmtc-nb: error: The header 'no colon' is not of the form Key:Value.\n"
    code, out, _ = run(capsys, "device", "dispatch", "phone", REGION, "--zoom", "0-3", "--url",
                       tile_server.url_template, "--store", "h", "--header", "X-Key: abc", "--tile-format", "png")
    assert code == 0
    with RecoveryRegistry(device.root) as registry:
        source = registry.get(out.strip()).spec["source"]
    assert source["headers"] == {"X-Key": "abc"} and source["tile_format"] == "png"
