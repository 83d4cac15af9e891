"""MySQL `.sql` dump reader: INSERT statements read as data, never executed.

Nothing here connects to a database. The dump is split into statements by one regular
expression that knows MySQL's quoting and comments (a `;` inside a string, a backtick name or
a comment ends nothing), `DELIMITER` lines included. Every statement other than ``CREATE
TABLE`` (its column names are read) and ``INSERT`` / ``REPLACE ... VALUES`` of the chosen
table is skipped unread: ``DROP``, ``GRANT``, ``SET``, ``LOCK``, ``DELETE``... only pass by.

Speed: the values of an INSERT are tokenized by one ``findall`` (C) over the statement; Python
touches each value once, and unescapes only strings that hold a backslash or a doubled quote.
A statement with anything unusual (a malformed tuple, a wrong value count, a byte that is not
in the encoding, a binary value) is re-read tuple by tuple so that each bad tuple becomes its
own RowError with its text verbatim, and the good tuples around it still come out.
"""

from __future__ import annotations

import codecs
import io
import operator
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .base import (
    BINARY_VALUE,
    INVALID_ENCODING,
    MALFORMED_ROW,
    RAGGED_ROW,
    UNSUPPORTED_STATEMENT,
    RowError,
    SourceError,
    SourceReader,
    SourceRow,
    decode_errors_for,
    escaped_byte_runs,
    has_escaped_bytes,
    render_raw,
    unique_column_names,
)
from .streams import READ_ERRORS, ByteSource, read_fully

READ_CHARACTERS = 1 << 20  # text read per refill while a statement is incomplete (then doubled)
# An INSERT's end is guessed at its line's end (mysqldump writes one statement a line) when
# that comes within this many characters; a statement is held in memory while it is parsed
# (mysqldump keeps them under its net_buffer_length, 1 MB by default, 16 MB at most).
GUESS_LIMIT = 16 << 20
PRESCAN_BYTES = 4 << 20  # bytes per chunk when listing the tables that have INSERTs
PRESCAN_OVERLAP = 1024  # longer than any INSERT head ("INSERT IGNORE INTO `db`.`table`")

# MySQL's string escapes (https://dev.mysql.com/doc/refman/8.0/en/string-literals.html):
# \% and \_ keep their backslash; any other escaped character stands for itself.
_ESCAPES = {
    "0": "\0",
    "'": "'",
    '"': '"',
    "b": "\b",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "Z": "\x1a",
    "\\": "\\",
    "%": "\\%",
    "_": "\\_",
}
_SINGLE_QUOTED_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\(.)|""', re.DOTALL)

# The fast path: one match per tuple of exactly `width` values, each a plain single-quoted
# string (group 2k, its body) or NULL / a number (group 2k+1), then a catch-all group that
# takes the rest of the text. Anything else (X'..', _binary, "...", TRUE, a wrong value count)
# falls to the catch-all, and the statement to the slow path.
_FAST_VALUE = (
    r"""(?:'([^'\\]*+(?:(?:\\.|'')[^'\\]*+)*+)'"""
    r"""|(NULL|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))"""
)


@lru_cache(maxsize=32)
def fast_tuple_pattern(width: int, *, spaced: bool) -> re.Pattern[str]:
    """The fast path's tuple pattern for tuples of `width` values (see _FAST_VALUE); `spaced`
    allows whitespace around values (phpMyAdmin), which costs ~25 % more than mysqldump's
    compact "(1,'a',NULL),(2,..."."""
    space = r"\s*+" if spaced else ""
    values = f"{space},{space}".join([_FAST_VALUE] * width)
    return re.compile(rf"{space}\({space}{values}{space}\){space}(?:,|\Z)|(.+)", re.DOTALL)


