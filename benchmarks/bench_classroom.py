"""The classroom model against real runs: completion time of the model vs the virtual device for three profiles,
and how long a full sweep (every vendor x API 26-35 x exemption) takes.

    .venv/bin/python benchmarks/bench_classroom.py          # about five minutes

1. Calibration: a stock profile (no kill) runs for real; its throughput (tiles per simulated second) becomes the
   model's ``rate_tps`` (:func:`fmtc_nb.classroom.real.calibrate`).
2. Five profiles run for real (60x) and in the calibrated model with the same rule book: Xiaomi API 34 not
   exempt (killed 10 min after screen-off, reopened at 15 min), Oppo API 30 (killed at screen-off, brought back
   by the sticky restart), stock API 35 with the dataSync limit edited to 20 min (onTimeout, reopened at 25 min),
   Realme API 34 with its sleep optimisation edited to 10 min (the network is cut for real at 11 min by the
   relay, the screen turns on at 20 min) and Samsung API 33 with the CPU sleep edited to 5 min (the process is
   frozen at 6 min, the screen turns on at 10 min). The figure is |model - real| / real of the completion time
   (target < 15%).
3. The sweep is timed 5 times; the median is quoted.

Writes benchmarks/results/classroom.json.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save_results  # noqa: E402

from fmtc_nb.classroom.model import simulate  # noqa: E402
from fmtc_nb.classroom.outcomes import sweep, sweep_profiles  # noqa: E402
from fmtc_nb.classroom.profiles import Action, Profile  # noqa: E402
from fmtc_nb.classroom.real import calibrate, run_real  # noqa: E402
from fmtc_nb.classroom.rulebook import edit, rulebook  # noqa: E402

SPEEDUP = 60.0
SHORT_DATA_SYNC = edit(rulebook(), "data_sync_timeout", limit_s=1200)
PROFILES = [
    ("xiaomi API 34, not exempt", Profile("xiaomi", 34, script=(Action(60, "screen_off"), Action(900, "reopen"))),
     rulebook()),
    ("oppo API 30, not exempt", Profile("oppo", 30, script=(Action(60, "screen_off"),)), rulebook()),
    ("stock API 35, dataSync limit 20 min", Profile("stock", 35, script=(Action(1500, "reopen"),)),
     SHORT_DATA_SYNC),
    ("realme API 34, not exempt, network cut 11-20 min",
     Profile("realme", 34, script=(Action(60, "screen_off"), Action(1200, "screen_on"))),
     edit(rulebook(), "vendor_sleep_cuts_network", after_s=600)),
    ("samsung API 33, CPU asleep 6-10 min",
     Profile("samsung", 33, script=(Action(60, "screen_off"), Action(600, "screen_on"))),
     edit(rulebook(), "samsung_fgs_wake_lock_ignored", cpu_sleep_after_s=300)),
]


def main() -> None:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-classroom-") as tmp:
        base = run_real(Profile("stock", 34, script=()), root=Path(tmp) / "calibration", speedup=SPEEDUP)
        options = calibrate(base)
        rows = []
        for number, (label, profile, book) in enumerate(PROFILES):
            real = run_real(profile, root=Path(tmp) / f"run{number}", speedup=SPEEDUP, options=options, book=book)
            model = simulate(profile, options, book)
            real_s, model_s = real.summary["time_to_complete_s"], model.summary["time_to_complete_s"]
            rows.append({
                "profile": label, "real_completed": real.summary["completed"], "real_s": real_s,
                "model_s": model_s, "error": abs(model_s - real_s) / real_s if real_s and model_s else None,
                "real_kills": real.summary["kills"], "model_kills": model.summary["kills"],
                "real_stops": real.summary["stops"], "model_stops": model.summary["stops"],
                "real_network_cuts": real.summary["network_cuts"], "real_cpu_sleeps": real.summary["cpu_sleeps"],
                "relay": real.network,
                "real_tiles_refetched": real.summary["tiles_refetched"],
                "model_tiles_refetched": model.summary["tiles_refetched"],
                "tiles_in_store": real.tiles_in_store, "tiles_total": real.tiles_total, "wall_s": real.wall_s,
            })
            print(rows[-1], flush=True)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        frame = sweep(options)
        timings.append(time.perf_counter() - started)
    results = {
        "speedup": SPEEDUP,
        "load_1_5_15": {"before": load_before, "after": os.getloadavg()},
        "calibration": {"profile": "stock API 34, no actions", "tiles": base.tiles_total,
                        "time_to_complete_s": base.summary["time_to_complete_s"], "rate_tps": options.rate_tps,
                        "wall_s": base.wall_s},
        "profiles": rows,
        "max_error": max(r["error"] for r in rows if r["error"] is not None),
        "sweep": {"runs": len(frame), "expected_runs": len(sweep_profiles()), "median_s": statistics.median(timings),
                  "timings_s": timings},
        "how": "real: python -m android_bridge --virtual subprocess, embedded tile server on 127.0.0.1 behind the "
               "NetworkCut relay (cuts reset connections; jobs use wait_for_network, max_backoff_s 1), rate "
               "limit 100 tiles/s, batches of 100, simulated clock 60x; model: fmtc_nb.classroom.model calibrated "
               "from the stock run; completion times in simulated seconds",
    }
    print(save_results("classroom", results))
    print(f"max error {results['max_error']:.1%}; sweep of {len(frame)} runs: median "
          f"{results['sweep']['median_s']:.2f} s")


if __name__ == "__main__":
    main()
