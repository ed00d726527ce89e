"""``--header Key:Value`` parsing shared by the commands that make requests (download, device, sources)."""

from __future__ import annotations

from fmtc_nb.errors import SourceError


def parse_headers(pairs: list[str]) -> dict[str, str]:
    """``Key:Value`` strings as a dict; a malformed one is a one-sentence :class:`SourceError`."""
    headers = {}
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key.strip():
            raise SourceError(f"The header {pair!r} is not of the form Key:Value.")
        headers[key.strip()] = value.strip()
    return headers
