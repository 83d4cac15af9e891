"""Noise: how one true person / address / phone is spelled in one source record.

Every function takes the record's ``random.Random`` and returns a string (or ``None``). They
implement the variation between duplicate records of one person: nicknames, name order, case,
whitespace, typos, street-suffix / direction / unit spellings, ZIP vs ZIP+4, phone formats,
e-mail case, missing values.
"""

from __future__ import annotations

import random

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


def typo(r: random.Random, s: str) -> str:
    """One transposition, deletion, substitution (keyboard neighbour) or doubled letter."""
    n = len(s)
    if n < 4:
        return s
    i = 1 + int(r.random() * (n - 2))  # never the first letter: people get that right
    a, b = s[i], s[i + 1] if i + 1 < n else ""
    if not a.isalpha():
        return s
    u = r.random()
    if u < 0.35 and b.isalpha() and b.lower() != a.lower():
        return s[:i] + b + a + s[i + 2 :]
    if u < 0.60:
        return s[:i] + s[i + 1 :]
    if u < 0.85:
        near = _KEYBOARD_NEIGHBOURS.get(a.lower())
        if not near:
            return s
        c = near[int(r.random() * len(near))]
        return s[:i] + (c.upper() if a.isupper() else c) + s[i + 1 :]
    return s[:i] + a + s[i:]


def whitespace(r: random.Random, s: str) -> str:
    """Leading / trailing / doubled inner whitespace."""
    u = r.random()
    if u < 0.4:
        return s + " "
    if u < 0.6:
        return " " + s
    if u < 0.9 and " " in s:
        return s.replace(" ", "  ", 1)
    return s + "  "


class Style:
    """Per-source noise profile (probabilities unless said otherwise)."""

    upper = 0.0  # whole record in upper case
    lower = 0.01
    strip_accents = 0.5
    curly_apostrophe = 0.0
    nickname = 0.12
    typo_last = 0.09
    typo_street = 0.09
    ws = 0.03
    middle_full = 0.30
    middle_initial = 0.45
    middle_dot = 0.10  # rest: middle name left out
    drop_suffix = 0.22
    plus4 = 0.25
    plus4_nodash = 0.03
    zip_lost_zero = 0.0
    state_full = 0.02
    missing_address = 0.20
    missing_phone = 0.08  # on top of the people who have no such phone at all
    missing_email = 0.05
    null_share = 1.0  # share of missing values written as NULL/None rather than ""
    bad_phone = 0.005
    # phone styles: see ``phone`` below
    phone_styles = Pool(range(10), (30, 20, 8, 5, 15, 4, 2, 3, 5, 8))


def missing(r: random.Random, st: Style) -> str | None:
    return None if r.random() < st.null_share else ""


def case(r: random.Random, st: Style) -> int:
    """0 = as spelled, 1 = UPPER, 2 = lower (decided once per record)."""
    u = r.random()
    if u < st.upper:
        return 1
    if u < st.upper + st.lower:
        return 2
    return 0


def apply_case(s: str, mode: int) -> str:
    if mode == 1:
        return s.upper()
    if mode == 2:
        return s.lower()
    return s


def phone(r: random.Random, digits: str, st: Style) -> str:
    if r.random() < st.bad_phone:
        return reference.BAD_PHONES[int(r.random() * len(reference.BAD_PHONES))]
    a, e, n = digits[:3], digits[3:6], digits[6:]
    k = st.phone_styles.pick(r)
    if k == 0:
        return f"({a}) {e}-{n}"
    if k == 1:
        return f"{a}-{e}-{n}"
    if k == 2:
        return f"{a}.{e}.{n}"
    if k == 3:
        return f"+1 {a}-{e}-{n}"
    if k == 4:
        return digits
    if k == 5:
        return f"1-{a}-{e}-{n}"
    if k == 6:
        return f"{a} {e} {n} x{1 + int(r.random() * 400)}"
    if k == 7:
        return f"+1{digits}"
    if k == 8:
        return f"({a}){e}-{n}"
    return f"{a} {e} {n}"


