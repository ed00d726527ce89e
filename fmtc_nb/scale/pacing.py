"""One politeness policy for a job however many workers run it, kept in Dask's own coordination primitives.

The rate limit is a schedule of request slots (GCRA): a ``distributed.Variable`` holds the wall-clock time at
which the job's next slot is free; a worker takes a lease of slots (``LEASE_S`` seconds' worth) under a
``distributed.Lock`` by moving that time on, then spends the slots at their times. However many workers
lease, the slots of the whole job are ``1 / rate`` seconds apart. A server's "slow down" (Retry-After on 429
or 503) is written to the same variable as a hold time: the next leases start after it, workers without a
rate limit read it about once a second, and the worker that got the answer holds at once.

Times are ``time.time()`` of each machine, so clocks are assumed in step (NTP keeps them within milliseconds).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from distributed import Lock, Variable

from fmtc_nb.engine.ratelimit import WAKE_S

#: Seconds of request slots a worker takes at a time (fewer lock round trips against a finer interleaving).
LEASE_S = 0.2
#: Seconds a slot may be late and still be used (a worker that falls behind drops older slots).
LATE_S = 0.1
#: Seconds one attempt to take the lock or read the variable may wait before it is tried again.
WAIT_S = 5.0


def pacer_names(job_id: str) -> tuple[str, str]:
    """The Dask names of job ``job_id``'s lock and variable (one per job, so every run shares them)."""
    return f"fmtc-nb-{job_id}-pace-lock", f"fmtc-nb-{job_id}-pace"


def reset_pacer(client: Any, job_id: str) -> None:
    """Start the job's schedule afresh (no slot taken, no hold); the coordinator calls it before any shard runs."""
    Variable(pacer_names(job_id)[1], client=client).set({"next": 0.0, "hold": 0.0})


def drop_pacer(client: Any, job_id: str) -> None:
    """Forget the job's variable at the scheduler (the lock holds no state once released)."""
    Variable(pacer_names(job_id)[1], client=client).delete()


class SharedPacer:
    """The engine's :class:`~fmtc_nb.engine.hooks.Pacer` for a shard on a Dask worker: ``rate`` tiles per
    second for the whole job (None: unlimited), and holds shared with every other worker of the job.

    Create it in the task (it binds to the worker); Dask calls run on its own thread, off the engine's loop.
    """

    def __init__(self, job_id: str, rate: float | None) -> None:
        self.rate = rate
        lock_name, state_name = pacer_names(job_id)
        self._lock = Lock(lock_name)
        self._state = Variable(state_name)
        _ = self._lock.scheduler, self._state.client  # bind to this worker now, in the task's thread
        self._slots: deque[float] = deque()  # wall-clock times of the leased slots not used yet
        self._hold_until = 0.0  # wall-clock time before which no request starts
        self._last_wait = 0.0
        self._leasing: asyncio.Lock | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="fmtc-nb-pacer")

    @property
    def limiting(self) -> bool:
        """True if a request waited for a slot or a hold within the last second."""
        return time.monotonic() - self._last_wait < 1.0

    async def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for any hold to end, then for this worker's next slot (leasing more when none is left); False
        (no slot taken) as soon as ``stop`` is set."""
        if not await self._until(lambda: self._hold_until, stop):  # a hold may grow meanwhile
            return False
        if self.rate is None:
            return True
        while True:
            if not self._slots:
                self._leasing = self._leasing or asyncio.Lock()
                async with self._leasing:
                    if not self._slots:
                        self._slots.extend(await asyncio.get_running_loop().run_in_executor(self._pool, self._lease))
            slot = self._slots.popleft()
            if slot - time.time() > -LATE_S:
                break  # a slot missed by more than LATE_S is dropped, so a late worker never bursts
        return await self._until(lambda: slot, stop)

    async def _until(self, moment: Callable[[], float], stop: threading.Event | None) -> bool:
        """Sleep until wall-clock ``moment()`` (True), waking every WAKE_S to see ``stop`` (False if set)."""
        while (wait := moment() - time.time()) > 0:
            if stop is not None and stop.is_set():
                return False
            self._last_wait = time.monotonic()
            await asyncio.sleep(min(wait, WAKE_S))
        return stop is None or not stop.is_set()

    def slow_down(self, seconds: float) -> None:
        """Hold this worker at once and every other worker of the job from its next lease or refresh."""
        until = time.time() + seconds
        self._hold_until = max(self._hold_until, until)
        self._slots.clear()  # slots leased before the hold would burst out right after it
        self._pool.submit(self._share_hold, until)

    def refresh(self) -> None:
        """Learn the holds other workers shared (the relay calls this about once a second)."""
        self._hold_until = max(self._hold_until, self._read()["hold"])

    def close(self) -> None:
        """Finish the pending Dask calls."""
        self._pool.shutdown(wait=True)

    # -- on the pool's thread ------------------------------------------------------------------------
    def _lease(self) -> list[float]:
        assert self.rate is not None
        count = max(1, round(self.rate * LEASE_S))
        with self._locked():
            state = self._read()
            start = max(state["next"], state["hold"], time.time())
            self._state.set({"next": start + count / self.rate, "hold": state["hold"]})
        self._hold_until = max(self._hold_until, state["hold"])
        return [start + i / self.rate for i in range(count)]

    def _share_hold(self, until: float) -> None:
        with self._locked():
            state = self._read()
            self._state.set({"next": max(state["next"], until), "hold": max(state["hold"], until)})

    def _read(self) -> dict[str, float]:
        while True:
            try:
                return dict(self._state.get(timeout=WAIT_S))
            except TimeoutError:
                continue

    @contextmanager
    def _locked(self) -> Iterator[None]:
        while not self._lock.acquire(timeout=WAIT_S):  # a dead holder's lease times out at the scheduler
            pass
        try:
            yield
        finally:
            self._lock.release()
