"""The client of one paired device: dispatch jobs and style packs, follow them live, control them, pull stores
and packs back.

>>> dev = DeviceClient.named("pixel")                                    # doctest: +SKIP
>>> job = dev.dispatch("rect:5,45,7,47", "0-12", url=TEMPLATE, store="alps")
>>> dev.watch(job.id, on_progress=lambda event: print(event.overall.percentage))
>>> dev.pull("alps")                                                      # into the local root
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fmtc_nb.device.http import DEFAULT_TIMEOUT_S, DeviceLink
from fmtc_nb.device.jobs import build_job, build_pack_job
from fmtc_nb.device.paired import PairedDevice, get_device
from fmtc_nb.errors import StoreError, StoreExists
from fmtc_nb.wire import JobEvent, JobRow

if TYPE_CHECKING:
    import pandas

API = "/api/v1"


class DeviceClient:
    """Talks to the bridge at ``url`` with bearer ``token`` (see :func:`fmtc_nb.device.pair`) over one kept
    httpx connection (:class:`~fmtc_nb.device.http.DeviceLink`); ``certificate``: the PEM the device was paired
    with over HTTPS (the only one trusted). Close it, or use it in a ``with`` block, to drop the connection."""

    def __init__(self, url: str, token: str, name: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 certificate: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.name = name or self.url
        self.timeout = timeout
        self.link = DeviceLink(self.url, token, timeout, certificate or None)

    @classmethod
    def named(cls, name: str, directory: Path | None = None) -> DeviceClient:
        """The client of the paired device called ``name``."""
        device: PairedDevice = get_device(name, directory)
        return cls(device.url, device.token, device.name, certificate=device.certificate)

    def close(self) -> None:
        """Close the kept connection."""
        self.link.close()

    def __enter__(self) -> DeviceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DeviceClient({self.name!r}, {self.url!r})"

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return self.link.call(method, f"{API}{path}", body)

    def _row(self, method: str, path: str, body: Any = None) -> JobRow:
        return JobRow.from_dict(self._call(method, path, body))

    # -- reading ---------------------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """The device: Android version, vendor, battery optimisation, notification permission, limits."""
        return self._call("GET", "/device")

    def jobs(self) -> list[JobRow]:
        """Every job of the device (live figures and snapshot for the active ones)."""
        return [JobRow.from_dict(row) for row in self._call("GET", "/jobs")["jobs"]]

    def job(self, job_id: str) -> JobRow:
        """One job (with its live snapshot while it runs)."""
        return self._row("GET", f"/jobs/{quote(job_id, safe='')}")

    def recovery(self) -> list[JobRow]:
        """The device's recovery registry, one row a job (``running_here`` for those active now)."""
        return [JobRow.from_dict(row) for row in self._call("GET", "/recovery")["jobs"]]

    def stores(self) -> list[str]:
        """Names of the device's stores."""
        return self._call("GET", "/stores")["stores"]

    def store_stats(self, store: str) -> dict[str, Any]:
        """Statistics of a store on the device."""
        return self._call("GET", f"/stores/{quote(store, safe='')}/stats")

    def jobs_frame(self) -> pandas.DataFrame:
        """:meth:`jobs` as a pandas DataFrame indexed by job id."""
        from fmtc_nb.device.frames import jobs_frame

        return jobs_frame(self.jobs())

    def recovery_frame(self) -> pandas.DataFrame:
        """:meth:`recovery` as a pandas DataFrame (times as timestamps, one row per job)."""
        from fmtc_nb.device.frames import recovery_frame

        return recovery_frame(self.recovery())

    def stores_frame(self) -> pandas.DataFrame:
        """Statistics of every store on the device as a pandas DataFrame (one row a store)."""
        from fmtc_nb.device.frames import stores_frame

        return stores_frame([self.store_stats(name) for name in self.stores()])

    # -- jobs ------------------------------------------------------------------------------------------------
    def dispatch(self, region: Any, zooms: Any, url: str | None = None, store: str | None = None, *,
                 source: Any = None, options: Any = None, job_id: str | None = None,
                 **option_fields: Any) -> JobRow:
        """Start a job on the device (arguments as :func:`~fmtc_nb.device.jobs.build_job`); returns its row."""
        job = build_job(region, zooms, url, store, source=source, options=options, job_id=job_id, **option_fields)
        return self.dispatch_job(job)

    def dispatch_pack(self, region: Any, zooms: Any, style: str, name: str, *, glyphs: str = "latin",
                      headers: dict[str, str] | None = None, contact: str | None = None, options: Any = None,
                      job_id: str | None = None, **option_fields: Any) -> JobRow:
        """Start downloading the style pack ``name`` of ``style`` (its http(s) URL: the phone reads it) for
        ``region`` at ``zooms`` on the device; the device plans it before answering, so a bad style or a pack
        beyond its limits is refused at once. Arguments as :func:`~fmtc_nb.packs.download_pack`."""
        job = build_pack_job(region, zooms, style, name, glyphs=glyphs, headers=headers, contact=contact,
                             options=options, job_id=job_id, **option_fields)
        return self.dispatch_job(job)

    def dispatch_job(self, job: Any) -> JobRow:
        """Start a ready :class:`~fmtc_nb.engine.DownloadJob` or :class:`~fmtc_nb.packs.PackJob` on the device."""
        return self._row("POST", "/jobs", job.to_dict())

    def events(self, job_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The raw event stream of a job: ``("progress" | "end", data)`` with ``data`` the JSON of a
        :class:`~fmtc_nb.wire.JobEvent` (the engine's snapshot fields, ``job_id`` and ``tiles_done``).
        :meth:`watch` reads it typed."""
        return self.link.events(f"{API}/jobs/{quote(job_id, safe='')}/events")

    def watch(self, job_id: str, on_progress: Callable[[JobEvent], None] | None = None) -> JobRow:
        """Follow a job until it ends on the device; ``on_progress`` gets each progress event. Returns the
        job's row at the end (status completed, failed, cancelled or paused)."""
        for name, data in self.events(job_id):
            if name == "progress" and on_progress is not None:
                on_progress(JobEvent.from_dict(data))
            if name == "end":
                break
        return self.job(job_id)

    def pause(self, job_id: str) -> JobRow:
        """Pause a running job."""
        return self._row("POST", f"/jobs/{quote(job_id, safe='')}/pause")

    def resume(self, job_id: str) -> JobRow:
        """Resume a paused or stopped job (refused while it runs)."""
        return self._row("POST", f"/jobs/{quote(job_id, safe='')}/resume")

    def cancel(self, job_id: str) -> JobRow:
        """Cancel a job (its stored tiles stay)."""
        return self._row("POST", f"/jobs/{quote(job_id, safe='')}/cancel")

    def unpair(self) -> None:
        """Revoke this client's token on the device."""
        self._call("DELETE", "/pair")

    # -- stores and packs -------------------------------------------------------------------------------------
    def packs(self) -> list[str]:
        """Names of the device's style packs."""
        return self._call("GET", "/packs")["packs"]

    def pull_pack(self, name: str, root: Any = None, *, replace: bool = False) -> Path:
        """Copy the style pack ``name`` (its stores and its folder) from the device into the local root, where
        ``fmtc-nb pack show/export/serve`` use it; returns the pack's folder. See
        :func:`fmtc_nb.device.packs.pull_pack`."""
        from fmtc_nb.device.packs import pull_pack

        return pull_pack(self, name, root, replace=replace)

    def fetch_file(self, path: str, accept: str, directory: Path, suffix: str) -> Path:
        """Save the body of the API's ``path`` as a new file in ``directory`` (its name ends in ``suffix``) and
        return it; nothing is left behind if the transfer fails."""
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".pull-{os.getpid()}-", suffix=suffix, dir=directory)
        try:
            with os.fdopen(fd, "wb") as out, self.link.download(f"{API}{path}", accept) as chunks:
                for chunk in chunks:
                    out.write(chunk)
        except BaseException:
            os.unlink(tmp)
            raise
        return Path(tmp)

    def pull(self, store: str, root: Any = None, *, as_name: str | None = None, replace: bool = False) -> Path:
        """Copy store ``store`` from the device into the local root as ``as_name`` (default: the same name).

        The device sends a consistent copy; it is checked (SQLite + MBTiles metadata) before it takes its
        place, so an interrupted pull never leaves a broken store. An existing local store is kept unless
        ``replace``. Returns the local file.
        """
        from fmtc_nb.store import Root

        local = Root(root)
        name = as_name or store
        target = local.store_path(name)
        if target.exists() and not replace:
            raise StoreExists(f"A local store named {name!r} exists already; pass replace=True (--replace) "
                              "or choose another name.")
        tmp = self.fetch_file(f"/stores/{quote(store, safe='')}.mbtiles", "application/vnd.sqlite3", target.parent,
                              ".mbtiles")
        try:
            check_mbtiles(tmp)
            if target.exists():
                local.delete(name)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target


def check_mbtiles(path: Path) -> None:
    """Raise StoreError unless ``path`` is an intact SQLite file holding an fmtc-nb store (MBTiles tables
    included), i.e. one the local root can open: checked before it replaces anything."""
    from fmtc_nb.store.schema import is_fmtc_store

    try:
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)  # "#" and "%" quoted
        try:
            ok = db.execute("PRAGMA quick_check").fetchone()[0] == "ok" and is_fmtc_store(db)
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"The pulled file is not a valid SQLite database ({exc}).") from None
    if not ok:
        raise StoreError("The pulled file is not an intact fmtc-nb store (integrity or schema check failed).")
