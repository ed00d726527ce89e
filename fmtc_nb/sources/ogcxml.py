"""Reading OGC capabilities with the standard library's ``xml.etree``: namespace-blind element access, the
Web Mercator CRS names, and the OGC exception documents a server sends instead of capabilities.

Why not OWSLib (the maintained OGC client on PyPI): it requires lxml (C code; python-for-android's recipe pins
lxml 4.8 and builds libxml2 and libxslt for it), requests (a second HTTP stack outside fmtc-nb's User-Agent and
Retry-After rules) and PyYAML/dateutil, to read the dozen elements fmtc-nb needs. The core must package for
Android as pure Python, so these few elements are read here; the tests check the demo server's capabilities
with OWSLib itself.

Entity declarations are refused (no billion-laughs expansion); ElementTree never fetches external DTDs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from fmtc_nb.errors import SourceError

#: EPSG codes of Web Mercator: 3857 and the older or vendor names for the same projection.
WEB_MERCATOR_CODES = ("3857", "900913", "102100", "102113", "3785")
_EPSG_CODE = re.compile(r"EPSG\W.*?(\d+)$", re.I)


def parse_xml(data: bytes, what: str, shown_url: str) -> ET.Element:
    """The root element of ``data``; a sentence if it is not XML, declares entities, or is an OGC exception."""
    if b"<!ENTITY" in data:
        raise SourceError(f"The {what} at {shown_url} declares XML entities, which fmtc-nb does not expand.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        start = data[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise SourceError(f"The {what} at {shown_url} is not XML ({exc}; it starts with {start!r}).") from None
    if local(root.tag) in ("ServiceExceptionReport", "ExceptionReport"):
        message = " ".join(t.strip() for e in root.iter() for t in (e.text or "",) if t.strip())
        raise SourceError(f"The {what} at {shown_url} is an error report: {message[:300] or 'no message'}.")
    return root


def local(tag: str) -> str:
    """An element or attribute name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def kids(element: ET.Element, name: str) -> list[ET.Element]:
    """The direct children called ``name`` (any namespace)."""
    return [child for child in element if local(child.tag) == name]


def kid(element: ET.Element | None, *path: str) -> ET.Element | None:
    """The first element down ``path`` of child names (any namespace), or None."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local(c.tag) == name), None)
    return element


def text(element: ET.Element | None, *path: str) -> str:
    """The stripped text of the element down ``path`` ('' if absent)."""
    found = kid(element, *path) if path else element
    return (found.text or "").strip() if found is not None else ""


def attribute(element: ET.Element | None, name: str) -> str | None:
    """The attribute called ``name`` in any namespace (e.g. ``xlink:href``)."""
    if element is None:
        return None
    return next((value for key, value in element.attrib.items() if local(key) == name), None)


def descendants(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Every element below ``element`` called ``name`` (any namespace)."""
    return (e for e in element.iter() if e is not element and local(e.tag) == name)


def epsg_code(crs: str) -> str | None:
    """The EPSG code of a CRS name: ``EPSG:3857``, ``urn:ogc:def:crs:EPSG::3857``, ``urn:ogc:def:crs:EPSG:6.18:3:3857``,
    ``http://www.opengis.net/def/crs/EPSG/0/3857``; None for other names."""
    match = _EPSG_CODE.search(crs.strip())
    return match.group(1) if match else None


def is_web_mercator(crs: str) -> bool:
    """True if ``crs`` names Web Mercator (EPSG:3857 or one of its aliases)."""
    return epsg_code(crs) in WEB_MERCATOR_CODES


def listing(names: list[str], most: int = 12) -> str:
    """``'a', 'b', 'c'`` (and how many more) for sentences naming what a service offers."""
    if not names:
        return "nothing"
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")