def parse_tuples_fast(values: str, width: int) -> list[list[str | None]] | None:
    """The tuples of a VALUES list of plain literals, or None when the fast path cannot take
    it (the caller then uses the slow path, which reports what is wrong tuple by tuple)."""
    pattern = fast_tuple_pattern(width, spaced=False)
    if pattern.match(values, 0, 1 << 16) is None or values[:1] != "(":
        pattern = fast_tuple_pattern(width, spaced=True)
    twice = 2 * width
    join_values = "\x00".join
    rows: list[list[str | None]] = []
    may_need_unescape = "\\" in values or "''" in values
    add = operator.add
    for match in pattern.findall(values):
        if match[twice]:
            return None
        quoted = match[0:twice:2]
        bare = match[1:twice:2]
        # a value is one of the two groups, the other being "": their sum is the value
        row: list[str | None] = list(map(add, quoted, bare))
        if "NULL" in bare:
            index = -1
            for _ in range(bare.count("NULL")):
                index = bare.index("NULL", index + 1)
                row[index] = None
        if may_need_unescape:
            joined = join_values(quoted)
            if "\\" in joined or "''" in joined:
                row = [
                    _unescape_single(body) if "\\" in body or "''" in body else value
                    for value, body in zip(row, quoted, strict=True)
                ]
        rows.append(row)
    if not rows and values.strip():
        return None
    return rows


