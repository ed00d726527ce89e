"""Jupyter widgets of fmtc-nb: region picker, estimate, download and device panels, a
browse-only store map.

Jupyter-only (ipywidgets, ipyleaflet): nothing in the core imports this package, and the panels are imported
on first use, so ``import fmtc_nb.widgets`` is cheap and works where ipyleaflet is missing until a panel is
asked for.

>>> from fmtc_nb.widgets import RegionPicker      # doctest: +SKIP
>>> picker = RegionPicker(server.url_template)    # draw on it, or picker.set_regions([...])
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PANELS = {
    "RegionPicker": "fmtc_nb.widgets.region_picker",
    "EstimatePanel": "fmtc_nb.widgets.estimate_panel",
    "DownloadPanel": "fmtc_nb.widgets.download_panel",
    "ShardedPanel": "fmtc_nb.widgets.sharded_panel",
    "DevicePanel": "fmtc_nb.widgets.device_panel",
    "StoreMap": "fmtc_nb.widgets.store_map",
}

__all__ = sorted(_PANELS)


def __getattr__(name: str) -> Any:
    if name in _PANELS:
        return getattr(import_module(_PANELS[name]), name)
    raise AttributeError(f"module 'fmtc_nb.widgets' has no attribute {name!r}")
