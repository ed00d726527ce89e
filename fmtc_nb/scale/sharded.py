"""A sharded download: a job's cover split into shards that Dask workers run with the same engine, each into
its own store, merged into the job's store as they finish.

The process that runs :class:`ShardedDownload` coordinates: it plans the shards, submits one task a shard,
receives their progress, merges finished shards one at a time (tiles and failures, then the job's checkpoint
with the shard's range, the last in one transaction), writes the job's heartbeat to the recovery registry and
relays pause, resume and cancel to the workers through a Dask variable.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import Variable, as_completed

from fmtc_nb.engine import DownloadJob, ProgressSnapshot
from fmtc_nb.engine.background import BackgroundRun
from fmtc_nb.errors import FmtcError, RecoveryError, ShardError
from fmtc_nb.recovery import Checkpoint
from fmtc_nb.scale.checkpoints import failed_in, is_done, part_of, shard_key, todo_count
from fmtc_nb.scale.cluster import ClusterHandle, connect
from fmtc_nb.scale.ledger import ShardLedger, ShardPlan
from fmtc_nb.scale.merge import merge_shard
from fmtc_nb.scale.pacing import drop_pacer, reset_pacer
from fmtc_nb.scale.plan import DEFAULT_SHARD_TILES, Shard, plan_shards
from fmtc_nb.scale.progress import ShardState, aggregate, shards_frame
from fmtc_nb.scale.task import RunNames, ShardSpec, run_shard
from fmtc_nb.states import JobStatus
from fmtc_nb.store import Root, Store

if TYPE_CHECKING:
    import pandas

    from fmtc_nb.recovery import JobTracker

#: Seconds between progress callbacks (at most) and between heartbeats.
PROGRESS_S, HEARTBEAT_S = 0.1, 1.0


class ShardedDownload(BackgroundRun):
    """``job`` run as shards on ``cluster`` (see :func:`fmtc_nb.scale.cluster.connect`) into its store under
    ``root``.

    ``tracker``: the job's recovery tracker (``RecoveryRegistry.start``/``resume``), which also records the
    shards beside the job; ``plan``: a recorded plan to resume; otherwise shards of at most ``shard_tiles``
    tiles (and about ``shard_bytes`` bytes, given ``sizes``: mean bytes per tile by zoom, see
    ``plan.bytes_per_tile``) are planned. Shard stores live under ``shard_root`` (default
    ``<root>/shards/<job id>``), a directory every worker must reach. ``pmtiles``: a PMTiles archive written
    from the job's store once the job completes. ``on_progress`` gets the aggregated snapshot (at most ten a
    second); ``on_start`` is called once the cluster answered and the shards are planned (``states``,
    ``dashboard``); :meth:`shards_frame` says how each shard stands. ``run()`` blocks; ``start()`` + ``wait()`` run it
    in a thread (notebooks); ``pause()``, ``resume()`` and ``cancel()`` work from any thread.
    """

    thread_name = "fmtc-nb-sharded"

    def __init__(self, job: DownloadJob, root: Any = None, *, cluster: Any, tracker: JobTracker | None = None,
                 plan: ShardPlan | None = None, shard_tiles: int = DEFAULT_SHARD_TILES,
                 shard_bytes: float | None = None, sizes: dict[int, float] | None = None,
                 shard_root: str | Path | None = None, pmtiles: str | Path | None = None,
                 on_progress: Callable[[ProgressSnapshot], None] | None = None,
                 on_start: Callable[[ShardedDownload], None] | None = None) -> None:
        self.job = job
        self.root = root if isinstance(root, Root) else Root(root)
        self.cluster = cluster
        self.tracker = tracker
        self.shard_root = Path(shard_root or (plan.shard_root if plan else self.root.path / "shards" / job.job_id))
        self.pmtiles = str(pmtiles) if pmtiles else (plan.pmtiles if plan else None)
        self.on_progress = on_progress
        self.on_start = on_start
        self._planned = plan.shards if plan and plan.shards else None
        self._sizing = (shard_tiles, shard_bytes, sizes)
        self.states: list[ShardState] = []
        self.merged_tiles = 0
        self.dashboard: str | None = None
        self.cluster_spec: str | None = None
        self._lock = threading.Lock()  # shard states (the Dask event thread writes them)
        self._cp_lock = threading.Lock()  # the job's checkpoint (merges replace it, heartbeats read it)
        self._checkpoint = Checkpoint()
        self._cancel = threading.Event()
        self._paused = False
        self._wake: queue.Queue[Any] = queue.Queue()  # ended shard tasks, and None: a command to pass on at once
        self._command = "run"
        self._status: JobStatus = "pending"
        self._start = time.monotonic()
        self._end: float | None = None

    # -- control (any thread) -------------------------------------------------------------------------
    def pause(self) -> None:
        """Pause every shard (each flushes its buffer) within about a second; a shard that starts later starts
        paused."""
        self._paused = True
        self._wake.put(None)

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self._paused = False
        self._wake.put(None)

    def cancel(self) -> None:
        """Stop: running shards flush and end, queued ones never start; finished shards are still merged."""
        self._cancel.set()
        self._wake.put(None)

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self._paused

    @property
    def snapshot(self) -> ProgressSnapshot:
        """The job's progress: the shards' engine snapshots summed (see :func:`fmtc_nb.scale.progress.aggregate`)."""
        elapsed = (self._end or time.monotonic()) - self._start
        status = "paused" if self._status == "running" and self._paused else self._status
        with self._lock:
            return aggregate(self.states, elapsed, status)

    def shards_frame(self) -> pandas.DataFrame:
        """One row a shard: range, state, attempts, worker, tiles done and failed, bytes, speed (pandas)."""
        with self._lock:
            return shards_frame(self.states)

    # -- running ---------------------------------------------------------------------------------------
    def run(self) -> ProgressSnapshot:
        """Run every unfinished shard to its end, merging as they finish; returns the final snapshot.

        Raises :class:`~fmtc_nb.errors.ShardError` if a shard failed (the job stays resumable)."""
        self._start, self._status = time.monotonic(), "running"
        status: JobStatus = "failed"
        reason: str | None = "the sharded run stopped before its end"
        try:
            handle = connect(self.cluster)
            try:
                status, reason = self._run(handle)
            finally:
                handle.close()
        except BaseException as exc:
            reason = str(exc) if isinstance(exc, FmtcError) else f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self._status, self._end = status, time.monotonic()
            final = self.snapshot
            if self.tracker is not None:
                with self._cp_lock:
                    self.tracker.finished(final, status, reason)
            if self.on_progress is not None:
                self.on_progress(final)
        if status == "failed":
            raise ShardError(f"Sharded job {self.job.job_id} failed: {reason}; `fmtc-nb recovery resume "
                             f"{self.job.job_id}` continues it from its finished shards.")
        return final

    def _run(self, handle: ClusterHandle) -> tuple[JobStatus, str | None]:
        self.job.source.check_bulk_allowed()
        self.dashboard, self.cluster_spec = handle.dashboard, handle.spec
        cover = self.job.cover()
        target = self.root.open_or_create(self.job.store, self.job.source.url_template)
        ledger = ShardLedger(self.tracker.registry.root_dir) if self.tracker is not None else None
        merger = ThreadPoolExecutor(1, thread_name_prefix="fmtc-nb-merge")
        names = RunNames(self.job.job_id, uuid.uuid4().hex[:8])
        client = handle.client
        try:
            self._checkpoint = self._job_checkpoint(target, cover.total)
            shards = self._planned or plan_shards(cover.counts, max_tiles=self._sizing[0], max_bytes=self._sizing[1],
                                                  sizes=self._sizing[2])
            if ledger is not None:
                ledger.record(self.job.job_id, self.shard_root, handle.spec, self.pmtiles, shards)
            with self._lock:
                self.states = [self._state_of(shard) for shard in shards]
            if self.on_start is not None:
                self.on_start(self)
            control = Variable(names.control, client=client)
            self._command = self._wanted_command()  # a job paused before it started: no shard may start running
            control.set(self._command)
            reset_pacer(client, self.job.job_id)
            client.subscribe_topic(names.topic, self._on_event)
            futures = {client.submit(run_shard, self._spec(s.shard, names), key=f"fmtc-nb-shard-{names.run}-"
                                     f"{s.shard.number:05d}", pure=False): s
                       for s in self.states if s.state == "pending"}
            try:
                merges = self._follow(client, control, futures, merger, target, ledger)
            except BaseException:  # Ctrl-C in a notebook, a registry that cannot be written ...: stop the shards
                with contextlib.suppress(Exception):
                    control.set("cancel")
                raise
            merger.shutdown(wait=True)
            errors = [f.exception() for f in merges if f.exception() is not None]
            client.unsubscribe_topic(names.topic)
            control.delete()
            drop_pacer(client, self.job.job_id)
        finally:
            merger.shutdown(wait=True)
            target.close()
            if ledger is not None:
                with self._lock:
                    ledger.update(self.job.job_id, [(s.shard.number, s.row()) for s in self.states])
                ledger.close()
        return self._outcome(errors)

    def _follow(self, client: Any, control: Variable, futures: dict[Any, ShardState], merger: ThreadPoolExecutor,
                target: Store, ledger: ShardLedger | None) -> list[Future[None]]:
        """Until every shard task ended: merge finished shards, report progress, beat, pass on commands (at once:
        pause, resume and cancel wake this loop)."""
        ended = self._wake

        def collect() -> None:
            for future in as_completed(list(futures)):
                ended.put(future)

        threading.Thread(target=collect, name="fmtc-nb-shards-ended", daemon=True).start()
        merges: list[Future[None]] = []
        left, last_progress, last_beat = len(futures), 0.0, time.monotonic()
        while left:
            try:
                future = ended.get(timeout=PROGRESS_S)
            except queue.Empty:
                future = None
            if future is not None:
                left -= 1
                state = futures[future]
                if self._ended(future, state):
                    merges.append(merger.submit(self._merge, state, target, ledger))
            self._pass_command(client, control, futures)
            now = time.monotonic()
            if self.on_progress is not None and now - last_progress >= PROGRESS_S:
                last_progress = now
                self.on_progress(self.snapshot)
            if now - last_beat >= HEARTBEAT_S:
                last_beat = now
                self._beat(ledger)
        return merges

    # -- pieces ----------------------------------------------------------------------------------------
    def _job_checkpoint(self, target: Store, total: int) -> Checkpoint:
        """The job's exact checkpoint: the tracker's (read from the job's store when the job was resumed), or
        the one the store holds under the job's id."""
        if self.tracker is not None:
            self.tracker.todo(total)  # checks the total and records the run as running
            return self.tracker.checkpoint
        checkpoint = Checkpoint.from_text(target.read_checkpoint(self.job.job_id))
        if checkpoint.total is not None and checkpoint.total != total and len(checkpoint.finished):
            raise RecoveryError(f"The job's tile cover now has {total} tiles but its checkpoint was made for "
                                f"{checkpoint.total}, so it cannot be resumed exactly.")
        checkpoint.total = total
        return checkpoint

    def _state_of(self, shard: Shard) -> ShardState:
        """The shard as this run starts: merged already (nothing failed in it), or what it still has to fetch
        from the checkpoint its store holds, else from its part of the job's checkpoint."""
        shards = Root(self.shard_root)
        if is_done(self._checkpoint, shard) and not failed_in(self._checkpoint, shard):
            if shards.exists(shard.name):  # merged, but the run ended before the shard store was removed
                shards.delete(shard.name)
            return ShardState(shard, 0, state="merged", tiles_done=shard.tiles)
        if is_done(self._checkpoint, shard) and shards.exists(shard.name):
            shards.delete(shard.name)  # merged with failures: retry them from the job's checkpoint
        checkpoint = part_of(self._checkpoint, shard)
        if shards.exists(shard.name):
            with shards.open(shard.name) as store:
                text = store.read_checkpoint(shard_key(self.job.job_id, shard))
            checkpoint = Checkpoint.from_text(text) if text else checkpoint
        return ShardState(shard, todo_count(checkpoint, shard))

    def _spec(self, shard: Shard, names: RunNames) -> ShardSpec:
        seed = part_of(self._checkpoint, shard).to_text()
        return ShardSpec(self.job.to_dict(), shard, str(self.shard_root), seed, names)

    def _on_event(self, event: tuple[float, Any]) -> None:
        """A shard's progress, relayed by the scheduler (runs on the Dask client's thread)."""
        message = event[1]
        with self._lock:
            number = message.get("shard") if isinstance(message, dict) else None
            if isinstance(number, int) and 0 <= number < len(self.states):
                state = self.states[number]
                if state.state in ("pending", "running"):
                    state.relayed(message)

    def _ended(self, future: Any, state: ShardState) -> bool:
        """Record how a shard's task ended; True if the shard is finished and should be merged."""
        try:
            result = future.result()
        except CancelledError:
            with self._lock:
                state.state = "cancelled"
            return False
        except Exception as exc:  # noqa: BLE001 - a worker died too often, or the engine raised: one sentence
            with self._lock:
                state.state, state.reason = "failed", str(exc) or type(exc).__name__
            return False
        with self._lock:
            state.relayed(result)
            if result["status"] == "completed":
                state.state = "finished"
            else:
                state.state = "cancelled" if result["status"] == "cancelled" else "failed"
                state.reason = result.get("reason")
        return state.state == "finished"

    def _merge(self, state: ShardState, target: Store, ledger: ShardLedger | None) -> None:
        """Merge one finished shard into the job's store (one at a time, on the merge thread)."""
        shards = Root(self.shard_root)
        job_key = self.tracker.job_id if self.tracker is not None else self.job.job_id
        merged, copied = merge_shard(target, shards.store_path(state.shard.name),
                                     shard_key(self.job.job_id, state.shard), state.shard, self._checkpoint, job_key)
        with self._cp_lock:
            self._checkpoint = merged
            if self.tracker is not None:
                self.tracker.checkpoint = merged
        with self._lock:
            state.state = "merged"
            self.merged_tiles += copied
            row = state.row()
        if ledger is not None:
            ledger.update(self.job.job_id, [(state.shard.number, row)])
        shards.delete(state.shard.name)

    def _pass_command(self, client: Any, control: Variable, futures: dict[Any, ShardState]) -> None:
        """Tell the workers to pause, run or stop when that changed; on cancel, drop the queued shards."""
        command = self._wanted_command()
        if command == self._command:
            return
        control.set(command)
        self._command = command
        if command == "cancel":
            running = {key for keys in client.processing().values() for key in keys}
            client.cancel([f for f in futures if not f.done() and f.key not in running])

    def _wanted_command(self) -> str:
        """What the user asked of the shards: ``cancel``, ``pause`` or ``run`` (see ``fmtc_nb.scale.task``)."""
        return "cancel" if self._cancel.is_set() else "pause" if self._paused else "run"

    def _beat(self, ledger: ShardLedger | None) -> None:
        """Heartbeat of the job in the registry (the merged tiles are its count) and the shards' rows."""
        snapshot = self.snapshot
        if self.tracker is not None:
            with self._cp_lock:
                self.tracker.heartbeat(snapshot)
        if ledger is not None:
            with self._lock:
                rows = [(s.shard.number, s.row()) for s in self.states]
            ledger.update(self.job.job_id, rows)

    def _outcome(self, errors: list[BaseException | None]) -> tuple[JobStatus, str | None]:
        """The run's status and reason; writes the PMTiles archive when the job is complete."""
        with self._lock:
            states = list(self.states)
        failed = [s for s in states if s.state == "failed"]
        if errors or failed:
            what = str(errors[0]) if errors else f"shard {failed[0].shard.number}: {failed[0].reason}"
            return "failed", f"{len(errors) + len(failed)} shard(s) failed, first {what}"
        if any(s.state != "merged" for s in states):
            return "cancelled", "cancelled by the user"
        if self.pmtiles:
            from fmtc_nb.store.export import export_store

            with self.root.open(self.job.store, readonly=True) as store:
                export_store(store, "pmtiles", self.pmtiles, overwrite=True)
        tiles_failed = self._checkpoint.tiles_failed
        return "completed", f"{tiles_failed} tiles failed" if tiles_failed else None
