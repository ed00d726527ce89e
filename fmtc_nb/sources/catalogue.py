"""The provider catalogue (``fmtc_nb/data/providers.json``): well-known tile services with their source, attribution,
zoom range, terms, whether bulk/offline download is allowed, and where an API key goes.

The bulk-download rule of fmtc-nb is this catalogue: :func:`bulk_forbidden_hosts` is what
:meth:`fmtc_nb.source.TileSource.check_bulk_allowed` refuses. This module reads data only (no import of
``fmtc_nb.source``), so the tile source may consult it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

#: What ``bulk`` may say: fmtc-nb refuses ``forbidden``, warns for ``check-terms``.
BULK_POLICIES = ("allowed", "check-terms", "forbidden")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Provider:
    """One catalogue entry. ``source`` is any ``--source`` spec (template, ``wms:``, ``wmts:``, TileJSON URL);
    ``api_key_env`` names the environment variable holding the key when the source has ``{api_key}``."""

    id: str
    name: str
    source: str
    attribution: str
    terms: str
    bulk: str
    min_zoom: int | None = None
    max_zoom: int | None = None
    api_key_where: str | None = None
    api_key_env: str | None = None
    subdomains: tuple[str, ...] = ("a", "b", "c")

    @property
    def hosts(self) -> list[str]:
        """The host names the source reaches (``{s}`` resolved to each subdomain), lower case."""
        url = self.source.split(":", 1)[1] if self.source.startswith(("wms:", "wmts:", "tilejson:")) else self.source
        subs = self.subdomains if "{s}" in url else ("",)
        return sorted({(urlsplit(url.replace("{s}", s)).hostname or "").lower().rstrip(".") for s in subs})

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict (``fmtc-nb sources list --json``)."""
        return {"id": self.id, "name": self.name, "source": self.source, "attribution": self.attribution,
                "min_zoom": self.min_zoom, "max_zoom": self.max_zoom, "terms": self.terms, "bulk": self.bulk,
                "api_key": None if self.api_key_env is None else {"where": self.api_key_where, "env": self.api_key_env}}


@lru_cache(maxsize=1)
def providers() -> tuple[Provider, ...]:
    """Every catalogue entry, in file order (checked once: a bad entry is a bug of the package)."""
    text = resources.files("fmtc_nb.data").joinpath("providers.json").read_text("utf-8")
    out = []
    for entry in json.loads(text)["providers"]:
        key = entry.get("api_key") or {}
        provider = Provider(entry["id"], entry["name"], entry["source"], entry["attribution"], entry["terms"],
                            entry["bulk"], entry.get("min_zoom"), entry.get("max_zoom"), key.get("where"),
                            key.get("env"), tuple(entry.get("subdomains", ("a", "b", "c"))))
        if not _ID.match(provider.id) or provider.bulk not in BULK_POLICIES:
            raise ValueError(f"providers.json: entry {provider.id!r} has a bad id or bulk policy")
        out.append(provider)
    return tuple(out)


def provider(provider_id: str) -> Provider | None:
    """The entry called ``provider_id`` (case-insensitive), or None."""
    return next((p for p in providers() if p.id == provider_id.lower()), None)


def provider_for_host(host: str) -> Provider | None:
    """The entry whose service is at ``host`` (or a subdomain of its host), or None. A host with several entries
    gets the strictest policy's entry."""
    host = host.lower().rstrip(".")
    found = [p for p in providers() if any(host == h or host.endswith("." + h) for h in p.hosts)]
    found.sort(key=lambda p: -BULK_POLICIES.index(p.bulk))
    return found[0] if found else None


def bulk_forbidden_hosts() -> dict[str, str]:
    """{host: terms URL} of every service whose terms forbid bulk and offline downloading."""
    return {host: p.terms for p in providers() if p.bulk == "forbidden" for host in p.hosts}
