"""The device panel follows a job as a task on the running event loop (as in a notebook's kernel), with no
thread; cancelling the task stops following while the job goes on on the device."""

from __future__ import annotations

import asyncio
import threading

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
            await asyncio.sleep(1.0)
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
