"""``fmtc-nb estimate``: the JSON shape, the planner, bad input (exit 2, one sentence) and politeness."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fmtc_nb.cli import main
from fmtc_nb.errors import EstimateError, PolicyError
from fmtc_nb.estimate import estimate
from fmtc_nb.regions import parse_region
from tests.engine.conftest import FaultServer
from tests.estimate.pyramid import Pyramid

REGION = "rect:-12,34,32,62"
KEYS = {"estimate", "low", "high", "confidence"}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["estimate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape(pyramid: Pyramid, pyramid_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, REGION, "--zoom", "0-10", "--url", pyramid_url, "--seed", "2", "--json",
                           "--parallel", "8", "--rate-limit", "5000")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"tiles", "requests", "bytes", "storage_bytes", "duration_s", "per_zoom", "throttling"}
    assert doc["throttling"]["throttles"] == 0 and doc["throttling"]["requests"] == doc["requests"]
    assert doc["tiles"] == pyramid.tiles and 200 <= doc["requests"] <= 215
    for key in ("bytes", "storage_bytes", "duration_s"):
        assert set(doc[key]) == KEYS and doc[key]["confidence"] == 0.95
        assert doc[key]["low"] <= doc[key]["estimate"] <= doc[key]["high"]
    assert doc["duration_s"]["low"] >= pyramid.tiles / 5000  # never faster than the rate limit allows
    assert [z["zoom"] for z in doc["per_zoom"]] == list(range(11))
    assert sum(z["tiles"] for z in doc["per_zoom"]) == pyramid.tiles
    assert doc["per_zoom"][0]["exact"] and set(doc["per_zoom"][10]["bytes"]) == KEYS


def test_budget_plan_in_json_and_text(pyramid_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, REGION, "--zoom", "0-10", "--url", pyramid_url, "--seed", "2", "--json",
                           "--budget", "50MB")
    plan = json.loads(out)["plan"]
    assert code == 0 and plan["unit"] == "bytes" and plan["budget"] == 50_000_000
    chosen = next(o for o in plan["options"] if o["max_zoom"] == plan["max_zoom"])
    assert chosen["storage_bytes"]["estimate"] <= 50_000_000 < plan["options"][-1]["storage_bytes"]["estimate"]
    probs = [o["probability"] for o in plan["options"]]
    assert probs == sorted(probs, reverse=True) and 0.5 <= plan["probability"] <= 1
    code, out, _ = run_cli(capsys, REGION, "--zoom", "0-10", "--url", pyramid_url, "--seed", "2",
                           "--budget", "5000tiles")
    assert code == 0 and "plan: zooms 0-8 fit 5,000 tiles (probability 100%)" in out  # 1,437 tiles up to z8


def test_budget_that_no_zoom_fits_names_the_smallest(pyramid_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "rect:0,45,30,62", "--zoom", "6-9", "--url", pyramid_url, "--seed", "1",
                           "--budget", "10kB")
    assert code == 2
    assert err.startswith("fmtc-nb: error: No zoom fits the budget of 10 kB: zoom 6 alone needs about ")


@pytest.mark.parametrize("size", ["2 parsecs", "-5MB", "0", "GB", "12..5MB"])
def test_bad_sizes_exit_2_before_any_request(size: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, REGION, "--zoom", "0-3", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png",
                           f"--budget={size}")
    assert code == 2 and err.startswith("fmtc-nb: error: The budget") and err.count("\n") == 1


@pytest.mark.parametrize(("option", "words"), [
    (["--seed", "-1"], "The seed -1"), (["--samples", "0"], "The sample size"), (["--parallel", "0"], "parallelism"),
    (["--rate-limit", "nan"], "rate limit"), (["--rate-limit", "0"], "rate limit"),
])
def test_bad_options_exit_2_before_any_request(option: list[str], words: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, REGION, "--zoom", "0-3", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png", *option)
    assert code == 2 and err.startswith("fmtc-nb: error: ") and words in err and err.count("\n") == 1


def test_source_answering_nothing_usable_says_what_came_back(capsys: pytest.CaptureFixture[str]) -> None:
    with FaultServer(lambda z, x, y, attempt: "html") as server:
        code, _, err = run_cli(capsys, REGION, "--zoom", "0-4", "--url", server.url_template, "--seed", "1")
    assert code == 2
    assert "answered nothing usable for 18 sampled tiles (18 x HTML or XML page instead of an image)" in err
    with FaultServer(lambda z, x, y, attempt: "404") as server, pytest.raises(EstimateError, match="18 x HTTP 404"):
        estimate(parse_region(REGION), "0-4",
                 server.url_template)


def test_osm_bulk_is_refused_without_a_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, REGION, "--zoom", "0-3", "--url", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert code == 2 and "forbids bulk" in err
    with pytest.raises(PolicyError):
        estimate(parse_region(REGION), "0-3",
                 "https://a.tile.openstreetmap.org/{z}/{x}/{y}.png")


def test_retry_after_and_user_agent(capsys: pytest.CaptureFixture[str]) -> None:
    # every tile first answers 429 with Retry-After 0.3 s, then the tile
    with FaultServer(lambda z, x, y, attempt: "429" if attempt == 1 else "ok") as server:
        code, out, _ = run_cli(capsys, REGION, "--zoom", "0-3", "--url", server.url_template, "--json")
        hits, times, agents = dict(server.hits), dict(server.times), set(server.agents)
    doc = json.loads(out)
    assert code == 0 and doc["tiles"] == 9 and doc["requests"] == 18 and set(hits.values()) == {2}
    assert all(t[1] - t[0] >= 0.29 for t in times.values())
    assert agents and all(a.startswith("fmtc-nb/") for a in agents)


def test_contact_and_headers_go_with_every_sample_request(capsys: pytest.CaptureFixture[str]) -> None:
    # as download's: the User-Agent names the contact, --header adds a header (a server may ask for both)
    with FaultServer(lambda z, x, y, attempt: "ok") as server:
        code, out, err = run_cli(capsys, REGION, "--zoom", "0-3", "--url", server.url_template, "--json",
                                 "--contact", "gis@example.org", "--header", "X-Team: field survey")
        agents, extra, hits = set(server.agents), set(server.extra_headers), sum(server.hits.values())
    assert code == 0, err
    assert json.loads(out)["requests"] == hits == 9
    (agent,) = agents
    assert agent.startswith("fmtc-nb/") and "gis@example.org" in agent
    assert extra == {"X-Team: field survey"}


def test_real_subprocess_text_output(pyramid_url: str) -> None:
    done = subprocess.run([sys.executable, "-m", "fmtc_nb", "estimate", REGION, "--zoom", "0-9", "--url",
                           pyramid_url, "--seed", "4", "--samples", "300"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "transfer:" in done.stdout and "storage:" in done.stdout and "duration:" in done.stdout
    used = int(done.stdout.split("requests used: ")[1].split()[0].replace(",", ""))
    assert 250 <= used <= 300  # the two phases may draw the same tile; it is fetched once


def test_sampling_keeps_the_rate_limit() -> None:
    with FaultServer(lambda z, x, y, attempt: "ok") as server:
        e = estimate(parse_region(REGION), "0-4", server.url_template, rate_limit=40)
        stamps = sorted(t for ts in server.times.values() for t in ts)
    assert e.requests == 18 and e.duration_s.low >= 18 / 40
    assert stamps[-1] - stamps[0] >= (18 - 4) / 40 * 0.9  # burst of 4 tokens, then 40 tiles/s


def test_callable_from_a_running_event_loop(pyramid_url: str) -> None:
    import asyncio

    async def in_a_notebook_cell() -> float:
        return estimate(parse_region(REGION), "0-6", pyramid_url, seed=1).bytes.estimate

    assert asyncio.run(in_a_notebook_cell()) > 0


def test_failed_tiles_get_a_final_pass_and_a_zoom_left_unknown_is_said_plainly() -> None:
    from fmtc_nb.cli.estimate import _text

    # z1 tiles fail twice (more than retries=1 allows) then answer: the final pass measures them exactly
    with FaultServer(lambda z, x, y, attempt: "500" if z == 1 and attempt <= 2 else "ok") as server:
        result = estimate(parse_region(REGION), "0-2", server.url_template, seed=1, retries=1)
    assert all(z.exact and z.failed == 0 for z in result.zooms) and result.bytes.high == result.bytes.estimate
    frame = result.per_zoom  # the notebooks' pandas table
    assert list(frame.index) == [0, 1, 2] and frame["tiles"].sum() == result.tiles and frame["exact"].all()
    # z0 never answers: nothing is known about it, the interval has no upper bound, and the text says why
    with FaultServer(lambda z, x, y, attempt: "500" if z == 0 else "ok") as server:
        result = estimate(parse_region(REGION), "0-2", server.url_template, seed=1, retries=1)
    assert result.bytes.high == float("inf") and result.to_dict()["bytes"]["high"] is None
    text = _text(result, None)
    assert "no upper bound" in text and "inf" not in text and "zoom 0: every sampled tile failed" in text
