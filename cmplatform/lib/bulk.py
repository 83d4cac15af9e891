"""The bulk-SQL interface: every set-based write of the platform goes through here.

Two operations carry the ingestion engine and every other bulk path:

* :func:`staging_load` streams rows into a per-connection temporary *staging* table —
  MySQL/MariaDB: one ``LOAD DATA LOCAL INFILE`` from a temporary file written as the rows
  arrive (constant memory); SQLite: ``executemany``. It is :func:`prepare_load` (convert, check,
  format; no connection needed, so another thread may do it) then :func:`load_prepared`, which
  also appends to permanent append-only tables.
* :func:`upsert_from_staging` merges a staging table into a canonical table in one statement —
  MySQL: ``INSERT ... SELECT ... ON DUPLICATE KEY UPDATE``; SQLite:
  ``INSERT ... SELECT ... ON CONFLICT (...) DO UPDATE`` — with per-column survivorship rules
  (:class:`Merge`): always take the new value, keep the stored value when the new one is empty,
  take the new value only when its source timestamp is not older, never touch a column a person
  locked by hand.

``ON DUPLICATE KEY UPDATE`` fires on *any* unique index, so a table upserted here has exactly one
natural unique key besides its primary key. Identifiers are quoted by the backend; values always
travel as parameters or through the load file, never inside SQL text. Callers own the
transaction (a chunk commits entirely or not at all).
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# SQLite caps bound parameters per statement; executemany binds one row at a time, so this is
# only the batch size handed to the driver per call (keeps the Python list small).
SQLITE_BATCH_ROWS = 5_000


class ColumnType(enum.Enum):
    """Portable staging column types."""

    BIGINT = "bigint"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    VARCHAR = "varchar"
    TEXT = "text"
    DATETIME = "datetime"
    JSON = "json"


_MYSQL_TYPES = {
    ColumnType.BIGINT: "BIGINT",
    ColumnType.INTEGER: "INT",
    ColumnType.BOOLEAN: "BOOL",
    ColumnType.TEXT: "LONGTEXT",
    ColumnType.DATETIME: "DATETIME(6)",
    ColumnType.JSON: "LONGTEXT",
}
_SQLITE_TYPES = {
    ColumnType.BIGINT: "INTEGER",
    ColumnType.INTEGER: "INTEGER",
    ColumnType.BOOLEAN: "INTEGER",
    ColumnType.VARCHAR: "TEXT",
    ColumnType.TEXT: "TEXT",
    ColumnType.DATETIME: "TEXT",
    ColumnType.JSON: "TEXT",
}


@dataclass(frozen=True)
class Column:
    """A staging column: its name, portable type and (for VARCHAR) length."""

    name: str
    type: ColumnType
    length: int | None = None
    #: compared exactly (MySQL: ``utf8mb4_bin``): for columns joined to exact columns, such as
    #: record keys, so that the join compares as the target's unique index does
    exact: bool = False

    def __post_init__(self) -> None:
        _check_identifier(self.name)
        if not isinstance(self.type, ColumnType):
            raise TypeError(f"Column {self.name} needs a ColumnType.")
        if self.type is ColumnType.VARCHAR and not self.length:
            raise ValueError(f"VARCHAR column {self.name} needs a length.")


class Rule(enum.Enum):
    """How an upsert treats a column of a row that already exists."""

    #: take the new value (even an empty one)
    OVERWRITE = "overwrite"
    #: take the new value unless it is NULL or ''
    FILL = "fill"
    #: take a non-empty new value only if its source timestamp is not older than the stored one
    NEWEST = "newest"
    #: never change it on update (set on insert only)
    KEEP = "keep"
    #: a boolean that can only become true ("verified beats unverified")
    UPGRADE = "upgrade"


@dataclass(frozen=True)
class Merge:
    """The rule of one column; ``locked_by`` names a JSON-list column of the target holding the
    names of columns a person locked (the column is left alone when its name is in the list)."""

    rule: Rule
    locked_by: str | None = None
    #: the name looked up in ``locked_by`` (default: the column's own name), so that a derived
    #: column such as a match key follows the lock of the field it is derived from
    lock_as: str | None = None


@dataclass(frozen=True)
class Upsert:
    """One upsert: ``target`` ← ``staging``, matched on the target's natural unique ``key``.

    ``columns`` maps each target column to the staging column that feeds it, ``merge`` gives
    the per-column rule on update (default :attr:`Rule.FILL`), ``timestamp`` is the
    (target, staging) column pair compared by :attr:`Rule.NEWEST`, and ``only_where_true``
    names a staging column that must be true for a row to be merged at all. ``constants``
    gives columns one value for all rows (merged by their rules like staged ones). ``order_by``
    (staging columns) fixes the order in which several staging rows for one target row are
    applied: each later row is merged onto the result of the earlier ones.
    """

    target: str
    staging: str
    key: Sequence[str]
    columns: Mapping[str, str]
    merge: Mapping[str, Merge]
    timestamp: tuple[str, str] | None = None
    only_where_true: str | None = None
    order_by: Sequence[str] = ()
    #: target columns given one value for every row (sent once as a parameter, not staged)
    constants: Mapping[str, Any] | None = None


def _check_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"Not a safe SQL identifier: {name!r}")
    return name


def _quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(_check_identifier(name))


def staging_create(
    connection: BaseDatabaseWrapper,
    *,
    name: str,
    columns: Sequence[Column],
    index: Sequence[str] = (),
) -> None:
    """(Re)create the temporary table ``name`` on this connection, optionally indexed.

    Safe inside the caller's transaction: on MySQL only ``CREATE/DROP TEMPORARY TABLE`` avoid
    an implicit commit (a separate ``CREATE INDEX`` would commit), so the index is declared
    inside the ``CREATE`` statement.
    """
    quoted = _quote(connection, name)
    index_columns = ", ".join(_quote(connection, column) for column in index)
    index_name = _quote(connection, f"{name}_key")
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            definitions = [
                f"{_quote(connection, c.name)} "
                + (f"VARCHAR({c.length})" if c.type is ColumnType.VARCHAR else _MYSQL_TYPES[c.type])
                + (" COLLATE utf8mb4_bin" if c.exact else "")
                for c in columns
            ]
            if index:
                definitions.append(f"INDEX {index_name} ({index_columns})")
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {quoted}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {quoted} ({', '.join(definitions)}) ENGINE=InnoDB "
                "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
            )
        else:
            definitions = [f"{_quote(connection, c.name)} {_SQLITE_TYPES[c.type]}" for c in columns]
            cursor.execute(f"DROP TABLE IF EXISTS temp.{quoted}")
            cursor.execute(f"CREATE TEMPORARY TABLE {quoted} ({', '.join(definitions)})")
            if index:
                cursor.execute(f"CREATE INDEX temp.{index_name} ON {quoted} ({index_columns})")


def staging_drop(connection: BaseDatabaseWrapper, *, name: str) -> None:
    """Drop a staging table (they also vanish with the connection)."""
    quoted = _quote(connection, name)
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(f"DROP TEMPORARY TABLE IF EXISTS {quoted}")
        else:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{quoted}")


def _converter(column: Column) -> Callable[[Any], str | int | None]:
    """A Python value of ``column`` as the database should receive it (datetimes as naive UTC
    text), specialised once per column so that loading a chunk costs one call per value.

    VARCHAR lengths are checked here, for both backends alike: SQLite would store a longer
    value and strict MySQL would refuse the whole load, so the caller learns it the same way.
    """
    name, column_type, length = column.name, column.type, column.length

    if column_type is ColumnType.VARCHAR:
        limit = length or 0

        def varchar(value: Any) -> str | None:
            if value is None:
                return None
            text = value if value.__class__ is str else str(value)
            if len(text) > limit:
                raise ValueError(
                    f"Value of {len(text)} characters too long for {name} (VARCHAR({limit}))."
                )
            return text

        return varchar
    if column_type is ColumnType.DATETIME:
        memo: list[Any] = [None, None]  # the last value and its text: stamps repeat per chunk

        def datetime(value: Any) -> str | None:
            if value is None:
                return None
            if value is memo[0]:
                return memo[1]
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                raise TypeError(f"{name} needs an aware datetime, got {value!r}")
            text = (
                value.astimezone(dt.UTC)
                .replace(tzinfo=None)
                .isoformat(sep=" ")  # as Django writes it (no ".000000"): ORM filters match
            )
            memo[0], memo[1] = value, text
            return text

        return datetime
    if column_type is ColumnType.BOOLEAN:

        def boolean(value: Any) -> int | None:
            if value is None:
                return None
            # Only real booleans (or 0/1): "0" or "false" are truthy strings and would be 1.
            if value is True or value is False or (type(value) is int and value in (0, 1)):
                return int(value)
            raise TypeError(f"{name} needs a boolean, got {value!r}")

        return boolean
    if column_type in (ColumnType.BIGINT, ColumnType.INTEGER):

        def integer(value: Any) -> int | None:
            if value is None:
                return None
            if type(value) is int:
                return value
            if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
                raise TypeError(f"{name} needs an integer, got {value!r}")
            if isinstance(value, Decimal) and value != value.to_integral_value():
                raise TypeError(f"{name} needs an integer, got {value!r}")
            return int(value)

        return integer

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return text


# LOAD DATA's default field escaping: backslash escapes; \N is NULL.
_LOAD_ESCAPES = str.maketrans(
    {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0", "\x1a": "\\Z"}
)


def _load_converter(column: Column) -> Callable[[Any], str]:
    """:func:`_converter` followed by LOAD DATA's escaping (``\\N`` for NULL)."""
    convert = _converter(column)
    escapes = _LOAD_ESCAPES

    def field(value: Any) -> str:
        converted = convert(value)
        if converted is None:
            return "\\N"
        if converted.__class__ is int:
            return str(converted)
        return converted.translate(escapes)  # type: ignore[union-attr]

    return field


