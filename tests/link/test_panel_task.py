"""The device panel follows a job as a task on the running event loop (as in a notebook's kernel), with no
thread; cancelling the task stops following while the job goes on on the device."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from android_bridge.launcher import VirtualDeviceProcess
from fmtc_nb.regions import Circle
from fmtc_nb.tileserver import start_server


@pytest.fixture(scope="module")
def server():
    handle = start_server(latency_s=0.01)
    yield handle
    handle.stop()


def test_watching_as_a_task_follows_the_job_to_its_end_and_a_cancel_stops_only_the_watching(server, tmp_path):
    from fmtc_nb.widgets import DevicePanel

    device = VirtualDeviceProcess(tmp_path / "phone").start()
    try:
        panel = DevicePanel(device.url, tile_url=server.url_template, config_dir=tmp_path / "config")
        panel.pair(device.code, name="phone")

        async def in_the_kernel() -> tuple[object, int, int]:
            threads = threading.active_count()
            panel.dispatch(Circle(6.63, 46.52, 10), "0-12", rate_limit=150)
            task = panel.watch_task()
            deadline = time.monotonic() + 30
            while not (panel.shown and panel.shown.attempted) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)  # the kernel's loop runs the watching task meanwhile
            during = panel.shown.attempted if panel.shown else 0
            task.cancel()  # stop watching; the job goes on on the device
            await asyncio.gather(task, return_exceptions=True)
            assert threading.active_count() == threads, "watching started a thread"
            panel.watch_task()
            final = await panel.finished(timeout=60)
            return final, during, threads

        final, during, _ = asyncio.run(in_the_kernel())
    finally:
        device.stop()
    assert during > 0, "the panel followed the progress while the task ran"
    assert final["status"] == "completed"
    assert panel.shown is not None and panel.shown.attempted == final["tiles_total"]
    assert "Job ended on the device: <b>completed</b>" in panel.message.value


def test_the_async_client_makes_the_same_calls(server, tmp_path):
    from fmtc_nb.device import pair
    from fmtc_nb.device.aclient import AsyncDeviceClient

    device = VirtualDeviceProcess(tmp_path / "phone").start()
    try:
        pair(device.url, device.code, "phone", tmp_path / "config").close()

        async def calls() -> tuple:
            async with AsyncDeviceClient.named("phone", tmp_path / "config") as dev:
                info = await dev.info()
                row = await dev.dispatch("rect:6.5,46.4,6.8,46.6", "0-10", server.url_template, "async",
                                         rate_limit=100)
                paused = await dev.pause(row.id)
                resumed = await dev.resume(row.id)
                final = await dev.watch(row.id)
                return (info, row, paused, resumed, final, await dev.jobs(), await dev.recovery(),
                        await dev.stores(), await dev.store_stats("async"))

        info, row, paused, resumed, final, jobs, recovery, stores, stats = asyncio.run(calls())
    finally:
        device.stop()
    assert info["device_id"] == device.info["device_id"]
    assert paused.status == "paused" and resumed.status == "running" and final.status == "completed"
    assert [j.id for j in jobs] == [row.id] and [r.id for r in recovery] == [row.id]
    assert stores == ["async"] and stats["tiles"] == final.tiles_done
