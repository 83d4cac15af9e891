"""Noise: how one true person / address / phone is spelled in one source record.

Every function takes the record's ``random.Random`` and returns a string (or ``None``). They
implement the variation between duplicate records of one person: nicknames, name order, case,
whitespace, typos, street-suffix / direction / unit spellings, ZIP vs ZIP+4, phone formats,
e-mail case, missing values.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import reference
from .people import ASCII_FOLD, NICKNAMES, Address, Household, Person, Pool

_KEYBOARD_NEIGHBOURS = {
    "a": "qswz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}


def typo(rng: random.Random, text: str) -> str:
    """One transposition, deletion, substitution (keyboard neighbour) or doubled letter."""
    length = len(text)
    if length < 4:
        return text
    position = 1 + int(rng.random() * (length - 2))  # never the first letter: people get it right
    letter = text[position]
    next_letter = text[position + 1] if position + 1 < length else ""
    if not letter.isalpha():
        return text
    roll = rng.random()
    if roll < 0.35 and next_letter.isalpha() and next_letter.lower() != letter.lower():
        return text[:position] + next_letter + letter + text[position + 2 :]
    if roll < 0.60:
        return text[:position] + text[position + 1 :]
    if roll < 0.85:
        neighbours = _KEYBOARD_NEIGHBOURS.get(letter.lower())
        if not neighbours:
            return text
        neighbour = neighbours[int(rng.random() * len(neighbours))]
        replacement = neighbour.upper() if letter.isupper() else neighbour
        return text[:position] + replacement + text[position + 1 :]
    return text[:position] + letter + text[position:]


def whitespace(rng: random.Random, text: str) -> str:
    """Leading / trailing / doubled inner whitespace."""
    roll = rng.random()
    if roll < 0.4:
        return text + " "
    if roll < 0.6:
        return " " + text
    if roll < 0.9 and " " in text:
        return text.replace(" ", "  ", 1)
    return text + "  "


class Style:
    """Per-source noise profile (probabilities unless said otherwise)."""

    upper = 0.0  # whole record in upper case
    lower = 0.01
    strip_accents = 0.5
    curly_apostrophe = 0.0
    nickname = 0.12
    typo_last = 0.09
    typo_street = 0.09
    extra_whitespace = 0.03
    middle_full = 0.30
    middle_initial = 0.45
    middle_dot = 0.10  # rest: middle name left out
    drop_suffix = 0.22
    plus4 = 0.25
    plus4_no_dash = 0.03
    zip_lost_zero = 0.0
    state_full = 0.02
    missing_address = 0.20
    missing_phone = 0.08  # on top of the people who have no such phone at all
    missing_email = 0.05
    null_share = 1.0  # share of missing values written as NULL/None rather than ""
    bad_phone = 0.005
    # phone styles: see ``phone`` below
    phone_styles = Pool(range(10), (30, 20, 8, 5, 15, 4, 2, 3, 5, 8))


def missing(rng: random.Random, style: Style) -> str | None:
    """A missing value as this source writes it: ``None`` (NULL) or ``""``."""
    return None if rng.random() < style.null_share else ""


# case modes, decided once per record so that all of a record's fields agree
CASE_AS_SPELLED = 0
CASE_UPPER = 1
CASE_LOWER = 2


def choose_case_mode(rng: random.Random, style: Style) -> int:
    """:data:`CASE_AS_SPELLED`, :data:`CASE_UPPER` or :data:`CASE_LOWER` for one record."""
    roll = rng.random()
    if roll < style.upper:
        return CASE_UPPER
    if roll < style.upper + style.lower:
        return CASE_LOWER
    return CASE_AS_SPELLED


def apply_case(text: str, case_mode: int) -> str:
    """``text`` in the record's case mode."""
    if case_mode == CASE_UPPER:
        return text.upper()
    if case_mode == CASE_LOWER:
        return text.lower()
    return text


