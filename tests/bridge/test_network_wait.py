"""Phone jobs wait for the network by default (fmtc_nb.android.joboptions): the client's builders and CLI, and
the bridge's parser for a body that leaves the options out, turn ``wait_for_network`` on with the phone's
``max_wait_s``; ``"wait_for_network": false`` / ``--no-wait-for-network`` turn it off. On a virtual device in its
own process, behind a real TCP relay on 127.0.0.1 whose network is cut (``NetworkCut``), a job fails no tile
while cut and completes with every tile after the restore; with the option off, tiles fail as before."""

from __future__ import annotations

import time

import pytest

from android_bridge.config import BridgeConfig
from android_bridge.jobspec import parse_job
from android_bridge.openapi import openapi_document
from fmtc_nb.android.joboptions import PHONE_MAX_WAIT_S
from fmtc_nb.android.lifecycle import RULES
from fmtc_nb.classroom.netcut import NetworkCut
from fmtc_nb.cli import main
from fmtc_nb.cover import TileCover
from fmtc_nb.device import build_job, pair
from fmtc_nb.device.jobs import build_pack_job
from fmtc_nb.engine import DownloadOptions
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.zooms import parse_zooms

REGION, ZOOMS = "rect:7.0,46.0,9.0,47.5", "0-11"  # 254 tiles
URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def test_the_phone_waits_at_most_a_sixth_of_android_15s_data_sync_day():
    data_sync = next(rule for rule in RULES if rule.id == "data_sync_timeout")
    assert PHONE_MAX_WAIT_S == 3600.0 and data_sync.limit_s / 6 >= PHONE_MAX_WAIT_S
    assert DownloadOptions().max_wait_s < PHONE_MAX_WAIT_S, "longer than a desktop job's"


def test_client_jobs_wait_for_the_network_unless_told_otherwise():
    opts = build_job(REGION, "0-3", URL, "s").options
    assert opts.wait_for_network and opts.max_wait_s == PHONE_MAX_WAIT_S
    opts = build_job(REGION, "0-3", URL, "s", wait_for_network=False, max_wait_s=None).options
    assert not opts.wait_for_network and opts.max_wait_s is None
    opts = build_job(REGION, "0-3", URL, "s", options={"wait_for_network": False, "parallel": 2}).options
    assert not opts.wait_for_network and opts.parallel == 2 and opts.max_wait_s == PHONE_MAX_WAIT_S
    given = DownloadOptions(parallel=3)  # a ready DownloadOptions is sent as it is
    assert build_job(REGION, "0-3", URL, "s", options=given).options is given
    pack = build_pack_job(REGION, "0-3", "http://127.0.0.1:9/style.json", "p").options
    assert pack.wait_for_network and pack.max_wait_s == PHONE_MAX_WAIT_S


def test_the_bridge_gives_a_body_without_the_field_the_phone_defaults(tmp_path):
    body = build_job(REGION, "0-3", URL, "s").to_dict()
    config = BridgeConfig(tmp_path)
    left_out = parse_job({**body, "options": {"parallel": 2}}, config).options
    assert left_out.wait_for_network and left_out.max_wait_s == PHONE_MAX_WAIT_S and left_out.parallel == 2
    no_options = parse_job({k: v for k, v in body.items() if k != "options"}, config).options
    assert no_options.wait_for_network and no_options.max_wait_s == PHONE_MAX_WAIT_S
    told = parse_job({**body, "options": {"wait_for_network": False, "max_wait_s": 60}}, config).options
    assert not told.wait_for_network and told.max_wait_s == 60


def test_the_openapi_document_describes_the_field():
    schemas = openapi_document()["components"]["schemas"]
    for spec in ("JobSpec", "PackSpec"):
        fields = schemas[spec]["properties"]["options"]["properties"]
        assert fields["wait_for_network"]["type"] == "boolean" and fields["wait_for_network"]["default"] is True
        assert "network" in fields["wait_for_network"]["description"]
        assert fields["max_wait_s"]["default"] == PHONE_MAX_WAIT_S


