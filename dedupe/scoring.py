"""Which persons are the same person: features, blocking keys, comparisons, the match model and
the household guards. Pure Python (no database), so the same code serves full runs, incremental
runs and tests.

The model is Fellegi-Sunter: each pair of persons is compared field by field into a vector of
*levels* (first name exact / nickname / typo / initial / different, phone shared / none shared,
...). Each level has a probability among true matches (``m``) and among non-matches (``u``);
the pair's match weight is the sum of ``log2(m / u)`` over its fields plus the prior
``log2(λ / (1 - λ))``. ``u`` is measured on random pairs of persons, ``m`` and ``λ`` are learned
by expectation-maximisation over the blocked pairs (both seeded and deterministic). Every
decision keeps its per-field levels and weights as its evidence.

Guards sit above the score: some differences mean *different people* however much else is
shared (spouses and siblings on one landline, Sr/Jr at one address). A guarded pair never
matches, and no cluster may hold two guarded persons.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import JaroWinkler, Levenshtein

from cmplatform.lib.hygiene.names import nickname_keys


@dataclass(slots=True)
class Features:
    """What resolution compares of one person: its own values (before any survivorship from
    its cluster) and its contact points."""

    person_id: int
    first: str  # first-name key (upper-case ASCII letters)
    last: str  # last-name key
    middle: str  # middle initial
    suffix: str  # generational suffix token ("JR", "SR", "II", "III"...), "" when none
    zip5: str
    state: str
    phones: tuple[str, ...]  # E.164
    emails: tuple[str, ...]  # valid, lower-cased
    addresses: tuple[str, ...]  # USPS address keys
    updated: float  # source timestamp (epoch seconds), 0 when unknown
    completeness: int  # non-empty fields and contact points
    is_manual: bool  # verified by a person (manual override)
    has_verified_email: bool
    has_verified_phone: bool
    # Phones held by persons of clearly different first names (a household line): shared, they
    # are weaker evidence. Filled in by :func:`mark_household_phones`.
    household_phones: frozenset[str] = field(default_factory=frozenset)


# -- names -------------------------------------------------------------------------------------

_GENERATIONAL = {"JR", "SR", "II", "III", "IV", "V", "2ND", "3RD"}


def suffix_token(suffix: str) -> str:
    """The generational part of a suffix ("Jr." → "JR"); professional suffixes (MD, Esq) are
    not identity and compare as none."""
    token = suffix.upper().replace(".", "").strip()
    return token if token in _GENERATIONAL else ""


@lru_cache(maxsize=200_000)
def _nicknames(first: str) -> frozenset[str]:
    return nickname_keys(first)


@lru_cache(maxsize=500_000)
def first_level(a: str, b: str) -> int:
    """0 same, 1 nickname-equivalent, 2 a typo (Jaro-Winkler ≥ 0.9), 3 one an initial of the
    other, 4 different. Keys are upper-case letters; callers handle missing names."""
    if a == b:
        return 0
    if len(a) == 1 or len(b) == 1:
        return 3 if a[0] == b[0] else 4
    if _nicknames(a) & _nicknames(b):
        return 1
    if JaroWinkler.similarity(a, b) >= 0.9 and min(len(a), len(b)) >= 4:
        return 2
    return 4


@lru_cache(maxsize=500_000)
def last_level(a: str, b: str) -> int:
    """0 same, 1 a typo (Jaro-Winkler ≥ 0.92 or one edit in a long name), 2 different."""
    if a == b:
        return 0
    if JaroWinkler.similarity(a, b) >= 0.92 or (
        min(len(a), len(b)) >= 6 and Levenshtein.distance(a, b) <= 1
    ):
        return 1
    return 2


@lru_cache(maxsize=200_000)
def phonetic(last: str) -> str:
    """Phonetic key of a last name (metaphone): "SMYTHE" and "SMITH" share it."""
    return jellyfish.metaphone(last) if last else ""


# -- comparison vectors -----------------------------------------------------------------------

MISSING = -1


@dataclass(frozen=True)
class Comparison:
    """One compared field and the names of its levels (level ``i`` is ``levels[i]``)."""

    name: str
    levels: tuple[str, ...]


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("first_name", ("exact", "nickname", "typo", "initial", "different")),
    Comparison("last_name", ("exact", "typo", "different")),
    Comparison("middle_initial", ("same", "different")),
    Comparison("suffix", ("same", "one_side_only", "different")),
    Comparison("email", ("shared", "none_shared")),
    Comparison(
        "phone",
        ("shared_personal", "shared_each_with_own", "shared_household", "none_shared"),
    ),
    Comparison(
        "address", ("same_address", "similar_address", "same_zip", "same_state", "different")
    ),
)
FIRST, LAST, MIDDLE, SUFFIX, EMAIL, PHONE, ADDRESS = range(len(COMPARISONS))


def compare(a: Features, b: Features) -> tuple[int, ...]:
    """The level of every comparison for the pair (``MISSING`` when a side lacks the field)."""
    first = first_level(a.first, b.first) if a.first and b.first else MISSING
    last = last_level(a.last, b.last) if a.last and b.last else MISSING
    if (first == 4 or last == 2) and a.first and a.last and b.first and b.last:
        # "Glenn Kit" and "Kit Glenn": one source wrote the name the other way round
        swapped_first, swapped_last = first_level(a.first, b.last), last_level(a.last, b.first)
        if swapped_first <= 2 and swapped_last <= 1:
            first, last = swapped_first, swapped_last
    middle = (0 if a.middle == b.middle else 1) if a.middle and b.middle else MISSING
    if a.suffix and b.suffix:
        suffix = 0 if a.suffix == b.suffix else 2
    elif a.suffix or b.suffix:
        suffix = 1
    else:
        suffix = MISSING
    email = (0 if set(a.emails) & set(b.emails) else 1) if a.emails and b.emails else MISSING
    if a.phones and b.phones:
        mine, theirs = set(a.phones), set(b.phones)
        shared = mine & theirs
        if not shared:
            phone = 3
        elif not shared - a.household_phones - b.household_phones:
            phone = 2
        elif mine - shared and theirs - shared:
            # one line in common and a number of its own on each side: a household line with
            # two cells (a father and a son) more often than one person
            phone = 1
        else:
            phone = 0
    else:
        phone = MISSING
    if a.addresses and b.addresses and set(a.addresses) & set(b.addresses):
        address = 0
    elif a.addresses and b.addresses and _similar_addresses(a.addresses, b.addresses):
        address = 1
    elif a.zip5 and b.zip5:
        address = 2 if a.zip5 == b.zip5 else (3 if a.state == b.state else 4)
    elif a.state and b.state:
        address = 3 if a.state == b.state else 4
    else:
        address = MISSING
    return (first, last, middle, suffix, email, phone, address)


def _similar_addresses(mine: Sequence[str], theirs: Sequence[str]) -> bool:
    """A street typed with a typo or another unit spelling, in the same ZIP ("9094 PEN LN" and
    "9094 PNN LN"): keys are ``STREET|ZIP``."""
    return any(
        x.rpartition("|")[2] == y.rpartition("|")[2] and similar_street(x, y)
        for x in mine
        for y in theirs
    )


@lru_cache(maxsize=200_000)
def similar_street(a: str, b: str) -> bool:
    """Streets of one ZIP that differ by a typo: same house number, Levenshtein similarity of
    the whole key at least 0.85."""
    if a.split(" ", 1)[0] != b.split(" ", 1)[0]:
        return False
    return Levenshtein.normalized_similarity(a, b) >= 0.85


# -- guards -----------------------------------------------------------------------------------

GUARD_FIRST_NAME = "different_first_names"
GUARD_SUFFIX = "conflicting_suffixes"
GUARD_MIDDLE = "conflicting_middle_initials"
GUARD_GENERATION = "possible_parent_and_child"


def guard(a: Features, b: Features, levels: Sequence[int] | None = None) -> str | None:
    """Why ``a`` and ``b`` must be different people, or ``None``.

    Household rules: clearly different first names (spouses, siblings on one line or address),
    Jr vs Sr / II vs III, different middle initials. And one generational suffix on one side
    only, when the only thing the two share is the household (address or a household line) and
    no personal contact point: a father without a suffix and his "Jr" son.
    """
    levels = compare(a, b) if levels is None else levels
    if levels[FIRST] == 4:
        return GUARD_FIRST_NAME
    if levels[SUFFIX] == 2:
        return GUARD_SUFFIX
    if levels[MIDDLE] == 1:
        return GUARD_MIDDLE
    if levels[SUFFIX] == 1 and not _same_generation(a, b, levels):
        return GUARD_GENERATION
    return None


def _same_generation(a: Features, b: Features, levels: Sequence[int]) -> bool:
    """With a generational suffix on one side only, whether the pair still looks like one
    person: only a shared e-mail says so. A father without a suffix and his "Jr" son share the
    address and the landline; on the labelled data half of such pairs were two people. Such a
    pair is never linked automatically: it goes to the review queue."""
    return levels[EMAIL] == 0


# -- blocking ---------------------------------------------------------------------------------

# Persons sharing one key beyond these counts are not compared on that key: a shared office
# line or a common name in one ZIP would otherwise create pairs quadratically.
BLOCK_CAP_CONTACT = 20
BLOCK_CAP_NAME = 60


def _emails(person: Features) -> Iterable[str]:
    return person.emails


def _phones(person: Features) -> Iterable[str]:
    return person.phones


def _addresses(person: Features) -> Iterable[str]:
    return person.addresses


def _given_names(person: Features) -> tuple[str, ...]:
    """Every name the first name may stand for ("Bob" → BOB, ROBERT...), or its initial."""
    return _given_names_of(person.first)


@lru_cache(maxsize=200_000)
def _given_names_of(first: str) -> tuple[str, ...]:
    # three blocking rules ask this of every person: sorted once per distinct first name
    if len(first) > 1:
        return tuple(sorted(_nicknames(first)))
    return (first,) if first else ()


def _name_zip(person: Features) -> Iterable[str]:
    """Same person, same ZIP: the last name and each name the first name may stand for."""
    if not (person.last and person.zip5):
        return ()
    return (f"{given}|{person.last}|{person.zip5}" for given in _given_names(person))


def _initial_zip(person: Features) -> Iterable[str]:
    """First-name typos and initials: the last name, the first initial and the ZIP."""
    if not (person.last and person.first and person.zip5):
        return ()
    return (f"{person.last}|{person.first[0]}|{person.zip5}",)


def _sound_zip(person: Features) -> Iterable[str]:
    """Last-name typos: the metaphone key of the last name, the first initial and the ZIP."""
    if not (person.last and person.first and person.zip5):
        return ()
    return (f"{phonetic(person.last)}|{person.first[0]}|{person.zip5}",)


def _names_state(person: Features) -> Iterable[str]:
    """Movers: same name, new address and phone, usually in the same state."""
    if not (person.last and person.state):
        return ()
    return (f"{given}|{person.last}|{person.state}" for given in _given_names(person))


def _full_name(person: Features) -> Iterable[str]:
    """The full name alone, for records without any location: they share no ZIP or state
    block with anyone. Only pairs that involve such a record are formed (``pairs_need``)."""
    if not person.last:
        return ()
    return (f"{given}|{person.last}" for given in _given_names(person))


def _has_no_location(person: Features) -> bool:
    return not person.zip5 and not person.state


def _last_name_phone7(person: Features) -> Iterable[str]:
    """A number re-typed with another area code: last name + the last seven digits."""
    if not person.last:
        return ()
    return (f"{person.last}|{phone[-7:]}" for phone in person.phones)


@dataclass(frozen=True)
class BlockingRule:
    """One kind of blocking key, with the largest block it may form and, optionally, which
    persons a pair of the block must involve."""

    name: str
    cap: int
    keys: Callable[[Features], Iterable[str]]
    pairs_need: Callable[[Features], bool] | None = None


BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("email", BLOCK_CAP_CONTACT, _emails),
    BlockingRule("phone", BLOCK_CAP_CONTACT, _phones),
    BlockingRule("address", BLOCK_CAP_CONTACT, _addresses),
    BlockingRule("name_zip", BLOCK_CAP_NAME, _name_zip),
    BlockingRule("initial_zip", BLOCK_CAP_NAME, _initial_zip),
    BlockingRule("sound_zip", BLOCK_CAP_NAME, _sound_zip),
    BlockingRule("names_state", BLOCK_CAP_NAME, _names_state),
    BlockingRule("last_name_phone7", BLOCK_CAP_CONTACT, _last_name_phone7),
    BlockingRule("full_name", BLOCK_CAP_NAME * 4, _full_name, pairs_need=_has_no_location),
)

_PAIR_SHIFT = 32


def pair_code(i: int, j: int) -> int:
    """A pair of indices ``i < j`` as one int: a set of ints is a third of a set of tuples."""
    return (i << _PAIR_SHIFT) | j


def pair_indices(code: int) -> tuple[int, int]:
    return code >> _PAIR_SHIFT, code & ((1 << _PAIR_SHIFT) - 1)


@dataclass
class Blocking:
    """Candidate pairs (:func:`pair_code` of indices into the feature list) and what blocking
    cost, per rule."""

    pairs: set[int]
    blocks: int = 0
    capped_blocks: int = 0
    capped_persons: int = 0
    pairs_by_rule: dict[str, int] = field(default_factory=dict)


def shard_of(rule: str, key: str, shards: int) -> int:
    """The shard a block belongs to in a run split into ``shards`` tasks (stable across
    processes, unlike ``hash``)."""
    return zlib.crc32(f"{rule}|{key}".encode()) % shards


def block(
    persons: Sequence[Features],
    *,
    only: set[int] | None = None,
    shard: tuple[int, int] | None = None,
) -> Blocking:
    """All pairs of persons that share a block. With ``only`` (indices), just the pairs that
    involve one of those persons (an incremental run); with ``shard`` (index, count), just the
    blocks of that shard (one task of a split run). One rule's blocks are held at a time."""
    result = Blocking(pairs=set())
    for rule in BLOCKING_RULES:
        blocks: dict[str, list[int]] = {}
        if only is not None:
            # only the blocks of the re-decided persons: a fraction of the keys
            for index in sorted(only):
                for key in rule.keys(persons[index]):
                    blocks[key] = []
        for index, person in enumerate(persons):
            for key in rule.keys(person):
                if shard is not None and shard_of(rule.name, key, shard[1]) != shard[0]:
                    continue
                members = blocks.get(key)
                if members is None:
                    if only is None:
                        blocks[key] = [index]
                elif not members or members[-1] != index:
                    members.append(index)
        before = len(result.pairs)
        for members in blocks.values():
            if len(members) < 2:
                continue
            result.blocks += 1
            if len(members) > rule.cap:
                result.capped_blocks += 1
                result.capped_persons += len(members)
                continue
            if only is not None and not any(member in only for member in members):
                continue
            needed = (
                None
                if rule.pairs_need is None
                else {m for m in members if rule.pairs_need(persons[m])}
            )
            if needed is not None and not needed:
                continue
            for position, i in enumerate(members):
                for j in members[position + 1 :]:
                    if only is not None and i not in only and j not in only:
                        continue
                    if needed is not None and i not in needed and j not in needed:
                        continue
                    result.pairs.add(pair_code(i, j))
        result.pairs_by_rule[rule.name] = len(result.pairs) - before
        del blocks
    return result


