"""fmtc-nb: plan and download offline map regions.

The core modules (regions, cover, store, engine, recovery, estimate) import nothing from Jupyter, so the
same engine runs in a notebook, the ``fmtc-nb`` command and the Android bridge.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
