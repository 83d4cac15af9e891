"""CSV / TSV reader: encoding and delimiter detection, verbatim raw text for every bad row.

The file is decoded with an error handler that keeps undecodable bytes as lone surrogates
(see `base.ESCAPE_BYTES_ERRORS`), so a stray invalid byte late in a UTF-8 file makes only its
own row a RowError. Lines are fed to `csv.reader` one at a time through a generator that also
keeps them, so the raw text of a row that cannot be read is exactly the lines it spans.

Quoting is RFC 4180 and strict: a quote that opens a field must close it, so `1,"Bob" Smith`
is a RowError instead of silently becoming `Bob Smith`; a quote inside an unquoted field is an
ordinary character. NUL bytes are ordinary characters too (Python 3.11's csv module reads them;
3.10 refused the line), so they stay in the values.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from .base import (
    CP1252_ERRORS,
    FIELD_TOO_LARGE,
    INVALID_ENCODING,
    MALFORMED_ROW,
    RAGGED_ROW,
    RowError,
    SourceError,
    SourceReader,
    SourceRow,
    decode_errors_for,
    escaped_byte_runs,
    first_escaped_byte,
    has_escaped_bytes,
    render_raw,
    unique_column_names,
)
from .streams import READ_ERRORS, ByteSource, read_fully

# A field longer than this is a RowError (csv's default limit is 128 KiB; a 10,000-character
# note is ordinary, a megabyte in one cell of a lead list is not data we can use).
FIELD_SIZE_LIMIT = 1024 * 1024
# A physical line longer than this means the file is not line-oriented text at all.
MAX_LINE_CHARACTERS = 64 * 1024 * 1024
# Encoding detection reads this much at first, and keeps reading up to ENCODING_SCAN_LIMIT
# while everything is ASCII (the first accented name may come late in a sorted export).
ENCODING_SAMPLE_BYTES = 1024 * 1024
ENCODING_SCAN_LIMIT = 64 * 1024 * 1024
# Delimiter detection parses the first records of the sample with each candidate.
DELIMITER_CANDIDATES = (",", "\t", ";", "|")
DELIMITER_SAMPLE_CHARACTERS = 256 * 1024
DELIMITER_SAMPLE_RECORDS = 200

# csv's limit is process-wide; raising it never breaks another reader
if csv.field_size_limit() < FIELD_SIZE_LIMIT:
    csv.field_size_limit(FIELD_SIZE_LIMIT)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NON_ASCII_DECODED = re.compile("[^\x00-\x7f\udc80-\udcff]")
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def detect_encoding(byte_source: ByteSource, head: bytes) -> tuple[str, bool, str]:
    """(encoding, has BOM, evidence) of a text stream whose first bytes are `head`.

    A BOM decides. Otherwise the first non-ASCII bytes (within ENCODING_SCAN_LIMIT) decide:
    UTF-8 when they decode as UTF-8, or when valid UTF-8 characters outnumber invalid bytes (a
    UTF-8 file with a few stray bytes: those rows become RowErrors instead of the whole file
    turning into mojibake); cp1252 otherwise. All-ASCII text is read as UTF-8.
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, True, "byte order mark"
    sample = head[:ENCODING_SAMPLE_BYTES]
    at_end = len(head) < ENCODING_SAMPLE_BYTES
    if sample.isascii() and not at_end:
        sample, at_end = _first_non_ascii_chunk(byte_source)
    if sample.isascii():
        scanned = "the whole file" if at_end else f"the first {ENCODING_SCAN_LIMIT:,} bytes"
        return "utf-8", False, f"{scanned} is ASCII"
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    text = decoder.decode(sample, final=at_end)
    invalid = len(_UNDECODABLE.findall(text))
    valid = len(_NON_ASCII_DECODED.findall(text))
    if invalid == 0:
        return "utf-8", False, "non-ASCII bytes are valid UTF-8"
    if valid > invalid:
        return "utf-8", False, f"{valid} UTF-8 characters and {invalid} stray bytes"
    return "cp1252", False, f"{invalid} bytes are not valid UTF-8"


def _first_non_ascii_chunk(byte_source: ByteSource) -> tuple[bytes, bool]:
    """(the sample starting at the first non-ASCII chunk, whether it reaches the end)."""
    chunk_size = ENCODING_SAMPLE_BYTES
    try:
        return _scan_for_non_ascii(byte_source, chunk_size)
    except READ_ERRORS as error:
        raise SourceError(
            f"{byte_source.name} cannot be decompressed: {error}. The file is damaged or "
            "truncated; upload it again."
        ) from error


def _scan_for_non_ascii(byte_source: ByteSource, chunk_size: int) -> tuple[bytes, bool]:
    with byte_source.open() as stream:
        scanned = 0
        while scanned < ENCODING_SCAN_LIMIT:
            chunk = read_fully(stream, chunk_size)
            scanned += len(chunk)
            at_end = len(chunk) < chunk_size
            if not chunk.isascii():
                # a multi-byte character may straddle the chunk's end: read a little more
                tail = b"" if at_end else read_fully(stream, 4)
                return chunk + tail, at_end and not tail
            if at_end:
                return chunk, True
    return b"", False


