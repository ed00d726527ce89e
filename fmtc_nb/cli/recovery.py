"""``fmtc-nb recovery``: list, show, resume, cancel and forget the download jobs recorded in a root."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``recovery`` command and its subcommands."""
    p = subparsers.add_parser("recovery", help="list, show, resume, cancel or forget recorded download jobs")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    ls = sub.add_parser("list", help="every recorded job with its status")
    ls.add_argument("--json", action="store_true", help="print a JSON list, one object a job")
    ls.add_argument("--store", help="only the jobs of this store")
    ls.set_defaults(func=run_list)
    show = sub.add_parser("show", help="one job in detail")
    show.add_argument("id", help="job id (a unique prefix is enough)")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=run_show)
    resume = sub.add_parser("resume", help="download what a job is missing, then retry its failed tiles")
    resume.add_argument("id", help="job id (a unique prefix is enough)")
    resume.add_argument("--force", action="store_true", help="take over a stale job (its owner cannot be asked)")
    resume.add_argument("--json", action="store_true", help="print the final snapshot as JSON")
    resume.add_argument("--cluster", metavar="local:N|tcp://HOST:PORT",
                        help="resume as shards on Dask (a sharded job resumes on its last cluster by default)")
    add_resume_options(resume)
    resume.set_defaults(func=run_resume)
    for name, func, text in (("cancel", run_cancel, "stop a running job or mark a stopped one cancelled"),
                             ("forget", run_forget, "remove a job and its checkpoint")):
        action = sub.add_parser(name, help=text)
        action.add_argument("id", help="job id (a unique prefix is enough)")
        action.add_argument("--force", action="store_true",
                            help=f"{name} a stale job too (its owner cannot be asked or has gone silent)")
        action.set_defaults(func=func)


def add_resume_options(p: argparse.ArgumentParser) -> None:
    """The ``download`` flags of options a resume may change (how tiles are fetched, see
    :mod:`fmtc_nb.recovery.resume_options`); a flag left out keeps the job's recorded value."""
    from fmtc_nb.cli.download import ENGINE_FLAGS, add_engine_options, add_network_options
    from fmtc_nb.recovery.resume_options import RESUME_OPTIONS

    group = p.add_argument_group("changed options (recorded with the job; left out: as recorded)")
    add_engine_options(group, [name for name in ENGINE_FLAGS if name in RESUME_OPTIONS], only_if_given=True)
    add_network_options(p, only_if_given=True)


def resume_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The options given to ``recovery resume`` (DownloadOptions field -> value); a CA bundle as an absolute
    path, since the job is recorded with it and may be resumed from another directory."""
    from pathlib import Path

    from fmtc_nb.recovery.resume_options import RESUME_OPTIONS

    changes = {name: getattr(args, name) for name in sorted(RESUME_OPTIONS) if hasattr(args, name)}
    if changes.get("ca_bundle"):
        changes["ca_bundle"] = str(Path(changes["ca_bundle"]).expanduser().absolute())
    return changes


def _checked_changes(registry: Any, job_id: str, changes: dict[str, Any]) -> None:
    """One sentence naming the flag when a changed option breaks its rule or its transport cannot work (an
    unreadable CA bundle, ``--http2`` without h2), before the job is claimed."""
    from fmtc_nb.cli.download import checked_transport, flag_of
    from fmtc_nb.errors import OptionError
    from fmtc_nb.recovery.resume_options import reoptioned

    try:
        job = reoptioned(registry.get(job_id).job(), changes)
    except OptionError as exc:
        raise exc.given_as(flag_of(exc.option)) from None
    checked_transport(job.options)


def _registry(args: argparse.Namespace) -> Any:
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.recovery import RecoveryRegistry

    return RecoveryRegistry(resolve_root(args.root))


def run_list(args: argparse.Namespace) -> int:
    """``recovery list``: a table, or ``--json`` a list of objects (id, store, status, reason, tiles_*, ...)."""
    from fmtc_nb.recovery.info import human_age

    with _registry(args) as registry:
        infos = registry.jobs(args.store)
    if args.json:
        print(json.dumps([info.to_dict() for info in infos], indent=2))
        return 0
    if not infos:
        print("no recorded jobs")
        return 0
    print(f"{'id':<16}  {'status':<9}  {'done/total':>17}  {'failed':>6}  {'heartbeat':>9}  {'store':<16}  reason")
    for i in infos:
        total = "?" if i.tiles_total is None else str(i.tiles_total)
        print(f"{i.id:<16}  {i.status:<9}  {f'{i.tiles_done}/{total}':>17}  {i.tiles_failed:>6}  "
              f"{human_age(i.heartbeat_age_s):>9}  {i.store:<16}  {i.reason or ''}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """``recovery show ID``: every field of one job, and the checkpoint its store holds."""
    with _registry(args) as registry:
        info = registry.get(args.id)
        checkpoint = registry.checkpoint(info.id, info.store)
    data = info.to_dict() | {"spec": shown_spec(info.spec)}
    if checkpoint is not None:
        data["checkpoint"] = {"watermark": checkpoint.watermark, "tiles_done": checkpoint.tiles_done,
                              "tiles_failed": checkpoint.tiles_failed,
                              "failed_by_reason": {k: len(v) for k, v in checkpoint.failed.items()}}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for key, value in data.items():
        if key in ("spec", "owner_detail"):
            continue
        if key in ("created_at", "heartbeat_at", "finished_at") and value is not None:
            value = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(value))
        print(f"{key:>16}: {'-' if value is None else value}")
    return 0


def shown_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A job's specification as it may be shown: credentials in the tile URL, the headers and the proxy URL
    redacted (the registry keeps the real ones, which a resume needs)."""
    from fmtc_nb.source import redact_headers, redact_url

    options = dict(spec.get("options") or {})
    if isinstance(options.get("proxy"), str):
        options["proxy"] = redact_url(options["proxy"])
    if spec.get("kind") == "pack":  # a style pack: its style address and headers
        style = spec.get("style")
        return spec | {"style": redact_url(style) if isinstance(style, str) and "://" in style else style,
                       "headers": redact_headers(dict(spec.get("headers") or {})), "options": options}
    source = dict(spec.get("source") or {})
    if isinstance(source.get("url_template"), str):
        source["url_template"] = redact_url(source["url_template"])
    if isinstance(source.get("headers"), dict):
        source["headers"] = redact_headers(source["headers"])
    return spec | {"source": source, "options": options}


