"""The layers of the code hold: no import cycle, the core never imports Jupyter or the bridge."""

from __future__ import annotations

from tests.structure.imports import cycles, import_graph, reachable, top_level_imports


def test_no_import_cycle_anywhere():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" -> ".join(c) for c in found)


def test_fmtc_nb_never_imports_the_bridge():
    graph = import_graph()
    offenders = sorted(m for m, deps in graph.items()
                       if m.startswith("fmtc_nb") and any(d.startswith("android_bridge") for d in deps))
    assert offenders == []


def test_regions_never_read_the_cover():
    graph = import_graph()
    assert all("fmtc_nb.cover" not in deps for m, deps in graph.items() if m.startswith("fmtc_nb.regions"))
    assert graph["fmtc_nb.regions.spans"] == set(), "spans is the leaf of regions"


def test_the_bridge_takes_the_shared_android_facts_from_fmtc_nb():
    """The notification model, the vendor facts and the launcher have one home in fmtc_nb; the bridge's names
    for them are the same objects."""
    import android_bridge.foreground as foreground
    import android_bridge.launcher as launcher
    import android_bridge.platform.base as base
    import android_bridge.vendors as vendors
    from fmtc_nb.android import notification
    from fmtc_nb.android import vendors as shared_vendors
    from fmtc_nb.device import launcher as shared_launcher

    assert base.Notification is notification.Notification
    assert foreground.progress_notification is notification.progress_notification
    assert vendors.vendor_advice is shared_vendors.vendor_advice
    assert launcher.VirtualDeviceProcess is shared_launcher.VirtualDeviceProcess


def test_only_the_scale_package_imports_dask():
    """Dask is the optional extra fmtc-nb[dask]: the core, the CLI and the phone never import it themselves;
    only the commands and the sharded panel (loaded on first use) reach for the scale package."""
    users = sorted(m for m, tops in top_level_imports().items() if tops & {"dask", "distributed"})
    assert users and all(m.startswith("fmtc_nb.scale.") for m in users), users
    graph = import_graph()
    outside = sorted(m for m, deps in graph.items() if not m.startswith(("fmtc_nb.scale", "fmtc_nb.cli.",
                                                                          "fmtc_nb.widgets.sharded_panel"))
                     and any(d.startswith("fmtc_nb.scale") for d in deps))
    assert outside == [], "only the commands and the sharded panel reach for the scale package"
    plain = ("fmtc_nb.scale", "fmtc_nb.scale.plan", "fmtc_nb.scale.ledger", "fmtc_nb.scale.checkpoints",
             "fmtc_nb.scale.merge", "fmtc_nb.scale.progress")
    assert not any(top_level_imports()[m] & {"dask", "distributed"} for m in plain), "these work without Dask"


def test_the_phone_never_imports_the_device_client():
    """The device client (fmtc_nb.device: httpx, filelock) is the notebook's side; the bridge on the phone, which
    carries neither, never imports it, not even through another module (only the desktop launcher re-export
    may)."""
    graph = import_graph()
    offenders = sorted(m for m in graph if m.startswith("android_bridge") and m != "android_bridge.launcher"
                       and any(d.startswith("fmtc_nb.device") for d in reachable(graph, m)))
    assert offenders == []
