"""Names: split columns, full names (fast path proven equal to nameparser), nickname keys."""

from __future__ import annotations

import random

from cmplatform.lib.hygiene import names
from cmplatform.lib.hygiene.names import (
    NameResult,
    nickname_keys,
    normalize_name_parts,
    parse_full_name,
    parse_full_name_with_library,
)


def test_split_columns_are_cased_and_moved_to_their_fields() -> None:
    assert normalize_name_parts("JOHN A", None, "SMITH JR", None) == NameResult(
        "John", "A", "Smith", "Jr", ""
    )
    assert normalize_name_parts(" mary  ellen ", "a.", "o'brien", "") == NameResult(
        "Mary Ellen", "A", "O'Brien", "", ""
    )
    assert normalize_name_parts('Robert "Bob"', "", "MCDONALD", "3rd") == NameResult(
        "Robert", "", "McDonald", "III", "", nickname="Bob"
    )
    assert normalize_name_parts("Mr John", None, "Smith, Jr.", None) == NameResult(
        "John", "", "Smith", "Jr", "Mr"
    )
    assert normalize_name_parts("MARIA", "ELENA", "DE LA CRUZ ET UX", None) == NameResult(
        "Maria", "Elena", "De La Cruz", "", "", qualifier="ET UX"
    )
    assert normalize_name_parts("José", None, "GARCÍA-LÓPEZ", "SR.") == NameResult(
        "José", "", "García-López", "Sr", ""
    )


def test_split_columns_keep_mixed_case_as_typed() -> None:
    assert normalize_name_parts("DeShawn", None, "LeBlanc", None) == NameResult(
        "DeShawn", "", "LeBlanc", "", ""
    )
    assert normalize_name_parts("JOHN", None, "MACDONALD", None).last == "MacDonald"
    assert normalize_name_parts("JOHN", None, "MACK", None).last == "Mack"
    assert normalize_name_parts("ANN", None, "SMITH-JONES", None).last == "Smith-Jones"
    assert normalize_name_parts("ANN", None, "VAN DYKE", None).last == "Van Dyke"


def test_split_columns_empty() -> None:
    assert normalize_name_parts(None, None, None, None) == NameResult(
        "", "", "", "", "", reason="empty"
    )
    assert normalize_name_parts("", " ", "", "") == NameResult("", "", "", "", "", reason="empty")


def test_full_names_in_every_layout_of_the_issue() -> None:
    expected = {
        "SMITH, JOHN A": NameResult("John", "A", "Smith", "", ""),
        "Smith, John A Jr": NameResult("John", "A", "Smith", "Jr", ""),
        "John A. Smith III": NameResult("John", "A", "Smith", "III", ""),
        "Mr. Robert Smith": NameResult("Robert", "", "Smith", "", "Mr"),
        "Garcia, José M": NameResult("José", "M", "Garcia", "", ""),
        "Mary Ellen O'Brien": NameResult("Mary Ellen", "", "O'Brien", "", ""),
        "Mary Ellen O\u2019Brien": NameResult("Mary Ellen", "", "O'Brien", "", ""),
        "SMITH JR, JOHN": NameResult("John", "", "Smith", "Jr", ""),
        'ROBERT "BOB" SMITH': NameResult("Robert", "", "Smith", "", "", nickname="Bob"),
        "SMITH JOHN A": NameResult("John", "A", "Smith", "", ""),
        "SMITH JOHN": NameResult("John", "", "Smith", "", ""),
        "John A Smith, Jr.": NameResult("John", "A", "Smith", "Jr", ""),
        "DE LA CRUZ, MARIA": NameResult("Maria", "", "De La Cruz", "", ""),
        "Smith, John 2nd": NameResult("John", "", "Smith", "II", ""),
        "SMITH, JOHN V": NameResult("John", "V", "Smith", "", ""),
        "SMITH, JOHN A\x00": NameResult("John", "A", "Smith", "", ""),
    }
    for raw, result in expected.items():
        assert parse_full_name(raw) == result, raw


