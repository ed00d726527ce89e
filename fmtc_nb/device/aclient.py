"""The device client for code on an event loop (a notebook's kernel): the calls of
:class:`~fmtc_nb.device.DeviceClient`, awaited, over one kept ``httpx.AsyncClient`` connection (a store is
pulled with the blocking client, which checks the copy before it takes its place).

>>> async with AsyncDeviceClient.named("pixel") as dev:             # doctest: +SKIP
...     row = await dev.watch(job_id, on_progress=print)           # a task the notebook can cancel
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fmtc_nb.device.http import DEFAULT_TIMEOUT_S, AsyncDeviceLink
from fmtc_nb.device.paired import get_device
from fmtc_nb.wire import JobEvent, JobRow

API = "/api/v1"


class AsyncDeviceClient:
    """Talks to the bridge at ``url`` with bearer ``token`` (``certificate``: the PEM pinned at pairing)."""

    def __init__(self, url: str, token: str, name: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 certificate: str | None = None) -> None:
        self.url, self.name = url.rstrip("/"), name or url
        self.link = AsyncDeviceLink(self.url, token, timeout, certificate or None)

    @classmethod
    def named(cls, name: str, directory: Path | None = None) -> AsyncDeviceClient:
        """The client of the paired device called ``name``."""
        device = get_device(name, directory)
        return cls(device.url, device.token, device.name, certificate=device.certificate)

    async def close(self) -> None:
        """Close the kept connection."""
        await self.link.close()

    async def __aenter__(self) -> AsyncDeviceClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def info(self) -> dict[str, Any]:
        """The device's facts (see :meth:`fmtc_nb.device.DeviceClient.info`)."""
        answer: dict[str, Any] = await self.link.call("GET", f"{API}/device")
        return answer

    async def jobs(self) -> list[JobRow]:
        """Every job of the device."""
        return [JobRow.from_dict(row) for row in (await self.link.call("GET", f"{API}/jobs"))["jobs"]]

    async def recovery(self) -> list[JobRow]:
        """The device's recovery registry, one row a job."""
        return [JobRow.from_dict(row) for row in (await self.link.call("GET", f"{API}/recovery"))["jobs"]]

    async def stores(self) -> list[str]:
        """Names of the device's stores."""
        names: list[str] = (await self.link.call("GET", f"{API}/stores"))["stores"]
        return names

    async def store_stats(self, store: str) -> dict[str, Any]:
        """Statistics of a store on the device."""
        stats: dict[str, Any] = await self.link.call("GET", f"{API}/stores/{quote(store, safe='')}/stats")
        return stats

    async def job(self, job_id: str) -> JobRow:
        """One job's row."""
        return JobRow.from_dict(await self.link.call("GET", f"{API}/jobs/{quote(job_id, safe='')}"))

    async def dispatch(self, region: Any, zooms: Any, url: str | None = None, store: str | None = None,
                       **arguments: Any) -> JobRow:
        """Start a job on the device (arguments as :func:`fmtc_nb.device.build_job`, checked before sending)."""
        from fmtc_nb.device.client import build_job

        return await self.dispatch_job(build_job(region, zooms, url, store, **arguments))

    async def dispatch_job(self, job: Any) -> JobRow:
        """Start a ready :class:`~fmtc_nb.engine.DownloadJob` on the device."""
        return JobRow.from_dict(await self.link.call("POST", f"{API}/jobs", job.to_dict()))

    async def control(self, job_id: str, action: str) -> JobRow:
        """``pause``, ``resume`` or ``cancel`` a job."""
        return JobRow.from_dict(await self.link.call("POST", f"{API}/jobs/{quote(job_id, safe='')}/{action}"))

    async def pause(self, job_id: str) -> JobRow:
        """Pause a running job."""
        return await self.control(job_id, "pause")

    async def resume(self, job_id: str) -> JobRow:
        """Resume a paused or stopped job."""
        return await self.control(job_id, "resume")

    async def cancel(self, job_id: str) -> JobRow:
        """Cancel a job (its stored tiles stay)."""
        return await self.control(job_id, "cancel")

    async def unpair(self) -> None:
        """Revoke this client's token on the device."""
        await self.link.call("DELETE", f"{API}/pair")

    def events(self, job_id: str) -> AsyncIterator[tuple[str, Any]]:
        """The raw event stream of a job (``("progress" | "end", data)``)."""
        return self.link.events(f"{API}/jobs/{quote(job_id, safe='')}/events")

    async def watch(self, job_id: str, on_progress: Callable[[JobEvent], None] | None = None) -> JobRow:
        """Follow a job until it ends on the device (cancel the awaiting task to stop following: the job goes
        on there); returns its row at the end."""
        async for name, data in self.events(job_id):
            if name == "progress" and on_progress is not None:
                on_progress(JobEvent.from_dict(data))
            if name == "end":
                break
        return await self.job(job_id)
