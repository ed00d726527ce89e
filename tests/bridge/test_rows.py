"""One job row across the process boundary: what the device client reads is the device registry's own row,
and the live rows of an active job have the same shape."""

from __future__ import annotations

from dataclasses import replace

from fmtc_nb.device import DeviceClient
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.wire import JobEvent, JobRow
from tests.bridge.conftest import pair_token

REGION = "rect:6,46,6.4,46.3"


def without_age(row: JobRow) -> JobRow:
    """The row without the heartbeat's age (it grows between two reads)."""
    return replace(row, heartbeat_age_s=0.0)


def test_the_client_reads_the_registry_row_and_live_rows_keep_its_shape(device, tile_server):
    client = DeviceClient(device.url, pair_token(device))
    started = client.dispatch(REGION, "0-9", url=tile_server.url_template, store="rows", rate_limit=100)
    assert isinstance(started, JobRow) and started.running_here and started.snapshot is not None
    assert started.status == "running" and started.tiles_total > 0 and started.owner.startswith("device")
    events: list[JobEvent] = []
    final = client.watch(started.id, on_progress=events.append)
    assert events and all(isinstance(e, JobEvent) and e.job_id == started.id for e in events)
    assert [e.tiles_done for e in events] == sorted(e.tiles_done for e in events)
    with RecoveryRegistry(device.root) as registry:
        local = registry.get(started.id).row()
    assert final.status == "completed" and not final.running_here
    assert without_age(final) == without_age(local), "GET job of an ended job is the registry's row"
    (listed,) = client.jobs()
    (recovered,) = client.recovery()
    assert without_age(listed) == without_age(recovered) == without_age(local)
    assert set(started.to_dict()) == set(final.to_dict()), "live and stored rows have the same keys"
    assert final.percentage == 100.0 and final["status"] == "completed" and dict(final) == final.to_dict()