def run_resume(args: argparse.Namespace) -> int:
    """``recovery resume ID``: claim the job and run it with the progress bar (exit codes as ``download``)."""
    from fmtc_nb.cli.download import run_with_bar
    from fmtc_nb.engine import Download
    from fmtc_nb.packs.job import PackJob
    from fmtc_nb.scale.ledger import recorded_plan
    from fmtc_nb.store import Root

    changes = resume_changes(args)
    with _registry(args) as registry:  # closed also when the claim is refused
        if args.cluster or recorded_plan(registry.root_dir, registry.get(args.id).id):
            from fmtc_nb.errors import RecoveryError
            from fmtc_nb.scale import announce, resumed  # one sentence if Dask is missing

            if changes:
                raise RecoveryError("A sharded job resumes with the options it was recorded with; download it "
                                    "again with the new options (stored tiles are skipped).")

            return run_with_bar(resumed(registry, args.id, cluster=args.cluster, force=args.force,
                                        on_start=announce), args.json)
        _checked_changes(registry, args.id, changes)
        job, tracker = registry.resume(args.id, force=args.force, options=changes)
        print(f"resuming job {tracker.job_id} (store {job.store})", file=sys.stderr)
        if isinstance(job, PackJob):  # a style pack: several sources under one record
            from fmtc_nb.cli._pack import pack_run

            pack, hint = pack_run(job, Root(registry.root_dir), tracker)
            return run_with_bar(pack, args.json, hint)
        download = Download(job, Root(registry.root_dir), checkpointer=tracker)
        tracker.bind(download)
        return run_with_bar(download, args.json)


def run_cancel(args: argparse.Namespace) -> int:
    """``recovery cancel ID``."""
    with _registry(args) as registry:
        info = registry.cancel(args.id, force=args.force)
    if info.live and info.heartbeat_age_s > registry.lease_s:
        print(f"job {info.id} is {info.status} but silent: {info.owner.describe()} will stop it if it still runs; "
              f"`fmtc-nb recovery cancel --force {info.id}` marks it cancelled now")
    elif info.live:
        print(f"asked {info.owner.describe()} to stop job {info.id}; it ends within a few seconds")
    else:
        print(f"job {info.id} is {info.status}")
    return 0


def run_forget(args: argparse.Namespace) -> int:
    """``recovery forget ID``."""
    with _registry(args) as registry:
        info = registry.get(args.id)
        registry.forget(info.id, force=args.force)
    print(f"forgot job {info.id}")
    return 0
