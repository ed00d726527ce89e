"""A pack job: a style, a region and zooms, the pack's name, the engine options and the glyph scripts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fmtc_nb.engine.job import DownloadOptions
from fmtc_nb.source import TileSource
from fmtc_nb.sources.documents import DocumentFetch

KIND = "pack"
"""The ``kind`` a pack job's dict carries (a plain download job's dict has none)."""


@dataclass(frozen=True)
class PackJob:
    """Download the style ``style`` (http(s) URL or file) for ``region`` at ``zooms`` into the pack ``store``
    (the pack's name: its folder and the prefix of its stores), with the engine ``options``; ``glyphs`` names
    the scripts whose glyph ranges are fetched (``latin``, ``latin,cyrillic``, ``all``); ``headers`` and
    ``contact`` go with every request (the User-Agent names fmtc-nb). ``job_id`` names the job in the recovery
    registry and the checkpoints in the pack's stores."""

    kind: ClassVar[str] = KIND
    region: Any
    zooms: list[int]
    style: str
    store: str
    options: DownloadOptions = field(default_factory=DownloadOptions)
    glyphs: str = "latin"
    headers: dict[str, str] = field(default_factory=dict)
    contact: str | None = None
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    def tile_source(self, template: str, tile_format: str | None) -> TileSource:
        """The :class:`TileSource` of one of the style's tile URL templates, with the job's headers."""
        return TileSource(template, headers=dict(self.headers), contact=self.contact, tile_format=tile_format)

    def request_headers(self) -> dict[str, str]:
        """Headers for the style, TileJSON, sprite and glyph requests (User-Agent included)."""
        from fmtc_nb.source import default_user_agent

        merged = {k: v for k, v in self.headers.items() if k.lower() != "user-agent"}
        agent = next((v for k, v in self.headers.items() if k.lower() == "user-agent"), None)
        merged["User-Agent"] = agent or default_user_agent(self.contact)
        return merged

    def document_fetch(self) -> DocumentFetch:
        """How the style and the TileJSONs are fetched: :meth:`request_headers` and the job's network options."""
        return DocumentFetch(self.request_headers(), self.options)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict; the region as GeoJSON; ``kind`` is ``pack``."""
        return {"kind": KIND, "region": self.region.to_geojson(), "zooms": list(self.zooms), "style": self.style,
                "store": self.store, "options": self.options.to_dict(), "glyphs": self.glyphs,
                "headers": dict(self.headers), "contact": self.contact, "job_id": self.job_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackJob:
        """Inverse of :meth:`to_dict` (without ``job_id``, a new id)."""
        from fmtc_nb.regions import region_from_geojson

        named = {"job_id": str(data["job_id"])} if data.get("job_id") else {}
        return cls(region_from_geojson(data["region"]), [int(z) for z in data["zooms"]], str(data["style"]),
                   str(data["store"]), DownloadOptions.from_dict(data.get("options") or {}),
                   str(data.get("glyphs") or "latin"), dict(data.get("headers") or {}), data.get("contact"),
                   **named)


def job_from_dict(data: dict[str, Any]) -> Any:
    """A :class:`PackJob` or a ``DownloadJob`` from its dict (told apart by ``kind``)."""
    if data.get("kind") == KIND:
        return PackJob.from_dict(data)
    from fmtc_nb.engine.job import DownloadJob

    return DownloadJob.from_dict(data)