def test_the_cli_dispatches_waiting_jobs_and_no_wait_for_network_turns_it_off(device, tile_server, config_dir,
                                                                              capsys):
    assert main(["device", "pair", device.url, device.code, "--name", "phone"]) == 0
    ids = []
    for extra in ([], ["--no-wait-for-network", "--max-wait", "120"]):
        capsys.readouterr()
        assert main(["device", "dispatch", "phone", REGION, "--zoom", "0-3", "--url", tile_server.url_template,
                     "--store", "cli", *extra]) == 0
        ids.append(capsys.readouterr().out.strip())
    assert main(["device", "dispatch", "phone", REGION, "--zoom", "0-3", "--url", tile_server.url_template,
                 "--store", "cli", "--max-wait", "0"]) == 2
    assert "--max-wait" in capsys.readouterr().err
    with RecoveryRegistry(device.root) as registry:  # what the device recorded and runs
        waiting, told = (registry.get(job_id).spec["options"] for job_id in ids)
    assert waiting["wait_for_network"] is True and waiting["max_wait_s"] == PHONE_MAX_WAIT_S
    assert told["wait_for_network"] is False and told["max_wait_s"] == 120


@pytest.fixture
def relay(tile_server):
    net = NetworkCut(("127.0.0.1", tile_server.port))
    yield net
    net.close()


def cut_once_served(tile_server, net: NetworkCut, tiles: int) -> None:
    """Cut the network once the server has answered ``tiles`` more requests."""
    start = tile_server.app.requests
    deadline = time.monotonic() + 30
    while tile_server.app.requests - start < tiles:
        assert time.monotonic() < deadline, "the job never reached the server"
        time.sleep(0.02)
    net.cut()


def test_a_phone_job_rides_out_a_cut_network_and_completes_with_every_tile(device, tile_server, relay,
                                                                           config_dir):
    client = pair(device.url, device.code, "phone")
    total = TileCover(parse_region(REGION), parse_zooms(ZOOMS)).total
    row = client.dispatch(REGION, ZOOMS, url=relay.url_template(tile_server.url_template), store="cut",
                          rate_limit=60, parallel=4, max_backoff_s=0.5)  # the phone's defaults: waits
    cut_once_served(tile_server, relay, 30)
    served, during = tile_server.app.requests, []
    for _ in range(12):  # 3 s cut: the job neither fails tiles nor ends
        time.sleep(0.25)
        during.append(client.job(row["id"]))
    assert all(r["tiles_failed"] == 0 and r["status"] == "running" for r in during), during[-1]
    assert during[-1]["tiles_done"] < total and relay.counts.reset + relay.counts.refused > 0
    assert tile_server.app.requests - served <= 4, "nothing but requests already in flight reached the server"
    relay.restore()
    final = client.watch(row["id"])
    assert final["status"] == "completed" and final["tiles_failed"] == 0 and final["tiles_done"] == total
    stats = client.store_stats("cut")
    assert stats["tiles"] == total and stats["failures"] == 0


def test_with_the_option_off_tiles_fail_while_the_network_is_cut(device, tile_server, relay, config_dir):
    client = pair(device.url, device.code, "phone")
    total = TileCover(parse_region(REGION), parse_zooms(ZOOMS)).total
    row = client.dispatch(REGION, ZOOMS, url=relay.url_template(tile_server.url_template), store="off",
                          rate_limit=60, parallel=4, retries=1, backoff_s=0.05, max_backoff_s=0.1,
                          final_pass=False, wait_for_network=False)
    cut_once_served(tile_server, relay, 30)
    final = client.watch(row["id"])
    assert final["status"] == "completed" and 0 < final["tiles_failed"] < total
    assert final["tiles_done"] + final["tiles_failed"] == total
