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
from typing import Generic, NamedTuple, TypeVar

from . import names, reference
from .reference import Location

_MASK64 = (1 << 64) - 1

# ---------------------------------------------------------------------------------------------
# household kinds and person roles
HOUSEHOLD_SINGLE = 0
HOUSEHOLD_COUPLE = 1  # husband + wife: same last name and address, often the same landline
HOUSEHOLD_FATHER_SON = 2  # SAME first and last name, told apart by Sr/Jr (II/III) and middle name
HOUSEHOLD_FAMILY = 3  # husband (Sr) + wife + son (Jr)
HOUSEHOLD_SIBLINGS = 4  # two or three adult siblings living together

HOUSEHOLD_KIND_NAMES = {
    HOUSEHOLD_SINGLE: "single",
    HOUSEHOLD_COUPLE: "couple",
    HOUSEHOLD_FATHER_SON: "father_son",
    HOUSEHOLD_FAMILY: "couple_with_junior",
    HOUSEHOLD_SIBLINGS: "siblings",
}

# Share of *entities* living in a look-alike (multi-person) household, and the mix of kinds.
MULTI_PERSON_ENTITY_SHARE = 0.10
_MULTI_KINDS = (HOUSEHOLD_COUPLE, HOUSEHOLD_FATHER_SON, HOUSEHOLD_FAMILY, HOUSEHOLD_SIBLINGS)
_MULTI_KIND_WEIGHTS = (0.50, 0.22, 0.10, 0.18)
_SIBLING_SIZES = ((2, 0.7), (3, 0.3))


