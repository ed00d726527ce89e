"""Running a pack job: read the style, plan, fetch the resources, then run the one engine once per tile source,
as one job with one progress stream and one recovery record.

Why a sequence of engine runs and not one run over a concatenated cover: each source has its own store (one
MBTiles per source), and the engine writes one store with its checkpoint in the same transaction as the
tiles. Running it per source keeps that exact checkpoint untouched (stored in each source's store under the
pack's job id), so a killed pack resumes exactly, source by source, with no change to the engine; the pack's
recovery record sums the parts (:mod:`fmtc_nb.packs.progress`).

The first run freezes its plan in the pack folder's manifest; a resumed run (same job id) reads the plan from
there and never re-resolves the style, so it fetches exactly what the first run planned.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from fmtc_nb.engine.background import BackgroundRun
from fmtc_nb.engine.job import DownloadJob
from fmtc_nb.engine.progress import ProgressSnapshot, sum_snapshots
from fmtc_nb.errors import PackError, StoreError
from fmtc_nb.packs.job import PackJob
from fmtc_nb.packs.plan import PackPlan, plan_pack
from fmtc_nb.packs.progress import PackTally, SourceCheckpointer
from fmtc_nb.packs.resources import ResourceResult, fetch_resources
from fmtc_nb.packs.storage import STYLE, PackFolder
from fmtc_nb.packs.style import load_style, style_text
from fmtc_nb.recovery.checkpoint import Checkpoint
from fmtc_nb.states import JobStatus
from fmtc_nb.store import Root


def prepare(job: PackJob, root: Root) -> tuple[PackFolder, PackPlan]:
    """The pack's folder and plan: the frozen plan of this job if its manifest has it, else a new plan from the
    style (then written with the style into the folder). Every store is opened once, so a bad name or a store
    holding another source's tiles is refused before anything is fetched."""
    from fmtc_nb.packs.mbtiles import open_source_store

    folder = PackFolder(root, job.store)
    manifest = folder.manifest() if folder.exists else {}
    if manifest.get("job_id") == job.job_id:
        plan = PackPlan.from_dict(manifest["plan"])
    else:
        fetch = job.document_fetch()
        style = load_style(job.style, fetch)
        plan = plan_pack(style, job.region, job.zooms, job.store, glyphs=job.glyphs, fetch=fetch)
        folder.write(STYLE, style_text(style.doc).encode())
        folder.write_manifest({"job_id": job.job_id, "style": job.style, "name": style.name,
                               "zooms": list(job.zooms), "region": job.region.to_geojson(),
                               "created_at": time.time(), "plan": plan.to_dict()})
    for source in plan.sources:
        job.tile_source(source.template, source.tile_format).check_bulk_allowed()
        try:
            open_source_store(root, job.store, source).close()
        except StoreError as exc:
            raise PackError(f"The store of source {source.id!r}: {exc}") from None
    return folder, plan


