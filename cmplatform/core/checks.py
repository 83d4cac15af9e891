"""System checks that guard settings which would silently hurt data or speed.

Database checks run with ``manage.py check --database default`` (and before migrations).
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, Warning, register
from django.db import connections

MINIMUM_BUFFER_POOL_BYTES = 1 << 30


@register(Tags.database)
def check_mysql_server(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """On MySQL/MariaDB: utf8mb4 database, LOCAL INFILE allowed, a buffer pool of useful size."""
    problems: list = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "mysql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT @@character_set_database, @@local_infile, @@innodb_buffer_pool_size"
            )
            charset, local_infile, buffer_pool = cursor.fetchone()
        if charset != "utf8mb4":
            problems.append(
                Error(
                    f"Database {alias!r} uses character set {charset}, not utf8mb4: names with "
                    "accents or emoji would be rejected or mangled.",
                    hint="ALTER DATABASE ... CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                    id="core.E001",
                )
            )
        if not local_infile:
            problems.append(
                Error(
                    f"Database server of {alias!r} has local_infile off; bulk loads need it.",
                    hint="Set local_infile=1 in the server configuration (deploy/mariadb.cnf).",
                    id="core.E002",
                )
            )
        if int(buffer_pool) < MINIMUM_BUFFER_POOL_BYTES:
            problems.append(
                Warning(
                    f"innodb_buffer_pool_size is {int(buffer_pool) >> 20} MiB; bulk imports and "
                    "priority lists need several GiB.",
                    hint="See deploy/mariadb.cnf.",
                    id="core.W001",
                )
            )
    return problems
