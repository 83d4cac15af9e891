"""Dates: exact examples, failure reasons, fast path proven equal to strptime."""

from __future__ import annotations

import datetime as dt
import random

from cmplatform.lib.hygiene.dates import DateResult, parse_date, parse_date_with_library

UTC = dt.UTC


def test_dates_without_time_are_dates() -> None:
    assert parse_date("2024-01-09") == DateResult("2024-01-09", dt.date(2024, 1, 9), None)
    assert parse_date("01/09/2024").value == dt.date(2024, 1, 9)
    assert parse_date("1/9/2024").value == dt.date(2024, 1, 9)
    assert parse_date("1/9/24").value == dt.date(2024, 1, 9)
    assert parse_date("1/9/69").value == dt.date(1969, 1, 9)
    assert parse_date("01-09-2024").value == dt.date(2024, 1, 9)
    assert parse_date("2024-01-09").has_time is False


def test_timestamps_are_aware_utc_and_naive_ones_are_taken_as_utc() -> None:
    assert parse_date("2024-01-09 14:05:06").value == dt.datetime(2024, 1, 9, 14, 5, 6, tzinfo=UTC)
    assert parse_date("2024-01-09T14:05:06").value == dt.datetime(2024, 1, 9, 14, 5, 6, tzinfo=UTC)
    assert parse_date("2024-01-09T14:05:06Z").value == dt.datetime(2024, 1, 9, 14, 5, 6, tzinfo=UTC)
    assert parse_date("2024-01-09T14:05:06-06:00").value == dt.datetime(
        2024, 1, 9, 20, 5, 6, tzinfo=UTC
    )
    assert parse_date("2024-01-09 14:05").value == dt.datetime(2024, 1, 9, 14, 5, tzinfo=UTC)
    assert parse_date("01/09/2024 14:05").value == dt.datetime(2024, 1, 9, 14, 5, tzinfo=UTC)
    assert parse_date("01/09/2024 2:05 PM").value == dt.datetime(2024, 1, 9, 14, 5, tzinfo=UTC)
    assert parse_date("01/09/2024 12:05 am").value == dt.datetime(2024, 1, 9, 0, 5, tzinfo=UTC)
    assert parse_date("2024-01-09 14:05:06").has_time is True


def test_failures_say_why() -> None:
    assert parse_date("0000-00-00 00:00:00") == DateResult("0000-00-00 00:00:00", None, "zero_date")
    assert parse_date("0000-00-00").reason == "zero_date"
    assert parse_date("") == DateResult("", None, "empty")
    assert parse_date(None).reason == "empty"
    assert parse_date("02/30/2024").reason == "invalid_date"
    # slashed dates are month first: a day-first date is never guessed
    assert parse_date("13/01/2024").reason == "invalid_date"
    assert parse_date("2024-13-01").reason == "invalid_date"
    assert parse_date("next tuesday").reason == "unrecognised_format"
    assert parse_date("45300").reason == "unrecognised_format"


def test_excel_serials_only_when_asked_and_date_objects_pass_through() -> None:
    assert parse_date(45300, excel_serial=True).value == dt.date(2024, 1, 9)
    assert parse_date("45300", excel_serial=True).value == dt.date(2024, 1, 9)
    assert parse_date(45300.5, excel_serial=True).value == dt.datetime(2024, 1, 9, 12, tzinfo=UTC)
    assert parse_date("2024-01-09", excel_serial=True).value == dt.date(2024, 1, 9)
    assert parse_date(dt.date(2025, 7, 1)).value == dt.date(2025, 7, 1)
    assert parse_date(dt.datetime(2025, 7, 1, 8, 30)).value == dt.datetime(
        2025, 7, 1, 8, 30, tzinfo=UTC
    )


def _random_value(rng: random.Random) -> str:
    year = rng.choice((rng.randint(1900, 2030), 2024, 0, 99))
    month = rng.randint(0, 13)
    day = rng.randint(0, 32)
    hour, minute, second = rng.randint(0, 25), rng.randint(0, 60), rng.randint(0, 61)
    twelve_hour = rng.randint(0, 13)
    fraction = rng.choice(("", ".5", ".123", ".123456", ".1234567"))
    zone = rng.choice(("", "Z", "+00:00", "-06:00", "+0530", "-05"))
    shapes = (
        f"{year:04d}-{month:02d}-{day:02d}",
        f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}",
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{fraction}{zone}",
        f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}{zone}",
        f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}{zone}",
        f"{year:04d}-{month}-{day}",
        f"{month:02d}/{day:02d}/{year:04d}",
        f"{month}/{day}/{year:04d}",
        f"{month}/{day}/{year % 100:02d}",
        f"{month:02d}/{day:02d}/{year:04d} {hour:02d}:{minute:02d}",
        f"{month:02d}/{day:02d}/{year:04d} {hour}:{minute:02d}:{second:02d}",
        f"{month:02d}/{day:02d}/{year:04d} {twelve_hour}:{minute:02d} {rng.choice(('AM', 'pm'))}",
        f"{month:02d}/{day:02d}/{year % 100:02d} {twelve_hour}:{minute:02d} PM",
        f"{month:02d}-{day:02d}-{year:04d}",
        f"{month:02d}-{day:02d}-{year:04d} {hour:02d}:{minute:02d}",
        f"{month:02d}/{day:02d}-{year:04d}",
        f" {month:02d}/{day:02d}/{year:04d} ",
        f"{month:02d}/{day:02d}/{year:04d}\t{hour:02d}:{minute:02d}",
    )
    return rng.choice(shapes)


def test_fast_path_gives_exactly_the_strptime_result_on_generated_values() -> None:
    rng = random.Random(3)
    for _ in range(6000):
        raw = _random_value(rng)
        assert parse_date(raw) == parse_date_with_library(raw), raw