def _line_formatter(columns: Sequence[Column]) -> Callable[[Sequence[Any]], str]:
    """A function turning one row into its LOAD DATA line, compiled for ``columns``.

    The common cases (text within its length, a plain int, NULL) are inlined in one generated
    function, so a value costs no Python call; anything else goes through the column's full
    converter (:func:`_load_converter`), which converts, checks and raises exactly as before.
    The generated source is built from column positions and lengths only, never from data.
    """
    namespace: dict[str, Any] = {"N": "\\N", "E": _LOAD_ESCAPES}
    expressions = []
    for index, column in enumerate(columns):
        value, slow = f"v{index}", f"f{index}"
        namespace[slow] = _load_converter(column)
        if column.type in (ColumnType.VARCHAR, ColumnType.TEXT, ColumnType.JSON):
            fits = f" and len({value}) <= {int(column.length)}" if column.length else ""
            expressions.append(
                f"(N if {value} is None else {value}.translate(E) "
                f"if {value}.__class__ is str{fits} else {slow}({value}))"
            )
        elif column.type in (ColumnType.BIGINT, ColumnType.INTEGER):
            expressions.append(
                f"(N if {value} is None else str({value}) "
                f"if {value}.__class__ is int else {slow}({value}))"
            )
        else:
            expressions.append(f"{slow}({value})")
    names = ", ".join(f"v{index}" for index in range(len(columns)))
    source = (
        f"def format_row(row):\n    {names}, = row\n"
        f"    return '\\t'.join(({', '.join(expressions)},)) + '\\n'\n"
    )
    exec(compile(source, "<bulk line formatter>", "exec"), namespace)  # noqa: S102
    return namespace["format_row"]


