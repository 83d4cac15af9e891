"""The reader interface every source kind implements, and the helpers the readers share.

Plain Python: nothing here imports Django, so readers run in any process (a Celery worker, a
management command, a benchmark script).
"""

from __future__ import annotations

import abc
import codecs
import datetime as dt
import decimal
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from cmplatform.lib.runtime import fast_pickle

# The kinds open_source() knows, by the name `source_type=` takes.
SOURCE_TYPES: tuple[str, ...] = ("csv", "xlsx", "xls", "sqlite", "mysql", "mysql_dump")

# RowError.error_type values, so that callers can branch on them without string guessing.
RAGGED_ROW = "ragged_row"  # field count differs from the header's
INVALID_ENCODING = "invalid_encoding"  # bytes that are not valid in the source's encoding
MALFORMED_ROW = "malformed_row"  # the row's syntax cannot be parsed (bad quoting, bad literal)
FIELD_TOO_LARGE = "field_too_large"  # one field is longer than FIELD_SIZE_LIMIT characters
BINARY_VALUE = "binary_value"  # a BLOB / binary value that is not valid UTF-8 text
UNSUPPORTED_STATEMENT = "unsupported_statement"  # INSERT ... SELECT / SET: rows not in the file

# Decoding errors are turned into lone surrogates U+DC00..U+DCFF, one per undecodable byte (as
# Python's own "surrogateescape" does for bytes >= 0x80), so that one bad byte spoils only the
# row it is in; the readers look for these code points to make that row a RowError.
ESCAPE_BYTES_ERRORS = "ingestion.escape_bytes"
# cp1252 leaves five bytes (0x81 0x8D 0x8F 0x90 0x9D) undefined; Windows itself maps them to
# the same code points as latin-1 does, and so do we: a cp1252 source never has a bad byte.
CP1252_ERRORS = "ingestion.cp1252_as_latin1"

_ESCAPED_BYTE = re.compile("[\udc00-\udcff]")

# How many runs of undecodable bytes the handler above has escaped, process-wide. A reader
# notes it before it starts: while it has not moved, no text decoded since can hold an escaped
# byte, and the per-row checks are skipped (the common case then costs nothing).
_escaped_byte_runs = 0


def escaped_byte_runs() -> int:
    """The process-wide count of undecodable byte runs met so far (see above)."""
    return _escaped_byte_runs


def note_escaped_bytes() -> None:
    """Count one undecodable value met outside the codec (a blob that is not UTF-8...)."""
    global _escaped_byte_runs
    _escaped_byte_runs += 1


