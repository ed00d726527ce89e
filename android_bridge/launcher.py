"""The virtual device's launcher lives in :mod:`fmtc_nb.device.launcher` (a notebook starts the bridge as a
process without importing it); re-exported here for the bridge's own tests and benchmarks."""

from fmtc_nb.device.launcher import VirtualDeviceProcess

__all__ = ["VirtualDeviceProcess"]
