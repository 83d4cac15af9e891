"""Reads interrupted after their time budget, on the database the suite runs against."""

from __future__ import annotations

import time

import pytest
from django.db import DatabaseError, connection

from cmplatform.lib.time_limit import TimeLimitExceeded, read_time_limit

pytestmark = pytest.mark.django_db

# Counts the rows of a side³ cross join: a billion rows (side 1,000) take tens of seconds on
# SQLite and on MariaDB (MariaDB stops a recursion at 1,000 steps by default).
CUBED = (
    "WITH RECURSIVE d (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < %s) "
    "SELECT COUNT(*) FROM d a, d b, d c"
)


def test_a_read_past_its_budget_is_interrupted_and_the_connection_stays_usable():
    started = time.monotonic()
    with (
        pytest.raises(TimeLimitExceeded),
        read_time_limit("default", 0.2),
        connection.cursor() as cursor,
    ):
        cursor.execute(CUBED, [1000])
        cursor.fetchall()
    assert time.monotonic() - started < 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 + 1")
        assert cursor.fetchone() == (2,)


def test_a_read_within_its_budget_runs_and_the_limit_ends_with_the_block():
    with read_time_limit("default", 5), connection.cursor() as cursor:
        cursor.execute("SELECT 40 + 2")
        assert cursor.fetchone() == (42,)
    # Outside the block nothing is cut short.
    with connection.cursor() as cursor:
        cursor.execute(CUBED, [20])
        assert cursor.fetchone() == (8000,)


def test_other_errors_pass_through_unchanged():
    with (
        pytest.raises(DatabaseError) as raised,
        read_time_limit("default", 5),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT * FROM no_such_table")
    assert not isinstance(raised.value, TimeLimitExceeded)


def test_a_budget_must_be_positive():
    with pytest.raises(ValueError), read_time_limit("default", 0):
        pass
