"""Postal addresses in USPS Publication 28 style, and the address key.

``normalize_address("123 North Main Street Apt 4", "Dallas", "tx", "75201-1234")`` →
``AddressResult(street="123 N MAIN ST APT 4", city="DALLAS", state="TX", zip5="75201",
zip4="1234", address_key="123 N MAIN ST APT 4|75201", is_standardized=True, reason=None)``.

**The street line** is standardised in three ways, tried in order:

1. **Pre-cleaning** (always): control characters and runs of whitespace collapsed; a line
   broken over several lines keeps a following unit line (``"12 Elm St\\nApt 4"``) and drops a
   following city/state/ZIP line (``"12 Elm St\\r\\nDallas TX 75201"``: that belongs to the
   other columns); a leading care-of marker before a house number (``"C/O 12 Elm St"``,
   ``"C\\O ..."``) is dropped.
2. **Rural and box forms** that usaddress-scourgify refuses (it raises on every USPS box
   label): ``PO BOX 123`` (``P.O. Box``, ``POB``, ``Post Office Box``, a bare ``Box``),
   ``RR 3 BOX 120`` (``Rural Route``, ``Rt``, ``Route``, ``RR#``), ``HC 65 BOX 12``
   (``HC65``, ``Highway Contract``), and highway-style lines (``1234 COUNTY ROAD 120`` for
   ``CR``/``Co Rd``/``County Rd``, ``1234 FM 1788`` for ``Farm to Market Road``/``F.M.``/
   ``FM Rd``, ``1234 HIGHWAY 80`` for ``Hwy``, ``1234 STATE HIGHWAY 80`` for ``State Hwy``).
   scourgify would read ``CR`` as Creek, ``Farm to Market Road 1788`` as road + unit 1788,
   and give ``County Road`` and ``CR`` different keys, so these are our rules, after
   Publication 28 §24 (rural routes), §25 (highway contract routes), §28 (PO boxes) and
   §237 (highways).
3. **Street addresses**: usaddress-scourgify's ``normalize_address_record`` (USPS directional,
   street-suffix and unit abbreviations: ``North`` → ``N``, ``Street`` → ``ST``, ``Apartment``
   → ``APT``, ``Suite`` → ``STE``, ``#4`` → ``# 4``, unknown unit words → ``UNIT``), about
   15,000 lines/s. The **fast path** reads the common shape ``NUMBER [DIRECTIONAL] NAME
   [NAME] SUFFIX [APT|UNIT|STE|SUITE|LOT|# ID]`` with scourgify's own tables (no hand-typed
   abbreviations) and gives exactly scourgify's output. usaddress is a statistical tagger, so
   "exactly" is proven empirically: ``tests/lib/hygiene/test_addresses.py`` compares both on
   thousands of generated lines and on every street of the demo sources, and the shapes the
   tagger reads inconsistently are left to scourgify itself — a street-type word inside the
   name (``PARK AVE``, ``PINE HILL``), a post-directional, Spanish pre-types (``EL CAMINO``),
   other unit words. Those are about one line in five of the demo data.

A line scourgify cannot parse keeps its text (whitespace collapsed), ``is_standardized=False``
and ``reason="unparseable street"``; its key is built from the upper-cased text, so the same
raw line always gets the same key.

**City** is upper-cased with scourgify's city abbreviations expanded (``ST`` → ``SAINT``,
``FT`` → ``FORT``, ``MT`` → ``MOUNT``), so ``St. Louis``, ``St Louis`` and ``Saint Louis``
agree. **State** and **ZIP** come from :mod:`.locations` (a ZIP that lost its leading zero is
restored only for the states whose ZIPs start with 0).

**address_key** is ``"STREET|ZIP5"`` upper case (``ZIP5`` empty when unknown): the natural key
of an address per person and the household key. Without a street line there is no address and
the key is ``""``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from scourgify import normalize_address_record
from scourgify.address_constants import (
    CITY_ABBREVIATIONS,
    DIRECTIONAL_REPLACEMENTS,
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)
from scourgify.exceptions import AddressNormalizationError

from cmplatform.lib.usps import STATES

from ._common import CACHE_SIZE, cell_text, collapse_whitespace
from .locations import MILITARY_STATES, normalize_state, normalize_zip


class AddressResult(NamedTuple):
    """A normalised postal address (see the module docstring).

    ``street`` is the standardised line (line 1 and the unit, upper case) or, when it could not
    be standardised, the raw line with whitespace collapsed; ``state`` is a USPS code or
    ``None``; ``zip5``/``zip4`` are ``None`` when absent or invalid; ``reason`` says what is
    wrong (``None`` when everything is fine): ``"empty street"``, ``"unparseable street"``,
    or the ZIP's reason (``"zip: too short"``).
    """

    street: str
    city: str
    state: str | None
    zip5: str | None
    zip4: str | None
    address_key: str
    is_standardized: bool
    reason: str | None


class StreetResult(NamedTuple):
    """A standardised street line, whether it was standardised, and why not."""

    street: str
    is_standardized: bool
    reason: str | None


# Full directionals and their abbreviations, from scourgify ("NORTH" → "N", "N" → "N").
_DIRECTIONALS: dict[str, str] = {
    **DIRECTIONAL_REPLACEMENTS,
    **{abbreviation: abbreviation for abbreviation in DIRECTIONAL_REPLACEMENTS.values()},
}
_UNIT_TYPES: dict[str, str] = {
    **OCCUPANCY_TYPE_ABBREVIATIONS,
    **{abbreviation: abbreviation for abbreviation in OCCUPANCY_TYPE_ABBREVIATIONS.values()},
}
# a two-letter state code inside a street name ("123 OK ST") may be tagged as a state
_STATE_CODES = frozenset((*STATES, *MILITARY_STATES))
# Street-type words that are also common street names: as the last word of a line without
# another suffix ("PINE HILL") usaddress reads them either way, so such lines go to scourgify.
_NAME_WORDS_ALSO_STREET_TYPES = frozenset(
    (
        "PARK", "LAKE", "HILL", "MILL", "PINE", "RIDGE", "MEADOW", "SPRING", "CENTER", "FRONT",
        "UNION", "CANYON", "VISTA", "VALLEY", "CREEK", "BLUFF", "PRAIRIE", "RANCH", "FOREST",
        "RIVER", "CLUB", "TRAIL", "VIEW", "GROVE", "HARBOR", "HAVEN", "HEIGHTS", "ISLAND",
        "MEADOWS", "ORCHARD", "POINT", "SPRINGS", "STATION", "SUMMIT", "VILLAGE", "GLEN",
    )
)  # fmt: skip
# Spanish street-type words written before the name ("EL CAMINO", "VIA VENETO"): usaddress
# tags them as pre-types, which the fast path does not model.
# "SAINT ANDREWS PARKWAY" keeps its PARKWAY in scourgify, "US"/"STATE"/"COUNTY" start
# highway names: lines with these words go to scourgify too.
_PRE_TYPE_WORDS = frozenset(
    ("EL", "LA", "LAS", "LOS", "VIA", "CAMINO", "CALLE", "AVENIDA", "RUE", "SAINT", "US",
     "STATE", "COUNTY")
)  # fmt: skip
# Unit designators whose scourgify output the fast path reproduces. With others scourgify is
# inconsistent (SPACE 12 loses its number, RM 5 becomes RM UNIT 5 or vanishes, TRLR gains a
# UNIT, APARTMENT 12B vanishes): those lines go to scourgify itself.
_FAST_UNIT_TYPES = frozenset(("APT", "UNIT", "STE", "SUITE", "LOT"))
_FAST_DIGITS_ONLY_UNIT_TYPES = frozenset(("APARTMENT",))
_ORDINAL = re.compile(r"\d+(?:ST|ND|RD|TH)")
_UNIT_IDENTIFIER = re.compile(r"[A-Z0-9]{1,6}")
# periods that are not decimal points (scourgify's own pre-cleaning rule)
_PERIOD_NOT_DECIMAL = re.compile(r"\.(?!\d)")

_PO_BOX = re.compile(
    r"(?:P\s*O\s*BOX|P\s*O\s*B|POST\s+OFFICE\s+BOX|BOX|P\s*O|PO\s*BX)\s*#?\s*([A-Z0-9-]+)"
)
_RURAL_ROUTE = re.compile(
    r"(?:RR|R\s*R|RURAL\s+ROUTE|RT|RTE|ROUTE|RFD|RD)\s*#?\s*(\d+)\s*,?\s*(?:BOX|BX)\s*#?\s*(\w+)"
)
_HIGHWAY_CONTRACT = re.compile(
    r"(?:HC|HCR|HIGHWAY\s+CONTRACT(?:\s+ROUTE)?|STAR\s+ROUTE)\s*#?\s*(\d+)\s*,?\s*"
    r"(?:BOX|BX)\s*#?\s*(\w+)"
)
_HIGHWAY_STYLE = re.compile(
    r"(\d+)\s+(COUNTY\s+ROAD|COUNTY\s+RD|CO\s+RD|CO\s+ROAD|CR|FM\s+RD|FM\s+ROAD|FM|F\s*M|"
    r"FARM\s+TO\s+MARKET(?:\s+ROAD|\s+RD)?|STATE\s+HIGHWAY|STATE\s+HWY|HIGHWAY|HWY)\s+(\d+[A-Z]?)"
)
_HIGHWAY_NAMES = {
    "C": "COUNTY ROAD",
    "F": "FM",
    "S": "STATE HIGHWAY",
    "H": "HIGHWAY",
}
_CARE_OF = re.compile(r"^C\s*[/\\]\s*O\s+(?=\d)", re.IGNORECASE)
_UNIT_LINE = re.compile(
    r"(?:#|APT|APARTMENT|UNIT|STE|SUITE|LOT|SP|SPC|SPACE|RM|ROOM|BLDG|FL|FLOOR|TRLR)\b\.?\s*#?\s*\w+"
)


def normalize_address(
    street: object, city: object = None, state: object = None, zip_code: object = None
) -> AddressResult:
    """Normalise one postal address (see the module docstring). Never raises."""
    state_code = normalize_state(state)
    zip_result = normalize_zip(zip_code, state_code)
    city_name = _normalize_city(cell_text(city))
    street_result = standardize_street(
        street, city=city_name, state=state_code, zip5=zip_result.zip5
    )
    reason = street_result.reason
    if zip_result.reason is not None and zip_result.reason != "empty":
        reason = f"{reason}; zip: {zip_result.reason}" if reason else f"zip: {zip_result.reason}"
    if street_result.street:
        line = (
            street_result.street if street_result.is_standardized else street_result.street.upper()
        )
        key = f"{line}|{zip_result.zip5 or ''}"
    else:
        key = ""
    return AddressResult(
        street_result.street,
        city_name,
        state_code,
        zip_result.zip5,
        zip_result.zip4,
        key,
        street_result.is_standardized,
        reason,
    )


def standardize_street(
    raw: object, *, city: str = "", state: str | None = None, zip5: str | None = None
) -> StreetResult:
    """The standardised street line (rules 1-3 of the module docstring). ``city``, ``state``
    and ``zip5`` only serve to recognise a city/state/ZIP line pasted into the street."""
    line = _pre_clean(cell_text(raw), city, state, zip5)
    if not line:
        return StreetResult("", False, "empty street")
    return _standardize_cached(line)


def standardize_street_with_library(raw: object) -> StreetResult:
    """:func:`standardize_street` with every street address standardised by
    usaddress-scourgify, without the fast path or any cache: the reference the fast path is
    tested against."""
    line = _pre_clean(cell_text(raw), "", None, None)
    if not line:
        return StreetResult("", False, "empty street")
    special = _special_form(line.upper())
    if special is not None:
        return StreetResult(special, True, None)
    return _standardize_with_library(line)


@lru_cache(maxsize=CACHE_SIZE)
def _standardize_cached(line: str) -> StreetResult:
    """Rural/box forms, then the fast path, then scourgify; cached per pre-cleaned line."""
    upper = line.upper()
    special = _special_form(upper)
    if special is not None:
        return StreetResult(special, True, None)
    fast = _standardize_fast(upper)
    if fast is not None:
        return StreetResult(fast, True, None)
    return _standardize_with_library(line)


def _standardize_with_library(line: str) -> StreetResult:
    """usaddress-scourgify's line 1 and line 2 of ``line``."""
    try:
        record = normalize_address_record(line)
    except (AddressNormalizationError, ValueError, TypeError, IndexError, KeyError):
        # scourgify raises its own errors for lines it cannot split, and now and then a plain
        # Python error from inside usaddress for odd token sequences: both mean "cannot parse"
        return StreetResult(line, False, "unparseable street")
    line1 = record.get("address_line_1") or ""
    line2 = record.get("address_line_2") or ""
    street = f"{line1} {line2}".strip()
    if not street:
        return StreetResult(line, False, "unparseable street")
    return StreetResult(street, True, None)


