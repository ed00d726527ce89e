"""Store names: what a store may be called so that ``<root>/stores/<name>.mbtiles`` is a safe file name."""

from __future__ import annotations

import re

from fmtc_nb.errors import StoreError

#: Characters rejected by at least one common file system (Windows, FAT, ext4, APFS) or unsafe in a path.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
MAX_NAME_BYTES = 200


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid store name, else raise :class:`StoreError` saying why."""
    if not isinstance(name, str) or not name.strip():
        raise StoreError("A store name must be a non-empty string.")
    if ".." in name:
        raise StoreError(f"The store name {name!r} contains '..'; names may not point outside the root.")
    bad = _FORBIDDEN.search(name)
    if bad:
        raise StoreError(f"The store name {name!r} contains {bad.group()!r}; path separators, control "
                         'characters and <>:"|?* are not allowed.')
    if name != name.strip() or name.endswith(".") or name.startswith("."):
        raise StoreError(f"The store name {name!r} starts or ends with a space or dot, which file systems reject.")
    if name.split(".")[0].lower() in _RESERVED:
        raise StoreError(f"The store name {name!r} is a reserved device name on Windows.")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise StoreError(f"The store name is longer than {MAX_NAME_BYTES} bytes.")
    return name