# ---------------------------------------------------------------------------------------------
# names


def _last(r: random.Random, last: str, st: Style) -> str:
    if "'" in last:
        u = r.random()
        if u < 0.15:
            last = last.replace("'", "")
        elif u < 0.25:
            last = last.replace("'", " ")
        elif u < 0.25 + st.curly_apostrophe:
            last = last.replace("'", "\u2019")
    elif " " in last or "-" in last or "." in last:
        u = r.random()
        if u < 0.15:
            last = last.replace(" ", "").replace(".", "")
        elif u < 0.25:
            last = last.replace("-", " ").replace("St.", "Saint")
    if r.random() < st.typo_last:
        last = typo(r, last)
    return last


_SUFFIX_SPELLINGS = {
    "Jr": ("Jr", "Jr.", "JR", "Jr"),
    "Sr": ("Sr", "Sr.", "SR", "Sr"),
    "II": ("II", "II", "2nd"),
    "III": ("III", "III", "3rd"),
    "IV": ("IV",),
}


def name_parts(r: random.Random, p: Person, st: Style) -> tuple[str, str, str, str]:
    """(first, middle-as-written, last, suffix) after noise; '' for a left-out part."""
    first = p.first
    if r.random() < st.nickname:
        nicks = NICKNAMES.get(first)
        if nicks:
            first = nicks[int(r.random() * len(nicks))]
    last = _last(r, p.last, st)
    if r.random() < st.strip_accents:
        first = first.translate(ASCII_FOLD)
        last = last.translate(ASCII_FOLD)
    middle = p.middle
    if middle:
        u = r.random()
        if u < st.middle_full:
            pass
        elif u < st.middle_full + st.middle_initial:
            middle = middle[0]
        elif u < st.middle_full + st.middle_initial + st.middle_dot:
            middle = middle[0] + "."
        else:
            middle = ""
    suffix = p.suffix
    if suffix:
        if r.random() < st.drop_suffix:
            suffix = ""
        else:
            spellings = _SUFFIX_SPELLINGS[suffix]
            suffix = spellings[int(r.random() * len(spellings))]
    return first, middle, last, suffix


# full-name layouts
LFM, LSFM, LFM_NOCOMMA, FML, FML_COMMA, TFL, FL = range(7)


def full_name(r: random.Random, p: Person, st: Style, layouts: Pool) -> str:
    first, middle, last, suffix = name_parts(r, p, st)
    k = layouts.pick(r)
    if k == LFM or (k == LSFM and not suffix):
        head = f"{last}, {first}"
        parts = [head, middle, suffix]
    elif k == LSFM:
        parts = [f"{last} {suffix}, {first}", middle]
    elif k == LFM_NOCOMMA:
        parts = [last, first, middle, suffix]
    elif k == FML:
        parts = [first, middle, last, suffix]
    elif k == FML_COMMA:
        parts = [first, middle, last + ("," if suffix else ""), suffix]
    elif k == TFL:
        parts = [p.title, first, last, suffix]
    else:
        parts = [first, last]
    return " ".join(x for x in parts if x)


# ---------------------------------------------------------------------------------------------
# addresses

_CR = ("County Road", "CR", "Co Rd", "County Rd", "CR")
_FM = ("FM", "FM", "FM Rd", "Farm to Market Road", "F.M.")
_HWY = ("Hwy", "Highway", "State Hwy", "Hwy")
_RR = ("RR", "Rural Route", "Rt", "RR#", "Route")


def _pick(r: random.Random, seq: tuple[str, ...]) -> str:
    return seq[int(r.random() * len(seq))]


