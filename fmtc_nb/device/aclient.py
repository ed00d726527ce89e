"""The device client for code on an event loop (a notebook's kernel): the same calls as
:class:`~fmtc_nb.device.DeviceClient`, awaited, over one kept ``httpx.AsyncClient`` connection.

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

    async def job(self, job_id: str) -> JobRow:
        """One job's row."""
        return JobRow.from_dict(await self.link.call("GET", f"{API}/jobs/{quote(job_id, safe='')}"))

    async def control(self, job_id: str, action: str) -> JobRow:
        """``pause``, ``resume`` or ``cancel`` a job."""
        return JobRow.from_dict(await self.link.call("POST", f"{API}/jobs/{quote(job_id, safe='')}/{action}"))

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
