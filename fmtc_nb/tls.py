"""TLS for tile requests: the system's trust store plus certifi's, so HTTPS works where there is no system store.

A python-for-android build has no usable system CA store (its OpenSSL looks in directories of the build
machine), so with Python's defaults every ``https://`` tile source fails with CERTIFICATE_VERIFY_FAILED.
certifi's Mozilla bundle travels with the package instead. On a desktop the system store stays in use (a
company's own CA keeps working) and certifi's CAs are added to it; a CA bundle named by the user (a company's
TLS-inspecting proxy) is added on top.
"""

from __future__ import annotations

import functools
import ssl

from fmtc_nb.errors import OptionError


@functools.cache
def client_ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The process's shared verifying client context for ``ca_bundle`` (see :func:`new_client_ssl_context`), for
    clients that use a context as it is (aiohttp, urllib; an ``SSLContext`` may be used from several threads).

    Never hand it to a client that changes it: httpx sets the context's ALPN protocols to offer HTTP/2, and every
    later HTTP/1.1 session of the process would then offer h2 too, be answered in HTTP/2 and get no tile.
    """
    return new_client_ssl_context(ca_bundle)


def new_client_ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A new verifying client context: the system's default CAs (if any), certifi's (if installed) and those of
    the PEM file ``ca_bundle`` (if given; one that cannot be read raises ``OptionError`` naming it). Loading the
    CAs takes some milliseconds: one is made per HTTP/2 session, which httpx changes."""
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi is a dependency; without it the system store alone
        pass
    else:
        context.load_verify_locations(cafile=certifi.where())
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=ca_bundle)
        except (OSError, ssl.SSLError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise OptionError("ca_bundle", ca_bundle, "CA bundle (ca_bundle)",
                              f"a readable PEM file of CA certificates ({reason})") from None
    return context