# -- the model --------------------------------------------------------------------------------


def _level_counts(
    vectors: Iterable[tuple[int, ...]], weights: Iterable[float]
) -> list[list[float]]:
    counts = [[0.0] * len(c.levels) for c in COMPARISONS]
    for vector, weight in zip(vectors, weights, strict=True):
        for index, level in enumerate(vector):
            if level != MISSING:
                counts[index][level] += weight
    return counts


def _normalised(counts: list[list[float]], smoothing: float) -> list[list[float]]:
    result = []
    for row in counts:
        total = sum(row) + smoothing * len(row)
        result.append([(value + smoothing) / total for value in row])
    return result


@dataclass
class MatchModel:
    """Fellegi-Sunter parameters: ``m[field][level]``, ``u[field][level]`` and the prior.

    ``prior`` is λ over *all* pairs of persons (as ``u`` is measured on random pairs), so a
    match weight is comparable across data sizes. An exact first- or last-name match is worth
    more for a rare name than for a common one: its ``u`` is that name's share of the persons
    (a term-frequency adjustment, as Splink offers), taken from ``frequencies``.
    """

    m: list[list[float]]
    u: list[list[float]]
    prior: float
    frequencies: dict[int, dict[str, float]] = field(default_factory=dict)

    def weights(self) -> list[list[float]]:
        return [
            [math.log2(m / u) for m, u in zip(m_row, u_row, strict=True)]
            for m_row, u_row in zip(self.m, self.u, strict=True)
        ]

    def exact_adjustment(self, field_index: int, value: str) -> float:
        """Bits to add to an exact match of ``value``: ``log2(u_exact / frequency)``."""
        table = self.frequencies.get(field_index)
        if not table:
            return 0.0
        frequency = max(table.get(value, 0.0), MIN_FREQUENCY)
        return math.log2(self.u[field_index][0] / frequency)

    def as_dict(self) -> dict[str, object]:
        return {
            "prior": self.prior,
            "fields": {
                comparison.name: {
                    level: {"m": m, "u": u}
                    for level, m, u in zip(comparison.levels, m_row, u_row, strict=True)
                }
                for comparison, m_row, u_row in zip(COMPARISONS, self.m, self.u, strict=True)
            },
        }