def _standardize_fast(upper: str) -> str | None:
    """``NUMBER [DIR] NAME... SUFFIX [UNIT ID]`` exactly as scourgify writes it, or
    ``None`` for any other shape."""
    if "." in upper:
        upper = _PERIOD_NOT_DECIMAL.sub("", upper)
    tokens = upper.replace(",", " ").replace("#", " # ").split()
    if len(tokens) < 3 or not tokens[0].isdigit() or not tokens[0].isascii():
        return None
    # the unit at the end: "APT 4", "# 4", "STE 200"
    unit = ""
    if len(tokens) >= 5 and _UNIT_IDENTIFIER.fullmatch(tokens[-1]) is not None:
        designator = tokens[-2]
        if designator == "#":
            unit = f"# {tokens[-1]}"
            tokens = tokens[:-2]
        elif designator in _FAST_UNIT_TYPES or (
            designator in _FAST_DIGITS_ONLY_UNIT_TYPES and tokens[-1].isdigit()
        ):
            unit = f"{_UNIT_TYPES[designator]} {tokens[-1]}"
            tokens = tokens[:-2]
    if "#" in tokens:
        return None
    if tokens[-1] in _DIRECTIONALS:
        return None  # a post-directional ("HWY E") is now and then a unit to usaddress
    street_type = STREET_TYPE_ABBREVIATIONS.get(tokens[-1])
    if street_type is None:
        return None
    pre_directional = ""
    name_start = 1
    if tokens[1] in _DIRECTIONALS and len(tokens) >= 4:
        pre_directional = _DIRECTIONALS[tokens[1]]
        name_start = 2
    name = tokens[name_start:-1]
    if not 1 <= len(name) <= 2 or tokens[-1] in _NAME_WORDS_ALSO_STREET_TYPES:
        return None  # "PINE HILL": is HILL the suffix or the name? usaddress varies
    for word in name:
        if not (word.isalpha() and word.isascii()) and _ORDINAL.fullmatch(word) is None:
            return None
        if word in _DIRECTIONALS or word in _UNIT_TYPES or word in _STATE_CODES:
            return None
        if word in _PRE_TYPE_WORDS or word in STREET_TYPE_ABBREVIATIONS:
            return None  # "PARK AVE", "CHISHOLM TRAIL PL": usaddress may take it as a suffix
    parts = [tokens[0]]
    if pre_directional:
        parts.append(pre_directional)
    parts.extend(name)
    parts.append(street_type)
    if unit:
        parts.append(unit)
    return " ".join(parts)