class PackDownload(BackgroundRun):
    """One run of a :class:`PackJob` under ``root``. ``checkpointer`` is the pack's recovery record (a
    registry ``JobTracker``; None: not recorded); ``on_progress`` gets combined snapshots (items: tiles of every
    source plus resource files), ``on_warning`` one sentence per resource that could not be fetched.

    ``prior_done`` counts the tiles earlier runs of this job committed (every source's stored checkpoint), known
    once the pack is planned; the snapshots count this run's items only, as a resumed ``Download``'s do.

    ``pause()``, ``resume()`` and ``cancel()`` may be called from any thread."""

    thread_name = "fmtc-nb-pack"

    def __init__(self, job: PackJob, root: Any = None, *, checkpointer: Any = None,
                 on_progress: Callable[[ProgressSnapshot], None] | None = None,
                 on_warning: Callable[[str], None] | None = None,
                 prepared: tuple[PackFolder, PackPlan] | None = None) -> None:
        self.job = job
        self._prepared = prepared  # what prepare() returned for this job already: not read again
        self.root = root if isinstance(root, Root) else Root(root)
        self.checkpointer = checkpointer
        self.on_progress = on_progress
        self.on_warning = on_warning
        self.plan: PackPlan | None = prepared[1] if prepared else None
        self.warnings: list[str] = []
        self.reason: str | None = None
        self.prior_done = 0
        self._done: list[ProgressSnapshot] = []
        self._resources = ProgressSnapshot(status="running")
        self._current: Any = None
        self._cancel = threading.Event()
        self._pause = threading.Event()
        self._start = time.monotonic()
        self._status: JobStatus = "pending"
        self._tally: PackTally | None = None

    # -- control (any thread) -------------------------------------------------------------------------
    def pause(self) -> None:
        """Pause the running source (resources finish first)."""
        self._pause.set()
        if self._current is not None:
            self._current.pause()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self._pause.clear()
        if self._current is not None:
            self._current.resume()

    def cancel(self) -> None:
        """Stop soon; what is stored stays, and the job stays recoverable."""
        self._cancel.set()
        if self._current is not None:
            self._current.cancel()

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self._pause.is_set()

    @property
    def snapshot(self) -> ProgressSnapshot:
        """The whole pack's progress now."""
        running = [self._current.snapshot] if self._current is not None else []
        total = (self.plan.tiles + len(self.plan.resources)) if self.plan else 0
        status = "paused" if self._status == "running" and self._pause.is_set() else self._status
        return sum_snapshots([*self._done, self._resources], running, total, time.monotonic() - self._start, status)

    # -- running ---------------------------------------------------------------------------------------
    async def arun(self) -> ProgressSnapshot:
        """Run to the end on the running event loop and return the final snapshot."""
        status: JobStatus = "completed"
        reason = None
        try:
            if self._prepared is None:
                self._prepared = await asyncio.to_thread(prepare, self.job, self.root)
            folder, plan = self._prepared
            self.plan = plan
            self._tally = await asyncio.to_thread(self._read_checkpoints, plan)
            self.prior_done = self._tally.tiles_done
            if self.checkpointer is not None:
                self.checkpointer.checkpoint = self._tally
            self._start, self._status = time.monotonic(), "running"
            await self._fetch_resources(folder)
            for source in plan.sources:
                if self._cancel.is_set() or self.reason is not None:
                    break
                await self._run_source(source)
        except BaseException as exc:
            status, reason = ("cancelled", "interrupted") if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError) \
                else ("failed", str(exc))
            self._status = status
            if self.checkpointer is not None:
                self.checkpointer.finished(self.snapshot, status, reason)
            raise
        if self.reason is not None:  # a store write kept failing: stop here, every committed tile is kept
            status, reason = "paused", self.reason
        elif self._cancel.is_set():
            status, reason = "cancelled", "cancelled by the user"
        else:
            await asyncio.to_thread(self._complete_metadata)
            final = self.snapshot
            if final.failed:
                reason = f"{final.failed} items failed"
        self._status, self.reason = status, reason
        final = self.snapshot
        if self.checkpointer is not None:
            self.checkpointer.finished(final, status, reason)
        if self.on_progress:
            self.on_progress(final)
        return final

    async def _fetch_resources(self, folder: PackFolder) -> None:
        assert self.plan is not None and self._tally is not None
        counts = {"cached": 0, "skipped_existing": 0, "failed_request": 0, "cached_bytes": 0}

        def done(result: ResourceResult) -> None:
            key = {"stored": "cached", "present": "skipped_existing", "failed": "failed_request"}[result.kind]
            counts[key] += 1
            counts["cached_bytes"] += result.size
            if result.kind == "failed":
                self._warn(f"The {result.resource.kind} file {result.resource.path} could not be fetched from "
                           f"{result.resource.url} ({result.reason}); the rest of the pack is complete without it.")
            successful = counts["cached"] + counts["skipped_existing"]
            self._resources = ProgressSnapshot(successful=successful, cached=counts["cached"],
                                               flushed=counts["cached"], skipped_existing=counts["skipped_existing"],
                                               failed_request=counts["failed_request"],
                                               cached_bytes=counts["cached_bytes"],
                                               flushed_bytes=counts["cached_bytes"])
            self._tally.resources_done, self._tally.resources_failed = successful, counts["failed_request"]  # type: ignore[union-attr]
            if self.on_progress:
                self.on_progress(self.snapshot)

        await fetch_resources(self.plan.resources, folder, self.job.options, self.job.request_headers(), done,
                              self._cancel.is_set)

    def _read_checkpoints(self, plan: PackPlan) -> PackTally:
        """The pack's tally with every source's checkpoint of this job as its store holds it (empty if new)."""
        tally = PackTally(plan.tiles + len(plan.resources))
        for source in plan.sources:
            with self.root.open(source.store, readonly=True) as opened:
                text = opened.read_checkpoint(self.job.job_id)
            tally.parts[source.id] = SourceCheckpointer(self.job.job_id, Checkpoint.from_text(text), self._beat)
        return tally

    async def _run_source(self, source: Any) -> None:
        from fmtc_nb.engine.downloader import Download

        assert self._tally is not None
        checkpointer = self._tally.parts[source.id]
        job = DownloadJob(self.job.region, source.zooms, self.job.tile_source(source.template, source.tile_format),
                          source.store, self.job.options, job_id=self.job.job_id)
        download = Download(job, self.root, checkpointer=checkpointer,
                            on_progress=lambda _: self.on_progress(self.snapshot) if self.on_progress else None)
        self._current = download
        if self._pause.is_set():
            download.pause()
        if self._cancel.is_set():
            download.cancel()
        try:
            final = await download.arun()
        finally:
            self._current = None
        self._done.append(final)
        if final.status == "paused":
            self.reason = f"Source {source.id!r}: {download.reason}"

    def _beat(self, snapshot: ProgressSnapshot) -> None:
        if self.checkpointer is not None:
            self.checkpointer.heartbeat(self.snapshot)

    def _warn(self, sentence: str) -> None:
        self.warnings.append(sentence)
        if self.on_warning:
            self.on_warning(sentence)

    def _complete_metadata(self) -> None:
        from fmtc_nb.packs.mbtiles import complete_vector_metadata

        assert self.plan is not None
        for source in self.plan.sources:
            with self.root.open(source.store) as store:
                complete_vector_metadata(store, source)


