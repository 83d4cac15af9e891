"""Interrupt a read that runs past a time budget, on MariaDB, MySQL/Aurora and SQLite.

A read whose cost depends on the data (a correlated sub-query walked until a page fills) can
be given a budget and a cheaper fallback: :func:`read_time_limit` makes the statements inside
it fail with :class:`TimeLimitExceeded` once they run longer than that.

* MariaDB: each statement is sent as ``SET STATEMENT max_statement_time=S FOR ...`` (error
  1969 when it runs out);
* MySQL/Aurora: each ``SELECT`` carries the ``MAX_EXECUTION_TIME(ms)`` optimizer hint (error
  3024);
* SQLite: a progress handler interrupts the statement running when the deadline of the block
  has passed.

For reads only: a write interrupted half-way is the caller's transaction to roll back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connections

MARIADB_STATEMENT_TIMEOUT = 1969
MYSQL_QUERY_TIMEOUT = 3024
# SQLite virtual-machine instructions between two looks at the clock (~0.1 ms of work).
SQLITE_CHECK_EVERY = 1_000


class TimeLimitExceeded(Exception):
    """A statement ran past its budget and was interrupted; nothing was changed."""


def _mysql_wrapper(seconds: float, mariadb: bool) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any):
        if mariadb:
            sql = f"SET STATEMENT max_statement_time={seconds:.6f} FOR {sql}"
        elif sql.lstrip()[:6].upper() == "SELECT":
            milliseconds = max(1, round(seconds * 1000))
            start = len(sql) - len(sql.lstrip()) + 6
            sql = f"{sql[:start]} /*+ MAX_EXECUTION_TIME({milliseconds}) */{sql[start:]}"
        return execute(sql, params, many, context)

    return wrapper


@contextmanager
def read_time_limit(using: str, seconds: float) -> Iterator[None]:
    """Interrupt the statements run on the ``using`` connection inside the block after
    ``seconds`` (each statement on MariaDB/MySQL; the block as a whole on SQLite), raising
    :class:`TimeLimitExceeded`. ``seconds`` must be positive."""
    if seconds <= 0:
        raise ValueError("A time limit must be positive.")
    connection = connections[using]
    if connection.vendor == "mysql":
        wrapper = _mysql_wrapper(seconds, bool(getattr(connection, "mysql_is_mariadb", False)))
        try:
            with connection.execute_wrapper(wrapper):
                yield
        except DatabaseError as error:
            if error.args and error.args[0] in (MARIADB_STATEMENT_TIMEOUT, MYSQL_QUERY_TIMEOUT):
                raise TimeLimitExceeded(str(error)) from error
            raise
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_CHECK_EVERY)
        try:
            yield
        except DatabaseError as error:
            if str(error) == "interrupted":
                raise TimeLimitExceeded(str(error)) from error
            raise
        finally:
            raw.set_progress_handler(None, 0)
    else:
        raise NotImplementedError(f"No read time limit on {connection.vendor}.")