# One value of a VALUES list with what follows it. Groups: 1 "(" opening a tuple,
# 2 charset introducer (_utf8mb4, _binary), 3 literal prefix (X hex, B bits, N national),
# 4 single-quoted body, 5 double-quoted body, 6 bare word (NULL, a number, 0x...),
# 7 separator ("," inside a tuple, ")" or ")," closing one), 8 anything else (malformed).
_VALUE = re.compile(
    r"""
    \s*+(\(?)\s*+
    (?:(_[A-Za-z0-9]+)\s*+)?
    (?:
        ([xXbBnN]?)'((?:[^'\\]++|\\.|'')*+)'
      | "((?:[^"\\]++|\\.|"")*+)"
      | ([^\s,()'"]++)
    )
    \s*+(,|\)\s*+,?)
    |(.)
    """,
    re.VERBOSE | re.DOTALL,
)
# One whole tuple, for the slow path: strings and one level of nested parentheses.
_TUPLE = re.compile(
    r"""
    \s*+\(
    (?:[^()'"]++|'(?:[^'\\]++|\\.|'')*+'|"(?:[^"\\]++|\\.|"")*+"|\([^()'"]*+\))*+
    \)\s*+(?:,|\Z)
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_HEX = re.compile(r"0x([0-9A-Fa-f]*)")
_BITS = re.compile(r"0b([01]*)")

# Whitespace and comments before a statement's first word. A /*!NNNNN ... */ conditional
# comment is MySQL's "run this on new servers": to us it is a comment like any other.
_LEADING = re.compile(r"(?:\s++|/\*.*?\*/|--(?=\s)[^\n]*+|\#[^\n]*+)*+", re.DOTALL)
_NAME = r"(?:`(?:[^`]|``)++`|\"(?:[^\"]|\"\")++\"|[\w$]++)"
_QUALIFIED_NAME = rf"({_NAME}(?:\s*+\.\s*+{_NAME})?)"
_INSERT_HEAD = re.compile(
    rf"""(?:INSERT|REPLACE)\s++(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)\s++)*
    (?:INTO\s++)?{_QUALIFIED_NAME}\s*+
    (?:\(([^)]*)\)\s*+)?
    (VALUES?\b|)""",
    re.VERBOSE | re.IGNORECASE,
)
_CREATE_TABLE_HEAD = re.compile(
    rf"""CREATE\s++(?:OR\s++REPLACE\s++)?(?:TEMPORARY\s++)?TABLE\s++
    (?:IF\s++NOT\s++EXISTS\s++)?{_QUALIFIED_NAME}\s*+\(""",
    re.VERBOSE | re.IGNORECASE,
)
_DELIMITER_COMMAND = re.compile(r"DELIMITER[ \t]++(\S++)[^\n]*+(?:\n|\Z)", re.IGNORECASE)
_NOT_COLUMNS = frozenset(
    {
        "PRIMARY",
        "KEY",
        "INDEX",
        "UNIQUE",
        "CONSTRAINT",
        "FOREIGN",
        "FULLTEXT",
        "SPATIAL",
        "CHECK",
        "PERIOD",
    }
)
# An INSERT / REPLACE at a line start or right after a ";" (a dump written on one line).
_PRESCAN_INSERT = re.compile(
    rb"[\n;][ \t\r]*(?:INSERT|REPLACE)[ \t]+"
    rb"(?:(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|IGNORE)[ \t]+)*"
    rb"(?:INTO[ \t]+)?((?:`(?:[^`\n]|``)+`|[\w$]+)(?:\.(?:`(?:[^`\n]|``)+`|[\w$]+))?)",
    re.IGNORECASE,
)


@lru_cache(maxsize=8)
def statement_pattern(delimiter: str) -> re.Pattern[str]:
    """A regex matching one statement up to and including `delimiter`, outside quotes and
    comments. Possessive loops: an incomplete statement fails in linear time. A string or
    comment cut off by the end of the buffer makes the match fail (never end early)."""
    first = re.escape(delimiter[0])
    rest = delimiter[1:]
    lone_first = f"|{first}(?!{re.escape(rest)})" if rest else ""
    return re.compile(
        rf"""(?:[^{first}'"`/\#-]++
           |'(?:[^'\\]++|\\.|'')*+'
           |"(?:[^"\\]++|\\.|"")*+"
           |`(?:[^`]++|``)*+`
           |/\*.*?\*/
           |--(?=\s)[^\n]*+
           |\#[^\n]*+
           |/(?!\*)
           |-(?!-\s)
           {lone_first}
        )*+{re.escape(delimiter)}""",
        re.VERBOSE | re.DOTALL,
    )


def identifier(quoted: str) -> str:
    """`name`, "name" or name -> name; db.table -> table."""
    parts = re.findall(_NAME, quoted)
    name = parts[-1] if parts else quoted
    if name[:1] == "`":
        return name[1:-1].replace("``", "`")
    if name[:1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def _split_top_level(text: str) -> list[str]:
    """Split a definition list at commas outside parentheses and quotes."""
    parts = []
    depth = 0
    start = 0
    for match in re.finditer(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|[(),]", text):
        piece = match.group()
        if piece == "(":
            depth += 1
        elif piece == ")":
            depth -= 1
        elif piece == "," and depth == 0:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def create_table_columns(statement: str, body_start: int) -> list[str]:
    """Column names, in order, of a CREATE TABLE whose "(" ends at `body_start`."""
    depth = 1
    end = body_start
    for match in re.finditer(
        r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|[()]", statement[body_start:]
    ):
        depth += 1 if match.group() == "(" else -1 if match.group() == ")" else 0
        if depth == 0:
            end = body_start + match.start()
            break
    columns = []
    for definition in _split_top_level(statement[body_start:end]):
        first = re.match(rf"\s*({_NAME})", definition)
        if first is None:
            continue
        word = first.group(1)
        if word[0] not in '`"' and word.upper() in _NOT_COLUMNS:
            continue
        columns.append(identifier(word))
    return columns


@dataclass(slots=True)
class _Insert:
    """An INSERT (or REPLACE) statement of the chosen table."""

    line: int
    columns: list[str] | None  # its column list, when it has one
    values: str | None  # the text after VALUES; None for INSERT ... SELECT / SET
    statement: str


class _Anomaly(Exception):
    """A tuple the fast path cannot take as it is; the slow path reports it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def _unescape_single(body: str) -> str:
    return _SINGLE_QUOTED_ESCAPE.sub(
        lambda match: "'" if match.group(1) is None else _ESCAPES.get(match.group(1), match[1]),
        body,
    )


def _unescape_double(body: str) -> str:
    return _DOUBLE_QUOTED_ESCAPE.sub(
        lambda match: '"' if match.group(1) is None else _ESCAPES.get(match.group(1), match[1]),
        body,
    )


def _bytes_text(data: bytes) -> str:
    """Bytes of a hex / bit literal as text; not UTF-8 -> an anomaly (a BINARY_VALUE row)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _Anomaly(
            BINARY_VALUE,
            f"a binary value (0x{data[:32].hex()}{'...' if len(data) > 32 else ''}) is not "
            "UTF-8 text",
        ) from None


def _bare_value(word: str) -> str | None:
    """NULL, TRUE / FALSE, a number (verbatim), 0x hex or 0b bits; anything else is not a
    literal (an expression we will not evaluate)."""
    upper = word.upper()
    if upper == "NULL":
        return None
    if upper == "TRUE":
        return "1"
    if upper == "FALSE":
        return "0"
    if _NUMBER.fullmatch(word):
        return word
    hex_digits = _HEX.fullmatch(word)
    if hex_digits:
        digits = hex_digits.group(1)
        return _bytes_text(bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits))
    bits = _BITS.fullmatch(word)
    if bits:
        return _bits_text(bits.group(1))
    raise _Anomaly(MALFORMED_ROW, f"{word[:40]!r} is not a literal value (NULL, number, string)")


def _bits_text(bits: str) -> str:
    number = int(bits or "0", 2)
    return _bytes_text(number.to_bytes((len(bits) + 7) // 8, "big"))


def _prefixed_value(prefix: str, single: str) -> str:
    if prefix in "xX":
        if len(single) % 2:
            raise _Anomaly(MALFORMED_ROW, f"X'{single[:40]}' has an odd number of hex digits")
        try:
            return _bytes_text(bytes.fromhex(single))
        except ValueError:
            raise _Anomaly(MALFORMED_ROW, f"X'{single[:40]}' is not hexadecimal") from None
    if prefix in "bB":
        if single.strip("01"):
            raise _Anomaly(MALFORMED_ROW, f"b'{single[:40]}' is not a bit string")
        return _bits_text(single)
    # N'...': a national (utf8) string, read like any string
    return _unescape_single(single) if "\\" in single or "''" in single else single


def parse_tuples(values: str) -> list[list[str | None]]:
    """The tuples of a VALUES list, each a list of values as text (None for NULL).

    Raises _Anomaly on anything that is not a plain list of literal tuples.
    """
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    state = 0  # 0: a "(" is expected, 1: inside a tuple, 2: after the last tuple
    for opening, _introducer, prefix, single, double, bare, separator, junk in _VALUE.findall(
        values
    ):
        if junk or state == 2 or (not opening) == (state == 0):
            raise _Anomaly(MALFORMED_ROW, "the VALUES list is not a list of literal tuples")
        value: str | None
        if bare:
            if bare == "NULL":
                value = None
            elif bare.isdigit():
                value = bare
            else:
                value = _bare_value(bare)
        elif prefix:
            value = _prefixed_value(prefix, single)
        elif single:
            value = _unescape_single(single) if "\\" in single or "''" in single else single
        elif double:
            value = _unescape_double(double) if "\\" in double or '""' in double else double
        else:
            value = ""
        row.append(value)
        if separator == ",":
            state = 1
            continue
        rows.append(row)
        row = []
        state = 0 if separator.endswith(",") else 2
    if state != 2:
        raise _Anomaly(MALFORMED_ROW, "the VALUES list does not end with a complete tuple")
    return rows


class MysqlDumpReader(SourceReader):
    """Rows of one table of a mysqldump-style `.sql` file (plain or compressed).

    ``table`` defaults to the only table the dump INSERTs into; finding that out reads the
    whole file once (a quick byte scan), so pass ``table=`` for big multi-table dumps.
    Columns come from the table's CREATE TABLE (else from the first INSERT's column list, else
    ``column_1``...). Values: NULL -> None, strings unescaped, numbers verbatim as written
    ("1.50" stays "1.50"), TRUE / FALSE -> "1" / "0", hex and bit literals -> their bytes as
    UTF-8 text (a RowError ``binary_value`` when they are not UTF-8). An INSERT with its own
    column list gives values for its listed columns only. Locations are "line 52 tuple 17"
    (the line where the INSERT statement starts, the tuple's place in it).
    """

    kind = "mysql_dump"

    def __init__(
        self,
        byte_source: ByteSource,
        *,
        table: str | None = None,
        encoding: str | None = None,
    ) -> None:
        super().__init__()
        self.byte_source = byte_source
        encoding = encoding or "utf-8"
        try:
            self.encoding = codecs.lookup(encoding).name
        except LookupError as error:
            raise SourceError(f"unknown encoding {encoding!r}") from error
        self.errors = decode_errors_for(self.encoding)
        tables_with_inserts = None
        if table is None:
            tables_with_inserts = self._prescan_tables()
            if len(tables_with_inserts) != 1:
                listed = ", ".join(tables_with_inserts) or "none"
                raise SourceError(
                    f"{byte_source.name} has INSERTs into {len(tables_with_inserts)} tables "
                    f"({listed}); choose one with table=..."
                )
            table = tables_with_inserts[0]
        self.table = table
        columns, columns_from = self._find_columns()
        self.columns = unique_column_names(columns)
        self.description = {
            "kind": self.kind,
            "file": byte_source.path.name,
            "compression": byte_source.compression,
            "member": byte_source.member,
            "encoding": self.encoding,
            "table": table,
            "tables_with_inserts": tables_with_inserts,
            "columns_from": columns_from,
            "columns": list(self.columns),
        }

    def _open_text(self) -> io.TextIOWrapper:
        stream = self.byte_source.open()
        return io.TextIOWrapper(stream, encoding=self.encoding, errors=self.errors, newline="")

    def _damaged(self, error: Exception, where: str) -> SourceError:
        return SourceError(
            f"{self.byte_source.name} could not be read {where}: {error}. The file is damaged "
            "or truncated; produce or upload it again."
        )

    def _prescan_tables(self) -> list[str]:
        """Tables that have INSERT statements, in order of appearance (a byte-level scan for
        lines starting with INSERT / REPLACE)."""
        try:
            return self._scan_insert_tables()
        except READ_ERRORS as error:
            raise self._damaged(error, "while listing its tables") from error

    def _scan_insert_tables(self) -> list[str]:
        found: dict[str, None] = {}
        with self.byte_source.open() as stream:
            carry = b"\n"
            while True:
                chunk = read_fully(stream, PRESCAN_BYTES)
                data = carry + chunk
                for match in _PRESCAN_INSERT.finditer(data):
                    if chunk and match.end() == len(data):
                        continue  # the name may go on in the next chunk: found again there
                    name = match.group(1).decode(self.encoding, self.errors)
                    found.setdefault(identifier(name))
                if not chunk:
                    break
                # the tail is scanned again with the next chunk, so that a statement head cut
                # by the chunk's end is found whole (finding one twice is harmless)
                carry = data[-PRESCAN_OVERLAP:]
        return list(found)

    def _find_columns(self) -> tuple[list[str], str]:
        """The table's columns from the first CREATE TABLE or INSERT that names it."""
        try:
            return self._scan_columns()
        except READ_ERRORS as error:
            raise self._damaged(error, f"while looking for table {self.table!r}") from error

    def _scan_columns(self) -> tuple[list[str], str]:
        seen_tables: dict[str, None] = {}
        with self._open_text() as text:
            for parsed in _statements(text):
                line, statement, start = parsed.line, parsed.text, parsed.start
                create = _CREATE_TABLE_HEAD.match(statement, start)
                if create is not None:
                    name = identifier(create.group(1))
                    seen_tables.setdefault(name)
                    if name == self.table:
                        return create_table_columns(statement, create.end()), "CREATE TABLE"
                    continue
                insert = _INSERT_HEAD.match(statement, start)
                if insert is not None:
                    name = identifier(insert.group(1))
                    seen_tables.setdefault(name)
                    if name != self.table:
                        continue
                    if insert.group(2) is not None:
                        return _column_list(insert.group(2)), "INSERT column list"
                    values = statement[insert.end() :]
                    first = _TUPLE.match(values)
                    count = len(_VALUE.findall(first.group())) if first else 0
                    return [f"column_{position}" for position in range(1, count + 1)], (
                        f"value count of the INSERT at line {line}"
                    )
        raise SourceError(
            f"{self.byte_source.name} has no table {self.table!r} (no CREATE TABLE or INSERT "
            f"for it); the tables it has are: {', '.join(seen_tables) or 'none'}"
        )

    def __iter__(self) -> Iterator[SourceRow | RowError]:
        rows = self._rows()
        last = self.resume_after
        try:
            for item in rows:
                last = item.number
                yield item
        except READ_ERRORS as error:
            raise self._damaged(error, f"after row {last}") from error
        finally:
            rows.close()

    def _rows(self) -> Generator[SourceRow | RowError, None, None]:
        table = self.table
        table_columns = self.columns
        resume_after = self.resume_after
        number = 0
        escaped_runs_before = escaped_byte_runs()
        with self._open_text() as text:
            for statement in _statements(text, fast_table=table):
                head = _INSERT_HEAD.match(statement.text, statement.start)
                if head is None or identifier(head.group(1)) != table:
                    continue
                columns = _column_list(head.group(2)) if head.group(2) is not None else None
                insert = _Insert(
                    statement.line,
                    columns,
                    statement.text[head.end() :] if head.group(3) else None,
                    statement.text[statement.start :],
                )
                names = tuple(insert.columns) if insert.columns is not None else table_columns
                rows = None
                if insert.values is not None and not (
                    escaped_byte_runs() != escaped_runs_before and has_escaped_bytes(insert.values)
                ):
                    rows = parse_tuples_fast(insert.values, len(names))
                if rows is None and statement.is_guess:
                    # the statement's end was guessed from its line; split it exactly
                    statement.is_rejected = True
                    continue
                if insert.values is None:
                    number += 1
                    if number > resume_after:
                        yield RowError(
                            number,
                            f"line {insert.line}",
                            UNSUPPORTED_STATEMENT,
                            "an INSERT without a VALUES list (INSERT ... SELECT / SET) brings "
                            "rows that are not in the file; load the dump into a database and "
                            "read the table instead",
                            render_raw(insert.statement),
                        )
                    continue
                if rows is None:
                    for item in self._tuples_one_by_one(insert, names, number):
                        number += 1
                        if number > resume_after:
                            yield item
                    continue
                if number + len(rows) <= resume_after:
                    number += len(rows)
                    continue
                line = insert.line
                for position, row in enumerate(rows, start=1):
                    number += 1
                    if number > resume_after:
                        values = dict(zip(names, row, strict=True))
                        yield SourceRow(number, f"line {line} tuple {position}", values)

    def _tuples_one_by_one(
        self, insert: _Insert, names: tuple[str, ...], number: int
    ) -> Iterator[SourceRow | RowError]:
        """The slow path: each tuple alone, so a bad one becomes a RowError with its text."""
        values = insert.values or ""
        position = 0
        tuple_index = 0
        while True:
            match = _TUPLE.match(values, position)
            rest = values[position:]
            if match is None:
                if rest.strip():
                    tuple_index += 1
                    number += 1
                    yield RowError(
                        number,
                        f"line {insert.line} tuple {tuple_index}",
                        MALFORMED_ROW,
                        "this part of the INSERT's VALUES list is not a list of literal tuples",
                        render_raw(rest.strip()),
                    )
                return
            position = match.end()
            tuple_index += 1
            number += 1
            location = f"line {insert.line} tuple {tuple_index}"
            raw = match.group().strip().rstrip(",").rstrip()
            if has_escaped_bytes(raw):
                yield RowError(
                    number,
                    location,
                    INVALID_ENCODING,
                    f"the tuple holds bytes that are not valid {self.encoding}",
                    render_raw(raw),
                )
                continue
            try:
                (row,) = parse_tuples(raw)
            except _Anomaly as anomaly:
                yield RowError(number, location, anomaly.error_type, anomaly.message, raw)
                continue
            if len(row) != len(names):
                yield RowError(
                    number,
                    location,
                    RAGGED_ROW,
                    f"the tuple has {len(row)} values, the table has {len(names)} columns",
                    raw,
                )
                continue
            yield SourceRow(number, location, dict(zip(names, row, strict=True)))


def _column_list(text: str) -> list[str]:
    return [identifier(part.strip()) for part in text.split(",") if part.strip()]


@dataclass(slots=True)
class _Statement:
    """One statement: where it starts, its text (without the delimiter), the offset of its
    first word in the text. A guessed statement ended where its line ends with ";" (the
    mysqldump layout); the consumer sets `is_rejected` when its text does not parse, and the
    statement is then split again exactly."""

    line: int
    text: str
    start: int
    is_guess: bool = False
    is_rejected: bool = False


def _statements(text: io.TextIOWrapper, fast_table: str | None = None) -> Iterator[_Statement]:
    """Every statement of the dump, honouring DELIMITER commands.

    For INSERTs into `fast_table`, the end is first guessed as the end of the line (cheap);
    every other statement is split by `statement_pattern` (exact)."""
    buffer = ""
    position = 0
    line = 1
    delimiter = ";"
    pattern = statement_pattern(delimiter)
    at_end = False
    read_size = READ_CHARACTERS
    # the line-end guess for the next statement: set to False once it was rejected
    may_guess = fast_table is not None

    def refill() -> bool:
        nonlocal buffer, position, at_end, read_size
        more = text.read(read_size)
        buffer = buffer[position:] + more
        position = 0
        if not more:
            at_end = True
        return bool(more)

    while True:
        leading = _LEADING.match(buffer, position)
        start = leading.end() if leading else position
        if start == len(buffer):
            # only whitespace and comments left; the last comment may go on in the next read
            if at_end or not refill():
                return
            continue
        command = _DELIMITER_COMMAND.match(buffer, start)
        if command is not None and not command.group().endswith("\n") and not at_end:
            refill()
            continue
        if command is not None:
            delimiter = command.group(1)
            pattern = statement_pattern(delimiter)
            line += buffer.count("\n", position, command.end())
            position = command.end()
            continue
        if may_guess and delimiter == ";":
            head = _INSERT_HEAD.match(buffer, start)
            if head is not None and identifier(head.group(1)) == fast_table:
                line_end = buffer.find("\n", head.end())
                if line_end == -1 and not at_end and len(buffer) - position < GUESS_LIMIT:
                    refill()
                    read_size = min(read_size * 2, 64 << 20)
                    continue
                if line_end == -1:
                    # the file's end, or no line end within GUESS_LIMIT (a dump on one line):
                    # then the guess is the buffer's end, and it fails unless it is the file's
                    line_end = len(buffer)
                semicolon = len(buffer[position:line_end].rstrip()) + position - 1
                if buffer[semicolon] == ";":
                    statement = _Statement(
                        line + buffer.count("\n", position, start),
                        buffer[position:semicolon],
                        start - position,
                        is_guess=True,
                    )
                    yield statement
                    if not statement.is_rejected:
                        line += buffer.count("\n", position, semicolon + 1)
                        position = semicolon + 1
                        read_size = READ_CHARACTERS
                        continue
                    may_guess = False  # split this one exactly (below, next time round)
                    continue
        may_guess = fast_table is not None
        match = pattern.match(buffer, position)
        if match is None:
            if not at_end:
                # the statement goes on past the buffer: read on (ever more, so that a huge
                # statement is not scanned again for every megabyte)
                refill()
                read_size = min(read_size * 2, 64 << 20)
                may_guess = False
                continue
            # the last statement has no delimiter: it ends with the file
            end = statement_end = len(buffer)
        else:
            read_size = READ_CHARACTERS
            end = match.end()
            statement_end = end - len(delimiter)
        first_line = line + buffer.count("\n", position, start)
        line += buffer.count("\n", position, end)
        yield _Statement(first_line, buffer[position:statement_end], start - position)
        position = end
        if match is None:
            return