def detect_delimiter(text: str, at_end: bool) -> tuple[str, str]:
    """(delimiter, evidence) of a decoded sample: the candidate that splits the header into
    the most fields while (nearly) every following record has as many fields."""
    best: tuple[tuple[bool, float, int, int], str] | None = None
    for preference, candidate in enumerate(DELIMITER_CANDIDATES):
        records = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=candidate)
        try:
            for record in reader:
                if record:
                    records.append(record)
                if len(records) > DELIMITER_SAMPLE_RECORDS:
                    break
        except csv.Error:
            continue
        if not at_end and len(records) > 1:
            records.pop()  # the sample may end inside this record
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rest = records[1:]
        consistency = sum(len(record) == width for record in rest) / len(rest) if rest else 1.0
        score = (consistency >= 0.9, consistency, width, -preference)
        if best is None or score > best[0]:
            best = (score, candidate)
    if best is None:
        return ",", "no candidate splits the header: one column"
    (_, consistency, width, _), delimiter = best
    return delimiter, f"{width} header fields, {consistency:.0%} of sampled rows as wide"


def _lines(text: io.TextIOWrapper, consumed: list[str]) -> Iterator[str]:
    """The physical lines of `text` (line ends kept), each also appended to `consumed`."""
    readline = text.readline
    append = consumed.append
    while True:
        line = readline(MAX_LINE_CHARACTERS)
        if not line:
            return
        if len(line) == MAX_LINE_CHARACTERS and line[-1] not in "\r\n":
            raise SourceError(
                f"a line is longer than {MAX_LINE_CHARACTERS:,} characters: this is not "
                "delimited text (or a quote is missing its pair over the whole file)."
            )
        append(line)
        yield line