def estimate_u(
    persons: Sequence[Features], *, samples: int = 200_000, seed: int = 0
) -> list[list[float]]:
    """Level frequencies among random pairs of persons: almost all of them are non-matches."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    count = len(persons)
    vectors = []
    if count >= 2:
        for _ in range(samples):
            i, j = rng.randrange(count), rng.randrange(count)
            if i != j:
                vectors.append(compare(persons[i], persons[j]))
    return _normalised(_level_counts(vectors, [1.0] * len(vectors)), smoothing=1.0)


# m before any data: what a true duplicate usually looks like. EM refines it.
_INITIAL_M = (
    (0.80, 0.08, 0.05, 0.05, 0.02),
    (0.90, 0.08, 0.02),
    (0.95, 0.05),
    (0.60, 0.35, 0.05),
    (0.70, 0.30),
    (0.60, 0.10, 0.10, 0.20),
    (0.55, 0.10, 0.20, 0.10, 0.05),
)


# An exact match on a name seen once still counts as if a few persons in a million had it.
MIN_FREQUENCY = 1e-6


def name_frequencies(persons: Sequence[Features]) -> dict[int, dict[str, float]]:
    """Each first- and last-name key's share of the persons that have one."""
    tables: dict[int, dict[str, float]] = {}
    for field_index, attribute in ((FIRST, "first"), (LAST, "last")):
        counts = Counter(getattr(p, attribute) for p in persons if getattr(p, attribute))
        total = sum(counts.values()) or 1
        tables[field_index] = {value: count / total for value, count in counts.items()}
    return tables


