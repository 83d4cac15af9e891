"""SQLite database file reader: one table or one query, read-only, streamed with fetchmany.

The file is opened with SQLite's own read-only mode (``file:...?mode=ro``), and an authorizer
allows only what a SELECT needs (SELECT, READ, FUNCTION, RECURSIVE): a query that tries to
write, attach another database or change a pragma is refused before it runs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import (
    BINARY_VALUE,
    ESCAPE_BYTES_ERRORS,
    INVALID_ENCODING,
    RowError,
    SourceError,
    SourceReader,
    SourceRow,
    escaped_byte_runs,
    first_escaped_byte,
    has_escaped_bytes,
    note_escaped_bytes,
    number_text,
    row_json,
    unique_column_names,
)

FETCH_ROWS = 2000  # rows per fetchmany(): big enough to amortise the call, small in memory

_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
# Functions that could reach outside the database, should an extension or a build provide them.
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})


def _text_factory(data: bytes) -> str:
    # undecodable bytes are escaped and counted (base.escaped_byte_runs): a batch of rows is
    # checked value by value only when the count moved while it was fetched
    return str(data, "utf-8", ESCAPE_BYTES_ERRORS)


def _authorize(action: int, argument_1: str | None, argument_2: str | None, *_: Any) -> int:
    if action not in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (argument_2 or "").lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def quote_identifier(name: str) -> str:
    """A SQLite identifier in double quotes (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


class SqliteReader(SourceReader):
    """Rows of one table (in rowid / primary-key order) or of one read-only query.

    Values: NULL -> None, TEXT as stored, INTEGER as digits, REAL by `number_text` (integral
    without ".0"), BLOB -> its text when it is valid UTF-8, otherwise the row is a RowError
    ``binary_value`` (raw: the row as JSON with the blob in hex). TEXT holding bytes that are
    not UTF-8 makes the row a RowError ``invalid_encoding``. Locations are "table contacts row
    3" (the row's ordinal in the read) or "query row 3".
    """

    kind = "sqlite"

    def __init__(self, path: Path, *, table: str | None = None, query: str | None = None) -> None:
        super().__init__()
        if table is not None and query is not None:
            raise SourceError("give either table= or query=, not both")
        self.path = path
        if query is not None:
            # a trailing ";" is harmless alone but breaks the query once wrapped (OFFSET, LIMIT)
            query = query.strip().rstrip(";").rstrip()
        self._connection: sqlite3.Connection | None = self._connect()
        try:
            tables = self._tables()
            if query is None:
                if table is None:
                    if len(tables) != 1:
                        listed = ", ".join(tables) or "none"
                        raise SourceError(
                            f"{path.name} has {len(tables)} tables ({listed}); choose one with "
                            "table=... (or give a query=...)"
                        )
                    table = tables[0]
                elif table not in tables and table not in self._views():
                    raise SourceError(
                        f"{path.name} has no table {table!r}; its tables are: "
                        f"{', '.join(tables) or 'none'}"
                    )
                order = self._natural_order(table)
                query = f"SELECT * FROM {quote_identifier(table)}{order}"  # noqa: S608
            # everything below runs under the authorizer: reads only
            self._database.set_authorizer(_authorize)
            self.table = table
            self.query = query
            columns = self._describe(query)
            self.columns = unique_column_names(columns)
            has_rows = self._execute(f"SELECT 1 FROM ({query}) LIMIT 1").fetchone() is not None  # noqa: S608
        except BaseException:
            self.close()
            raise
        self.description = {
            "kind": self.kind,
            "file": path.name,
            "table": table,
            "query": query,
            "tables": tables,
            "header_only": not has_rows,
            "columns": list(self.columns),
        }

    def estimate_rows(self) -> int | None:
        """Exact for a table; unknown for a query (counting it would run it twice)."""
        if self.table is None:
            return None
        table = quote_identifier(self.table)
        return int(self._execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608

    def _connect(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            connection.text_factory = _text_factory
            # a damaged or non-SQLite file fails here, not in the middle of the read
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as error:
            raise SourceError(
                f"{self.path.name} cannot be opened as a SQLite database: {error}"
            ) from error
        return connection

    @property
    def _database(self) -> sqlite3.Connection:
        if self._connection is None:
            raise SourceError(f"the reader of {self.path.name} is closed")
        return self._connection

    def _tables(self) -> list[str]:
        rows = self._database.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
        return [name for (name,) in rows]

    def _views(self) -> list[str]:
        rows = self._database.execute("SELECT name FROM sqlite_master WHERE type = 'view'")
        return [name for (name,) in rows.fetchall()]

    def _natural_order(self, table: str) -> str:
        """ORDER BY of the table's storage order, so that row numbers are stable: rowid for
        ordinary tables, the primary key for WITHOUT ROWID tables, none for views."""
        quoted = quote_identifier(table)
        try:
            self._database.execute(f"SELECT rowid FROM {quoted} LIMIT 0")  # noqa: S608
        except sqlite3.OperationalError:
            key = [
                quote_identifier(name)
                for _, name, *_, position in self._database.execute(
                    f"PRAGMA table_info({quoted})"
                ).fetchall()
                if position
            ]
            return f" ORDER BY {', '.join(key)}" if key else ""
        return " ORDER BY rowid" if table not in self._views() else ""

    def _execute(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        try:
            return self._database.execute(sql, parameters)
        except sqlite3.DatabaseError as error:
            if "not authorized" in str(error):
                raise SourceError(
                    f"the query was refused: only reading (SELECT) is allowed on {self.path.name}"
                    f" ({error})"
                ) from error
            raise SourceError(f"the query on {self.path.name} failed: {error}") from error
        except (sqlite3.Warning, sqlite3.ProgrammingError) as error:
            raise SourceError(f"the query on {self.path.name} was refused: {error}") from error

    def _describe(self, query: str) -> list[str]:
        cursor = self._execute(query)
        try:
            if cursor.description is None:
                raise SourceError(f"the query returns no columns: {query!r}")
            return [column[0] for column in cursor.description]
        finally:
            cursor.close()

    def close(self) -> None:
        connection = getattr(self, "_connection", None)
        if connection is not None:
            connection.close()
            self._connection = None

    def __iter__(self) -> Iterator[SourceRow | RowError]:
        if self._connection is None:
            raise SourceError("the reader is closed")
        columns = self.columns
        label = f"table {self.table}" if self.table is not None else "query"
        number = self.resume_after
        if number:
            # the database skips the rows: no row crosses into Python
            sql = f"SELECT * FROM ({self.query}) LIMIT -1 OFFSET ?"  # noqa: S608
            cursor = self._execute(sql, (number,))
        else:
            cursor = self._execute(self.query)
        try:
            while True:
                seen_before = escaped_byte_runs()
                try:
                    batch = cursor.fetchmany(FETCH_ROWS)
                except sqlite3.Error as error:
                    raise SourceError(
                        f"reading {self.path.name} failed after {number} rows: {error}"
                    ) from error
                if not batch:
                    return
                for row in batch:
                    number += 1
                    values = [value if type(value) is str else _value_text(value) for value in row]
                    location = f"{label} row {number}"
                    row_error = None
                    if seen_before != escaped_byte_runs():
                        row_error = _row_error(number, location, columns, values)
                    if row_error is not None:
                        yield row_error
                    else:
                        yield SourceRow(number, location, dict(zip(columns, values, strict=True)))
        finally:
            cursor.close()


def _value_text(value: Any) -> Any:
    """None stays None, numbers become text, bytes are decoded when they are UTF-8 (and stay
    bytes otherwise, for the caller to report)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            note_escaped_bytes()
            return value
    return number_text(value)


def _row_error(
    number: int, location: str, columns: tuple[str, ...], values: list[Any]
) -> RowError | None:
    """The RowError of a row holding a non-UTF-8 blob or undecodable text, else None."""
    for column, value in zip(columns, values, strict=True):
        if isinstance(value, bytes):
            return RowError(
                number,
                location,
                BINARY_VALUE,
                f"column {column!r} holds {len(value)} bytes of binary data that are not "
                "UTF-8 text; select it as hex(...) in a query if it is needed",
                row_json(columns, values),
            )
        if isinstance(value, str) and has_escaped_bytes(value):
            _, byte = first_escaped_byte(value)
            return RowError(
                number,
                location,
                INVALID_ENCODING,
                f"column {column!r} holds text that is not valid UTF-8 (byte {byte})",
                row_json(columns, values),
            )
    return None