class DelimitedReader(SourceReader):
    """Rows of a CSV / TSV file (plain or gzip / bzip2 / xz / zip compressed).

    Values are the fields' text exactly as written ("" for an empty field, never None). The
    header is the first non-blank record. Blank lines and rows whose fields are all empty or
    whitespace are skipped (they are not data, and get no number); they are counted in
    ``blank_rows_skipped``. Locations are "line N", N being the physical line (1-based) where
    the record starts, header included.
    """

    kind = "csv"

    def __init__(
        self,
        byte_source: ByteSource,
        *,
        head: bytes,
        encoding: str | None = None,
        delimiter: str | None = None,
    ) -> None:
        super().__init__()
        self.byte_source = byte_source
        self.blank_rows_skipped = 0
        description: dict[str, Any] = {
            "kind": self.kind,
            "file": byte_source.path.name,
            "compression": byte_source.compression,
            "member": byte_source.member,
        }
        if encoding is None:
            encoding, has_bom, evidence = detect_encoding(byte_source, head)
        else:
            try:
                encoding = codecs.lookup(encoding).name
            except LookupError as error:
                raise SourceError(f"unknown encoding {encoding!r}") from error
            has_bom, evidence = False, "given"
            if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
                encoding, has_bom = "utf-8-sig", True
        self.encoding = encoding
        self.errors = decode_errors_for(encoding)
        # with cp1252 (or latin-1) every byte decodes: no row can have an undecodable byte
        self._check_bytes = self.errors != CP1252_ERRORS and encoding not in (
            "latin-1",
            "iso8859-1",
        )
        description.update(encoding=encoding, bom=has_bom, encoding_evidence=evidence)

        sample_text = head.decode(encoding, self.errors) if head else ""
        at_end = len(head) < ENCODING_SAMPLE_BYTES
        if delimiter is None:
            sample = sample_text[:DELIMITER_SAMPLE_CHARACTERS]
            delimiter, evidence = detect_delimiter(
                sample, at_end and len(sample) == len(sample_text)
            )
        else:
            if len(delimiter) != 1:
                raise SourceError(f"delimiter must be one character, not {delimiter!r}")
            evidence = "given"
        self.delimiter = delimiter
        description.update(delimiter=delimiter, delimiter_evidence=evidence)

        self.columns = ()
        header, header_line, has_rows = self._read_header()
        if header is not None:
            self.columns = unique_column_names(render_raw(name) for name in header)
        description.update(
            header_line=header_line,
            raw_header=[render_raw(name) for name in header] if header is not None else None,
            header_only=not has_rows,
            columns=list(self.columns),
        )
        self.description = description

    def estimate_rows(self) -> int | None:
        """The physical lines after the header (a last line without a line break counts), read
        through the decompressed stream: one fast pass over the bytes."""
        header_line = self.description.get("header_line")
        if header_line is None:
            return 0
        lines, last = 0, b"\n"
        with self.byte_source.open() as stream:
            try:
                while block := stream.read(1 << 22):
                    lines += block.count(b"\n")
                    last = block[-1:]
            except READ_ERRORS:
                return None  # the read itself will report the damage
        if last != b"\n":
            lines += 1
        return max(lines - int(header_line), 0)

    def _csv_reader(self, lines: Iterator[str]) -> Any:
        """csv.reader over `lines`: RFC 4180 quoting, strict (a stray quote is an error, not a
        silently altered value)."""
        return csv.reader(lines, delimiter=self.delimiter, quotechar='"', strict=True)

    def _open_text(self) -> io.TextIOWrapper:
        stream = self.byte_source.open()
        return io.TextIOWrapper(stream, encoding=self.encoding, errors=self.errors, newline="")

    def _read_header(self) -> tuple[list[str] | None, int | None, bool]:
        """(header fields, its line, whether any non-blank record follows it)."""
        with self._open_text() as text:
            consumed: list[str] = []
            reader = self._csv_reader(_lines(text, consumed))
            header: list[str] | None = None
            header_line = None
            line_before = 0
            try:
                for fields in reader:
                    if not _is_blank(fields):
                        if header is not None:
                            return header, header_line, True
                        header, header_line = fields, line_before + 1
                    line_before = reader.line_num
                    consumed.clear()
            except csv.Error as error:
                if header is not None:
                    return header, header_line, True  # a bad row is a row (a RowError)
                raise SourceError(
                    f"the header of {self.byte_source.name} (line {line_before + 1}) cannot be "
                    f"parsed: {error}. Raw text: {render_raw(''.join(consumed))[:200]!r}"
                ) from error
            except READ_ERRORS as error:
                raise SourceError(f"{self.byte_source.name} cannot be read: {error}") from error
        return header, header_line, False

    def __iter__(self) -> Iterator[SourceRow | RowError]:
        if not self.columns:
            return
        columns = self.columns
        width = len(columns)
        check_bytes = self._check_bytes
        resume_after = self.resume_after
        encoding = self.encoding
        self.blank_rows_skipped = 0
        number = 0
        escaped_runs_before = escaped_byte_runs()
        with self._open_text() as text:
            consumed: list[str] = []
            reader = self._csv_reader(_lines(text, consumed))
            line_before = 0
            header_pending = True
            while True:
                consumed.clear()
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    start_line = line_before + 1
                    line_before = reader.line_num
                    number += 1
                    if number > resume_after:
                        yield _csv_error(number, start_line, error, consumed)
                    continue
                except READ_ERRORS as error:
                    raise SourceError(
                        f"{self.byte_source.name} could not be read past line {line_before} "
                        f"({number} rows): {error}. The file is damaged or truncated."
                    ) from error
                start_line = line_before + 1
                line_before = reader.line_num
                # the cheap test first: nearly every row starts with a non-blank key
                if not fields or (not fields[0].strip() and _is_blank(fields)):
                    if not header_pending:
                        self.blank_rows_skipped += 1
                    continue
                if header_pending:
                    header_pending = False
                    continue
                number += 1
                if number <= resume_after:
                    continue
                # rows are searched for undecodable bytes only once the decoder has met some
                if (
                    check_bytes
                    and escaped_byte_runs() != escaped_runs_before
                    and _any_escaped(consumed)
                ):
                    raw = "".join(consumed)
                    position, byte = first_escaped_byte(raw)
                    yield RowError(
                        number,
                        f"line {start_line}",
                        INVALID_ENCODING,
                        f"byte {byte} at character {position + 1} of line {start_line} is not "
                        f"valid {encoding}; the other rows decode fine. If the whole file is in "
                        "another encoding, read it again with encoding='cp1252' (or the right "
                        "one).",
                        render_raw(raw),
                    )
                elif len(fields) != width:
                    yield RowError(
                        number,
                        f"line {start_line}",
                        RAGGED_ROW,
                        f"the row has {len(fields)} fields, the header has {width}",
                        "".join(consumed),
                    )
                else:
                    values: dict[str, str | None] = dict(zip(columns, fields, strict=True))
                    yield SourceRow(number, f"line {start_line}", values)


def _is_blank(fields: list[str]) -> bool:
    return not any(map(str.strip, fields))


def _any_escaped(lines: list[str]) -> bool:
    return any(has_escaped_bytes(line) for line in lines)


def _csv_error(number: int, start_line: int, error: csv.Error, consumed: list[str]) -> RowError:
    message = str(error)
    if "field larger than field limit" in message:
        error_type = FIELD_TOO_LARGE
        message = (
            f"a field is longer than {FIELD_SIZE_LIMIT:,} characters (the limit); if this is a "
            "quote left open, the row's raw text shows where it starts"
        )
    else:
        error_type = MALFORMED_ROW
        message = f"the row cannot be parsed as delimited text: {message}"
    return RowError(
        number, f"line {start_line}", error_type, message, render_raw("".join(consumed))
    )
