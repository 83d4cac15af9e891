"""The hidden "true world" behind the demo sources: households, people, addresses, phones.

Nothing here is ever held for all entities at once. A household (and every person in it) is
regenerated on demand from ``(seed, household_id)`` with a private ``random.Random``, so a record
of any entity can be produced in any order, in any source, at constant memory. The only
per-entity state is two small integer arrays built by :func:`build_households`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from array import array
from collections.abc import Sequence
from typing import NamedTuple

from . import names, reference
from .reference import Location

_MASK64 = (1 << 64) - 1

# ---------------------------------------------------------------------------------------------
# household kinds and person roles
HK_SINGLE = 0
HK_COUPLE = 1  # husband + wife: same last name and address, often the same landline
HK_FATHER_SON = 2  # SAME first and last name, told apart by Sr/Jr (II/III) and middle name
HK_FAMILY = 3  # husband (Sr) + wife + son (Jr)
HK_SIBLINGS = 4  # two or three adult siblings living together

HOUSEHOLD_KIND_NAMES = {
    HK_SINGLE: "single",
    HK_COUPLE: "couple",
    HK_FATHER_SON: "father_son",
    HK_FAMILY: "couple_with_junior",
    HK_SIBLINGS: "siblings",
}

# Share of *entities* living in a look-alike (multi-person) household, and the mix of kinds.
MULTI_PERSON_ENTITY_SHARE = 0.10
_MULTI_KINDS = (HK_COUPLE, HK_FATHER_SON, HK_FAMILY, HK_SIBLINGS)
_MULTI_KIND_WEIGHTS = (0.50, 0.22, 0.10, 0.18)
_SIBLING_SIZES = ((2, 0.7), (3, 0.3))


def mix(*parts: int) -> int:
    """Deterministic 64-bit hash of small integers (splitmix64 finaliser over a running state)."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = (h ^ (p & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        h ^= h >> 31
        h = h * 0x94D049BB133111EB & _MASK64
        h ^= h >> 29
    return h