def staging_load(
    connection: BaseDatabaseWrapper,
    *,
    name: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
) -> int:
    """Append ``rows`` (sequences in ``columns`` order) to staging table ``name``; return how
    many were loaded. On MySQL the rows stream to a file (memory stays flat); on SQLite (the
    embedded mode) the converted rows of one load are held, then sent in batches."""
    return load_prepared(
        connection, name=name, prepared=prepare_load(connection.vendor, columns, rows)
    )


@dataclass
class PreparedLoad:
    """Rows converted and checked for one load, not yet sent: a LOAD DATA file (MySQL) or
    converted rows (SQLite). Preparing needs no connection, so a caller may prepare the next
    load in another thread while the database runs the previous statement; a prepared load
    is used once by :func:`load_prepared`, or given back with :func:`discard_prepared`."""

    columns: tuple[Column, ...]
    count: int
    path: str | None = None
    rows: list[tuple[Any, ...]] | None = None


def prepare_load(
    vendor: str, columns: Sequence[Column], rows: Iterable[Sequence[Any]]
) -> PreparedLoad:
    """Convert and check ``rows`` for a load into ``columns`` on a ``vendor`` database; a bad
    value raises here (``ValueError``/``TypeError``), before anything is sent."""
    width = len(columns)
    count = 0
    if vendor == "mysql":
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below
            "w", encoding="utf-8", newline="\n", suffix=".tsv", delete=False
        )
        try:
            format_row = _line_formatter(columns)
            write = handle.write
            for row in rows:
                if len(row) != width:
                    raise ValueError(f"Row {count + 1} has {len(row)} values, expected {width}.")
                write(format_row(row))
                count += 1
        except BaseException:
            handle.close()
            os.unlink(handle.name)
            raise
        handle.close()
        return PreparedLoad(tuple(columns), count, path=handle.name)
    converters = [_converter(c) for c in columns]
    converted: list[tuple[Any, ...]] = []
    for row in rows:
        if len(row) != width:
            raise ValueError(f"Row {count + 1} has {len(row)} values, expected {width}.")
        converted.append(tuple([f(v) for f, v in zip(converters, row, strict=True)]))
        count += 1
    return PreparedLoad(tuple(columns), count, rows=converted)


