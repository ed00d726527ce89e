"""Estimates that include waiting (issue 15): against a server that throttles, the duration interval accounts for
the holds its 429s cause, not only response times. The 9-of-10 coverage check is in benchmarks/bench_network.py."""

from __future__ import annotations

from fmtc_nb.estimate import estimate
from fmtc_nb.estimate.measure import Throttling
from fmtc_nb.estimate.statistics import Interval
from fmtc_nb.estimate.summary import include_waits
from fmtc_nb.regions import parse_region
from tests.netservers import Throttle, ThrottlingTileServer

WORLD = "rect:-180,-85,180,85"


def test_the_model_adds_the_measured_waits_and_leaves_an_unthrottled_estimate_alone():
    fast = Interval(2.0, 1.5, 3.0, 0.95)
    assert include_waits(fast, 1000, Throttling(throttles=0, requests=100, answered=100, busy_s=1.0)) == fast
    # 25 answers free, then 4 holds (2 s) in 100 more: 2 s per 100 tiles beyond the 25 free, +- 1.96 / sqrt(4)
    throttled = Throttling(throttles=12, requests=137, holds=4, held_s=2.0, answered=125, busy_s=5.0, free=25)
    with_waits = include_waits(fast, 1025, throttled)
    assert with_waits.estimate == 22.0
    assert abs(with_waits.low - (1.5 + 20 * (1 - 0.98))) < 0.01 and abs(with_waits.high - (3.0 + 39.6)) < 0.01
    # a census held 2 s whose first hold came late (49 free answers of 85 on a loaded machine): the allowance
    # rule alone says 36 * 2 / 98 = 0.73 s; a download of those very tiles is held at least the 2 s measured
    late = Throttling(throttles=14, requests=99, holds=2, held_s=2.0, answered=85, busy_s=2.08, free=49)
    assert late.waiting(85, 0.95).estimate == 2.0
    assert late.waiting(40, 0.95).estimate == 2.0 * 40 / 85  # fewer tiles than the sample answered: in proportion


def test_an_estimate_against_a_rate_limited_server_counts_its_holds():
    with ThrottlingTileServer(Throttle(per_second=30)) as server:
        result = estimate(parse_region(WORLD), "0-3", server.url_template, seed=1, parallel=8)
    assert server.log.count(429) > 0
    throttling = result.throttling
    assert throttling is not None and throttling.throttles == server.log.count(429)
    assert throttling.held_s >= 1.0 and throttling.answered == 85
    # every tile was measured (a census): the waits estimated from the sample's own holds are added to the
    # response times (which alone would say about 0.1 s)
    assert throttling.holds >= 1 and 0 < throttling.free < 85 and result.duration_s.estimate >= 1.0
    assert result.duration_s.high >= throttling.busy_s
    assert result.to_dict()["throttling"]["throttles"] == throttling.throttles
