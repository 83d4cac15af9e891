"""Phone normalisation: exact examples, and the fast path proven equal to phonenumbers."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumber

from cmplatform.lib.hygiene import phones
from cmplatform.lib.hygiene.phones import (
    LINE_DEPENDENT_PREFIXES,
    PhoneResult,
    normalize_phone,
    normalize_phone_with_library,
)

# every shape the demo sources and the legacy CRMs write a number in
FORMATS = (
    "({a}) {e}-{l}",
    "{a}-{e}-{l}",
    "{a}.{e}.{l}",
    "+1 {a}-{e}-{l}",
    "{a}{e}{l}",
    "1-{a}-{e}-{l}",
    "{a} {e} {l} x{x}",
    "+1{a}{e}{l}",
    "({a}){e}-{l}",
    "{a} {e} {l}",
    "{a}-{e}-{l} ext. {x}",
    "{a}-{e}-{l} ext {x}",
    "{a}-{e}-{l} extension {x}",
    "{a}-{e}-{l} #{x}",
    "{a}-{e}-{l} X{x}",
    "1 ({a}) {e}-{l}",
    "+1 ({a}) {e}-{l}",
    "+1.{a}.{e}.{l}",
    " {a}/{e}/{l} ",
    "{a} {e}{l}",
    "1{a}{e}{l}",
    "{a}--{e}--{l}",
    "({a}) {e} - {l}",
    "{a}-{e}-{l}, ext 7",
    "+{a}{e}{l}",
)


def _random_area_code(rng: random.Random) -> str:
    """Mostly real area codes, sometimes anything with three digits (invalid ones included)."""
    if rng.random() < 0.7:
        return rng.choice(("405", "918", "432", "214", "713", "212", "800", "888", "900", "876"))
    return f"{rng.randrange(0, 1000):03d}"


def _random_exchange(rng: random.Random) -> str:
    """Any exchange, N11 and 555 included."""
    return rng.choice((f"{rng.randrange(0, 1000):03d}", "555", "211", "911", "100"))


def test_examples_of_the_issue_give_e164_and_extension() -> None:
    expected = {
        "(405) 555-1234": ("+14055551234", None),
        "405.555.1234": ("+14055551234", None),
        "+1 405-555-1234": ("+14055551234", None),
        "4055551234": ("+14055551234", None),
        "1-405-555-1234": ("+14055551234", None),
        "405 555 1234 x12": ("+14055551234", "12"),
        "405-555-1234 ext. 7": ("+14055551234", "7"),
    }
    for raw, (e164, extension) in expected.items():
        assert normalize_phone(raw) == PhoneResult(
            raw, e164, True, "fixed_or_mobile", extension, None
        )


def test_invalid_numbers_keep_raw_value_and_say_why() -> None:
    assert normalize_phone("555-1234") == PhoneResult(
        "555-1234", None, False, "unknown", None, "too short"
    )
    assert normalize_phone("999-999-9999").reason == "invalid area code"
    assert normalize_phone("000-000-0000").reason == "invalid area code"
    assert normalize_phone("(405) 111-1234").reason == "invalid exchange"
    assert normalize_phone("N/A").reason == "not a number"
    assert normalize_phone("TBD").reason == "not a number"
    assert normalize_phone("405-555-12345678").reason == "too long"
    assert normalize_phone("").reason == "empty"
    assert normalize_phone(None) == PhoneResult("", None, False, "unknown", None, "empty")


def test_kinds_toll_free_premium_mobile() -> None:
    assert normalize_phone("800-555-1234")[1:4] == ("+18005551234", True, "toll_free")
    assert normalize_phone("1 (888) 234-5678").kind == "toll_free"
    assert normalize_phone("900-555-1234").kind == "premium"
    # Jamaica's plan tells mobiles from landlines; US numbers are "fixed or mobile"
    assert normalize_phone("876-210-1234").kind == "mobile"
    assert normalize_phone("405-555-1234").kind == "fixed_or_mobile"


def test_spreadsheet_numbers_and_other_countries() -> None:
    assert normalize_phone(4055551234).e164 == "+14055551234"
    assert normalize_phone(4055551234.0).e164 == "+14055551234"
    assert normalize_phone("4055551234.0").e164 == "+14055551234"
    assert normalize_phone("+44 20 7946 0958").e164 == "+442079460958"


def test_fast_path_gives_exactly_the_library_result_on_generated_numbers() -> None:
    rng = random.Random(20250101)
    fast_path_used = 0
    for _ in range(4000):
        digits = {
            "a": _random_area_code(rng),
            "e": _random_exchange(rng),
            "l": f"{rng.randrange(10_000):04d}",
            "x": str(rng.randrange(1, 99_999)),
        }
        raw = rng.choice(FORMATS).format(**digits)
        if phones._normalize_nanp_fast(raw) is not None:
            fast_path_used += 1
        assert normalize_phone(raw) == normalize_phone_with_library(raw), raw
    # the formats above are nearly all fast-path shapes: make sure the test exercises it
    assert fast_path_used > 3300


def test_fast_path_gives_the_library_result_for_junk_and_near_misses() -> None:
    junk = [
        "N/A", "555-1234", "000-000-0000", "NONE", "999-999-9999", "n/a", "123-4567", "TBD",
        "", " ", "1405555123", "0405555123", "14055551234 5", "405 555 123", "4055551234x",
        "+2 405 555 1234", "++1 405 555 1234", "1+405 555 1234", "(405) 555-1234)",
        "405-555-1234 ext. ", "1-800-FLOWERS", "405 555 1234 x 1234567", "405,555,1234",
        "\u0664\u0660\u0665\u0665\u0665\u0665\u0661\u0662\u0663\u0664", "405-555-1234 #",
    ]  # fmt: skip
    for raw in junk:
        assert normalize_phone(raw) == normalize_phone_with_library(raw), raw


def _verdict(national_number: int) -> tuple[bool, int]:
    number = PhoneNumber(country_code=1, national_number=national_number)
    is_valid = phonenumbers.is_valid_number(number)
    return is_valid, phonenumbers.number_type(number) if is_valid else -1


def test_nanp_verdict_depends_only_on_npa_nxx_on_a_random_sample() -> None:
    """The claim the fast path rests on, on 15,000 random prefixes and four lines each (the
    full scan of all 10^6 prefixes is ``bench/hygiene_rates.py --check-prefixes``)."""
    rng = random.Random(7)
    for _ in range(15_000):
        prefix = rng.randrange(200_000, 1_000_000)
        if f"{prefix:06d}" in LINE_DEPENDENT_PREFIXES:
            continue
        base = prefix * 10_000
        lines = (0, 9999, rng.randrange(10_000), 1000 * rng.randrange(10))
        assert len({_verdict(base + line) for line in lines}) == 1, prefix


def test_line_dependent_prefixes_are_exactly_the_known_three_in_caribbean_area_codes() -> None:
    """Every exchange of the area codes whose plans look past the NXX, every 7th digit."""
    found = set()
    for area_code in (246, 658, 876):
        for exchange in range(200, 1000):
            base = (area_code * 1000 + exchange) * 10_000
            verdicts = {_verdict(base + seventh * 1000 + 555) for seventh in range(10)}
            if len(verdicts) > 1:
                found.add(f"{area_code}{exchange}")
    assert found == set(LINE_DEPENDENT_PREFIXES)
    assert normalize_phone("246-521-0123") == normalize_phone_with_library("246-521-0123")
    assert normalize_phone("246-521-1123") == normalize_phone_with_library("246-521-1123")


def test_shipped_prefix_table_is_for_the_installed_phonenumbers_and_agrees_with_it() -> None:
    """After a phonenumbers upgrade this fails until ``manage.py build_phone_prefix_table``
    is run and its file committed (the fast path would otherwise ask the library again)."""
    phones.forget_prefix_verdicts(keep_shipped=False)
    try:
        assert phones.load_prefix_table() is True
        rng = random.Random(31)
        for _ in range(20_000):
            prefix = rng.randrange(200_000, 1_000_000)
            if f"{prefix:06d}" in LINE_DEPENDENT_PREFIXES:
                continue
            raw = f"{prefix:06d}{rng.randrange(10_000):04d}"
            assert phones._PREFIX_VERDICT_CODES[prefix] != 0
            assert normalize_phone(raw) == normalize_phone_with_library(raw), raw
    finally:
        phones.forget_prefix_verdicts()


def test_without_the_shipped_table_prefixes_are_learned_from_the_library(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not a table")
    other_version = tmp_path / "other.bin"
    header = b'{"phonenumbers": "8.0.0", "verdicts": [[true, "fixed_or_mobile", null]]}'
    other_version.write_bytes(zlib.compress(header + b"\n" + bytes([1]) * 1_000_000))
    phones.forget_prefix_verdicts(keep_shipped=False)
    try:
        assert phones.load_prefix_table(garbage) is False
        assert phones.load_prefix_table(other_version) is False
        assert phones.load_prefix_table(tmp_path / "missing.bin") is False
        assert phones._PREFIX_VERDICT_CODES[405555] == 0
        for raw in ("405-555-1234", "(212) 555-0100", "999-555-1234", "800-555-1234"):
            assert normalize_phone(raw) == normalize_phone_with_library(raw), raw
        assert phones._PREFIX_VERDICT_CODES[405555] != 0
    finally:
        phones.forget_prefix_verdicts()
    assert phones._PREFIX_VERDICT_CODES[999555] != 0  # the shipped table is back