def discard_prepared(prepared: PreparedLoad) -> None:
    """Give back a prepared load that will not be loaded (its file is removed)."""
    if prepared.path is not None and os.path.exists(prepared.path):
        os.unlink(prepared.path)
    prepared.rows = None


def load_prepared(
    connection: BaseDatabaseWrapper,
    *,
    name: str,
    prepared: PreparedLoad,
    temporary: bool = True,
) -> int:
    """Append a prepared load to table ``name`` (a staging table unless ``temporary`` is
    false); return how many rows were loaded. A load that does not store exactly its rows
    raises :class:`BulkLoadError` and leaves the table as it was."""
    quoted = _quote(connection, name)
    column_list = ", ".join(_quote(connection, c.name) for c in prepared.columns)
    count = prepared.count
    try:
        if connection.vendor == "mysql":
            if prepared.path is None:
                raise ValueError("This load was prepared for another database.")
            # A savepoint: a load refused after LOAD DATA ran leaves the table as it was.
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {quoted} CHARACTER SET utf8mb4 "
                    f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                    f"LINES TERMINATED BY '\\n' ({column_list})",
                    [prepared.path],
                )
                loaded = cursor.rowcount
                cursor.execute("SELECT @@warning_count")
                (warnings,) = cursor.fetchone()
                # LOAD DATA reports conversion problems as warnings even in strict mode; a row
                # that did not arrive exactly as written fails the load, never a silent change.
                if loaded != count or warnings:
                    raise BulkLoadError(
                        f"LOAD DATA loaded {loaded} of {count} rows into {name} with "
                        f"{warnings} warnings."
                    )
            return count
        if prepared.rows is None:
            raise ValueError("This load was prepared for another database.")
        placeholders = ", ".join("%s" for _ in prepared.columns)
        schema = "temp." if temporary else ""
        statement = f"INSERT INTO {schema}{quoted} ({column_list}) VALUES ({placeholders})"
        # A savepoint: a failed batch after earlier ones went in leaves the table as it was.
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for first in range(0, count, SQLITE_BATCH_ROWS):
                cursor.executemany(statement, prepared.rows[first : first + SQLITE_BATCH_ROWS])
        return count
    finally:
        discard_prepared(prepared)


class BulkLoadError(RuntimeError):
    """A bulk load did not store exactly the rows it was given."""