def _special_form(upper: str) -> str | None:
    """The PO box, rural route, highway contract or highway-style form of ``upper``, or
    ``None`` when it is none of them."""
    first = upper[:1]
    if first.isdigit():
        match = _HIGHWAY_STYLE.fullmatch(_PERIOD_NOT_DECIMAL.sub("", upper))
        if match is None:
            return None
        number, road, road_number = match.groups()
        road_word = road.replace(" ", "")
        if road_word.startswith("COUNTY") or road_word.startswith("CO") or road_word == "CR":
            kind = "C"
        elif road_word.startswith("F"):
            kind = "F"
        elif road_word.startswith("STATE"):
            kind = "S"
        else:
            kind = "H"
        return f"{number} {_HIGHWAY_NAMES[kind]} {road_number}"
    if first not in "PBRHSC":
        return None
    text = _PERIOD_NOT_DECIMAL.sub("", upper)
    match = _PO_BOX.fullmatch(text)
    if match is not None:
        return f"PO BOX {match.group(1)}"
    match = _RURAL_ROUTE.fullmatch(text)
    if match is not None:
        return f"RR {int(match.group(1))} BOX {match.group(2)}"
    match = _HIGHWAY_CONTRACT.fullmatch(text)
    if match is not None:
        return f"HC {int(match.group(1))} BOX {match.group(2)}"
    return None


