"""Live MySQL / MariaDB reader: a table or a query, streamed with a server-side cursor.

Each iteration opens its own connection: utf8mb4, multi-statements off, the session made
read-only and one ``READ ONLY`` transaction with a consistent snapshot around the whole read
(InnoDB then gives a stable picture however long the read takes). Rows arrive through
``MySQLdb.cursors.SSCursor`` (the result is streamed, never buffered), converted by no
converter at all: every value is the text the server sent, so a zero date stays
"0000-00-00 00:00:00" and a DECIMAL keeps its digits.
"""

from __future__ import annotations

import contextlib
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

from .base import (
    BINARY_VALUE,
    RowError,
    SourceError,
    SourceReader,
    SourceRow,
    row_json,
    unique_column_names,
)

FETCH_ROWS = 2000  # rows per fetchmany() on the streamed result
# The server gives up on a client that does not read for net_write_timeout seconds (60 by
# default); the engine may spend that long on one chunk before it reads on.
NET_WRITE_TIMEOUT_SECONDS = 3600
CONNECT_TIMEOUT_SECONDS = 10
MULTI_STATEMENTS_OFF = 1  # MYSQL_OPTION_MULTI_STATEMENTS_OFF of mysql_set_server_option()
_NO_LIMIT = 18446744073709551615  # MySQL's documented "all the rest" for LIMIT with OFFSET

_LEADING_COMMENTS = r"(?:\s+|/\*.*?\*/|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$))*"
_READING_QUERY = re.compile(_LEADING_COMMENTS + r"(?:SELECT|WITH|\()", re.IGNORECASE | re.DOTALL)
_WRITING_CLAUSE = re.compile(
    r"\bINTO\s+(?:OUTFILE|DUMPFILE)\b|\bFOR\s+UPDATE\b|\bLOCK\s+IN\s+SHARE\s+MODE\b",
    re.IGNORECASE,
)


def quote_identifier(name: str) -> str:
    """A MySQL identifier in backticks (embedded backticks doubled)."""
    return "`" + name.replace("`", "``") + "`"


