"""Turn ``DATABASE_URL`` into ``DATABASES['default']`` with the options the bulk path needs.

Vendor differences live here, once, so that settings stay declarative:

* MySQL/MariaDB/Aurora: ``utf8mb4`` (names carry accents and the odd emoji), strict SQL mode
  (a too-long or malformed value is an error, never a silent truncation: zero data loss),
  UTC session time zone, ``READ COMMITTED`` isolation (set-based upserts from staging tables
  take far fewer gap locks than under ``REPEATABLE READ``, so concurrent ingestion workers
  do not deadlock each other; every statement still sees committed data only), and
  ``local_infile`` so the bulk interface may use ``LOAD DATA LOCAL INFILE``.
* SQLite (the embedded default): WAL journal so the web server reads while a worker writes,
  ``IMMEDIATE`` transactions so writers queue on the lock instead of failing with "database is
  locked" when they upgrade a read lock, and a generous busy timeout.
"""

from __future__ import annotations

from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

MYSQL_SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
    "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
)
MYSQL_CHARSET = "utf8mb4"
# utf8mb4_unicode_ci exists on MariaDB and on MySQL 8/Aurora 3 alike (0900_ai_ci is MySQL-only).
MYSQL_COLLATION = "utf8mb4_unicode_ci"
SQLITE_BUSY_TIMEOUT_SECONDS = 30

SUPPORTED_ENGINES = ("django.db.backends.mysql", "django.db.backends.sqlite3")


def database_settings(url: str, *, conn_max_age: int) -> dict[str, Any]:
    """Return a ``DATABASES`` entry for ``url`` (``sqlite:////abs/path`` or ``mysql://...``)."""
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=conn_max_age))
    except (ValueError, KeyError) as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {error}") from None
    engine = config["ENGINE"]
    if engine not in SUPPORTED_ENGINES:
        raise ImproperlyConfigured(
            f"DATABASE_URL uses {engine}; supported are MySQL/MariaDB (mysql://) and SQLite."
        )
    options: dict[str, Any] = dict(config.get("OPTIONS") or {})
    if engine == "django.db.backends.mysql":
        config["CONN_HEALTH_CHECKS"] = True
        options.setdefault("charset", MYSQL_CHARSET)
        options.setdefault("local_infile", 1)
        options.setdefault("isolation_level", "read committed")
        options.setdefault("init_command", f"SET sql_mode='{MYSQL_SQL_MODE}', time_zone='+00:00'")
        config["TEST"] = {"CHARSET": MYSQL_CHARSET, "COLLATION": MYSQL_COLLATION}
    else:
        if not config["NAME"]:
            raise ImproperlyConfigured("DATABASE_URL for SQLite needs a file path.")
        options.setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    config["OPTIONS"] = options
    return config
