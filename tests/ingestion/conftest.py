"""Fixtures of the source-reader tests: demo sources, a MariaDB server, scratch databases."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest

from cmplatform.demo import DemoManifest, generate_demo_sources

# The development and CI MariaDB (DESIGN.md §4), or the server TEST_MYSQL_URL names (as in
# tests/run.sh). Tests that need it fail when it is down.
_SERVER = dj_database_url.parse(
    os.environ.get("TEST_MYSQL_URL") or "mysql://root@127.0.0.1:3306/cmplatform"
)
MYSQL_HOST = _SERVER["HOST"] or "127.0.0.1"
MYSQL_PORT = int(_SERVER["PORT"] or 3306)
MYSQL_USER = _SERVER["USER"] or "root"
MYSQL_PASSWORD = _SERVER["PASSWORD"] or ""


@pytest.fixture(scope="session")
def demo_sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    """The project's realistic demo sources, 3,000 records (seed 1), written once per run."""
    out_dir = tmp_path_factory.mktemp("demo_sources")
    manifest = generate_demo_sources(rows=3000, out_dir=out_dir, seed=1)
    return out_dir, manifest


def mysql_connect(database: str | None = None, **options: Any) -> Any:
    """A MySQLdb connection to the test server; a test FAILS (never skips) when it is down."""
    import MySQLdb

    arguments: dict[str, Any] = {
        "host": MYSQL_HOST,
        "port": MYSQL_PORT,
        "user": MYSQL_USER,
        "password": MYSQL_PASSWORD,
        "charset": "utf8mb4",
        "connect_timeout": 5,
    }
    if database is not None:
        arguments["database"] = database
    try:
        return MySQLdb.connect(**arguments, **options)
    except MySQLdb.OperationalError as error:
        pytest.fail(
            f"MariaDB at {MYSQL_HOST}:{MYSQL_PORT} is not reachable ({error}); start it "
            "(DESIGN.md §4): these tests need it"
        )


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A fresh, empty MariaDB database `ingest_<random>`, dropped after the test."""
    name = f"ingest_{secrets.token_hex(6)}"
    connection = mysql_connect()
    try:
        connection.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield name
    finally:
        connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()


def mysql_url(database: str) -> str:
    """The reader URL of a database on the test server."""
    credentials = f"{MYSQL_USER}:{MYSQL_PASSWORD}" if MYSQL_PASSWORD else MYSQL_USER
    return f"mysql://{credentials}@{MYSQL_HOST}:{MYSQL_PORT}/{database}"
