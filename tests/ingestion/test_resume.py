"""An import whose worker process is killed (SIGKILL) mid-run resumes after its last committed
chunk and ends in exactly the state of an uninterrupted import of the same file.

The worker is a real ``manage.py ingest`` process on its own database (a SQLite file, or a
scratch MariaDB database when the suite runs on MariaDB), so the kill hits a process that holds
an open transaction, exactly as a crashed Celery worker or a machine restart would.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from cmplatform.demo import generate_demo_sources
from tests.ingestion.conftest import (
    MYSQL_HOST,
    MYSQL_PASSWORD,
    MYSQL_PORT,
    MYSQL_USER,
    mysql_connect,
)

PROJECT = Path(__file__).resolve().parents[2]
CHUNK_ROWS = 150

# What an import leaves behind, per source record: the person's fields and contact points.
# Ids differ between two databases (a rolled-back chunk consumes auto-increment values), so
# persons are identified by the source records that landed on them.
_SNAPSHOT = {
    "records": "SELECT source, source_key, checksum, person_id FROM source_records",
    "persons": "SELECT id, first_name, middle_name, last_name, suffix, state, county, zip5, "
    "lead_status, source FROM persons",
    "phones": "SELECT person_id, raw, e164, number_key, is_valid, is_primary FROM phone_numbers",
    "emails": "SELECT person_id, email, is_valid, is_primary FROM email_addresses",
    "addresses": "SELECT person_id, street, city, state, zip5, zip4, address_key FROM addresses",
    "touchpoints": "SELECT person_id, channel, occurred_at, source, external_id FROM touchpoints",
    "lineage": "SELECT {row_number}, source_key, person_id, outcome, match_rule, checksum "
    "FROM record_versions",
    "errors": "SELECT {row_number}, error_type, field_name, raw FROM import_row_errors",
    "batches": "SELECT rows_read, inserted, updated, unchanged, duplicates, errors, status "
    "FROM import_batches",
}


class Worker:
    """A project database of its own and ``manage.py`` processes running against it."""

    def __init__(self, tmp_path: Path, name: str, *, mysql: bool | None = None) -> None:
        self.directory = tmp_path / name
        self.directory.mkdir()
        self.mysql_database: str | None = None
        if mysql if mysql is not None else settings.DATABASE_VENDOR == "mysql":
            self.mysql_database = f"cmp_resume_{name}_{secrets.token_hex(4)}"
            with contextlib.closing(mysql_connect()) as server:
                server.cursor().execute(
                    f"CREATE DATABASE `{self.mysql_database}` CHARACTER SET utf8mb4 "
                    "COLLATE utf8mb4_unicode_ci"
                )
            password = f":{MYSQL_PASSWORD}" if MYSQL_PASSWORD else ""
            url = f"mysql://{MYSQL_USER}{password}@{MYSQL_HOST}:{MYSQL_PORT}/{self.mysql_database}"
        else:
            url = f"sqlite:///{self.directory / 'db.sqlite3'}"
        self.environment = {
            **os.environ,
            "DATABASE_URL": url,
            "CMP_VAR_DIR": str(self.directory / "var"),
            "SECRET_KEY": "resume-test",
            "HTTPS": "false",
            "INGEST_WORKERS": "0",
        }
        self.environment.pop("REDIS_URL", None)
        self.manage("migrate", "-v0")

    def manage(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=PROJECT,
            env=self.environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    def start(self, *arguments: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "manage.py", *arguments],
            cwd=PROJECT,
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        if self.mysql_database:
            connection = mysql_connect(self.mysql_database)
        else:
            connection = sqlite3.connect(self.directory / "db.sqlite3", timeout=30)
        try:
            yield connection
        finally:
            connection.close()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as connection:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = list(cursor.fetchall())
            if self.mysql_database:
                connection.commit()
            return rows

    def snapshot(self) -> dict[str, Any]:
        """Everything the import wrote, with persons named by their source records."""
        # ROW_NUMBER is a reserved word in MariaDB.
        quoted = "`row_number`" if self.mysql_database else '"row_number"'
        data = {
            name: self.query(sql.replace("{row_number}", quoted)) for name, sql in _SNAPSHOT.items()
        }
        person_key = {}
        for source, source_key, _checksum, person_id in sorted(data["records"]):
            person_key.setdefault(person_id, f"{source}:{source_key}")

        def named(rows: list[tuple[Any, ...]], position: int) -> list[tuple[Any, ...]]:
            return sorted(
                tuple(person_key[v] if i == position else _plain(v) for i, v in enumerate(row))
                for row in rows
            )

        return {
            "records": sorted((s, k, c, person_key[p]) for s, k, c, p in data["records"]),
            "persons": named(data["persons"], 0),
            "phones": named(data["phones"], 0),
            "emails": named(data["emails"], 0),
            "addresses": named(data["addresses"], 0),
            "touchpoints": named(data["touchpoints"], 0),
            "lineage": named(data["lineage"], 2),
            "errors": sorted(tuple(map(_plain, row)) for row in data["errors"]),
            "batches": sorted(tuple(map(_plain, row)) for row in data["batches"]),
        }

    def drop(self) -> None:
        if self.mysql_database:
            with contextlib.closing(mysql_connect()) as server:
                server.cursor().execute(f"DROP DATABASE IF EXISTS `{self.mysql_database}`")


def _plain(value: Any) -> Any:
    """Booleans as 0/1 and datetimes as text, the same on both databases."""
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ")[:19]
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return value[:19]
    return value


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Any]:
    made: list[Worker] = []

    def make(name: str, mysql: bool | None = None) -> Worker:
        worker = Worker(tmp_path, name, mysql=mysql)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.drop()


@pytest.fixture(scope="module")
def campaign_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("resume_source")
    generate_demo_sources(rows=4000, out_dir=out_dir, seed=7, kinds=["mail_csv"])
    return out_dir / "campaign_mail_2024.csv"


def _wait_for_chunks(worker: Worker, process: subprocess.Popen[str], at_least: int) -> int:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("The import ended before it could be killed; grow the file.")
        with contextlib.suppress(sqlite3.OperationalError):
            (count,) = worker.query("SELECT COUNT(*) FROM import_chunks")[0]
            if count >= at_least:
                return count
        time.sleep(0.01)
    raise AssertionError("No chunk was committed in time.")


def test_a_killed_import_resumes_and_ends_in_the_state_of_an_uninterrupted_one(
    workers: Any, campaign_file: Path
) -> None:
    clean = workers("clean")
    finished = clean.manage("ingest", str(campaign_file), "--chunk-rows", str(CHUNK_ROWS))
    assert finished.returncode == 0, finished.stderr
    expected = clean.snapshot()
    (total_chunks,) = clean.query("SELECT COUNT(*) FROM import_chunks")[0]

    killed = workers("killed")
    process = killed.start("ingest", str(campaign_file), "--chunk-rows", str(CHUNK_ROWS))
    _wait_for_chunks(killed, process, at_least=3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    # The kill left a RUNNING import with only whole chunks committed.
    ((status, last_row, rows_read),) = killed.query(
        "SELECT status, last_row, rows_read FROM import_batches"
    )
    (chunks_committed,) = killed.query("SELECT COUNT(*) FROM import_chunks")[0]
    assert status == "RUNNING"
    assert 3 <= chunks_committed < total_chunks
    assert last_row == rows_read
    (lineage_rows,) = killed.query("SELECT COUNT(*) FROM record_versions")[0]
    (error_rows,) = killed.query("SELECT COUNT(*) FROM import_row_errors")[0]
    assert lineage_rows + error_rows == rows_read

    resumed = killed.manage("ingest", str(campaign_file), "--chunk-rows", str(CHUNK_ROWS))
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming import 1 after row {last_row:,}" in resumed.stderr
    assert killed.snapshot() == expected
    (chunks_after,) = killed.query("SELECT COUNT(*) FROM import_chunks")[0]
    assert chunks_after == total_chunks


def test_a_resumed_import_that_is_killed_again_still_ends_in_the_same_state(
    workers: Any, campaign_file: Path
) -> None:
    clean = workers("clean2")
    assert clean.manage("ingest", str(campaign_file), "--chunk-rows", "400").returncode == 0
    expected = clean.snapshot()

    killed = workers("twice")
    for at_least in (2, 5):
        process = killed.start("ingest", str(campaign_file), "--chunk-rows", "400")
        _wait_for_chunks(killed, process, at_least=at_least)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    finished = killed.manage("ingest", str(campaign_file), "--chunk-rows", "400")
    assert finished.returncode == 0, finished.stderr
    assert killed.snapshot() == expected


def test_an_import_whose_database_connection_is_killed_fails_cleanly_and_resumes(
    workers: Any, campaign_file: Path
) -> None:
    # A dropped connection to the platform's own database is a MariaDB matter: both passes of
    # the suite run this against a scratch MariaDB database.
    clean = workers("clean3", mysql=True)
    assert clean.manage("ingest", str(campaign_file), "--chunk-rows", "300").returncode == 0
    expected = clean.snapshot()

    dropped = workers("dropped", mysql=True)
    process = dropped.start("ingest", str(campaign_file), "--chunk-rows", "300")
    _wait_for_chunks(dropped, process, at_least=2)
    with contextlib.closing(mysql_connect()) as server:
        cursor = server.cursor()
        cursor.execute(
            "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()",
            [dropped.mysql_database],
        )
        for (connection_id,) in cursor.fetchall():
            cursor.execute(f"KILL CONNECTION {int(connection_id)}")
    assert process.wait(timeout=300) == 1  # the command reports the failed import

    ((status, message, last_row),) = dropped.query(
        "SELECT status, message, last_row FROM import_batches"
    )
    assert status == "FAILED"
    assert "Committed rows are kept" in message
    assert f"resume after row {last_row}" in message
    resumed = dropped.manage("ingest", str(campaign_file), "--chunk-rows", "300")
    assert resumed.returncode == 0, resumed.stderr
    assert dropped.snapshot() == expected