def phone(rng: random.Random, digits: str, style: Style) -> str:
    """Ten phone digits in one of ten common formats, or now and then a junk value."""
    if rng.random() < style.bad_phone:
        return reference.BAD_PHONES[int(rng.random() * len(reference.BAD_PHONES))]
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    phone_style = style.phone_styles.pick(rng)
    if phone_style == 0:
        return f"({area}) {exchange}-{line}"
    if phone_style == 1:
        return f"{area}-{exchange}-{line}"
    if phone_style == 2:
        return f"{area}.{exchange}.{line}"
    if phone_style == 3:
        return f"+1 {area}-{exchange}-{line}"
    if phone_style == 4:
        return digits
    if phone_style == 5:
        return f"1-{area}-{exchange}-{line}"
    if phone_style == 6:
        return f"{area} {exchange} {line} x{1 + int(rng.random() * 400)}"
    if phone_style == 7:
        return f"+1{digits}"
    if phone_style == 8:
        return f"({area}){exchange}-{line}"
    return f"{area} {exchange} {line}"


# ---------------------------------------------------------------------------------------------
# names


def _last_name(rng: random.Random, last: str, style: Style) -> str:
    """Apostrophes, spaces and hyphens are where last names differ between systems."""
    if "'" in last:
        roll = rng.random()
        if roll < 0.15:
            last = last.replace("'", "")
        elif roll < 0.25:
            last = last.replace("'", " ")
        elif roll < 0.25 + style.curly_apostrophe:
            last = last.replace("'", "\u2019")
    elif " " in last or "-" in last or "." in last:
        roll = rng.random()
        if roll < 0.15:
            last = last.replace(" ", "").replace(".", "")
        elif roll < 0.25:
            last = last.replace("-", " ").replace("St.", "Saint")
    if rng.random() < style.typo_last:
        last = typo(rng, last)
    return last


_SUFFIX_SPELLINGS = {
    "Jr": ("Jr", "Jr.", "JR", "Jr"),
    "Sr": ("Sr", "Sr.", "SR", "Sr"),
    "II": ("II", "II", "2nd"),
    "III": ("III", "III", "3rd"),
    "IV": ("IV",),
}


def name_parts(rng: random.Random, person: Person, style: Style) -> tuple[str, str, str, str]:
    """(first, middle-as-written, last, suffix) after noise; '' for a left-out part."""
    first = person.first
    if rng.random() < style.nickname:
        nicknames = NICKNAMES.get(first)
        if nicknames:
            first = nicknames[int(rng.random() * len(nicknames))]
    last = _last_name(rng, person.last, style)
    if rng.random() < style.strip_accents:
        first = first.translate(ASCII_FOLD)
        last = last.translate(ASCII_FOLD)
    middle = person.middle
    if middle:
        roll = rng.random()
        if roll < style.middle_full:
            pass
        elif roll < style.middle_full + style.middle_initial:
            middle = middle[0]
        elif roll < style.middle_full + style.middle_initial + style.middle_dot:
            middle = middle[0] + "."
        else:
            middle = ""
    suffix = person.suffix
    if suffix:
        if rng.random() < style.drop_suffix:
            suffix = ""
        else:
            spellings = _SUFFIX_SPELLINGS[suffix]
            suffix = spellings[int(rng.random() * len(spellings))]
    return first, middle, last, suffix


# full-name layouts, e.g. for John A Smith Jr (Mr.):
LAST_FIRST_MIDDLE = 0  # Smith, John A Jr
LAST_SUFFIX_FIRST_MIDDLE = 1  # Smith Jr, John A
LAST_FIRST_MIDDLE_NO_COMMA = 2  # Smith John A Jr
FIRST_MIDDLE_LAST = 3  # John A Smith Jr
FIRST_MIDDLE_LAST_COMMA = 4  # John A Smith, Jr
TITLE_FIRST_LAST = 5  # Mr. John Smith Jr
FIRST_LAST = 6  # John Smith