def parse_mysql_url(url: str) -> dict[str, Any]:
    """``mysql://user:password@host:port/database`` -> MySQLdb.connect() keyword arguments."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("mysql", "mariadb"):
        raise SourceError(f"not a MySQL URL (mysql://user:password@host:port/database): {url!r}")
    arguments: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": urllib.parse.unquote(parts.username or ""),
        "password": urllib.parse.unquote(parts.password or ""),
    }
    database = urllib.parse.unquote(parts.path.lstrip("/"))
    if database:
        arguments["database"] = database
    socket = urllib.parse.parse_qs(parts.query).get("unix_socket")
    if socket:
        arguments["unix_socket"] = socket[0]
    return arguments


def _safe_url(arguments: dict[str, Any]) -> str:
    """The server as messages name it (never the password)."""
    database = arguments.get("database", "")
    return f"mysql://{arguments['user']}@{arguments['host']}:{arguments['port']}/{database}"


class MysqlReader(SourceReader):
    """Rows of a live table (in primary-key order) or of a read-only query.

    Values: NULL -> None, everything else the server's text; a binary value (BLOB, BINARY)
    that is not valid UTF-8 makes its row a RowError ``binary_value``. Locations are "table
    owners row 3" / "query row 3", the ordinal within this read.

    Incremental reads: ``cursor_column`` orders the read by that column and ``cursor_after``
    starts after a value (``WHERE col > %s``); `last_cursor_value` is the cursor column of the
    last row yielded. The column must be unique (an AUTO_INCREMENT id): ``>`` would skip the
    other rows sharing a non-unique value at a chunk boundary.
    """

    kind = "mysql"

    def __init__(
        self,
        url: str,
        *,
        table: str | None = None,
        query: str | None = None,
        cursor_column: str | None = None,
        cursor_after: str | None = None,
    ) -> None:
        super().__init__()
        if (table is None) == (query is None):
            raise SourceError("a MySQL source needs exactly one of table= or query=")
        if cursor_after is not None and cursor_column is None:
            raise SourceError("cursor_after= needs cursor_column=")
        self._arguments = parse_mysql_url(url)
        self.server = _safe_url(self._arguments)
        self.table = table
        self.cursor_after = cursor_after
        self.last_cursor_value: str | None = cursor_after
        self.connection_id: int | None = None
        self.rows_read = 0
        connection = self._connect()
        try:
            cursor = connection.cursor()
            if table is not None:
                database = self._arguments.get("database")
                if not database:
                    raise SourceError(f"table= needs a database in the URL ({self.server})")
                real_columns, key = self._table_columns(cursor, database, table)
                source_sql = f"{quote_identifier(database)}.{quote_identifier(table)}"
            else:
                query = (query or "").strip().rstrip(";").rstrip()
                if not _READING_QUERY.match(query) or _WRITING_CLAUSE.search(query):
                    raise SourceError(
                        "only a reading query (SELECT / WITH, no INTO OUTFILE, no FOR UPDATE) "
                        f"is allowed as a MySQL source: {query[:200]!r}"
                    )
                source_sql = f"({query}) AS source_query"
                real_columns = self._query_columns(cursor, source_sql)
                key = []
            if table is not None and not key and cursor_column is None:
                raise SourceError(
                    f"table {table!r} has no primary key, so its rows have no stable order to "
                    "number and resume by: give cursor_column= (a unique column), or a query= "
                    "with an ORDER BY on unique columns"
                )
            self.columns = unique_column_names(real_columns)
            where = ""
            order_by = [quote_identifier(column) for column in key]
            self.cursor_column: str | None = None
            if cursor_column is not None:
                matches = [name for name in real_columns if name.lower() == cursor_column.lower()]
                if not matches:
                    raise SourceError(
                        f"cursor_column {cursor_column!r} is not a column of the source; its "
                        f"columns are: {', '.join(real_columns)}"
                    )
                self.cursor_column = matches[0]
                quoted = quote_identifier(matches[0])
                order_by = [quoted]
                if cursor_after is not None:
                    where = f" WHERE {quoted} > %s"
            order = f" ORDER BY {', '.join(order_by)}" if order_by else ""
            if where:
                # with a parameter, MySQLdb formats the SQL with %: a LIKE 'A%' must survive
                source_sql = source_sql.replace("%", "%%")
            # A query without a cursor column runs as written: wrapping it would let the
            # server drop its ORDER BY, and with it the stable row numbers resume relies on.
            self._skip_by_reading = table is None and self.cursor_column is None
            if self._skip_by_reading:
                self._select = query or ""
            else:
                self._select = f"SELECT * FROM {source_sql}{where}{order}"  # noqa: S608
            self._parameters: tuple[Any, ...] = (cursor_after,) if where else ()
            cursor.close()
        finally:
            connection.close()
        self.description = {
            "kind": self.kind,
            "server": self.server,
            "table": table,
            "query": query,
            "order_by": order_by,
            "cursor_column": self.cursor_column,
            "cursor_after": cursor_after,
            "columns": list(self.columns),
        }

    def _connect(self) -> Any:
        import MySQLdb

        try:
            connection = MySQLdb.connect(
                **self._arguments,
                charset="utf8mb4",
                use_unicode=True,
                conv={},  # no conversion: values stay the server's text (see module docstring)
                connect_timeout=CONNECT_TIMEOUT_SECONDS,
            )
        except MySQLdb.Error as error:
            raise SourceError(f"cannot connect to {self.server}: {error}") from error
        try:
            # mysqlclient always asks for multi-statements: one query must stay one statement
            connection.set_server_option(MULTI_STATEMENTS_OFF)
            cursor = connection.cursor()
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
            cursor.execute(f"SET SESSION net_write_timeout = {NET_WRITE_TIMEOUT_SECONDS}")
            # TIMESTAMP columns are rendered in the session's zone: read them as UTC, which is
            # what every later stage assumes of a zone-less value.
            cursor.execute("SET SESSION time_zone = '+00:00'")
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            cursor.close()
        except MySQLdb.Error as error:
            connection.close()
            raise SourceError(
                f"cannot prepare a read-only session on {self.server}: {error}"
            ) from error
        return connection

    def _table_columns(self, cursor: Any, database: str, table: str) -> tuple[list[str], list[str]]:
        """(columns in order, primary-key columns) of a real table, else SourceError."""
        cursor.execute(
            "SELECT COLUMN_NAME, COLUMN_KEY FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION",
            (database, table),
        )
        rows = [(_text(name), _text(key)) for name, key in cursor.fetchall()]
        if not rows:
            cursor.execute(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                "ORDER BY TABLE_NAME",
                (database,),
            )
            tables = [_text(name) for (name,) in cursor.fetchall()]
            raise SourceError(
                f"{self.server} has no table {table!r}; its tables are: "
                f"{', '.join(tables) or 'none'}"
            )
        cursor.execute(
            "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
            "AND TABLE_NAME = %s AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
            (database, table),
        )
        key = [_text(name) for (name,) in cursor.fetchall()]
        return [name for name, _ in rows], key

    def _query_columns(self, cursor: Any, source_sql: str) -> list[str]:
        import MySQLdb

        try:
            cursor.execute(f"SELECT * FROM {source_sql} LIMIT 0")  # noqa: S608
        except MySQLdb.Error as error:
            raise SourceError(f"the query failed on {self.server}: {error}") from error
        return [_text(column[0]) for column in cursor.description]

    def __iter__(self) -> Iterator[SourceRow | RowError]:
        import MySQLdb
        import MySQLdb.cursors

        sql = self._select
        parameters = self._parameters
        number = self.resume_after
        skip = 0
        if number and self._skip_by_reading:
            skip, number = number, 0
        elif number:
            sql += f" LIMIT {_NO_LIMIT} OFFSET {int(number)}"
        self.rows_read = 0
        self.last_cursor_value = self.cursor_after
        label = f"table {self.table}" if self.table is not None else "query"
        columns = self.columns
        cursor_column = self.cursor_column
        connection = self._connect()
        self.connection_id = connection.thread_id()
        try:
            cursor = connection.cursor(MySQLdb.cursors.SSCursor)
            try:
                cursor.execute(sql, parameters or None)
            except MySQLdb.Error as error:
                raise SourceError(f"the read failed on {self.server}: {error}") from error
            while True:
                try:
                    batch = cursor.fetchmany(FETCH_ROWS)
                except MySQLdb.Error as error:
                    raise SourceError(
                        f"the MySQL connection to {self.server} was lost after {self.rows_read} "
                        f"rows (last row number {number}): {error}. Resume the import from its "
                        "last committed chunk."
                    ) from error
                if not batch:
                    return
                for row in batch:
                    number += 1
                    self.rows_read += 1
                    if number <= skip:
                        continue
                    location = f"{label} row {number}"
                    values = [_text(value) for value in row]
                    binary = _binary_column(columns, values)
                    if binary is not None:
                        yield RowError(
                            number,
                            location,
                            BINARY_VALUE,
                            f"column {binary!r} holds binary data that is not UTF-8 text; "
                            "select it as HEX(...) in a query if it is needed",
                            row_json(columns, values),
                        )
                        continue
                    record = dict(zip(columns, values, strict=True))
                    if cursor_column is not None:
                        self.last_cursor_value = record[cursor_column]
                    yield SourceRow(number, location, record)
        finally:
            # the connection may already be gone (killed, network): nothing to release then
            with contextlib.suppress(MySQLdb.Error):
                connection.close()


class _Undecodable(bytes):
    """Bytes that are not UTF-8: kept for the RowError instead of being guessed at."""


def _text(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return _Undecodable(value)


def _binary_column(columns: tuple[str, ...], values: list[Any]) -> str | None:
    if _Undecodable not in map(type, values):
        return None
    for column, value in zip(columns, values, strict=True):
        if type(value) is _Undecodable:
            return column
    return None