class Pool:
    """Weighted pool sampled with one ``random()`` and a bisect."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence, weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, r: random.Random):
        return self.items[bisect.bisect_right(self.cum, r.random() * self.total)]


# ---------------------------------------------------------------------------------------------
# name pools (built once at import)


def _name_pools() -> tuple[Pool, Pool, Pool, Pool, Pool]:
    compound_w = 1_800_000  # ~1.5 % of first names are "Mary Ellen" / "Billy Joe" style
    male = Pool(
        names.MALE_FIRST + reference.COMPOUND_FIRST_MALE,
        names.MALE_FIRST_WEIGHTS + (compound_w,) * len(reference.COMPOUND_FIRST_MALE),
    )
    female = Pool(
        names.FEMALE_FIRST + reference.COMPOUND_FIRST_FEMALE,
        names.FEMALE_FIRST_WEIGHTS + (compound_w,) * len(reference.COMPOUND_FIRST_FEMALE),
    )
    male_middle = Pool(names.MALE_FIRST, names.MALE_FIRST_WEIGHTS)
    female_middle = Pool(names.FEMALE_FIRST, names.FEMALE_FIRST_WEIGHTS)
    extra = dict(reference.EXTRA_LAST_NAMES)
    last_items = list(names.LAST_NAMES) + [n for n in extra if n not in names.LAST_NAMES]
    last_weights = list(names.LAST_NAME_WEIGHTS) + [
        extra[n] for n in extra if n not in names.LAST_NAMES
    ]
    last = Pool(last_items, last_weights)
    return male, female, male_middle, female_middle, last


MALE_FIRST, FEMALE_FIRST, MALE_MIDDLE, FEMALE_MIDDLE, LAST = _name_pools()


def _nickname_table() -> dict[str, tuple[str, ...]]:
    from nicknames import NickNamer

    archaic = {"rupert", "dickon", "jem", "hobkin", "dobbin", "jock", "bela", "bell", "chick"}
    nn = NickNamer()
    table: dict[str, tuple[str, ...]] = {}
    for first in set(names.MALE_FIRST) | set(names.FEMALE_FIRST):
        low = first.lower()
        picks = []
        for nick in sorted(nn.nicknames_of(low)):
            if nick == low or nick in archaic or len(nick) < 2 or not nick.isalpha():
                continue
            if len(nick) > len(low) and not nick.endswith(("y", "ie")):
                continue  # "Bryant" is not a nickname of "Brian"; "Johnny" is one of "John"
            if nick[0] == low[0]:
                picks.append(nick.capitalize())
            elif nick in reference.CLASSIC_CROSS_LETTER_NICKNAMES:
                picks += [nick.capitalize()] * 2  # Bob, Bill, Peggy... are the usual ones
        if picks:
            table[first] = tuple(picks)
    return table


NICKNAMES: dict[str, tuple[str, ...]] = _nickname_table()

# ---------------------------------------------------------------------------------------------
# geography pools

LOCATION_POOL = Pool(reference.LOCATIONS, [loc.weight for loc in reference.LOCATIONS])
_BY_STATE: dict[str, Pool] = {
    st: Pool(
        [loc for loc in reference.LOCATIONS if loc.state == st],
        [loc.weight for loc in reference.LOCATIONS if loc.state == st],
    )
    for st in sorted({loc.state for loc in reference.LOCATIONS})
}
ALL_AREA_CODES: tuple[str, ...] = tuple(
    sorted({c for loc in reference.LOCATIONS for c in loc.area_codes})
)
STREET_TYPE_POOL = Pool(range(len(reference.STREET_TYPES)), reference.STREET_TYPE_WEIGHTS)
EMAIL_DOMAIN_POOL = Pool(reference.EMAIL_DOMAINS, reference.EMAIL_DOMAIN_WEIGHTS)
_ORDINALS = tuple(
    f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
    for n in range(1, 100)
)

# exchanges: first digit 2-9, no N11 service codes, never 555 (fictional / directory)
_EXCHANGES = tuple(f"{n:03d}" for n in range(200, 1000) if n % 100 != 11 and n != 555 and n != 950)

ASCII_FOLD = str.maketrans(
    "áàâäãåéèêëíìîïóòôöõúùûüñçýÿÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇÝ\u2019",
    "aaaaaaeeeeiiiiooooouuuuncyyAAAAAAEEEEIIIIOOOOOUUUUNCY'",
)


def day(y: int, m: int, d: int) -> int:
    """Proleptic ordinal of a date (what ``date.toordinal`` returns)."""
    return dt.date(y, m, d).toordinal()


# ---------------------------------------------------------------------------------------------
# the world's objects


class Address(NamedTuple):
    loc: Location
    zip5: str
    plus4: str
    kind: str  # "street" | "pobox" | "rural"
    number: str  # house number, box number or road number
    predir: int  # index into DIRECTIONS or -1
    street: str  # street name ("Main", "23rd") or rural road kind ("CR", "FM", "RR", "HC", "HWY")
    stype: int  # index into STREET_TYPES or -1
    postdir: int
    unit_kind: str  # "" or key of UNIT_SPELLINGS
    unit: str
    box: str  # rural route box number


class Person:
    __slots__ = (
        "birth_year",
        "cell",
        "cell_day",
        "cell_new",
        "eid",
        "email",
        "family_email_share",
        "first",
        "gender",
        "last",
        "middle",
        "suffix",
        "title",
    )

    def __init__(self) -> None:
        self.suffix = ""
        self.cell_new = None
        self.cell_day = 0
        self.family_email_share = 0.0


class Household:
    __slots__ = (
        "addr",
        "addr_new",
        "family_email",
        "hid",
        "kind",
        "landline",
        "landline_new",
        "last",
        "members",
        "move_day",
    )


# ---------------------------------------------------------------------------------------------
# household layout


class Layout(NamedTuple):
    """Entity -> household mapping. Entities of one household have consecutive ids."""

    ent_hh: array  # household id of every entity ('I')
    hh_kind: array  # kind of every household ('B')
    kind_counts: dict[str, int]


def build_households(n_entities: int, seed: int) -> Layout:
    """Lay out ``n_entities`` entities in households (about 10 % in multi-person households)."""
    r = random.Random(mix(seed, 0xA11))
    avg_multi = sum(
        w * (3 if k == HK_FAMILY else 2.3 if k == HK_SIBLINGS else 2)
        for k, w in zip(_MULTI_KINDS, _MULTI_KIND_WEIGHTS, strict=True)
    )
    s = MULTI_PERSON_ENTITY_SHARE
    p_multi = s / (avg_multi - s * avg_multi + s)  # share of households that are multi-person
    log_q = math.log(1.0 - p_multi)
    kind_pool = Pool(_MULTI_KINDS, _MULTI_KIND_WEIGHTS)

    ent_hh = array("I")
    hh_kind = array("B")
    counts = dict.fromkeys(HOUSEHOLD_KIND_NAMES.values(), 0)
    eid = hid = 0
    while eid < n_entities:
        # a geometric run of single-person households, then one multi-person household
        run = int(math.log(1.0 - r.random()) / log_q)
        run = min(run, n_entities - eid)
        if run:
            ent_hh.extend(range(hid, hid + run))
            hh_kind.extend(bytes(run))
            eid += run
            hid += run
            counts["single"] += run
        if eid >= n_entities:
            break
        kind = kind_pool.pick(r)
        if kind == HK_SIBLINGS:
            size = 2 if r.random() < _SIBLING_SIZES[0][1] else 3
        else:
            size = 3 if kind == HK_FAMILY else 2
        size = min(size, n_entities - eid)
        if size == 1:
            kind = HK_SINGLE
        elif kind == HK_FAMILY and size == 2:
            kind = HK_COUPLE
        ent_hh.extend((hid,) * size)
        hh_kind.append(kind)
        counts[HOUSEHOLD_KIND_NAMES[kind]] += 1
        eid += size
        hid += 1
    return Layout(ent_hh, hh_kind, counts)


# ---------------------------------------------------------------------------------------------
# generation of one household


def _phone(r: random.Random, loc: Location, local: float = 1.0) -> str:
    codes = loc.area_codes if r.random() < local else ALL_AREA_CODES
    return (
        codes[int(r.random() * len(codes))]
        + _EXCHANGES[int(r.random() * len(_EXCHANGES))]
        + f"{int(r.random() * 10000):04d}"
    )


def _address(r: random.Random, loc: Location) -> Address:
    zip5 = loc.zips[int(r.random() * len(loc.zips))]
    plus4 = f"{1 + int(r.random() * 9998):04d}"
    u = r.random()
    if u < 0.10:
        n = int(math.exp(r.random() * 9.2)) + 1  # PO Box 1 .. ~10000, small numbers favoured
        return Address(loc, zip5, plus4, "pobox", str(n), -1, "", -1, -1, "", "", "")
    if loc.rural and u < 0.35:
        kind = ("CR", "CR", "FM", "RR", "HC", "HWY")[int(r.random() * 6)]
        if loc.state != "TX" and kind == "FM":
            kind = "CR"
        if kind in ("RR", "HC"):
            road = str(1 + int(r.random() * 9)) if kind == "RR" else str(60 + int(r.random() * 40))
            box = str(1 + int(r.random() * 400))
            return Address(loc, zip5, plus4, "rural", road, -1, kind, -1, -1, "", "", box)
        road = str(1 + int(r.random() * (3999 if kind != "HWY" else 290)))
        number = str(100 + int(r.random() * 29900))
        return Address(loc, zip5, plus4, "rural", number, -1, kind, -1, -1, "", "", road)
    digits = (1, 2, 3, 3, 3, 4, 4, 4, 5)[int(r.random() * 9)]  # 3-4 digits the most common
    number = str(int(10 ** (digits - 1) + r.random() * 9 * 10 ** (digits - 1)))
    if r.random() < 0.18:
        street = _ORDINALS[int(r.random() * 60)]
        predir = int(r.random() * 8) if r.random() < 0.6 else -1
    else:
        street = reference.STREET_NAMES[int(r.random() * len(reference.STREET_NAMES))]
        predir = int(r.random() * 8) if r.random() < 0.15 else -1
    stype = STREET_TYPE_POOL.pick(r) if r.random() < 0.96 else -1
    postdir = int(r.random() * 4) if predir < 0 and r.random() < 0.03 else -1
    unit_kind = unit = ""
    if r.random() < 0.12:
        unit_kind = ("Apt", "Apt", "Apt", "Unit", "Suite", "Lot")[int(r.random() * 6)]
        if unit_kind == "Suite":
            unit = str(100 + int(r.random() * 400))
        elif r.random() < 0.3:
            unit = f"{1 + int(r.random() * 30)}{'ABCD'[int(r.random() * 4)]}"
        else:
            unit = str(1 + int(r.random() * 300))
    return Address(
        loc, zip5, plus4, "street", number, predir, street, stype, postdir, unit_kind, unit, ""
    )


def _moved_location(r: random.Random, loc: Location) -> Location:
    if r.random() < 0.6:
        return _BY_STATE[loc.state].pick(r)
    return LOCATION_POOL.pick(r)


def _email_local(r: random.Random, first: str, middle: str, last: str, year: int) -> str:
    f = first.translate(ASCII_FOLD).lower().replace(" ", "")
    m = middle[:1].translate(ASCII_FOLD).lower()
    la = "".join(ch for ch in last.translate(ASCII_FOLD).lower() if ch.isalpha())
    u = r.random()
    if u < 0.22:
        base = f"{f}.{la}"
    elif u < 0.40:
        base = f"{f}{la}"
    elif u < 0.56:
        base = f"{f[0]}{la}"
    elif u < 0.64:
        base = f"{f}_{la}"
    elif u < 0.72:
        base = f"{la}{f[0]}"
    elif u < 0.80:
        base = f"{f}{m}{la}" if m else f"{f}.{la}"
    elif u < 0.90:
        base = f
    else:
        base = f"{f[0]}{m}{la}"
    v = r.random()
    if v < 0.25 and len(base) > 9:
        return base  # a plain, long-enough address
    if v < 0.55:
        return f"{base}{year % 100:02d}"
    return f"{base}{int(r.random() * 9000) + 100}"


def _make_email(r: random.Random, first: str, middle: str, last: str, year: int) -> str:
    if r.random() < 0.006:
        return reference.JUNK_EMAILS[int(r.random() * len(reference.JUNK_EMAILS))]
    return f"{_email_local(r, first, middle, last, year)}@{EMAIL_DOMAIN_POOL.pick(r)}"


def _canonical_first(r: random.Random, pool: Pool) -> str:
    first = pool.pick(r)
    accented = reference.ACCENTED_FIRST.get(first)
    if accented is not None and r.random() < 0.45:
        return accented
    return first


def _person(
    r: random.Random,
    eid: int,
    gender: str,
    first: str,
    last: str,
    loc: Location,
    birth_year: int,
    middle: str | None = None,
) -> Person:
    p = Person()
    p.eid = eid
    p.gender = gender
    p.first = first
    if middle is None:
        if r.random() < 0.78:
            middle = (MALE_MIDDLE if gender == "M" else FEMALE_MIDDLE).pick(r)
        else:
            middle = ""
    p.middle = middle
    p.last = last
    p.birth_year = birth_year
    if gender == "M":
        p.title = "Dr." if r.random() < 0.04 else "Mr."
    else:
        u = r.random()
        p.title = "Dr." if u < 0.03 else "Ms." if u < 0.30 else "Miss" if u < 0.36 else "Mrs."
    p.cell = _phone(r, loc, local=0.85) if r.random() < 0.82 else None
    if p.cell is not None and r.random() < 0.10:
        p.cell_new = _phone(r, loc, local=0.85)
        p.cell_day = day(2012, 1, 1) + int(r.random() * 4900)
    p.email = _make_email(r, first, middle, last, birth_year) if r.random() < 0.78 else None
    return p


def make_household(seed: int, hid: int, kind: int, first_eid: int, size: int) -> Household:
    """Regenerate household ``hid`` (and all its members) from the seed alone."""
    r = random.Random(mix(seed, 0xB0B, hid))
    h = Household()
    h.hid = hid
    h.kind = kind
    last = LAST.pick(r)
    accented = reference.ACCENTED_LAST.get(last)
    if accented is not None and r.random() < 0.40:
        last = accented
    h.last = last
    loc = LOCATION_POOL.pick(r)
    h.addr = _address(r, loc)
    h.landline = _phone(r, loc) if r.random() < (0.50 if kind == HK_SINGLE else 0.75) else None
    if r.random() < 0.12:
        new_loc = _moved_location(r, loc)
        h.addr_new = _address(r, new_loc)
        h.move_day = day(2010, 1, 1) + int(r.random() * 5660)  # 2010 .. mid 2025
        h.landline_new = _phone(r, new_loc) if h.landline is not None else None
    else:
        h.addr_new = None
        h.move_day = 1 << 30
        h.landline_new = None
    h.family_email = None

    def older() -> int:
        return 1932 + int(r.random() * 48)  # 1932 .. 1979

    members: list[Person] = []
    if kind == HK_SINGLE:
        gender = "M" if r.random() < 0.52 else "F"
        first = _canonical_first(r, MALE_FIRST if gender == "M" else FEMALE_FIRST)
        p = _person(r, first_eid, gender, first, last, loc, 1930 + int(r.random() * 72))
        u = r.random()
        if gender == "M" and u < 0.04:  # a Jr / III whose father is not in our data
            p.suffix = ("Jr", "Jr", "Jr", "Sr", "II", "III", "IV")[int(r.random() * 7)]
        members.append(p)
    elif kind in (HK_COUPLE, HK_FAMILY):
        husband_first = _canonical_first(r, MALE_FIRST)
        wife_first = _canonical_first(r, FEMALE_FIRST)
        while wife_first == husband_first:
            wife_first = _canonical_first(r, FEMALE_FIRST)
        year = older()
        if r.random() < 0.35:
            hf = husband_first.translate(ASCII_FOLD).lower().replace(" ", "")
            wf = wife_first.translate(ASCII_FOLD).lower().replace(" ", "")
            la = "".join(ch for ch in last.translate(ASCII_FOLD).lower() if ch.isalpha())
            local = (
                f"{la}family",
                f"the{la}s",
                f"{hf}and{wf}",
                f"{hf[0]}{wf[0]}{la}",
                f"{la}{year % 100:02d}",
            )[int(r.random() * 5)]
            h.family_email = f"{local}@{EMAIL_DOMAIN_POOL.pick(r)}"
        husband = _person(r, first_eid, "M", husband_first, last, loc, year)
        wife = _person(r, first_eid + 1, "F", wife_first, last, loc, year + int(r.random() * 6))
        if h.family_email is not None:
            husband.family_email_share = 0.4 + r.random() * 0.5
            wife.family_email_share = 0.5 + r.random() * 0.5
        members += [husband, wife]
        if kind == HK_FAMILY and size >= 3:
            son = _person(
                r, first_eid + 2, "M", husband_first, last, loc, year + 22, husband.middle
            )
            husband.suffix, son.suffix = ("Sr", "Jr")
            members.append(son)
    elif kind == HK_FATHER_SON:
        first = _canonical_first(r, MALE_FIRST)
        year = older()
        father = _person(r, first_eid, "M", first, last, loc, year)
        same_middle = r.random() < 0.5 and father.middle
        son_middle = father.middle if same_middle else MALE_MIDDLE.pick(r)
        son = _person(r, first_eid + 1, "M", first, last, loc, year + 20 + int(r.random() * 15))
        son.middle = son_middle
        u = r.random()
        if u < 0.55:
            father.suffix, son.suffix = "Sr", "Jr"
        elif u < 0.80:
            father.suffix, son.suffix = "", "Jr"  # fathers often carry no suffix at all
        else:
            father.suffix, son.suffix = "II", "III"
        members += [father, son]
    else:  # siblings
        year = older()
        seen: set[str] = set()
        for i in range(size):
            gender = "M" if r.random() < 0.5 else "F"
            first = _canonical_first(r, MALE_FIRST if gender == "M" else FEMALE_FIRST)
            while first in seen:
                first = _canonical_first(r, MALE_FIRST if gender == "M" else FEMALE_FIRST)
            seen.add(first)
            members.append(
                _person(r, first_eid + i, gender, first, last, loc, year + int(r.random() * 12))
            )
    h.members = members
    return h