def full_name(rng: random.Random, person: Person, style: Style, layouts: Pool[int]) -> str:
    """The whole name in one column, in a layout drawn from ``layouts``."""
    first, middle, last, suffix = name_parts(rng, person, style)
    layout = layouts.pick(rng)
    if layout == LAST_FIRST_MIDDLE or (layout == LAST_SUFFIX_FIRST_MIDDLE and not suffix):
        parts = [f"{last}, {first}", middle, suffix]
    elif layout == LAST_SUFFIX_FIRST_MIDDLE:
        parts = [f"{last} {suffix}, {first}", middle]
    elif layout == LAST_FIRST_MIDDLE_NO_COMMA:
        parts = [last, first, middle, suffix]
    elif layout == FIRST_MIDDLE_LAST:
        parts = [first, middle, last, suffix]
    elif layout == FIRST_MIDDLE_LAST_COMMA:
        parts = [first, middle, last + ("," if suffix else ""), suffix]
    elif layout == TITLE_FIRST_LAST:
        parts = [person.title, first, last, suffix]
    else:
        parts = [first, last]
    return " ".join(part for part in parts if part)


# ---------------------------------------------------------------------------------------------
# addresses

_COUNTY_ROAD_SPELLINGS = ("County Road", "CR", "Co Rd", "County Rd", "CR")
_FARM_TO_MARKET_SPELLINGS = ("FM", "FM", "FM Rd", "Farm to Market Road", "F.M.")
_HIGHWAY_SPELLINGS = ("Hwy", "Highway", "State Hwy", "Hwy")
_RURAL_ROUTE_SPELLINGS = ("RR", "Rural Route", "Rt", "RR#", "Route")


def _pick(rng: random.Random, choices: tuple[str, ...]) -> str:
    """One of ``choices``, uniformly (repeat an entry to weight it)."""
    return choices[int(rng.random() * len(choices))]


def street_line(
    rng: random.Random, address: Address, style: Style, unit_separator: str = " "
) -> str:
    """The first address line, e.g. ``1200 NW 23rd St, Apt 4`` (``unit_separator`` = ``", "``)."""
    kind = address.kind
    if kind == "pobox":
        return f"{_pick(rng, reference.PO_BOX_SPELLINGS)} {address.number}"
    if kind == "rural":
        road = address.street
        if road == "RR":
            return f"{_pick(rng, _RURAL_ROUTE_SPELLINGS)} {address.number} Box {address.box}"
        if road == "HC":
            if rng.random() < 0.7:
                return f"HC {address.number} Box {address.box}"
            return f"HC{address.number} BOX {address.box}"
        if road == "CR":
            spellings = _COUNTY_ROAD_SPELLINGS
        elif road == "FM":
            spellings = _FARM_TO_MARKET_SPELLINGS
        else:
            spellings = _HIGHWAY_SPELLINGS
        return f"{address.number} {_pick(rng, spellings)} {address.box}"
    parts = [address.number]
    if address.pre_direction >= 0:
        full_word, abbreviation = reference.DIRECTIONS[address.pre_direction]
        roll = rng.random()
        if roll < 0.18:
            parts.append(full_word)
        else:
            parts.append(abbreviation + "." if roll < 0.28 else abbreviation)
    name = address.street
    # ordinal streets ("23rd") are typed from the digits and rarely misspelled
    if rng.random() < style.typo_street and not name[0].isdigit():
        name = typo(rng, name)
    parts.append(name)
    if address.street_type >= 0:
        full_word, abbreviation, other_spellings = reference.STREET_TYPES[address.street_type]
        roll = rng.random()
        if roll < 0.25:
            parts.append(full_word)
        else:
            parts.append(abbreviation if roll < 0.85 else _pick(rng, other_spellings))
    elif rng.random() < 0.3:
        parts.append("St")  # the type was never part of the true address: a wrong guess
    if address.post_direction >= 0:
        full_word, abbreviation = reference.DIRECTIONS[address.post_direction]
        parts.append(full_word if rng.random() < 0.3 else abbreviation)
    line = " ".join(parts)
    if address.unit_kind:
        spelling = _pick(rng, reference.UNIT_SPELLINGS[address.unit_kind])
        # "#" and "Apt " already end in the separator the unit number needs
        glue = "" if spelling.endswith(("#", " ")) else " "
        line = f"{line}{unit_separator}{spelling}{glue}{address.unit}"
    return line