def recorded_pack(job: PackJob, root: Root, registry: Any = None, **settings: Any) -> PackDownload:
    """The run of a new pack ``job``: prepared first (a bad style, source or store is one sentence before anything
    is recorded), then recorded in ``registry`` (a ``RecoveryRegistry``; None: not recorded), whose cancel
    requests reach the run. ``settings``: :class:`PackDownload` callbacks (``on_progress``, ``on_warning``)."""
    prepared = prepare(job, root)
    tracker = registry.start(job) if registry is not None else None
    pack = PackDownload(job, root, checkpointer=tracker, prepared=prepared, **settings)
    if tracker is not None:
        tracker.bind(pack)
    return pack


def download_pack(region: Any, zooms: Any, style: str, name: str, root: Any = None, *, glyphs: str = "latin",
                  record: bool = True, on_progress: Callable[[ProgressSnapshot], None] | None = None,
                  **options: Any) -> PackDownload:
    """Download the pack ``name`` of ``style`` for ``region`` at ``zooms`` (blocking) and return the finished
    :class:`PackDownload` (``.snapshot``, ``.plan``, ``.warnings``); ``record``: keep a recovery record;
    ``options`` are ``DownloadOptions`` fields."""
    from contextlib import nullcontext

    from fmtc_nb.engine.job import DownloadOptions
    from fmtc_nb.recovery import RecoveryRegistry
    from fmtc_nb.zooms import parse_zooms

    job = PackJob(region, parse_zooms(zooms), style, name, DownloadOptions(**options), glyphs)
    root = Root(root) if not isinstance(root, Root) else root
    with RecoveryRegistry(root) if record else nullcontext() as registry:
        pack = recorded_pack(job, root, registry, on_progress=on_progress)
        pack.run()
    return pack