def _escape_bytes(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    note_escaped_bytes()
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


def _cp1252_as_latin1(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bad.decode("latin-1"), error.end


codecs.register_error(ESCAPE_BYTES_ERRORS, _escape_bytes)
codecs.register_error(CP1252_ERRORS, _cp1252_as_latin1)


def decode_errors_for(encoding: str) -> str:
    """The `errors=` handler to decode `encoding` with (see the two handlers above)."""
    normalised = codecs.lookup(encoding).name
    if normalised == "cp1252":
        return CP1252_ERRORS
    return ESCAPE_BYTES_ERRORS


def has_escaped_bytes(text: str) -> bool:
    """True when `text` holds bytes that could not be decoded (see ESCAPE_BYTES_ERRORS)."""
    # isascii() is O(1) on CPython's compact strings: the common case costs nothing
    return not text.isascii() and _ESCAPED_BYTE.search(text) is not None


def render_raw(text: str) -> str:
    """`text` verbatim, with every undecodable byte written as a ``\\xNN`` escape."""
    if not has_escaped_bytes(text):
        return text
    return _ESCAPED_BYTE.sub(lambda match: f"\\x{ord(match.group()) - 0xDC00:02x}", text)


def row_json(columns: tuple[str, ...], values: list[Any]) -> str:
    """A database row as the raw text of a RowError: a JSON object, binary values as "0x..."
    hex, undecodable bytes as \\xNN escapes."""
    shown = {
        column: ("0x" + value.hex() if isinstance(value, bytes) else value)
        for column, value in zip(columns, values, strict=True)
    }
    return render_raw(json.dumps(shown, ensure_ascii=False))


def first_escaped_byte(text: str) -> tuple[int, str]:
    """(0-based character position, ``\\xNN``) of the first undecodable byte in `text`."""
    match = _ESCAPED_BYTE.search(text)
    if match is None:
        raise ValueError("text has no undecodable byte")
    return match.start(), f"\\x{ord(match.group()) - 0xDC00:02x}"


@fast_pickle
@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row of a source.

    ``number`` is the 1-based ordinal of the row among all rows *and row errors* of the source
    (blank rows are not counted): re-reading the same source gives every row the same number,
    which is what resume (`SourceReader.skip_to`) and lineage rely on. ``values`` maps every
    column to its value as text; ``None`` is SQL NULL or an empty spreadsheet cell. No value is
    stripped or otherwise altered.
    """

    number: int
    location: str  # human-readable: "line 17", "sheet Leads row 5", "table owners row 3"
    values: dict[str, str | None]


@fast_pickle
@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be read as data; it keeps its number, so nothing is silently lost.

    ``raw`` is the row's text verbatim (bytes that are not valid in the source's encoding are
    written as ``\\xNN`` escapes); for database rows it is the row as a JSON object.
    """

    number: int
    location: str
    error_type: str  # one of the module constants RAGGED_ROW, INVALID_ENCODING, ...
    message: str
    raw: str


class SourceError(Exception):
    """The source as a whole cannot be read; the message says what is wrong and what to do."""


class SourceReader(abc.ABC):
    """A stream of `SourceRow` / `RowError` over one source, in a stable order.

    Iterating starts from the beginning of the source each time (after `skip_to`'s row, if
    set). Memory stays constant whatever the source's size. Readers holding a connection or
    file are closed by `close()` or by using the reader as a context manager.
    """

    kind: str  # one of SOURCE_TYPES
    columns: tuple[str, ...]  # header, made unique ("Phone", "Phone_2"; blank -> "column_3")
    description: dict[str, Any]  # detected format facts: encoding, delimiter, table, ...

    def __init__(self) -> None:
        self.resume_after = 0

    def skip_to(self, number: int) -> None:
        """Make the next iteration start with row ``number + 1`` (0: from the beginning)."""
        if number < 0:
            raise ValueError(f"skip_to needs a row number >= 0, not {number}")
        self.resume_after = number

    @abc.abstractmethod
    def __iter__(self) -> Iterator[SourceRow | RowError]:
        """Every row of the source, in order, numbered from 1."""

    def close(self) -> None:  # noqa: B027 (a no-op by default, not abstract, on purpose)
        """Release what the reader holds open (nothing for most file readers)."""

    def estimate_rows(self) -> int | None:
        """About how many rows the source holds, for progress (``None``: unknown). Blank
        lines, fields spanning lines or formatted empty rows can make it high, never the
        count of rows read: that is the import's own."""
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exception_type: type[BaseException] | None,
        exception: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def unique_column_names(names: Iterable[str | None]) -> tuple[str, ...]:
    """Header names made usable as dict keys: stripped, blanks named, duplicates numbered.

    A blank name becomes ``column_<position>`` (1-based); the second "Phone" becomes
    "Phone_2", the third "Phone_3" (skipping any name the header already uses).
    """
    stripped = [(name or "").strip() for name in names]
    wanted = [name or f"column_{position}" for position, name in enumerate(stripped, start=1)]
    # a later column's own name is not given away to an earlier duplicate
    reserved = set(wanted)
    taken: set[str] = set()
    unique: list[str] = []
    seen: dict[str, int] = {}
    for name in wanted:
        if name not in taken:
            taken.add(name)
            unique.append(name)
            seen[name] = 1
            continue
        suffix = seen[name]
        candidate = name
        while candidate in taken or candidate in reserved:
            suffix += 1
            candidate = f"{name}_{suffix}"
        seen[name] = suffix
        taken.add(candidate)
        unique.append(candidate)
    return tuple(unique)


def number_text(value: float | int | decimal.Decimal) -> str:
    """A number as text: integers as digits, integral floats without ".0" (below 1e21, as a
    spreadsheet shows them; above, a float has no meaningful units digit), others shortest
    round-trip ("0.1", "2.5e-07")."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def datetime_text(value: dt.datetime | dt.date | dt.time) -> str:
    """ISO-8601 text of a date ("2025-07-15"), datetime ("2025-07-15T08:30:00") or time."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep="T")
    return value.isoformat()


def timedelta_text(value: dt.timedelta) -> str:
    """A duration as Excel shows ``[h]:mm:ss`` ("36:15:00"), with a fraction when it has one."""
    total_microseconds = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    sign = "-" if total_microseconds < 0 else ""
    seconds, microseconds = divmod(abs(total_microseconds), 1_000_000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    fraction = f".{microseconds:06d}".rstrip("0") if microseconds else ""
    return f"{sign}{hours}:{minutes:02d}:{seconds:02d}{fraction}"
