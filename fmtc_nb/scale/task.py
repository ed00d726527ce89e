"""A shard as a Dask task: the engine's :class:`~fmtc_nb.engine.Download` of the shard's index range into the
shard's own store, paced by the job's shared pacer, with a relay thread that sends progress to the coordinator
(``Worker.log_event``, received by ``Client.subscribe_topic``) and obeys its control variable.

A worker that dies takes its task with it; Dask runs the task again elsewhere, and the new attempt starts from
the checkpoint the shard's store holds, so it fetches again only what the dead attempt had not committed.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from dataclasses import dataclass, replace
from typing import Any

from distributed import Variable, get_worker

from fmtc_nb.engine import Download, DownloadJob
from fmtc_nb.recovery import Checkpoint
from fmtc_nb.scale.checkpoints import ShardCheckpointer, shard_key
from fmtc_nb.scale.pacing import WAIT_S, SharedPacer
from fmtc_nb.scale.plan import Shard
from fmtc_nb.store import Root

#: Seconds between two progress messages (and control checks) of a running shard.
RELAY_S = 1.0
#: What the coordinator's control variable says: keep going, pause, or stop (and flush).
COMMANDS = ("run", "pause", "cancel")


@dataclass(frozen=True)
class RunNames:
    """Dask names of one run of sharded job ``job_id``: its progress topic and its control variable."""

    job_id: str
    run: str

    @property
    def topic(self) -> str:
        """The ``log_event`` topic the shards' progress goes to."""
        return f"fmtc-nb-{self.job_id}-{self.run}-progress"

    @property
    def control(self) -> str:
        """The variable holding one of :data:`COMMANDS`."""
        return f"fmtc-nb-{self.job_id}-{self.run}-control"


@dataclass(frozen=True)
class ShardSpec:
    """Everything a worker needs for one shard: the job (``DownloadJob.to_dict()``), the shard, the directory
    of the shard stores (a path every worker reaches), the job checkpoint's part for this shard (text, used
    when the shard's store holds no checkpoint yet) and the run's names."""

    job: dict[str, Any]
    shard: Shard
    shard_root: str
    seed: str
    names: RunNames


def command_of(control: Variable) -> str:
    """The coordinator's command; ``run`` if the variable cannot be read (the coordinator is gone)."""
    try:
        value = control.get(timeout=WAIT_S)
    except Exception:  # noqa: BLE001 - a timeout or a lost scheduler: keep the shard going, it stays resumable
        return "run"
    return value if value in COMMANDS else "run"


def run_shard(spec: ShardSpec) -> dict[str, Any]:
    """Download one shard on this worker; returns its last progress message with ``status`` and ``reason``."""
    worker = get_worker()
    control = Variable(spec.names.control)
    job = DownloadJob.from_dict(spec.job)
    key = shard_key(job.job_id, spec.shard)
    root = Root(spec.shard_root)
    with root.open_or_create(spec.shard.name, job.source.url_template) as store:
        stored = store.read_checkpoint(key)
    checkpointer = ShardCheckpointer(key, spec.shard, Checkpoint.from_text(stored or spec.seed))
    relay = Relay(worker, spec, control, checkpointer)
    command = command_of(control)
    if command == "cancel":
        return relay.message("cancelled", "cancelled before it started")
    pacer = SharedPacer(job.job_id, job.options.rate_limit)
    download = Download(replace(job, store=spec.shard.name), root, checkpointer=checkpointer, pacer=pacer)
    relay.follow(download, pacer, command)
    try:
        download.run()
    finally:
        relay.stop()
        pacer.close()
    status, reason = checkpointer.outcome or ("failed", "the engine ended without a status")
    message = relay.message(status, reason)
    worker.log_event(spec.names.topic, message)
    return message


class Relay:
    """Once a second: obey the control variable, learn shared holds, and send the shard's progress."""

    def __init__(self, worker: Any, spec: ShardSpec, control: Variable, checkpointer: ShardCheckpointer) -> None:
        self.worker = worker
        self.spec = spec
        self.control = control
        self.checkpointer = checkpointer
        self.attempt = uuid.uuid4().hex
        self.download: Download | None = None
        self.pacer: SharedPacer | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fmtc-nb-shard-relay", daemon=True)

    def follow(self, download: Download, pacer: SharedPacer, command: str) -> None:
        """Start relaying for ``download`` run with ``pacer``, obeying ``command`` from the start (a shard
        starting while the job is paused starts paused). The first message goes at once, so the coordinator
        knows the shard runs (and waits for it to obey a pause it read too late) before the relay's first second."""
        self.download, self.pacer = download, pacer
        self._obey(command)
        self.worker.log_event(self.spec.names.topic, self.message(download.snapshot.status))
        self._thread.start()

    def stop(self) -> None:
        """Stop the relay thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def message(self, status: str, reason: str | None = None) -> dict[str, Any]:
        """The shard's progress as the coordinator reads it (msgpack-safe)."""
        cp = self.checkpointer
        snapshot = self.download.snapshot if self.download is not None else cp.last_snapshot
        return {"shard": self.spec.shard.number, "attempt": self.attempt, "worker": self.worker.address,
                "todo": cp.todo_tiles, "tiles_done": cp.tiles_done, "tiles_failed": cp.tiles_failed,
                "checkpoint": cp.last_text, "status": status, "reason": reason,
                "snapshot": snapshot.to_dict() if snapshot is not None else {"status": status}}

    def _obey(self, command: str) -> None:
        download = self.download
        assert download is not None
        if command == "cancel":
            download.cancel()
        elif command == "pause" and not download.paused:
            download.pause()
        elif command == "run" and download.paused:
            download.resume()

    def _loop(self) -> None:
        download, pacer = self.download, self.pacer
        assert download is not None and pacer is not None
        while not self._stop.wait(RELAY_S):
            self._obey(command_of(self.control))
            with contextlib.suppress(Exception):  # the scheduler is busy or away: the next second tries again
                pacer.refresh()
            self.worker.log_event(self.spec.names.topic, self.message(download.snapshot.status))