def _names_agree(levels: Sequence[int]) -> bool:
    return levels[FIRST] in (0, 1) and levels[LAST] == 0


# For each field, the pairs that are near-certain matches by *other* fields: that field's level
# distribution among them estimates its ``m`` (as Splink trains each comparison on a blocking
# rule that does not use it). A shared personal phone or e-mail alone is not enough: a father
# and son share the landline, spouses the family address.
_ANCHORS: dict[int, Callable[[Sequence[int]], bool]] = {
    FIRST: lambda v: v[EMAIL] == 0 and v[PHONE] == 0,
    LAST: lambda v: v[EMAIL] == 0 and v[PHONE] == 0,
    MIDDLE: lambda v: v[EMAIL] == 0 and v[PHONE] == 0 and _names_agree(v),
    SUFFIX: lambda v: v[EMAIL] == 0 and v[PHONE] == 0 and _names_agree(v),
    EMAIL: lambda v: v[PHONE] == 0 and _names_agree(v) and v[ADDRESS] in (0, 1, 2),
    PHONE: lambda v: v[EMAIL] == 0 and _names_agree(v) and v[ADDRESS] in (0, 1, 2),
    ADDRESS: lambda v: v[EMAIL] == 0 and v[PHONE] == 0 and _names_agree(v),
}
# Fewer anchor pairs than this for a field: keep its prior ``m``.
MIN_ANCHOR_PAIRS = 30