def _is_empty(connection: BaseDatabaseWrapper, expression: str) -> str:
    """True for NULL and for ''; the cast keeps strict MySQL from comparing a date with ''."""
    text_type = "CHAR" if connection.vendor == "mysql" else "TEXT"
    return f"({expression} IS NULL OR CAST({expression} AS {text_type}) = '')"


def _locked(connection: BaseDatabaseWrapper, target_alias: str, locks: str, column: str) -> str:
    """SQL that is true when ``column`` is named in the JSON list ``locks`` of the target row."""
    if connection.vendor == "mysql":
        return f"JSON_CONTAINS({target_alias}.{_quote(connection, locks)}, '\"{column}\"')"
    return (
        f"EXISTS (SELECT 1 FROM json_each({target_alias}.{_quote(connection, locks)}) "
        f"WHERE json_each.value = '{column}')"
    )


def upsert_from_staging(connection: BaseDatabaseWrapper, upsert: Upsert) -> None:
    """Merge the staging rows into the target in one statement.

    Returns nothing on purpose: the drivers count affected rows differently (MySQL counts an
    update twice), so callers classify rows as inserted/updated/unchanged from staging first.

    Column names in :class:`Merge` rules and locks are validated identifiers; nothing from the
    data ever becomes SQL text.
    """
    target = _quote(connection, upsert.target)
    staging = _quote(connection, upsert.staging)
    constants = dict(upsert.constants or {})
    staged = [column for column in upsert.columns if column not in constants]
    target_columns = [*staged, *constants]
    for column in [*target_columns, *upsert.key]:
        _check_identifier(column)
    select_list = ", ".join(
        [f"s.{_quote(connection, upsert.columns[column])}" for column in staged]
        + ["%s"] * len(constants)
    )
    parameters: list[Any] = [_parameter(value) for value in constants.values()]
    insert_list = ", ".join(_quote(connection, column) for column in target_columns)
    where = (
        f" WHERE s.{_quote(connection, upsert.only_where_true)}" if upsert.only_where_true else ""
    )
    mysql = connection.vendor == "mysql"
    # The stored row is named by the target table on both; the incoming row is the SELECT's
    # alias on MySQL (no deprecated VALUES()) and ``excluded`` on SQLite.
    current = target
    assignments = []
    newest_condition = None
    if upsert.timestamp is not None:
        target_ts, staging_ts = (_check_identifier(name) for name in upsert.timestamp)
        incoming_ts = (
            f"s.{_quote(connection, staging_ts)}"
            if mysql
            else f"excluded.{_quote(connection, target_ts)}"
        )
        stored_ts = f"{current}.{_quote(connection, target_ts)}"
        newest_condition = f"({stored_ts} IS NULL OR {incoming_ts} >= {stored_ts})"
    # The timestamp column itself is assigned last: MySQL evaluates assignments left to right,
    # and the NEWEST comparisons above must see the stored timestamp, not the new one.
    ordered = sorted(
        (c for c in target_columns if c not in upsert.key),
        key=lambda c: upsert.timestamp is not None and c == upsert.timestamp[0],
    )
    for column in ordered:
        merge = upsert.merge.get(column, Merge(Rule.FILL))
        if merge.rule is Rule.KEEP:
            continue
        quoted_column = _quote(connection, column)
        stored = f"{current}.{quoted_column}"
        if not mysql:
            new = f"excluded.{quoted_column}"
        elif column in constants:
            new = "%s"
        else:
            new = f"s.{_quote(connection, upsert.columns[column])}"
        conditions = []
        if merge.rule is Rule.UPGRADE:
            conditions.append(f"{new} = 1")
        if merge.rule in (Rule.FILL, Rule.NEWEST):
            conditions.append(f"NOT {_is_empty(connection, new)}")
        if merge.rule is Rule.NEWEST:
            if newest_condition is None:
                raise ValueError(f"Rule.NEWEST on {column} needs Upsert.timestamp.")
            conditions.append(newest_condition)
        if merge.locked_by:
            lock_name = _check_identifier(merge.lock_as or column)
            conditions.append(f"NOT {_locked(connection, current, merge.locked_by, lock_name)}")
        if conditions:
            value = f"CASE WHEN {' AND '.join(conditions)} THEN {new} ELSE {stored} END"
        else:
            value = new
        if new == "%s":
            parameters.extend([_parameter(constants[column])] * value.count("%s"))
        assignments.append(f"{quoted_column} = {value}")
    key_list = ", ".join(_quote(connection, column) for column in upsert.key)
    order = (
        " ORDER BY " + ", ".join(f"s.{_quote(connection, c)}" for c in upsert.order_by)
        if upsert.order_by
        else ""
    )
    if mysql:
        # With nothing to update, re-assigning the first key column is MySQL's no-op update.
        first_key = _quote(connection, upsert.key[0])
        update = ", ".join(assignments) or f"{first_key} = {current}.{first_key}"
        sql = (
            f"INSERT INTO {target} ({insert_list}) SELECT {select_list} FROM {staging} s{where}"
            f"{order} ON DUPLICATE KEY UPDATE {update}"
        )
    else:
        action = f"DO UPDATE SET {', '.join(assignments)}" if assignments else "DO NOTHING"
        # "WHERE true" resolves SQLite's parsing ambiguity between a join and ON CONFLICT.
        sql = (
            f"INSERT INTO {target} ({insert_list}) SELECT {select_list} FROM temp.{staging} s"
            f"{where or ' WHERE true'}{order} ON CONFLICT ({key_list}) {action}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)


def _parameter(value: Any) -> Any:
    """A constant as a query parameter: aware datetimes as naive UTC text (as staged)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError(f"Constants need aware datetimes, got {value!r}")
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, bool):
        return int(value)
    return value


def insert_from_staging(
    connection: BaseDatabaseWrapper,
    *,
    target: str,
    staging: str,
    columns: Mapping[str, str],
    order_by: Sequence[str] = (),
    constants: Mapping[str, Any] | None = None,
) -> int:
    """``INSERT INTO target (...) SELECT ... FROM staging ORDER BY ...``: plain inserts (no
    natural key), in ``order_by`` order so auto-increment ids follow it; ``constants`` give
    columns one value for every row. Returns the count."""
    constants = dict(constants or {})
    target_columns = [*columns, *constants]
    insert_list = ", ".join(_quote(connection, column) for column in target_columns)
    select_list = ", ".join(
        [f"s.{_quote(connection, columns[c])}" for c in columns] + ["%s"] * len(constants)
    )
    order = (
        " ORDER BY " + ", ".join(f"s.{_quote(connection, c)}" for c in order_by) if order_by else ""
    )
    schema = "" if connection.vendor == "mysql" else "temp."
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_quote(connection, target)} ({insert_list}) "
            f"SELECT {select_list} FROM {schema}{_quote(connection, staging)} s{order}",
            [_parameter(value) for value in constants.values()],
        )
        return int(cursor.rowcount)


@dataclass(frozen=True)
class Join:
    """``JOIN table alias ON alias.column = other_alias.column AND ...`` in a lookup;
    ``on`` pairs this table's column with a qualified ``"alias.column"`` already joined."""

    table: str
    alias: str
    on: Sequence[tuple[str, str]]
    #: MySQL: the index the join must use. Statistics of a table that just grew in the same
    #: transaction (a first import into empty tables) can make the optimizer pick a one-column
    #: index and probe thousands of rows per staged key; naming the index keeps it one probe.
    index: str | None = None


def _qualified(connection: BaseDatabaseWrapper, name: str) -> str:
    alias, _, column = name.partition(".")
    if not column:
        raise ValueError(f"Expected alias.column, got {name!r}")
    return f"{_quote(connection, alias)}.{_quote(connection, column)}"


def staging_lookup(
    connection: BaseDatabaseWrapper,
    *,
    staging: str,
    joins: Sequence[Join],
    select: Sequence[str],
    where_equal: Mapping[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """The rows of ``SELECT <select> FROM staging s JOIN ...``: set-based look-ups of staged
    keys in canonical tables (one statement for a whole chunk, driven by their indexes).

    ``select`` and the keys of ``where_equal`` are qualified ``"alias.column"`` names (the
    staging table is ``s``); ``where_equal`` values travel as parameters.
    """
    mysql = connection.vendor == "mysql"
    schema = "" if mysql else "temp."
    # The staging table drives the join through the canonical tables' indexes. MySQL's
    # optimizer, which has no statistics of a fresh temporary table, may otherwise scan a
    # canonical table and probe the unindexed staging table for every row (quadratic).
    straight = "STRAIGHT_JOIN " if mysql else ""
    parts = [f"SELECT {straight}{', '.join(_qualified(connection, c) for c in select)}"]
    parts.append(f"FROM {schema}{_quote(connection, staging)} {_quote(connection, 's')}")
    for join in joins:
        alias = _quote(connection, join.alias)
        conditions = " AND ".join(
            f"{alias}.{_quote(connection, column)} = {_qualified(connection, other)}"
            for column, other in join.on
        )
        # SQLite: CROSS JOIN fixes the join order the same way (staging first).
        join_word = "JOIN" if mysql else "CROSS JOIN"
        hint = ""
        if mysql and join.index:
            hint = f" FORCE INDEX ({_quote(connection, join.index)})"
        parts.append(f"{join_word} {_quote(connection, join.table)} {alias}{hint} ON {conditions}")
    parameters: list[Any] = []
    if where_equal:
        parts.append(
            "WHERE " + " AND ".join(f"{_qualified(connection, c)} = %s" for c in where_equal)
        )
        parameters.extend(where_equal.values())
    with connection.cursor() as cursor:
        cursor.execute(" ".join(parts), parameters)
        return list(cursor.fetchall())


def update_from_staging(
    connection: BaseDatabaseWrapper,
    *,
    target: str,
    staging: str,
    key: str,
    columns: Mapping[str, str],
) -> int:
    """``UPDATE target SET column = staged value ... WHERE target.key = staged key`` for every
    staged row, in one statement (MySQL: a join update; SQLite: ``UPDATE ... FROM``); the staged
    key is unique. ``columns`` maps target columns to staging columns. Returns rows changed."""
    quoted_target, quoted_key = _quote(connection, target), _quote(connection, key)
    if connection.vendor == "mysql":
        assignments = ", ".join(
            f"t.{_quote(connection, column)} = s.{_quote(connection, staged)}"
            for column, staged in columns.items()
        )
        sql = (
            f"UPDATE {quoted_target} t JOIN {_quote(connection, staging)} s "
            f"ON t.{quoted_key} = s.{quoted_key} SET {assignments}"
        )
    else:
        assignments = ", ".join(
            f"{_quote(connection, column)} = s.{_quote(connection, staged)}"
            for column, staged in columns.items()
        )
        sql = (
            f"UPDATE {quoted_target} SET {assignments} FROM temp.{_quote(connection, staging)} s "
            f"WHERE {quoted_target}.{quoted_key} = s.{quoted_key}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.rowcount)


def delete_from_staging(
    connection: BaseDatabaseWrapper, *, target: str, staging: str, key: str, staged_key: str
) -> int:
    """``DELETE`` the rows of ``target`` whose ``key`` is a staged ``staged_key``, in one
    statement driven by the staging table (MySQL: a join delete, since MariaDB runs a
    single-table ``DELETE ... IN (SELECT ...)`` as a scan of the target; SQLite: ``IN``).
    Returns rows deleted."""
    quoted_target, quoted_key = _quote(connection, target), _quote(connection, key)
    quoted_staging, quoted_staged = _quote(connection, staging), _quote(connection, staged_key)
    if connection.vendor == "mysql":
        sql = (
            f"DELETE t FROM {quoted_target} t JOIN {quoted_staging} s "
            f"ON t.{quoted_key} = s.{quoted_staged}"
        )
    else:
        sql = (
            f"DELETE FROM {quoted_target} WHERE {quoted_key} IN "
            f"(SELECT {quoted_staged} FROM temp.{quoted_staging})"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.rowcount)
