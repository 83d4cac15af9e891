"""Dates and timestamps from source cells.

``parse_date(raw)`` returns a :class:`DateResult` whose ``value`` is

* a ``datetime.date`` for a value without a time of day (``2024-01-09``, ``01/09/2024``,
  ``1/9/24``), or
* an aware ``datetime.datetime`` in **UTC** for a value with one (``2024-01-09 14:05:00``,
  ``2024-01-09T14:05:00-06:00``, ``01/09/2024 14:05``). A value **without a zone is taken to
  be UTC**: the legacy sources store UTC or do not say, and guessing a local zone per row
  would make the same file import differently on two machines. A value with a zone (``Z``,
  ``+00:00``, ``-0600``) is converted to UTC.
* ``None``, with ``reason`` saying why: ``empty``, ``zero_date`` (MySQL's
  ``0000-00-00 00:00:00``), ``invalid_date`` (a known shape naming a day that does not exist,
  e.g. ``02/30/2024`` or a month 13), ``unrecognised_format``.

Formats read: ISO 8601 dates and date-times (``T`` or a space, seconds and fractions optional,
optional zone), ``MM/DD/YYYY`` and ``M/D/YYYY`` with an optional ``HH:MM[:SS]`` and optional
``AM``/``PM``, ``M/D/YY`` and ``MM-DD-YYYY``. **Slashed dates are always month first (US
order)**, also when the first number is above 12: ``13/01/2024`` is ``invalid_date``, never
January 13th — a file written day first has to be declared as such by its source, not guessed
row by row. Two-digit years follow ``strptime``'s ``%y`` (69-99 → 19xx, 00-68 → 20xx).

Excel serial day numbers (``45300`` → 2024-01-09) are read only when asked
(``excel_serial=True``): an integer column is far more often a key than a date. Real
``date``/``datetime`` objects (xlsx date cells) pass through (a naive datetime becomes UTC).

Fast path: ``datetime.fromisoformat`` for ISO values and slicing for ``MM/DD/YYYY``; the
reference :func:`parse_date_with_library` tries ``datetime.strptime`` formats one by one, and
``tests/lib/hygiene/test_dates.py`` proves both agree on thousands of generated values. Results
are cached per value (a file's dates repeat heavily: one per mail drop).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import NamedTuple

from ._common import CACHE_SIZE, cell_text

_UTC = dt.UTC
# Excel's day 0 is 1899-12-30 (it counts the non-existent 1900-02-29; serials after it are
# right with this epoch, which is the one every reader uses).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31

_ZERO_DATES = frozenset(("0000-00-00", "0000-00-00 00:00:00", "0000-00-00T00:00:00", "00/00/0000"))
_ISO_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")
_US_SHAPE = re.compile(
    r"(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?: +(\d{1,2}):(\d{2})(?::(\d{2}))?(?: +([AaPp][Mm]))?)?"
)

# strptime formats of the reference parser, tried in order; (format, has a time of day)
_STRPTIME_FORMATS: tuple[tuple[str, bool], ...] = (
    ("%Y-%m-%d", False),
    ("%Y-%m-%d %H:%M", True),
    ("%Y-%m-%d %H:%M:%S", True),
    ("%Y-%m-%d %H:%M:%S.%f", True),
    ("%Y-%m-%dT%H:%M", True),
    ("%Y-%m-%dT%H:%M:%S", True),
    ("%Y-%m-%dT%H:%M:%S.%f", True),
    ("%Y-%m-%d %H:%M:%S%z", True),
    ("%Y-%m-%d %H:%M:%S.%f%z", True),
    ("%Y-%m-%dT%H:%M:%S%z", True),
    ("%Y-%m-%dT%H:%M:%S.%f%z", True),
    ("%Y-%m-%dT%H:%M%z", True),
    ("%m/%d/%Y", False),
    ("%m/%d/%Y %H:%M", True),
    ("%m/%d/%Y %H:%M:%S", True),
    ("%m/%d/%Y %I:%M %p", True),
    ("%m/%d/%Y %I:%M:%S %p", True),
    ("%m/%d/%y", False),
    ("%m/%d/%y %H:%M", True),
    ("%m/%d/%y %H:%M:%S", True),
    ("%m-%d-%Y", False),
    ("%m-%d-%Y %H:%M", True),
    ("%m-%d-%Y %H:%M:%S", True),
)


class DateResult(NamedTuple):
    """A parsed date: ``value`` (``date``, aware UTC ``datetime`` or ``None``) and the
    ``reason`` it is ``None``."""

    raw: str
    value: dt.datetime | dt.date | None
    reason: str | None

    @property
    def has_time(self) -> bool:
        """Whether the value carried a time of day (``value`` is then a ``datetime``)."""
        return isinstance(self.value, dt.datetime)


def parse_date(raw: object, *, excel_serial: bool = False) -> DateResult:
    """Parse one date or timestamp cell (see the module docstring). Never raises."""
    if isinstance(raw, dt.date):
        return _from_date_object(raw)
    text = cell_text(raw)
    if excel_serial:
        serial = _from_excel_serial(raw, text)
        if serial is not None:
            return serial
    return _parse_text_cached(text)


def parse_date_with_library(raw: object, *, excel_serial: bool = False) -> DateResult:
    """The same as :func:`parse_date` computed by trying ``strptime`` formats, without the
    fast path or any cache: the reference the fast path is tested against."""
    if isinstance(raw, dt.date):
        return _from_date_object(raw)
    text = cell_text(raw)
    if excel_serial:
        serial = _from_excel_serial(raw, text)
        if serial is not None:
            return serial
    value = text.strip()
    if not value:
        return DateResult(text, None, "empty")
    if value in _ZERO_DATES:
        return DateResult(text, None, "zero_date")
    zulu = value[:-1] + "+0000" if value.endswith(("Z", "z")) else value
    for date_format, has_time in _STRPTIME_FORMATS:
        try:
            parsed = dt.datetime.strptime(zulu, date_format)
        except ValueError:
            continue
        if not has_time:
            return DateResult(text, parsed.date(), None)
        return DateResult(text, _as_utc(parsed), None)
    if _ISO_DATE_SHAPE.fullmatch(value) or _US_SHAPE.fullmatch(value):
        return DateResult(text, None, "invalid_date")
    return DateResult(text, None, "unrecognised_format")


@lru_cache(maxsize=CACHE_SIZE)
def _parse_text_cached(text: str) -> DateResult:
    """The fast path, cached per cell text."""
    value = text.strip()
    if not value:
        return DateResult(text, None, "empty")
    if value[:4].isdigit() and value[4:5] == "-":
        if value in _ZERO_DATES:
            return DateResult(text, None, "zero_date")
        if len(value) == 10:
            try:
                return DateResult(text, dt.date.fromisoformat(value), None)
            except ValueError:
                pass
        elif _is_iso_shape_strptime_reads(value):
            try:
                return DateResult(text, _as_utc(dt.datetime.fromisoformat(value)), None)
            except ValueError:
                pass
    else:
        match = _US_SHAPE.fullmatch(value)
        if match is not None:
            return _from_us_match(text, match)
    # anything the fast path does not read for sure: the reference decides (and says why)
    return parse_date_with_library(text)


# fromisoformat reads more than the strptime reference does (week dates, "+05", compact
# "20240109"); the fast path only takes the shapes both read.
_ISO_FAST_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def _is_iso_shape_strptime_reads(value: str) -> bool:
    """Whether ``value`` is an ISO date-time of a shape the reference formats also read."""
    if _ISO_FAST_SHAPE.fullmatch(value) is None:
        return False
    # strptime has no format for minutes with a zone but without seconds in the space form
    return not (value[10] == " " and len(value) > 16 and value[16] in "+-Z")


def _from_us_match(text: str, match: re.Match[str]) -> DateResult:
    """A ``MM/DD/YYYY [HH:MM[:SS] [AM|PM]]`` value from its regex match."""
    month_text, separator, day_text, year_text, hour_text, minute_text, second_text, meridiem = (
        match.groups()
    )
    if (len(year_text) == 2 or separator == "-") and meridiem:
        return parse_date_with_library(text)  # shapes the reference has no format for
    if separator == "-" and len(year_text) == 2:
        return parse_date_with_library(text)
    year = int(year_text)
    if len(year_text) == 2:
        year += 1900 if year >= 69 else 2000
    try:
        day = dt.date(year, int(month_text), int(day_text))
    except ValueError:
        return DateResult(text, None, "invalid_date")
    if hour_text is None:
        return DateResult(text, day, None)
    hour = int(hour_text)
    if meridiem:
        if not 1 <= hour <= 12:
            return DateResult(text, None, "invalid_date")
        hour = hour % 12 + (12 if meridiem in ("PM", "pm", "Pm", "pM") else 0)
    try:
        moment = dt.datetime(
            day.year, day.month, day.day, hour, int(minute_text), int(second_text or 0), tzinfo=_UTC
        )
    except ValueError:
        return DateResult(text, None, "invalid_date")
    return DateResult(text, moment, None)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def _from_date_object(value: dt.date) -> DateResult:
    """A real date or datetime from an xlsx cell or a database driver."""
    if isinstance(value, dt.datetime):
        return DateResult(value.isoformat(), _as_utc(value), None)
    return DateResult(value.isoformat(), value, None)


def _from_excel_serial(raw: object, text: str) -> DateResult | None:
    """The date of an Excel serial day number, or ``None`` when ``raw`` is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        stripped = text.strip()
        if not stripped.replace(".", "", 1).isdigit():
            return None
        number = float(stripped)
    if not 1 <= number <= _EXCEL_LAST_SERIAL:
        return DateResult(text, None, "invalid_date")
    days = int(number)
    fraction = number - days
    day = _EXCEL_EPOCH + dt.timedelta(days=days)
    if not fraction:
        return DateResult(text, day, None)
    seconds = round(fraction * 86_400)
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=_UTC) + dt.timedelta(seconds=seconds)
    return DateResult(text, moment, None)