def estimate_model(
    patterns: Counter[tuple[int, ...]],
    u: list[list[float]],
    *,
    persons: int,
    frequencies: dict[int, dict[str, float]] | None = None,
    iterations: int = 25,
) -> MatchModel:
    """Learn the model from the blocked pairs' level patterns: each field's ``m`` from the
    pairs other fields make near-certain matches (``_ANCHORS``), ``u`` as measured on random
    pairs, and the share of matches among blocked pairs by expectation-maximisation with those
    ``m`` fixed, turned into the prior over all ``persons`` pairs. Guarded pairs are not given:
    they are decided without the model."""
    items = sorted(patterns.items())
    m: list[list[float]] = []
    for index, initial in enumerate(_INITIAL_M):
        counts = [0.0] * len(initial)
        for levels, count in items:
            if levels[index] != MISSING and _ANCHORS[index](levels):
                counts[levels[index]] += count
        if sum(counts) >= MIN_ANCHOR_PAIRS:
            m.append(_normalised([counts], smoothing=0.5)[0])
        else:
            m.append(list(initial))
    blocked_prior = 0.1
    total = sum(count for _, count in items)
    for _ in range(iterations if items else 0):
        model = MatchModel(m, u, blocked_prior)
        expected = sum(match_probability(model, levels) * count for levels, count in items)
        blocked_prior = min(max(expected / total, 1e-6), 0.999)
    all_pairs = max(persons * (persons - 1) / 2, 1.0)
    prior = min(max(blocked_prior * total / all_pairs, 1e-12), 0.5)
    return MatchModel(m, u, prior, frequencies or {})


