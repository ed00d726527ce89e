"""Running a style pack from the command line (``fmtc-nb download --style`` and ``fmtc-nb recovery resume`` of a
pack job): plan it, record it, run it with the progress bar, print what it holds."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def download_pack_command(args: argparse.Namespace, options: Any, headers: dict[str, str]) -> tuple[Any, str]:
    """``fmtc-nb download REGION --zoom A-B --style STYLE --store NAME``: plan, record and make the run (see
    :func:`pack_run`)."""
    from fmtc_nb.packs.job import PackJob
    from fmtc_nb.packs.runner import prepare
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.regions import parse_region
    from fmtc_nb.store import Root
    from fmtc_nb.zooms import parse_zooms

    if args.tile_format is not None:
        print("fmtc-nb: --tile-format is ignored with --style (each source says its own)", file=sys.stderr)
    job = PackJob(parse_region(args.region), parse_zooms(args.zoom), args.style, args.store, options,
                  args.glyphs, headers, args.contact)
    root = Root(resolve_root(args.root))
    _, plan = prepare(job, root)  # a bad style or source is one sentence before a job is recorded
    for source in plan.sources:
        print(f"source {source.id} ({source.type}): zooms {source.zooms[0]}-{source.zooms[-1]} "
              f"(serves {source.min_zoom}-{source.max_zoom}), {source.tiles:,} tiles -> store {source.store}",
              file=sys.stderr)
    print(f"resources: {len(plan.resources)} files (sprites; glyphs of {len(plan.font_stacks)} font stack(s), "
          f"{args.glyphs})", file=sys.stderr)
    for sid, why in plan.left_out.items():
        print(f"source {sid}: {why}", file=sys.stderr)
    tracker = None
    if not args.no_recovery:
        from fmtc_nb.recovery import RecoveryRegistry

        tracker = RecoveryRegistry(root).start(job)
        print(f"recovery job {tracker.job_id} (resume: fmtc-nb recovery resume {tracker.job_id})", file=sys.stderr)
    return pack_run(job, root, tracker)


def pack_run(job: Any, root: Any, tracker: Any) -> tuple[Any, str]:
    """(the pack's run, printing warnings as they come; the sentence saying where failures are listed), for
    ``cli.download.run_with_bar``."""
    from fmtc_nb.packs.runner import PackDownload

    pack = PackDownload(job, root, checkpointer=tracker, on_warning=lambda s: print(f"warning: {s}", file=sys.stderr))
    if tracker is not None:
        tracker.bind(pack)
    return pack, (f"the failed tiles and why: fmtc-nb store stats {job.store}.SOURCE --failures --json; "
                  f"the pack: fmtc-nb pack show {job.store}")
