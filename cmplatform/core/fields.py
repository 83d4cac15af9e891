"""Model fields of the canonical schema."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

MYSQL_EXACT_COLLATION = "utf8mb4_bin"


class ExactCharField(models.CharField):
    """Text compared exactly, byte for byte: record keys, natural keys, e-mail addresses.

    MySQL's default collation folds case and accents, so ``ab1`` and ``AB1`` (two records of a
    legacy system) or ``josé@…`` and ``jose@…`` would be one value in a unique index or a join,
    and two people would become one. On MySQL these columns use ``utf8mb4_bin``; SQLite
    compares exactly already.
    """

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "mysql":
            parameters["collation"] = MYSQL_EXACT_COLLATION
        return parameters
