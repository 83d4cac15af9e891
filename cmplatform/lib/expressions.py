"""Query expressions the ORM lacks on our backends, with the vendor difference kept here.

``BitOr`` is the bitwise-OR aggregate: MySQL/MariaDB have ``BIT_OR``; SQLite has none, so
:func:`register_sqlite_functions` adds one to every new SQLite connection (the embedded mode).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Aggregate, BigIntegerField


class BitOr(Aggregate):
    """Bitwise OR of the non-NULL values. Over no rows MySQL gives 0 and SQLite NULL (as does
    a grouped subquery with no group on both): wrap it in ``Coalesce``."""

    function = "BIT_OR"
    name = "BitOr"
    output_field = BigIntegerField()


class _SqliteBitOr:
    def __init__(self) -> None:
        self.value = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.value |= int(value)

    def finalize(self) -> int:
        return self.value


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: add ``BIT_OR`` to a new SQLite connection."""
    if connection.vendor == "sqlite":
        raw: sqlite3.Connection = connection.connection
        raw.create_aggregate("BIT_OR", 1, _SqliteBitOr)
