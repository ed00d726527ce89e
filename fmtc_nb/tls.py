"""TLS for tile requests: the system's trust store plus certifi's, so HTTPS works where there is no system store.

A python-for-android build has no usable system CA store (its OpenSSL looks in directories of the build
machine), so with Python's defaults every ``https://`` tile source fails with CERTIFICATE_VERIFY_FAILED.
certifi's Mozilla bundle travels with the package instead. On a desktop the system store stays in use (a
company's own CA keeps working) and certifi's CAs are added to it.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def client_ssl_context() -> ssl.SSLContext:
    """A verifying client context: the system's default CAs (if any) and certifi's (if installed).

    Shared by every aiohttp session of the process (an ``SSLContext`` may be used from several threads).
    """
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi is a dependency; without it the system store alone
        return context
    context.load_verify_locations(cafile=certifi.where())
    return context
