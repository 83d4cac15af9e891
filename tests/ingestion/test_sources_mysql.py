"""Live MySQL reader against the MariaDB test server (these tests fail when it is down)."""

from __future__ import annotations

import pytest

from ingestion.sources import BINARY_VALUE, RowError, SourceError, SourceRow, open_source
from tests.ingestion.conftest import mysql_connect, mysql_url


def execute(database: str, *statements: str) -> None:
    connection = mysql_connect(database)
    cursor = connection.cursor()
    for statement in statements:
        cursor.execute(statement)
    connection.commit()
    connection.close()


def fetch(database: str, query: str) -> tuple:
    connection = mysql_connect(database)
    cursor = connection.cursor()
    cursor.execute(query)
    rows = cursor.fetchall()
    connection.close()
    return rows


OWNERS = (
    "CREATE TABLE owners (owner_id INT PRIMARY KEY, owner_name VARCHAR(255), "
    "updated_at DATETIME NULL, balance DECIMAL(10,2), ratio DOUBLE, photo VARBINARY(16))"
)


def test_a_table_is_read_in_primary_key_order_as_the_servers_text(scratch_database):
    execute(
        scratch_database,
        "SET SESSION sql_mode = ''",
        OWNERS,
        "INSERT INTO owners VALUES (20, 'SMITH, JOHN 😀', '0000-00-00 00:00:00', 3.10, 1.5, "
        "'abc'), (10, '  O\\'Brien  ', NULL, -0.50, 2e20, NULL), (30, 'X', '2019-06-28 "
        "13:05:00', 0, 0.1, 0xFF00)",
    )
    with open_source(mysql_url(scratch_database), table="owners") as reader:
        assert reader.kind == "mysql"
        assert reader.columns == (
            "owner_id",
            "owner_name",
            "updated_at",
            "balance",
            "ratio",
            "photo",
        )
        assert reader.description["order_by"] == ["`owner_id`"]
        items = list(reader)
    assert items[:2] == [
        SourceRow(
            1,
            "table owners row 1",
            {
                "owner_id": "10",
                "owner_name": "  O'Brien  ",
                "updated_at": None,
                "balance": "-0.50",
                "ratio": "2e20",
                "photo": None,
            },
        ),
        SourceRow(
            2,
            "table owners row 2",
            {
                "owner_id": "20",
                "owner_name": "SMITH, JOHN 😀",
                "updated_at": "0000-00-00 00:00:00",
                "balance": "3.10",
                "ratio": "1.5",
                "photo": "abc",
            },
        ),
    ]
    assert items[2] == RowError(
        3,
        "table owners row 3",
        BINARY_VALUE,
        "column 'photo' holds binary data that is not UTF-8 text; select it as HEX(...) in a "
        "query if it is needed",
        '{"owner_id": "30", "owner_name": "X", "updated_at": "2019-06-28 13:05:00", '
        '"balance": "0.00", "ratio": "0.1", "photo": "0xff00"}',
    )


def test_an_incremental_read_starts_after_the_cursor_value(scratch_database):
    execute(
        scratch_database,
        "CREATE TABLE leads (id INT PRIMARY KEY, name VARCHAR(20))",
        "INSERT INTO leads VALUES (5, 'e'), (1, 'a'), (3, 'c'), (4, 'd'), (2, 'b')",
    )
    url = mysql_url(scratch_database)
    with open_source(url, table="leads", cursor_column="ID", cursor_after="3") as reader:
        assert reader.last_cursor_value == "3"
        items = list(reader)
        assert reader.last_cursor_value == "5"
        assert reader.description["cursor_column"] == "id"
    assert [item.values for item in items] == [{"id": "4", "name": "d"}, {"id": "5", "name": "e"}]
    # the same from a query (its % survives the parameter formatting)
    query = "SELECT id, UPPER(name) AS name FROM leads WHERE name LIKE '%'"
    with open_source(url, query=query, cursor_column="id", cursor_after="3") as reader:
        assert [item.values for item in reader] == [
            {"id": "4", "name": "D"},
            {"id": "5", "name": "E"},
        ]
    with pytest.raises(
        SourceError, match=r"cursor_column 'id` > 0; DROP TABLE leads; --' is not a column"
    ):
        open_source(url, table="leads", cursor_column="id` > 0; DROP TABLE leads; --")
    with pytest.raises(SourceError, match="has no table 'owners'; its tables are: leads"):
        open_source(url, table="owners")
    assert fetch(scratch_database, "SELECT COUNT(*) FROM leads") == ((5,),)


