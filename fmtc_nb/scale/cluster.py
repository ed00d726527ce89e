"""Which Dask cluster runs the shards: a ``distributed.Client`` or cluster object you made (dask-jobqueue,
Kubernetes, Gateway ...), a scheduler address ``tcp://HOST:PORT``, or ``local:N`` for a LocalCluster of N
single-threaded worker processes on this machine (bound to 127.0.0.1, closed when the job ends)."""

from __future__ import annotations

import importlib.util
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import dask
from distributed import Client, LocalCluster
from distributed.deploy import Cluster

from fmtc_nb.errors import ClusterError

#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT_S = 10.0
_LOCAL = re.compile(r"local:(\d+)")
_ADDRESS = re.compile(r"(tcp|tls|ws|wss|inproc)://\S+")
#: Scheduler settings of a LocalCluster made here: a worker killed while it holds the job's pacer lock frees
#: it within seconds instead of the default 30-40 s.
LOCAL_LOCKS = {"distributed.scheduler.locks.lease-validation-interval": "1s",
               "distributed.scheduler.locks.lease-timeout": "5s"}


@dataclass
class ClusterHandle:
    """A client of the cluster, what to record to reach it again (``spec``), and what to close after."""

    client: Client
    spec: str
    _owned: list[Any] = field(default_factory=list)

    @property
    def dashboard(self) -> str | None:
        """Dask's dashboard address (shows the shard tasks), if the cluster serves one."""
        try:
            return str(self.client.dashboard_link)
        except Exception:  # noqa: BLE001 - no dashboard (bokeh missing) or an unknown address
            return None

    @property
    def threads(self) -> int:
        """Worker threads of the cluster now (how many shards run at once)."""
        return sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values())

    def close(self) -> None:
        """Close the client, and the cluster if it was made here."""
        for thing in reversed(self._owned):
            thing.close()
        self._owned.clear()


def connect(cluster: Any) -> ClusterHandle:
    """A :class:`ClusterHandle` for ``cluster``: a ``Client``, a Dask cluster object, ``tcp://HOST:PORT``,
    ``local:N`` or another handle; anything else, or a scheduler that does not answer, raises
    :class:`ClusterError`."""
    if isinstance(cluster, Client):
        return ClusterHandle(cluster, str(getattr(cluster.scheduler, "address", "")))
    if isinstance(cluster, Cluster):
        client = Client(cluster)
        return ClusterHandle(client, str(cluster.scheduler_address), [client])
    if isinstance(cluster, ClusterHandle):
        return ClusterHandle(cluster.client, cluster.spec)  # the caller closes it
    kind, value = parse_cluster(cluster)
    if kind == "local":
        return _local(int(value))
    try:
        client = Client(value, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError:
        raise ClusterError(f"The Dask scheduler at {value} did not answer within {CONNECT_TIMEOUT_S:g} s.") from None
    except OSError as exc:
        raise ClusterError(f"The Dask scheduler at {value} cannot be reached ({exc}).") from None
    return ClusterHandle(client, value, [client])


def parse_cluster(spec: Any) -> tuple[str, str]:
    """``("local", N)`` or ``("address", ADDRESS)`` for a cluster given as text; :class:`ClusterError` if it is
    neither (checked before anything is recorded or started)."""
    text = spec.strip() if isinstance(spec, str) else ""
    if match := _LOCAL.fullmatch(text):
        workers = int(match.group(1))
        if not 1 <= workers <= 512:
            raise ClusterError(f"{text} asks for {workers} workers; give 1 to 512.")
        return "local", str(workers)
    if _ADDRESS.fullmatch(text):
        return "address", text
    raise ClusterError(f"The cluster {spec!r} is not local:N, a scheduler address such as tcp://HOST:PORT, "
                       "or a Dask Client.")


def _local(workers: int) -> ClusterHandle:
    dashboard = "127.0.0.1:0" if importlib.util.find_spec("bokeh") else None
    with dask.config.set(LOCAL_LOCKS):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=dashboard, silence_logs=logging.ERROR)
    client = Client(cluster)
    return ClusterHandle(client, f"local:{workers}", [cluster, client])
