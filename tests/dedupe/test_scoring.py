"""Comparisons, guards and blocking on hand-made persons (pure Python, no database)."""

from __future__ import annotations

from dedupe import scoring
from dedupe.scoring import Features


def person(
    person_id,
    first,
    last,
    *,
    middle="",
    suffix="",
    zip5="79772",
    phones=(),
    emails=(),
    addresses=(),
    household_phones=frozenset(),
):
    return Features(
        person_id=person_id,
        first=first,
        last=last,
        middle=middle,
        suffix=suffix,
        zip5=zip5,
        state="TX",
        phones=tuple(phones),
        emails=tuple(emails),
        addresses=tuple(addresses),
        updated=0.0,
        completeness=3,
        is_manual=False,
        has_verified_email=False,
        has_verified_phone=False,
        household_phones=frozenset(household_phones),
    )


HOME = "12 OAK ST|79772"
LANDLINE = "+14322357001"


def test_nicknames_and_typos_are_their_own_levels():
    assert scoring.first_level("BOB", "ROBERT") == 1
    assert scoring.first_level("PEGGY", "MARGARET") == 1
    assert scoring.first_level("GREGORY", "GREGROY") == 2
    assert scoring.first_level("J", "JOHN") == 3
    assert scoring.first_level("JOHN", "MARY") == 4
    assert scoring.last_level("SMITH", "SMITH") == 0
    assert scoring.last_level("JOHNSON", "JOHNSTON") == 1
    assert scoring.last_level("SMITH", "GARCIA") == 2


def test_spouses_on_one_landline_and_address_are_kept_apart():
    john = person(1, "JOHN", "SMITH", phones=[LANDLINE], addresses=[HOME])
    mary = person(2, "MARY", "SMITH", phones=[LANDLINE], addresses=[HOME])
    assert scoring.guard(john, mary) == scoring.GUARD_FIRST_NAME


def test_sr_and_jr_are_kept_apart_and_a_missing_suffix_needs_personal_evidence():
    senior = person(1, "JOHN", "SMITH", suffix="SR", phones=[LANDLINE], addresses=[HOME])
    junior = person(2, "JOHN", "SMITH", suffix="JR", phones=[LANDLINE], addresses=[HOME])
    assert scoring.guard(senior, junior) == scoring.GUARD_SUFFIX
    # the father without a suffix: both share the landline but each has his own cell
    father = person(3, "JOHN", "SMITH", phones=[LANDLINE, "+14325550101"], addresses=[HOME])
    son = person(4, "JOHN", "SMITH", suffix="JR", phones=[LANDLINE, "+14325550102"])
    assert scoring.guard(father, son) == scoring.GUARD_GENERATION
    # the son again, a record that dropped his suffix but has his own e-mail: the same person
    son_again = person(5, "JOHN", "SMITH", emails=["jsmith@ranchmail.com"])
    son_with_email = person(6, "JOHN", "SMITH", suffix="JR", emails=["jsmith@ranchmail.com"])
    assert scoring.guard(son_again, son_with_email) is None


def test_different_middle_initials_are_kept_apart():
    a = person(1, "PETER", "FLOYD", middle="D", phones=[LANDLINE])
    b = person(2, "PETER", "FLOYD", middle="J", phones=[LANDLINE])
    assert scoring.guard(a, b) == scoring.GUARD_MIDDLE


def test_a_shared_household_line_is_weaker_than_a_personal_one():
    a = person(1, "ROBERT", "JONES", phones=[LANDLINE], household_phones={LANDLINE})
    b = person(2, "BOB", "JONES", phones=[LANDLINE], household_phones={LANDLINE})
    assert scoring.compare(a, b)[scoring.PHONE] == 2
    c = person(3, "ROBERT", "JONES", phones=[LANDLINE])
    d = person(4, "BOB", "JONES", phones=[LANDLINE])
    assert scoring.compare(c, d)[scoring.PHONE] == 0


def test_oversized_blocks_are_skipped_and_counted():
    office = "+14325550000"
    staff = [
        person(i, f"NAME{chr(65 + i % 26)}", f"LAST{i}", zip5=f"{i:05d}", phones=[office])
        for i in range(scoring.BLOCK_CAP_CONTACT + 5)
    ]
    result = scoring.block(staff)
    assert result.pairs == set()
    assert result.capped_blocks == 1
    assert result.capped_persons == scoring.BLOCK_CAP_CONTACT + 5


def test_blocking_finds_typos_nicknames_movers_and_records_without_location():
    robert = person(0, "ROBERT", "JOHNSON", zip5="79772")
    typo = person(1, "ROBERT", "JOHNSEN", zip5="79772")  # same sound, other spelling
    bob_moved = person(2, "BOB", "JOHNSON", zip5="75001")  # nickname, same state, new ZIP
    other = person(3, "MARY", "GARCIA", zip5="10001")
    nowhere = person(4, "BOB", "JOHNSON", zip5="")
    nowhere.state = ""
    sister = person(5, "ANN", "JOHNSON", zip5="79772")

    pairs = {
        scoring.pair_indices(code)
        for code in scoring.block([robert, typo, bob_moved, other, nowhere, sister]).pairs
    }

    assert {(0, 1), (0, 2), (0, 4), (2, 4)} <= pairs
    assert not any(3 in pair for pair in pairs)
    # a different first name in the same ZIP is not even compared
    assert (0, 5) not in pairs