def test_skip_to_resumes_in_the_database(scratch_database):
    execute(
        scratch_database,
        "CREATE TABLE leads (id INT PRIMARY KEY, name VARCHAR(20))",
        "INSERT INTO leads SELECT seq, CONCAT('n', seq) FROM seq_1_to_10",
    )
    with open_source(mysql_url(scratch_database), table="leads") as reader:
        reader.skip_to(8)
        assert list(reader) == [
            SourceRow(9, "table leads row 9", {"id": "9", "name": "n9"}),
            SourceRow(10, "table leads row 10", {"id": "10", "name": "n10"}),
        ]


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM leads",
        "DROP TABLE leads",
        "SELECT 1; DELETE FROM leads",
        "SELECT * FROM leads INTO OUTFILE '/tmp/leads.txt'",
        "SELECT * FROM leads FOR UPDATE",
    ],
)
def test_a_query_that_writes_is_refused(scratch_database, query):
    execute(
        scratch_database,
        "CREATE TABLE leads (id INT PRIMARY KEY, name VARCHAR(20))",
        "INSERT INTO leads VALUES (1, 'a'), (2, 'b')",
    )
    with pytest.raises(SourceError):
        list(open_source(mysql_url(scratch_database), query=query))
    assert fetch(scratch_database, "SELECT id, name FROM leads ORDER BY id") == ((1, "a"), (2, "b"))


def test_the_session_is_read_only_even_for_a_query_that_passes_the_checks(scratch_database):
    execute(scratch_database, "CREATE TABLE leads (id INT PRIMARY KEY, name VARCHAR(20))")
    # a SELECT that would write through a stored function: the READ ONLY transaction refuses it
    execute(
        scratch_database,
        "CREATE FUNCTION sneaky() RETURNS INT MODIFIES SQL DATA "
        "BEGIN INSERT INTO leads VALUES (99, 'x'); RETURN 1; END",
    )
    with pytest.raises(SourceError, match="READ ONLY transaction"):
        list(open_source(mysql_url(scratch_database), query="SELECT sneaky() AS wrote"))
    assert fetch(scratch_database, "SELECT COUNT(*) FROM leads") == ((0,),)


def test_a_connection_killed_mid_stream_raises_after_the_rows_it_delivered(scratch_database):
    execute(
        scratch_database,
        "CREATE TABLE scratch (id INT PRIMARY KEY, payload VARCHAR(2000))",
        # 20,000 rows of 2 kB: 40 MB, far more than the socket buffers hold
        "INSERT INTO scratch SELECT seq, REPEAT('x', 2000) FROM seq_1_to_20000",
    )
    reader = open_source(mysql_url(scratch_database), table="scratch")
    items = iter(reader)
    received = [next(items) for _ in range(100)]
    killer = mysql_connect()
    killer.cursor().execute(f"KILL CONNECTION {int(reader.connection_id)}")
    killer.close()
    with pytest.raises(SourceError) as lost:
        for item in items:
            received.append(item)
    assert 100 <= reader.rows_read < 20_000
    assert len(received) == reader.rows_read
    assert [item.number for item in received] == list(range(1, reader.rows_read + 1))
    assert f"was lost after {reader.rows_read} rows" in str(lost.value)
    assert "Resume the import from its last committed chunk" in str(lost.value)


def test_an_unreachable_server_is_a_clear_error():
    with pytest.raises(SourceError, match=r"cannot connect to mysql://reader@127.0.0.1:1/crm"):
        open_source("mysql://reader:secret@127.0.0.1:1/crm", table="owners")


def test_timestamps_are_read_in_utc_whatever_the_server_zone(scratch_database):
    execute(
        scratch_database,
        "CREATE TABLE events (id INT PRIMARY KEY, at TIMESTAMP NULL)",
        "SET time_zone = '+00:00'",
        "INSERT INTO events VALUES (1, '2024-01-09 12:00:00')",
    )
    connection = mysql_connect()
    cursor = connection.cursor()
    cursor.execute("SELECT @@global.time_zone")
    (previous,) = cursor.fetchone()
    cursor.execute("SET GLOBAL time_zone = '-06:00'")
    try:
        with open_source(mysql_url(scratch_database), table="events") as reader:
            assert [row.values["at"] for row in reader] == ["2024-01-09 12:00:00"]
    finally:
        cursor.execute("SET GLOBAL time_zone = %s", (previous,))
        connection.close()


def test_a_query_keeps_its_own_order_and_resumes_in_it(scratch_database):
    execute(
        scratch_database,
        "CREATE TABLE leads (id INT PRIMARY KEY, name VARCHAR(20))",
        "INSERT INTO leads SELECT seq, CONCAT('n', seq) FROM seq_1_to_5",
    )
    query = "SELECT id, name FROM leads ORDER BY id DESC"
    with open_source(mysql_url(scratch_database), query=query) as reader:
        assert [row.values["id"] for row in reader] == ["5", "4", "3", "2", "1"]
    with open_source(mysql_url(scratch_database), query=query) as reader:
        reader.skip_to(3)
        assert [(row.number, row.values["id"]) for row in reader] == [(4, "2"), (5, "1")]


def test_a_table_without_primary_key_needs_an_order(scratch_database):
    execute(scratch_database, "CREATE TABLE loose (name VARCHAR(20))")
    with pytest.raises(SourceError, match="has no primary key"):
        open_source(mysql_url(scratch_database), table="loose")
    with open_source(mysql_url(scratch_database), table="loose", cursor_column="name") as reader:
        assert list(reader) == []
