"""US states and ZIP codes.

``normalize_state`` turns a postal code, a full name or an old-style abbreviation in any case
(``"ok"``, ``"Oklahoma"``, ``"Okla."``, ``"N. Dak."``) into the USPS two-letter code, or ``None``.
Known codes are the 50 states, DC and the five inhabited territories of
:data:`cmplatform.lib.usps.STATES`, plus the military "states" AA, AE and AP (APO/FPO mail).

``normalize_zip`` reads ``73102``, ``73102-1234``, ``731021234``, ``73102 1234``, spreadsheet
numbers (``73102.0``, the integer ``73102``) and returns ``(zip5, zip4, reason)``:

* A ZIP+4 add-on of ``0000`` is not a real add-on: the ZIP is kept, the add-on dropped.
* **Lost leading zeros.** Spreadsheets that took ZIPs for numbers turned ``02116`` into
  ``2116``. The zeros are put back only when the record's state is one whose ZIPs start with 0
  (CT MA ME NH NJ PR RI VT VI and the military AE: the 0xxxx block of the national ZIP map) and
  the restored ZIP's first three digits fall inside that state's ranges; without a state, or for
  any other state, a 3- or 4-digit ZIP is invalid (``reason="too short"``): guessing would
  merge addresses that differ. (New York's IRS ZIPs 005xx are the one 0-ZIP outside these
  states; nobody mails landowners there.)
* ``00000`` and other all-zero ZIPs are invalid (``reason="zero zip"``).

All functions are cached; states and ZIPs repeat heavily in real files.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from cmplatform.lib.usps import STATES

from ._common import CACHE_SIZE, cell_text

MILITARY_STATES: dict[str, str] = {
    "AA": "Armed Forces Americas",
    "AE": "Armed Forces Europe",
    "AP": "Armed Forces Pacific",
}

# Traditional (pre-1963 GPO) abbreviations still typed into old CRMs, without their periods
# and spaces (they are removed before the lookup: "N. Dak." → "NDAK").
_TRADITIONAL_ABBREVIATIONS: dict[str, str] = {
    "ALA": "AL", "ARIZ": "AZ", "ARK": "AR", "CALIF": "CA", "CAL": "CA", "COLO": "CO",
    "CONN": "CT", "DEL": "DE", "FLA": "FL", "ILL": "IL", "IND": "IN", "KAN": "KS", "KANS": "KS",
    "MASS": "MA", "MICH": "MI", "MINN": "MN", "MISS": "MS", "MONT": "MT", "NEB": "NE",
    "NEBR": "NE", "NEV": "NV", "NMEX": "NM", "NDAK": "ND", "SDAK": "SD", "OKLA": "OK",
    "ORE": "OR", "OREG": "OR", "PENN": "PA", "PENNA": "PA", "TENN": "TN", "TEX": "TX",
    "WASH": "WA", "WVA": "WV", "WIS": "WI", "WISC": "WI", "WYO": "WY",
    "DISTOFCOLUMBIA": "DC", "WASHINGTONDC": "DC", "USVIRGINISLANDS": "VI",
    "VIRGINISLANDS": "VI", "USVI": "VI",
}  # fmt: skip

_STATE_LOOKUP: dict[str, str] = {
    **_TRADITIONAL_ABBREVIATIONS,
    **{name.upper().replace(".", "").replace(" ", ""): code for code, name in STATES.items()},
    **{name.upper().replace(" ", ""): code for code, name in MILITARY_STATES.items()},
    **{code: code for code in STATES},
    **{code: code for code in MILITARY_STATES},
}

# First three digits of the ZIPs of the states whose ZIPs start with 0 (inclusive ranges).
ZERO_ZIP_PREFIXES: dict[str, tuple[tuple[int, int], ...]] = {
    "PR": ((6, 7), (9, 9)),
    "VI": ((8, 8),),
    "MA": ((10, 27), (55, 55)),
    "RI": ((28, 29),),
    "NH": ((30, 38),),
    "ME": ((39, 49),),
    "VT": ((50, 54), (56, 59)),
    "CT": ((60, 69),),
    "NJ": ((70, 89),),
    "AE": ((90, 99),),
}

_NOT_DIGIT_OR_DASH = re.compile(r"[^0-9-]")


class ZipResult(NamedTuple):
    """A parsed ZIP code: ``zip5`` and ``zip4`` (``None`` when absent or invalid) and the
    ``reason`` it is invalid (``None`` when ``zip5`` is set)."""

    zip5: str | None
    zip4: str | None
    reason: str | None


def normalize_state(raw: object) -> str | None:
    """The USPS code of a state given as code, name or old abbreviation, else ``None``."""
    return _normalize_state_cached(cell_text(raw))


@lru_cache(maxsize=4096)
def _normalize_state_cached(text: str) -> str | None:
    """:func:`normalize_state` on the cell's text, cached."""
    if len(text) == 2 and text.isalpha():
        code = text.upper()
        return code if code in _STATE_LOOKUP else None
    key = text.upper().replace(".", "").replace(" ", "").replace("\t", "")
    return _STATE_LOOKUP.get(key)


def normalize_zip(raw: object, state: str | None = None) -> ZipResult:
    """Parse a ZIP or ZIP+4 (see the module docstring). ``state`` is a USPS code (or anything
    :func:`normalize_state` reads); it only matters for a ZIP that lost its leading zeros."""
    return _normalize_zip_cached(cell_text(raw), state)


@lru_cache(maxsize=CACHE_SIZE)
def _normalize_zip_cached(text: str, state: str | None) -> ZipResult:
    """:func:`normalize_zip` on the cell's text, cached."""
    value = text.strip()
    if len(value) == 5 and value.isdigit():
        return (
            ZipResult(value, None, None) if value != "00000" else ZipResult(None, None, "zero zip")
        )
    if not value:
        return ZipResult(None, None, "empty")
    if value.endswith(".0") and value[:-2].isdigit():
        value = value[:-2]  # a spreadsheet's float: "73102.0"
    plus4: str | None = None
    if "-" in value or " " in value:
        parts = value.replace(" ", "-").split("-")
        parts = [part for part in parts if part]
        if len(parts) != 2 or not all(part.isdigit() for part in parts):
            return ZipResult(None, None, "not a zip code")
        value, plus4 = parts
        if len(plus4) != 4:
            return ZipResult(None, None, "invalid zip+4")
    elif not value.isdigit() or not value.isascii():
        return ZipResult(None, None, "not a zip code")
    elif len(value) in (8, 9):
        value, plus4 = value[:-4], value[-4:]
    if len(value) > 5:
        return ZipResult(None, None, "too long")
    if len(value) < 5:
        restored = _restore_leading_zeros(value, normalize_state(state) if state else None)
        if restored is None:
            return ZipResult(None, None, "too short")
        value = restored
    if value == "00000":
        return ZipResult(None, None, "zero zip")
    return ZipResult(value, plus4 if plus4 != "0000" else None, None)


def _restore_leading_zeros(digits: str, state: str | None) -> str | None:
    """``digits`` padded to five with zeros when ``state``'s ZIPs start with 0 and the padded
    ZIP falls in its ranges, else ``None``."""
    ranges = ZERO_ZIP_PREFIXES.get(state) if state else None
    if ranges is None or len(digits) < 3:
        return None
    padded = digits.zfill(5)
    prefix = int(padded[:3])
    if any(low <= prefix <= high for low, high in ranges):
        return padded
    return None