def street_line(r: random.Random, a: Address, st: Style, unit_sep: str = " ") -> str:
    """The first address line, e.g. ``1200 NW 23rd St, Apt 4``; ``unit_sep`` joins the unit."""
    kind = a.kind
    if kind == "pobox":
        return f"{_pick(r, reference.PO_BOX_SPELLINGS)} {a.number}"
    if kind == "rural":
        road = a.street
        if road == "RR":
            return f"{_pick(r, _RR)} {a.number} Box {a.box}"
        if road == "HC":
            return f"HC {a.number} Box {a.box}" if r.random() < 0.7 else f"HC{a.number} BOX {a.box}"
        name = _pick(r, _CR if road == "CR" else _FM if road == "FM" else _HWY)
        return f"{a.number} {name} {a.box}"
    parts = [a.number]
    if a.predir >= 0:
        full, abbr = reference.DIRECTIONS[a.predir]
        u = r.random()
        parts.append(full if u < 0.18 else abbr + "." if u < 0.28 else abbr)
    name = a.street
    if r.random() < st.typo_street and not name[0].isdigit():
        name = typo(r, name)
    parts.append(name)
    if a.stype >= 0:
        full, abbr, others = reference.STREET_TYPES[a.stype]
        u = r.random()
        parts.append(full if u < 0.25 else abbr if u < 0.85 else _pick(r, others))
    elif r.random() < 0.3:
        parts.append("St")  # the type was never part of the true address: a wrong guess
    if a.postdir >= 0:
        full, abbr = reference.DIRECTIONS[a.postdir]
        parts.append(full if r.random() < 0.3 else abbr)
    line = " ".join(parts)
    if a.unit_kind:
        spelling = _pick(r, reference.UNIT_SPELLINGS[a.unit_kind])
        glue = "" if spelling.endswith(("#", " ")) else " "
        line = f"{line}{unit_sep}{spelling}{glue}{a.unit}"
    return line


def zip_code(r: random.Random, a: Address, st: Style) -> str:
    u = r.random()
    if u < st.plus4:
        z = f"{a.zip5}-{a.plus4}"
    elif u < st.plus4 + st.plus4_nodash:
        z = a.zip5 + a.plus4
    else:
        z = a.zip5
    if z[0] == "0" and r.random() < st.zip_lost_zero:
        z = z[1:]
    return z


def state(r: random.Random, a: Address, st: Style) -> str:
    if r.random() < st.state_full:
        return reference.STATE_NAMES[a.loc.state]
    return a.loc.state


def county(r: random.Random, a: Address) -> str:
    word = "Parish" if a.loc.state == "LA" else "County"
    u = r.random()
    if u < 0.55:
        return a.loc.county
    if u < 0.9:
        return f"{a.loc.county} {word}"
    return f"{a.loc.county} {'Par' if word == 'Parish' else 'Co'}"


def city(r: random.Random, a: Address, st: Style) -> str:
    c = a.loc.city
    if c.startswith("St. ") and r.random() < 0.4:
        c = ("St " if r.random() < 0.5 else "Saint ") + c[4:]
    return c


# ---------------------------------------------------------------------------------------------
# the person's state at the record's date


def current_address(h: Household, when: int) -> Address:
    return h.addr_new if when >= h.move_day else h.addr


def current_landline(h: Household, when: int) -> str | None:
    return h.landline_new if when >= h.move_day else h.landline


def current_cell(p: Person, when: int) -> str | None:
    if p.cell_new is not None and when >= p.cell_day:
        return p.cell_new
    return p.cell


def email(r: random.Random, h: Household, p: Person, st: Style) -> str | None:
    e = p.email
    if h.family_email is not None and (e is None or r.random() < p.family_email_share):
        e = h.family_email
    if e is None or r.random() < st.missing_email:
        return None
    u = r.random()
    if u < 0.07:
        return e.upper()
    if u < 0.14:
        local, _, domain = e.partition("@")
        return f"{local.title()}@{domain.capitalize()}"
    if u < 0.16:
        return e + " "
    return e