def mix(*parts: int) -> int:
    """Deterministic 64-bit hash of small integers (splitmix64 finaliser over a running state)."""
    # Python's hash() is salted per process; this keeps every RNG stream stable across runs.
    state = 0x9E3779B97F4A7C15
    for part in parts:
        state = (state ^ (part & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        state ^= state >> 31
        state = state * 0x94D049BB133111EB & _MASK64
        state ^= state >> 29
    return state


ItemT = TypeVar("ItemT")


class Pool(Generic[ItemT]):
    """Weighted pool sampled with one ``random()`` and a bisect."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, items: Sequence[ItemT], weights: Sequence[float]) -> None:
        self.items: tuple[ItemT, ...] = tuple(items)
        self.cumulative: list[float] = list(itertools.accumulate(weights))
        self.total: float = self.cumulative[-1]

    def pick(self, rng: random.Random) -> ItemT:
        """One item, drawn with probability proportional to its weight."""
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


# ---------------------------------------------------------------------------------------------
# name pools (built once at import)


def _name_pools() -> tuple[Pool[str], Pool[str], Pool[str], Pool[str], Pool[str]]:
    """First (male, female), middle (male, female) and last name pools."""
    compound_weight = 1_800_000  # ~1.5 % of first names are "Mary Ellen" / "Billy Joe" style
    male = Pool(
        names.MALE_FIRST + reference.COMPOUND_FIRST_MALE,
        names.MALE_FIRST_WEIGHTS + (compound_weight,) * len(reference.COMPOUND_FIRST_MALE),
    )
    female = Pool(
        names.FEMALE_FIRST + reference.COMPOUND_FIRST_FEMALE,
        names.FEMALE_FIRST_WEIGHTS + (compound_weight,) * len(reference.COMPOUND_FIRST_FEMALE),
    )
    # a compound first name is never a middle name, so the middle pools are the plain ones
    male_middle = Pool(names.MALE_FIRST, names.MALE_FIRST_WEIGHTS)
    female_middle = Pool(names.FEMALE_FIRST, names.FEMALE_FIRST_WEIGHTS)
    extra = dict(reference.EXTRA_LAST_NAMES)
    last_items = list(names.LAST_NAMES) + [name for name in extra if name not in names.LAST_NAMES]
    last_weights = list(names.LAST_NAME_WEIGHTS) + [
        extra[name] for name in extra if name not in names.LAST_NAMES
    ]
    last = Pool(last_items, last_weights)
    return male, female, male_middle, female_middle, last


MALE_FIRST, FEMALE_FIRST, MALE_MIDDLE, FEMALE_MIDDLE, LAST = _name_pools()


def _nickname_table() -> dict[str, tuple[str, ...]]:
    """First name -> plausible nicknames; a name listed twice is picked twice as often."""
    from nicknames import NickNamer

    archaic = {"rupert", "dickon", "jem", "hobkin", "dobbin", "jock", "bela", "bell", "chick"}
    nick_namer = NickNamer()
    table: dict[str, tuple[str, ...]] = {}
    for first in set(names.MALE_FIRST) | set(names.FEMALE_FIRST):
        lowered = first.lower()
        picks = []
        # sorted: the package returns a set, whose order would change the generated files
        for nickname in sorted(nick_namer.nicknames_of(lowered)):
            if (
                nickname == lowered
                or nickname in archaic
                or len(nickname) < 2
                or not nickname.isalpha()
            ):
                continue
            if len(nickname) > len(lowered) and not nickname.endswith(("y", "ie")):
                continue  # "Bryant" is not a nickname of "Brian"; "Johnny" is one of "John"
            if nickname[0] == lowered[0]:
                picks.append(nickname.capitalize())
            elif nickname in reference.CLASSIC_CROSS_LETTER_NICKNAMES:
                picks += [nickname.capitalize()] * 2  # Bob, Bill, Peggy... are the usual ones
        if picks:
            table[first] = tuple(picks)
    return table


NICKNAMES: dict[str, tuple[str, ...]] = _nickname_table()

# ---------------------------------------------------------------------------------------------
# geography pools

LOCATION_POOL = Pool(reference.LOCATIONS, [location.weight for location in reference.LOCATIONS])
# people who move mostly stay in their state: one pool per state for that case
_BY_STATE: dict[str, Pool[Location]] = {
    state: Pool(
        [location for location in reference.LOCATIONS if location.state == state],
        [location.weight for location in reference.LOCATIONS if location.state == state],
    )
    for state in sorted({location.state for location in reference.LOCATIONS})
}
ALL_AREA_CODES: tuple[str, ...] = tuple(
    sorted({code for location in reference.LOCATIONS for code in location.area_codes})
)
STREET_TYPE_POOL = Pool(range(len(reference.STREET_TYPES)), reference.STREET_TYPE_WEIGHTS)
EMAIL_DOMAIN_POOL = Pool(reference.EMAIL_DOMAINS, reference.EMAIL_DOMAIN_WEIGHTS)


def _ordinal(number: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th`` ... ``23rd`` as written in street names."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"  # 11th, 12th, 13th: the teens break the last-digit rule
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


_ORDINALS = tuple(_ordinal(number) for number in range(1, 100))

# exchanges: first digit 2-9, no N11 service codes, never 555 (fictional / directory)
_EXCHANGES = tuple(
    f"{number:03d}"
    for number in range(200, 1000)
    if number % 100 != 11 and number != 555 and number != 950
)

ASCII_FOLD = str.maketrans(
    "áàâäãåéèêëíìîïóòôöõúùûüñçýÿÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇÝ\u2019",
    "aaaaaaeeeeiiiiooooouuuuncyyAAAAAAEEEEIIIIOOOOOUUUUNCY'",
)


def day(year: int, month: int, day_of_month: int) -> int:
    """Proleptic ordinal of a date (what ``date.toordinal`` returns)."""
    return dt.date(year, month, day_of_month).toordinal()


# ---------------------------------------------------------------------------------------------
# the world's objects


class Address(NamedTuple):
    """A true postal address; ``render.street_line`` decides how a source spells it."""

    location: Location
    zip5: str
    plus4: str
    kind: str  # "street" | "pobox" | "rural"
    number: str  # house number, box number or road number
    pre_direction: int  # index into DIRECTIONS or -1
    street: str  # street name ("Main", "23rd") or rural road kind ("CR", "FM", "RR", "HC", "HWY")
    street_type: int  # index into STREET_TYPES or -1
    post_direction: int
    unit_kind: str  # "" or key of UNIT_SPELLINGS
    unit: str
    box: str  # rural route box number


class Person:
    """One entity: the true name, contact data and the date a new cell number took over."""

    # slots: many thousands of these are built and dropped again while writing
    __slots__ = (
        "birth_year",
        "cell",
        "cell_change_day",
        "email",
        "entity_id",
        "family_email_share",
        "first",
        "gender",
        "last",
        "middle",
        "new_cell",
        "suffix",
        "title",
    )

    birth_year: int
    cell: str | None
    cell_change_day: int
    email: str | None
    entity_id: int
    family_email_share: float
    first: str
    gender: str
    last: str
    middle: str
    new_cell: str | None
    suffix: str
    title: str

    def __init__(self) -> None:
        self.suffix = ""
        self.new_cell = None
        self.cell_change_day = 0
        self.family_email_share = 0.0


class Household:
    """People at one address; ``move_day`` is when ``new_address`` / ``new_landline`` apply."""

    __slots__ = (
        "address",
        "family_email",
        "household_id",
        "kind",
        "landline",
        "last",
        "members",
        "move_day",
        "new_address",
        "new_landline",
    )

    address: Address
    family_email: str | None
    household_id: int
    kind: int
    landline: str | None
    last: str
    members: list[Person]
    move_day: int
    new_address: Address | None
    new_landline: str | None


# ---------------------------------------------------------------------------------------------
# household layout


class Layout(NamedTuple):
    """Entity -> household mapping. Entities of one household have consecutive ids."""

    entity_household: array  # household id of every entity ('I')
    household_kind: array  # kind of every household ('B')
    kind_counts: dict[str, int]


def build_households(n_entities: int, seed: int) -> Layout:
    """Lay out ``n_entities`` entities in households (about 10 % in multi-person households)."""
    rng = random.Random(mix(seed, 0xA11))
    average_multi_size = sum(
        weight * (3 if kind == HOUSEHOLD_FAMILY else 2.3 if kind == HOUSEHOLD_SIBLINGS else 2)
        for kind, weight in zip(_MULTI_KINDS, _MULTI_KIND_WEIGHTS, strict=True)
    )
    share = MULTI_PERSON_ENTITY_SHARE
    # share of households that are multi-person, solved from the share of entities in them
    multi_probability = share / (average_multi_size - share * average_multi_size + share)
    log_single_probability = math.log(1.0 - multi_probability)
    kind_pool = Pool(_MULTI_KINDS, _MULTI_KIND_WEIGHTS)

    entity_household = array("I")
    household_kind = array("B")
    counts = dict.fromkeys(HOUSEHOLD_KIND_NAMES.values(), 0)
    entity_id = household_id = 0
    while entity_id < n_entities:
        # a geometric run of single-person households, then one multi-person household
        run = int(math.log(1.0 - rng.random()) / log_single_probability)
        run = min(run, n_entities - entity_id)
        if run:
            entity_household.extend(range(household_id, household_id + run))
            household_kind.extend(bytes(run))
            entity_id += run
            household_id += run
            counts["single"] += run
        if entity_id >= n_entities:
            break
        kind = kind_pool.pick(rng)
        if kind == HOUSEHOLD_SIBLINGS:
            size = 2 if rng.random() < _SIBLING_SIZES[0][1] else 3
        else:
            size = 3 if kind == HOUSEHOLD_FAMILY else 2
        # the last household may be cut short by the entity count: downgrade its kind to match
        size = min(size, n_entities - entity_id)
        if size == 1:
            kind = HOUSEHOLD_SINGLE
        elif kind == HOUSEHOLD_FAMILY and size == 2:
            kind = HOUSEHOLD_COUPLE
        entity_household.extend((household_id,) * size)
        household_kind.append(kind)
        counts[HOUSEHOLD_KIND_NAMES[kind]] += 1
        entity_id += size
        household_id += 1
    return Layout(entity_household, household_kind, counts)


# ---------------------------------------------------------------------------------------------
# generation of one household


def _phone_number(rng: random.Random, location: Location, local_share: float = 1.0) -> str:
    """Ten digits; with ``local_share`` < 1 some numbers keep an area code from elsewhere."""
    codes = location.area_codes if rng.random() < local_share else ALL_AREA_CODES
    return (
        codes[int(rng.random() * len(codes))]
        + _EXCHANGES[int(rng.random() * len(_EXCHANGES))]
        + f"{int(rng.random() * 10000):04d}"
    )


def _address(rng: random.Random, location: Location) -> Address:
    """A PO box, a rural route / county road address or a street address in ``location``."""
    zip5 = location.zips[int(rng.random() * len(location.zips))]
    plus4 = f"{1 + int(rng.random() * 9998):04d}"
    roll = rng.random()
    if roll < 0.10:
        box_number = int(math.exp(rng.random() * 9.2)) + 1  # 1 .. ~10000, small ones favoured
        return Address(location, zip5, plus4, "pobox", str(box_number), -1, "", -1, -1, "", "", "")
    if location.rural and roll < 0.35:
        kind = ("CR", "CR", "FM", "RR", "HC", "HWY")[int(rng.random() * 6)]
        if location.state != "TX" and kind == "FM":
            kind = "CR"  # farm-to-market roads only exist in Texas
        if kind in ("RR", "HC"):
            if kind == "RR":
                road = str(1 + int(rng.random() * 9))
            else:
                road = str(60 + int(rng.random() * 40))
            box = str(1 + int(rng.random() * 400))
            return Address(location, zip5, plus4, "rural", road, -1, kind, -1, -1, "", "", box)
        road = str(1 + int(rng.random() * (3999 if kind != "HWY" else 290)))
        number = str(100 + int(rng.random() * 29900))
        return Address(location, zip5, plus4, "rural", number, -1, kind, -1, -1, "", "", road)
    digits = (1, 2, 3, 3, 3, 4, 4, 4, 5)[int(rng.random() * 9)]  # 3-4 digits the most common
    number = str(int(10 ** (digits - 1) + rng.random() * 9 * 10 ** (digits - 1)))
    if rng.random() < 0.18:
        street = _ORDINALS[int(rng.random() * 60)]
        pre_direction = int(rng.random() * 8) if rng.random() < 0.6 else -1
    else:
        street = reference.STREET_NAMES[int(rng.random() * len(reference.STREET_NAMES))]
        pre_direction = int(rng.random() * 8) if rng.random() < 0.15 else -1
    street_type = STREET_TYPE_POOL.pick(rng) if rng.random() < 0.96 else -1
    post_direction = int(rng.random() * 4) if pre_direction < 0 and rng.random() < 0.03 else -1
    unit_kind = unit = ""
    if rng.random() < 0.12:
        unit_kind = ("Apt", "Apt", "Apt", "Unit", "Suite", "Lot")[int(rng.random() * 6)]
        if unit_kind == "Suite":
            unit = str(100 + int(rng.random() * 400))
        elif rng.random() < 0.3:
            unit = f"{1 + int(rng.random() * 30)}{'ABCD'[int(rng.random() * 4)]}"
        else:
            unit = str(1 + int(rng.random() * 300))
    return Address(
        location,
        zip5,
        plus4,
        "street",
        number,
        pre_direction,
        street,
        street_type,
        post_direction,
        unit_kind,
        unit,
        "",
    )


def _moved_location(rng: random.Random, location: Location) -> Location:
    """Where a household moved to: usually the same state."""
    if rng.random() < 0.6:
        return _BY_STATE[location.state].pick(rng)
    return LOCATION_POOL.pick(rng)


def _email_local(rng: random.Random, first: str, middle: str, last: str, year: int) -> str:
    """The part before the ``@``, built the ways people actually pick them."""
    first_folded = first.translate(ASCII_FOLD).lower().replace(" ", "")
    middle_initial = middle[:1].translate(ASCII_FOLD).lower()
    last_folded = "".join(
        letter for letter in last.translate(ASCII_FOLD).lower() if letter.isalpha()
    )
    roll = rng.random()
    if roll < 0.22:
        local_part = f"{first_folded}.{last_folded}"
    elif roll < 0.40:
        local_part = f"{first_folded}{last_folded}"
    elif roll < 0.56:
        local_part = f"{first_folded[0]}{last_folded}"
    elif roll < 0.64:
        local_part = f"{first_folded}_{last_folded}"
    elif roll < 0.72:
        local_part = f"{last_folded}{first_folded[0]}"
    elif roll < 0.80:
        if middle_initial:
            local_part = f"{first_folded}{middle_initial}{last_folded}"
        else:
            local_part = f"{first_folded}.{last_folded}"
    elif roll < 0.90:
        local_part = first_folded
    else:
        local_part = f"{first_folded[0]}{middle_initial}{last_folded}"
    suffix_roll = rng.random()
    if suffix_roll < 0.25 and len(local_part) > 9:
        return local_part  # a plain, long-enough address
    if suffix_roll < 0.55:
        return f"{local_part}{year % 100:02d}"
    return f"{local_part}{int(rng.random() * 9000) + 100}"


def _make_email(rng: random.Random, first: str, middle: str, last: str, year: int) -> str:
    """A personal e-mail address, or now and then a shared junk placeholder."""
    if rng.random() < 0.006:
        return reference.JUNK_EMAILS[int(rng.random() * len(reference.JUNK_EMAILS))]
    return f"{_email_local(rng, first, middle, last, year)}@{EMAIL_DOMAIN_POOL.pick(rng)}"


def _canonical_first(rng: random.Random, pool: Pool[str]) -> str:
    """A true first name, sometimes in its accented spelling."""
    first = pool.pick(rng)
    accented = reference.ACCENTED_FIRST.get(first)
    if accented is not None and rng.random() < 0.45:
        return accented
    return first


def _person(
    rng: random.Random,
    entity_id: int,
    gender: str,
    first: str,
    last: str,
    location: Location,
    birth_year: int,
    middle: str | None = None,
) -> Person:
    """One person; ``middle=None`` draws a middle name (a son may inherit his father's)."""
    person = Person()
    person.entity_id = entity_id
    person.gender = gender
    person.first = first
    if middle is None:
        if rng.random() < 0.78:
            middle = (MALE_MIDDLE if gender == "M" else FEMALE_MIDDLE).pick(rng)
        else:
            middle = ""
    person.middle = middle
    person.last = last
    person.birth_year = birth_year
    if gender == "M":
        person.title = "Dr." if rng.random() < 0.04 else "Mr."
    else:
        roll = rng.random()
        if roll < 0.03:
            person.title = "Dr."
        elif roll < 0.30:
            person.title = "Ms."
        elif roll < 0.36:
            person.title = "Miss"
        else:
            person.title = "Mrs."
    person.cell = _phone_number(rng, location, local_share=0.85) if rng.random() < 0.82 else None
    if person.cell is not None and rng.random() < 0.10:
        person.new_cell = _phone_number(rng, location, local_share=0.85)
        person.cell_change_day = day(2012, 1, 1) + int(rng.random() * 4900)
    if rng.random() < 0.78:
        person.email = _make_email(rng, first, middle, last, birth_year)
    else:
        person.email = None
    return person


def make_household(
    seed: int, household_id: int, kind: int, first_entity_id: int, size: int
) -> Household:
    """Regenerate household ``household_id`` (and all its members) from the seed alone."""
    rng = random.Random(mix(seed, 0xB0B, household_id))
    household = Household()
    household.household_id = household_id
    household.kind = kind
    last = LAST.pick(rng)
    accented = reference.ACCENTED_LAST.get(last)
    if accented is not None and rng.random() < 0.40:
        last = accented
    household.last = last
    location = LOCATION_POOL.pick(rng)
    household.address = _address(rng, location)
    landline_share = 0.50 if kind == HOUSEHOLD_SINGLE else 0.75
    household.landline = _phone_number(rng, location) if rng.random() < landline_share else None
    if rng.random() < 0.12:
        new_location = _moved_location(rng, location)
        household.new_address = _address(rng, new_location)
        household.move_day = day(2010, 1, 1) + int(rng.random() * 5660)  # 2010 .. mid 2025
        if household.landline is not None:
            household.new_landline = _phone_number(rng, new_location)
        else:
            household.new_landline = None
    else:
        household.new_address = None
        household.move_day = 1 << 30  # never: later than any record date
        household.new_landline = None
    household.family_email = None

    def parent_birth_year() -> int:
        return 1932 + int(rng.random() * 48)  # 1932 .. 1979

    members: list[Person] = []
    if kind == HOUSEHOLD_SINGLE:
        gender = "M" if rng.random() < 0.52 else "F"
        first = _canonical_first(rng, MALE_FIRST if gender == "M" else FEMALE_FIRST)
        person = _person(
            rng, first_entity_id, gender, first, last, location, 1930 + int(rng.random() * 72)
        )
        roll = rng.random()
        if gender == "M" and roll < 0.04:  # a Jr / III whose father is not in our data
            person.suffix = ("Jr", "Jr", "Jr", "Sr", "II", "III", "IV")[int(rng.random() * 7)]
        members.append(person)
    elif kind in (HOUSEHOLD_COUPLE, HOUSEHOLD_FAMILY):
        husband_first = _canonical_first(rng, MALE_FIRST)
        wife_first = _canonical_first(rng, FEMALE_FIRST)
        while wife_first == husband_first:
            wife_first = _canonical_first(rng, FEMALE_FIRST)
        year = parent_birth_year()
        if rng.random() < 0.35:
            husband_folded = husband_first.translate(ASCII_FOLD).lower().replace(" ", "")
            wife_folded = wife_first.translate(ASCII_FOLD).lower().replace(" ", "")
            last_folded = "".join(
                letter for letter in last.translate(ASCII_FOLD).lower() if letter.isalpha()
            )
            local_part = (
                f"{last_folded}family",
                f"the{last_folded}s",
                f"{husband_folded}and{wife_folded}",
                f"{husband_folded[0]}{wife_folded[0]}{last_folded}",
                f"{last_folded}{year % 100:02d}",
            )[int(rng.random() * 5)]
            household.family_email = f"{local_part}@{EMAIL_DOMAIN_POOL.pick(rng)}"
        husband = _person(rng, first_entity_id, "M", husband_first, last, location, year)
        wife = _person(
            rng,
            first_entity_id + 1,
            "F",
            wife_first,
            last,
            location,
            year + int(rng.random() * 6),
        )
        if household.family_email is not None:
            # how often each spouse gives the shared address instead of their own
            husband.family_email_share = 0.4 + rng.random() * 0.5
            wife.family_email_share = 0.5 + rng.random() * 0.5
        members += [husband, wife]
        if kind == HOUSEHOLD_FAMILY and size >= 3:
            son = _person(
                rng,
                first_entity_id + 2,
                "M",
                husband_first,
                last,
                location,
                year + 22,
                husband.middle,
            )
            husband.suffix, son.suffix = ("Sr", "Jr")
            members.append(son)
    elif kind == HOUSEHOLD_FATHER_SON:
        first = _canonical_first(rng, MALE_FIRST)
        year = parent_birth_year()
        father = _person(rng, first_entity_id, "M", first, last, location, year)
        same_middle = rng.random() < 0.5 and father.middle
        son_middle = father.middle if same_middle else MALE_MIDDLE.pick(rng)
        son = _person(
            rng,
            first_entity_id + 1,
            "M",
            first,
            last,
            location,
            year + 20 + int(rng.random() * 15),
        )
        son.middle = son_middle
        roll = rng.random()
        if roll < 0.55:
            father.suffix, son.suffix = "Sr", "Jr"
        elif roll < 0.80:
            father.suffix, son.suffix = "", "Jr"  # fathers often carry no suffix at all
        else:
            father.suffix, son.suffix = "II", "III"
        members += [father, son]
    else:  # siblings
        year = parent_birth_year()
        seen: set[str] = set()
        for offset in range(size):
            gender = "M" if rng.random() < 0.5 else "F"
            first = _canonical_first(rng, MALE_FIRST if gender == "M" else FEMALE_FIRST)
            # siblings never share a first name: that would make them one person on paper
            while first in seen:
                first = _canonical_first(rng, MALE_FIRST if gender == "M" else FEMALE_FIRST)
            seen.add(first)
            members.append(
                _person(
                    rng,
                    first_entity_id + offset,
                    gender,
                    first,
                    last,
                    location,
                    year + int(rng.random() * 12),
                )
            )
    household.members = members
    return household
