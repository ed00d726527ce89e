"""``fmtc-nb simulate``: run a download under a phone profile in the classroom model (or, ``--real``, on the
virtual device), and ``fmtc-nb simulate sweep``: every vendor x Android API level x exemption.

The vendor data is dontkillmyapp.com's (CC-BY): its credit line ends every output, JSON included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from fmtc_nb.errors import ProfileError
from fmtc_nb.units import human_duration


def register(subparsers: Any) -> None:
    """Add the ``simulate`` command."""
    p = subparsers.add_parser("simulate", help="run a download under a phone profile (classroom model or real)")
    p.add_argument("what", nargs="?", default=None, help="'sweep': every vendor x API level x exemption")
    p.add_argument("--vendor", help="a vendor of the dontkillmyapp data, e.g. xiaomi, samsung, stock")
    p.add_argument("--android", type=_api, help="Android API level, 26-35")
    p.add_argument("--exempt", action="store_true", help="battery optimisation is off for the app")
    p.add_argument("--no-notifications", action="store_true", help="POST_NOTIFICATIONS not granted (API 33+)")
    p.add_argument("--script", help="JSON file of user actions: [{\"at\": \"10m\", \"do\": \"screen_off\"}, ...]")
    p.add_argument("--tiles", type=int, default=20_000, help="tiles in the job (model; default 20000)")
    p.add_argument("--rate", type=float, default=2.0, help="tiles per simulated second (model; default 2)")
    p.add_argument("--fmtc", action="store_true", help="model FMTC's recovery and unbuffered writes instead")
    p.add_argument("--real", action="store_true", help="run it on the virtual device against the embedded tile "
                   "server, on a simulated clock (60x)")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.set_defaults(func=run)


def _api(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the Android API level must be a whole number, not {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """Run ``fmtc-nb simulate``."""
    from fmtc_nb.android.vendors import ATTRIBUTION
    from fmtc_nb.classroom.model import ModelOptions

    if args.tiles < 1 or not 0 < args.rate < 1e9:
        raise ProfileError("--tiles must be at least 1 and --rate a positive number of tiles per second.")
    options = ModelOptions(tiles_total=args.tiles, rate_tps=args.rate, fmtc=args.fmtc)
    if args.what is not None:
        if args.what != "sweep":
            raise ProfileError(f"Unknown simulate target {args.what!r}; use 'sweep' or --vendor and --android.")
        return _sweep(args, options, ATTRIBUTION)
    if args.vendor is None or args.android is None:
        raise ProfileError("Give --vendor and --android (or 'sweep').")
    profile = _profile(args)
    if args.real:
        from fmtc_nb.classroom.real import run_real

        outcome = run_real(profile, progress=None if args.json else _say)
        summary, events, timeline = outcome.summary, outcome.events, outcome.timeline
    else:
        from fmtc_nb.classroom.model import simulate

        run_ = simulate(profile, options)
        summary, events, timeline = run_.summary, run_.events, run_.timeline
    if args.json:
        print(json.dumps({"summary": summary, "events": events, "timeline": timeline, "attribution": ATTRIBUTION}))
        return 0
    print(f"{profile.label}{' (real, virtual device)' if args.real else ''}:")
    for event in events:
        print(f"  {human_duration(event['t_s']):>12}  {event['rule']:<34} {event['what']}")
    done = f"completed in {human_duration(summary['time_to_complete_s'])}" if summary["completed"] else "NOT completed"
    print(f"{done}; kills {summary['kills']}, six-hour stops {summary.get('stops', 0)}, resumes "
          f"{summary['resumes']}, tiles fetched again {summary['tiles_refetched']}, time lost "
          f"{human_duration(summary['time_lost_s'])}")
    print(ATTRIBUTION)
    return 0


def _profile(args: argparse.Namespace) -> Any:
    from fmtc_nb.classroom.profiles import DEFAULT_SCRIPT, Profile, load_script

    script = load_script(args.script) if args.script else DEFAULT_SCRIPT
    return Profile(args.vendor, args.android, exempt=args.exempt, notifications=not args.no_notifications,
                   script=script)


def _sweep(args: argparse.Namespace, options: Any, attribution: str) -> int:
    from fmtc_nb.classroom.model import simulate
    from fmtc_nb.classroom.outcomes import sweep_profiles
    from fmtc_nb.classroom.profiles import DEFAULT_SCRIPT, load_script

    script = load_script(args.script) if args.script else DEFAULT_SCRIPT
    started = time.perf_counter()
    summaries = [simulate(p, options).summary for p in sweep_profiles(script)]
    seconds = time.perf_counter() - started
    if args.json:
        print(json.dumps({"runs": summaries, "seconds": seconds, "attribution": attribution}))
        return 0
    print(f"{'vendor':<10} {'api':>3}  {'not exempt':>12}  {'exempt':>12}")
    by_key = {(s["vendor"], s["api"], s["exempt"]): s for s in summaries}
    for vendor, api in dict.fromkeys((s["vendor"], s["api"]) for s in summaries):
        cells = [_cell(by_key[(vendor, api, e)]) for e in (False, True)]
        print(f"{vendor:<10} {api:>3}  {cells[0]:>12}  {cells[1]:>12}")
    print(f"{len(summaries)} runs in {seconds:.2f} s; hours to complete, '-' never (horizon 24 h)")
    print(attribution)
    return 0


def _cell(summary: dict[str, Any]) -> str:
    if not summary["completed"]:
        return "-"
    return f"{summary['time_to_complete_s'] / 3600:.1f} h"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
