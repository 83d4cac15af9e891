"""Reads that see one state of the database, however long they take.

A walk in page after page (an export of a priority list in score order) must not see a record
twice, or miss it, because an import changed its sort value between two pages.
:func:`consistent_reads` runs the walk in one transaction at ``REPEATABLE READ`` on
MySQL/MariaDB/Aurora (the connections' own level is ``READ COMMITTED``, see
:mod:`cmplatform.lib.database`): InnoDB then answers every read from the snapshot of the first,
without locking anything, and writers go on. On SQLite (the embedded mode, whose transactions
take the write lock at their start) the reads are left as they are: a transaction there would
hold every import back for the length of the walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


@contextmanager
def consistent_reads(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """See the module docstring. Inside a transaction already, that transaction's own view
    is kept (its isolation cannot change once it began)."""
    connection = connections[using]
    if connection.vendor != "mysql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            # the next transaction: this one, which the first read below begins
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
