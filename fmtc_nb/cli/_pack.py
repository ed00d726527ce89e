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
    from fmtc_nb.packs.runner import recorded_pack
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.recovery import RecoveryRegistry
    from fmtc_nb.regions import parse_region
    from fmtc_nb.store import Root
    from fmtc_nb.zooms import parse_zooms

    if args.tile_format is not None:
        print("fmtc-nb: --tile-format is ignored with --style (each source says its own)", file=sys.stderr)
    job = PackJob(parse_region(args.region), parse_zooms(args.zoom), args.style, args.store, options,
                  args.glyphs, headers, args.contact)
    root = Root(resolve_root(args.root))
    registry = None if args.no_recovery else RecoveryRegistry(root)  # open while the command runs
    pack = recorded_pack(job, root, registry, on_warning=_warn)
    plan = pack.plan
    assert plan is not None
    for source in plan.sources:
        print(f"source {source.id} ({source.type}): zooms {source.zooms[0]}-{source.zooms[-1]} "
              f"(serves {source.min_zoom}-{source.max_zoom}), {source.tiles:,} tiles -> store {source.store}",
              file=sys.stderr)
    print(f"resources: {len(plan.resources)} files (sprites; glyphs of {len(plan.font_stacks)} font stack(s), "
          f"{args.glyphs})", file=sys.stderr)
    for sid, why in plan.left_out.items():
        print(f"source {sid}: {why}", file=sys.stderr)
    if pack.checkpointer is not None:
        job_id = pack.checkpointer.job_id
        print(f"recovery job {job_id} (resume: fmtc-nb recovery resume {job_id})", file=sys.stderr)
    return pack, _hint(job)


def pack_run(job: Any, root: Any, tracker: Any) -> tuple[Any, str]:
    """(the run of a resumed pack ``job`` recorded by ``tracker``, printing warnings as they come; the sentence
    saying where failures are listed), for ``cli.download.run_with_bar``."""
    from fmtc_nb.packs.runner import PackDownload

    pack = PackDownload(job, root, checkpointer=tracker, on_warning=_warn)
    tracker.bind(pack)
    return pack, _hint(job)


def _warn(sentence: str) -> None:
    print(f"warning: {sentence}", file=sys.stderr)


def _hint(job: Any) -> str:
    return (f"the failed tiles and why: fmtc-nb store stats {job.store}.SOURCE --failures --json; "
            f"the pack: fmtc-nb pack show {job.store}")