def field_weights(
    model: MatchModel,
    levels: Sequence[int],
    weights: list[list[float]] | None = None,
    names: tuple[str, str] | None = None,
) -> list[float]:
    """Each field's contribution to the match weight: ``log2(m / u)`` of its level, with the
    term-frequency adjustment of exact first/last names when ``names`` (first, last) are given,
    and 0 for a missing field or an agreement the shared household explains."""
    table = model.weights() if weights is None else weights
    household = levels[ADDRESS] in (0, 1)  # the same address, maybe with a typo
    result = []
    for index, level in enumerate(levels):
        if level == MISSING or (household and _explained_by_household(index, level)):
            result.append(0.0)
            continue
        weight = table[index][level]
        if names is not None and level == 0 and index in (FIRST, LAST):
            weight += model.exact_adjustment(index, names[0 if index == FIRST else 1])
        if index == EMAIL and level == 0 and _email_alone(levels):
            weight = min(weight, table[ADDRESS][2])
        result.append(weight)
    return result


def _email_alone(levels: Sequence[int]) -> bool:
    """A shared e-mail with nothing else in common and the addresses in different ZIPs.
    Addresses built from a name collide between namesakes (``jsmith61@gmail.com``), so there
    it counts no more than sharing a ZIP would (a dependence adjustment, measured on the
    labelled data: such pairs were namesakes four times out of five)."""
    return levels[ADDRESS] in (3, 4) and levels[PHONE] in (3, MISSING)


def match_weight(
    model: MatchModel,
    levels: Sequence[int],
    weights: list[list[float]] | None = None,
    names: tuple[str, str] | None = None,
) -> float:
    """The pair's match weight: the prior's log-odds plus every field's weight."""
    prior = math.log2(model.prior / (1 - model.prior))
    return prior + sum(field_weights(model, levels, weights, names))


def _explained_by_household(field_index: int, level: int) -> bool:
    """Agreements that people at one address share whoever they are: the surname and the
    household line. Fellegi-Sunter adds fields as if independent; at one address these are
    not, so they add nothing there (a dependence adjustment)."""
    return (field_index == LAST and level == 0) or (field_index == PHONE and level in (1, 2))


def match_probability(
    model: MatchModel,
    levels: Sequence[int],
    weights: list[list[float]] | None = None,
    names: tuple[str, str] | None = None,
) -> float:
    """The match weight as a probability."""
    weight = match_weight(model, levels, weights, names)
    if weight < -60:
        return 0.0
    return 1.0 if weight > 60 else 1.0 / (1.0 + 2.0 ** (-weight))


def evidence(
    model: MatchModel,
    levels: Sequence[int],
    weights: list[list[float]],
    names: tuple[str, str] | None = None,
) -> dict[str, object]:
    """Why the pair scored as it did: per field, its level and the weight it added."""
    fields: dict[str, object] = {}
    contributions = field_weights(model, levels, weights, names)
    for comparison, level, weight in zip(COMPARISONS, levels, contributions, strict=True):
        fields[comparison.name] = {
            "level": "missing" if level == MISSING else comparison.levels[level],
            "weight": round(weight, 3),
        }
    return fields