def _pre_clean(text: str, city: str, state: str | None, zip5: str | None) -> str:
    """Rule 1 of the module docstring: one line, no care-of marker, no pasted last line."""
    if "\n" in text or "\r" in text:
        lines = [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip()]
        kept = lines[:1]
        for extra in lines[1:]:
            upper = extra.upper()
            if _UNIT_LINE.match(upper) or not _is_last_line(upper, city, state, zip5):
                kept.append(extra)
        text = " ".join(kept)
    line = collapse_whitespace(text)
    if line[:1] in "Cc":
        line = _CARE_OF.sub("", line)
    return line


def _is_last_line(upper: str, city: str, state: str | None, zip5: str | None) -> bool:
    """Whether a continuation line is the city/state/ZIP line (it repeats the other columns,
    or ends in a state code and ZIP)."""
    if zip5 and upper.endswith(zip5):
        return True
    if city and upper.startswith(city.split()[0]):
        return True
    if state and re.search(rf"\b{state}\b", upper):
        return True
    return re.search(r"\b[A-Z]{2}\s+\d{5}(?:-\d{4})?$", upper) is not None


@lru_cache(maxsize=CACHE_SIZE)
def _normalize_city(text: str) -> str:
    """Upper case, periods gone, scourgify's city abbreviations expanded (``ST`` →
    ``SAINT``)."""
    words = collapse_whitespace(text).upper().replace(".", " ").replace(",", " ").split()
    return " ".join(CITY_ABBREVIATIONS.get(word, word) for word in words)
