"""What phone vendors do to background work, from ``fmtc_nb/data/android_vendors.csv`` (data from
dontkillmyapp.com).

The data is CC-BY: wherever it is shown, show :data:`ATTRIBUTION` with it.

>>> vendor_advice("Xiaomi")["award"]
5
>>> vendor_advice("Google")["vendor"]
'stock'
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import Any

ATTRIBUTION = "Vendor data: dontkillmyapp.com / Urbandroid Team, licensed CC-BY."
SITE = "https://dontkillmyapp.com"

#: Vendors whose page on dontkillmyapp.com has another name.
PAGES = {"stock": "stock_android"}

#: Manufacturer strings (``Build.MANUFACTURER``, lower case) that name a vendor of the table differently.
ALIASES = {"honor": "huawei", "redmi": "xiaomi", "poco": "xiaomi", "hmd global": "nokia", "google": "stock"}


@cache
def vendor_table() -> tuple[dict[str, Any], ...]:
    """Every row of ``android_vendors.csv``: award (0-5, 5 worst) and position as ints, the yes/no columns as
    bools, plus ``url`` (the vendor's page on dontkillmyapp.com)."""
    text = resources.files("fmtc_nb").joinpath("data", "android_vendors.csv").read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(text.splitlines()):
        rows.append(
            {
                "vendor": row["vendor"],
                "award": int(row["award"]),
                "position": int(row["position"]) if row["position"] else None,
                "fgs_killed_by_default": row["fgs_killed_by_default"] == "yes",
                "user_can_fix": row["user_can_fix"] == "yes",
                "symptoms": row["symptoms"],
                "url": f"{SITE}/{PAGES.get(row['vendor'], row['vendor'])}",
            }
        )
    return tuple(rows)


def vendor_advice(manufacturer: str) -> dict[str, Any]:
    """The row for a phone's manufacturer (as ``GET /api/v1/device`` reports it), with ``attribution``.

    Unknown manufacturers get the stock-Android row with ``known`` false.
    """
    key = manufacturer.strip().lower()
    key = ALIASES.get(key, key)
    rows = {row["vendor"]: row for row in vendor_table()}
    row = rows.get(key)
    known = row is not None
    return {**(row or rows["stock"]), "known": known, "attribution": ATTRIBUTION}


def vendor_frame() -> Any:
    """The table as a pandas DataFrame (worst vendors first); ``frame.attrs["attribution"]`` carries the
    credit. Imports pandas lazily (notebooks only)."""
    import pandas as pd

    frame = pd.DataFrame(list(vendor_table())).sort_values(["award", "vendor"], ascending=[False, True])
    frame.attrs["attribution"] = ATTRIBUTION
    return frame.reset_index(drop=True)