def test_mineral_title_qualifiers_are_flagged_never_part_of_the_name() -> None:
    assert parse_full_name("SMITH, JOHN A ET UX") == NameResult(
        "John", "A", "Smith", "", "", qualifier="ET UX"
    )
    assert parse_full_name("SMITH JOHN ET AL") == NameResult(
        "John", "", "Smith", "", "", qualifier="ET AL"
    )
    assert parse_full_name("SMITH, JOHN A TRUSTEE") == NameResult(
        "John", "A", "Smith", "", "", qualifier="TRUSTEE"
    )
    assert parse_full_name("SMITH, JOHN A TR") == NameResult(
        "John", "A", "Smith", "", "", qualifier="TRUSTEE"
    )
    assert parse_full_name("SMITH, JOHN A ESTATE") == NameResult(
        "John", "A", "Smith", "", "", qualifier="ESTATE", is_entity=True
    )
    assert parse_full_name("Estate of John A Smith") == NameResult(
        "John", "A", "Smith", "", "", qualifier="ESTATE", is_entity=True
    )
    assert parse_full_name("SMITH, JOHN A LIFE ESTATE") == NameResult(
        "John", "A", "Smith", "", "", qualifier="LIFE ESTATE"
    )
    assert parse_full_name("SMITH, JOHN A REV TRUST") == NameResult(
        "John", "A", "Smith", "", "", qualifier="TRUST", is_entity=True
    )
    assert parse_full_name("SMITH JR, JOHN TRUSTEE ET UX") == NameResult(
        "John", "", "Smith", "Jr", "", qualifier="TRUSTEE ET UX"
    )
    assert parse_full_name("XTO ENERGY INC") == NameResult(
        "", "", "XTO ENERGY INC", "", "", is_entity=True
    )


def test_empty_full_names() -> None:
    assert parse_full_name("") == NameResult("", "", "", "", "", reason="empty")
    assert parse_full_name(None) == NameResult("", "", "", "", "", reason="empty")


def test_nickname_keys_from_the_nicknames_package() -> None:
    assert nickname_keys("Bob") == frozenset({"BOB", "ROBERT", "BERT", "BOBBY"})
    assert "WILLIAM" in nickname_keys("bill")
    assert "MARGARET" in nickname_keys("Peggy")
    assert nickname_keys("José") == frozenset({"JOSE"})
    assert nickname_keys("") == frozenset()
    assert nickname_keys("Robert") & nickname_keys("Bob")


FIRST_NAMES = (
    "John", "Mary", "Robert", "José", "Ann", "Billy", "Jo", "Dean", "King", "Ellen", "Ed",
    "Christopher", "Lee", "Van", "De", "Kim", "Mary Ellen", "Billy Joe", "J.", "A", "E", "Y",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "O'Brien", "De La Cruz", "Van Dyke", "St. John", "Smith-Jones", "McDonald",
    "García", "Lee", "King", "Ma", "Do", "Bishop", "Le", "Dean", "Church", "Jr", "Du Pont",
)  # fmt: skip
MIDDLES = ("", "", "A", "A.", "Ann", "Lee", "E", "Y", "V", "I", "Mae", "J R", "Joe")
SUFFIXES = ("", "", "", "Jr", "Jr.", "JR", "Sr", "II", "III", "2nd", "3rd", "IV", "V", "MD", "Esq")
TITLES = ("", "", "", "Mr.", "Mrs", "Dr.", "Ms.", "Miss", "Rev")
TAILS = ("", "", "", "", " ET UX", " ET AL", " TRUSTEE", " TR", " ESTATE", " LIFE ESTATE")


def _random_full_name(rng: random.Random) -> str:
    first, middle, last = rng.choice(FIRST_NAMES), rng.choice(MIDDLES), rng.choice(LAST_NAMES)
    suffix, title = rng.choice(SUFFIXES), rng.choice(TITLES)
    layouts = (
        f"{last}, {first} {middle} {suffix}",
        f"{last} {suffix}, {first} {middle}",
        f"{last} {first} {middle} {suffix}",
        f"{first} {middle} {last} {suffix}",
        f"{first} {middle} {last}, {suffix}",
        f"{title} {first} {last} {suffix}",
        f"{first} {last}",
        f'{first} "{rng.choice(("Bob", "Bo Bo"))}" {last}',
        f"{last},{first}",
        f"{first} {middle} {last} & {rng.choice(FIRST_NAMES)} {last}",
    )
    name = " ".join(rng.choice(layouts).split()) + rng.choice(TAILS)
    roll = rng.random()
    if roll < 0.3:
        name = name.upper()
    elif roll < 0.35:
        name = name.lower()
    return name


def test_fast_path_gives_exactly_the_nameparser_result_on_generated_names() -> None:
    rng = random.Random(5)
    fast_path_used = 0
    for _ in range(3000):
        raw = _random_full_name(rng)
        cleaned, _nickname = names._take_nickname(names._clean(raw))
        words, _qualifier, _is_entity = names._take_qualifiers(cleaned.split(), leading=True)
        if names._split_fast(names._comma_for_last_name_first(" ".join(words))) is not None:
            fast_path_used += 1
        assert parse_full_name(raw) == parse_full_name_with_library(raw), raw
    assert fast_path_used > 1000