def zip_code(rng: random.Random, address: Address, style: Style) -> str:
    """ZIP, ZIP+4 (with or without the dash), sometimes with its leading zero lost."""
    roll = rng.random()
    if roll < style.plus4:
        written = f"{address.zip5}-{address.plus4}"
    elif roll < style.plus4 + style.plus4_no_dash:
        written = address.zip5 + address.plus4
    else:
        written = address.zip5
    # spreadsheets that took the ZIP for a number dropped the zero of New England ZIPs
    if written[0] == "0" and rng.random() < style.zip_lost_zero:
        written = written[1:]
    return written


def state(rng: random.Random, address: Address, style: Style) -> str:
    """The state's postal code, now and then its full name."""
    if rng.random() < style.state_full:
        return reference.STATE_NAMES[address.location.state]
    return address.location.state


def county(rng: random.Random, address: Address) -> str:
    """The county name, with or without the word "County" ("Parish" in Louisiana)."""
    word = "Parish" if address.location.state == "LA" else "County"
    roll = rng.random()
    if roll < 0.55:
        return address.location.county
    if roll < 0.9:
        return f"{address.location.county} {word}"
    return f"{address.location.county} {'Par' if word == 'Parish' else 'Co'}"


def city(rng: random.Random, address: Address, style: Style) -> str:
    """The city; "St. Louis" is also written "St Louis" or "Saint Louis"."""
    name = address.location.city
    if name.startswith("St. ") and rng.random() < 0.4:
        name = ("St " if rng.random() < 0.5 else "Saint ") + name[4:]
    return name


# ---------------------------------------------------------------------------------------------
# the person's state at the record's date


def current_address(household: Household, when: int) -> Address:
    """The household's address on day ``when`` (before or after its move)."""
    return household.new_address if when >= household.move_day else household.address


def current_landline(household: Household, when: int) -> str | None:
    """The household's landline on day ``when`` (before or after its move)."""
    return household.new_landline if when >= household.move_day else household.landline


def current_cell(person: Person, when: int) -> str | None:
    """The person's cell number on day ``when``."""
    if person.new_cell is not None and when >= person.cell_change_day:
        return person.new_cell
    return person.cell


def email(rng: random.Random, household: Household, person: Person, style: Style) -> str | None:
    """The e-mail given in this record: own or the family's, with case / whitespace noise."""
    address = person.email
    if household.family_email is not None and (
        address is None or rng.random() < person.family_email_share
    ):
        address = household.family_email
    if address is None or rng.random() < style.missing_email:
        return None
    roll = rng.random()
    if roll < 0.07:
        return address.upper()
    if roll < 0.14:
        local_part, _, domain = address.partition("@")
        return f"{local_part.title()}@{domain.capitalize()}"
    if roll < 0.16:
        return address + " "
    return address


@dataclass
class RenderLog:
    """What the generator wrote while :func:`recording` was active: every name as its
    (first, middle, last, suffix) parts, in writing order, and every written phone text with
    the true 10 digits behind it. Quality benchmarks compare parsers against it."""

    names: list[tuple[str, str, str, str]] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)


@contextmanager
def recording() -> Iterator[RenderLog]:
    """Record every name and phone the generator renders until the block ends (the sources
    call ``render.name_parts`` / ``render.phone`` through this module, so wrapping them here
    sees everything)."""
    log = RenderLog()
    module = sys.modules[__name__]
    original_name_parts, original_phone = module.name_parts, module.phone

    def recording_name_parts(
        rng: random.Random, person: Person, style: Style
    ) -> tuple[str, str, str, str]:
        parts = original_name_parts(rng, person, style)
        log.names.append(parts)
        return parts

    def recording_phone(rng: random.Random, digits: str, style: Style) -> str:
        written = original_phone(rng, digits, style)
        log.phones[written] = digits
        return written

    module.name_parts, module.phone = recording_name_parts, recording_phone  # type: ignore[assignment]
    try:
        yield log
    finally:
        module.name_parts, module.phone = original_name_parts, original_phone  # type: ignore[assignment]
