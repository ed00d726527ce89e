"""Store names: what a store may be called so that ``<root>/stores/<name>.mbtiles`` is a safe file name, and
so that two stores never look alike (invisible, direction-changing or look-alike space characters are
refused; a name is kept in Unicode normal form C, so an accent typed two ways names one store)."""

from __future__ import annotations

import re
import unicodedata

from fmtc_nb.errors import StoreError

#: Characters rejected by at least one common file system (Windows, FAT, ext4, APFS) or unsafe in a path.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
#: Unicode categories that are invisible or not characters: controls, format characters (zero-width,
#: direction overrides, tags), surrogates, private use, unassigned, line and paragraph separators.
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
MAX_NAME_BYTES = 200


def check_name(name: object, what: str = "store") -> str:
    """Return ``name`` (in Unicode normal form C) if it is a valid store name, else raise :class:`StoreError`
    saying why; sentences call it a ``what`` name (a pack's name follows the same rules)."""
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"A {what} name must be a non-empty string.")
    if any("\ud800" <= c <= "\udfff" for c in name):
        raise StoreError(f"The {what} name {name!r} is not valid UTF-8 (it came from bytes that are not text, "
                         "such as a file name in another encoding); give a name in plain text (an import takes --as NAME).")
    if ".." in name:
        raise StoreError(f"The {what} name {name!r} contains '..'; names may not point outside the root.")
    bad = _FORBIDDEN.search(name)
    if bad:
        raise StoreError(f"The {what} name {name!r} contains {bad.group()!r}; path separators, control "
                         'characters and <>:"|?* are not allowed.')
    odd = next((c for c in name if unicodedata.category(c) in _INVISIBLE
                or unicodedata.category(c) == "Zs" and c != " "), None)
    if odd is not None:
        char = unicodedata.name(odd, f"U+{ord(odd):04X}")
        raise StoreError(f"The {what} name {name!r} contains {char.lower()} (U+{ord(odd):04X}), an invisible or "
                         "look-alike character that would let two names look the same; use visible characters "
                         "and plain spaces.")
    if name != name.strip() or name.endswith(".") or name.startswith("."):
        raise StoreError(f"The {what} name {name!r} starts or ends with a space or dot, which file systems reject.")
    if name.split(".")[0].lower() in _RESERVED:
        raise StoreError(f"The {what} name {name!r} is a reserved device name on Windows.")
    name = unicodedata.normalize("NFC", name)
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise StoreError(f"The {what} name is longer than {MAX_NAME_BYTES} bytes.")
    return name
