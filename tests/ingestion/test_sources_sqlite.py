"""SQLite reader: table choice, value text, read-only enforcement."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from ingestion.sources import (
    BINARY_VALUE,
    INVALID_ENCODING,
    RowError,
    SourceError,
    SourceRow,
    open_source,
)


def make_database(path: Path, statements: list[str]) -> Path:
    connection = sqlite3.connect(path)
    with connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return path


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_only_table_is_read_in_rowid_order_with_values_as_text(tmp_path):
    path = make_database(
        tmp_path / "legacy.db",
        [
            "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT, zip REAL, score REAL, "
            "note BLOB, phone TEXT)",
            "INSERT INTO contacts VALUES "
            "(7, '  Ann  ', 73644.0, 2.5, CAST('text in a blob' AS BLOB), NULL)",
            "INSERT INTO contacts VALUES (3, 'José', 2116, -0.1, NULL, '')",
        ],
    )
    with open_source(path) as reader:
        assert reader.kind == "sqlite"
        assert reader.columns == ("id", "name", "zip", "score", "note", "phone")
        assert reader.description["table"] == "contacts"
        items = list(reader)
    assert items == [
        SourceRow(
            1,
            "table contacts row 1",
            {"id": "3", "name": "José", "zip": "2116", "score": "-0.1", "note": None, "phone": ""},
        ),
        SourceRow(
            2,
            "table contacts row 2",
            {
                "id": "7",
                "name": "  Ann  ",
                "zip": "73644",
                "score": "2.5",
                "note": "text in a blob",
                "phone": None,
            },
        ),
    ]


def test_binary_blobs_and_undecodable_text_are_row_errors(tmp_path):
    path = make_database(
        tmp_path / "legacy.db",
        [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, photo BLOB)",
            "INSERT INTO t VALUES (1, 'Ann', NULL)",
            "INSERT INTO t VALUES (2, 'Bob', X'FFD8FF00')",
            "INSERT INTO t VALUES (3, CAST(X'52656EE965' AS TEXT), NULL)",
            "INSERT INTO t VALUES (4, 'Di', NULL)",
        ],
    )
    items = list(open_source(path))
    assert [type(item) for item in items] == [SourceRow, RowError, RowError, SourceRow]
    assert items[1] == RowError(
        2,
        "table t row 2",
        BINARY_VALUE,
        "column 'photo' holds 4 bytes of binary data that are not UTF-8 text; select it as "
        "hex(...) in a query if it is needed",
        '{"id": "2", "name": "Bob", "photo": "0xffd8ff00"}',
    )
    assert items[2].error_type == INVALID_ENCODING
    assert items[2].raw == '{"id": "3", "name": "Ren\\xe9e", "photo": null}'
    assert items[3].values == {"id": "4", "name": "Di", "photo": None}


def test_a_database_of_several_tables_needs_a_table_or_a_query(tmp_path):
    path = make_database(
        tmp_path / "crm.db",
        [
            "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT)",
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",
            "INSERT INTO owners VALUES (1, 'Ann'), (2, 'Bob')",
            "INSERT INTO notes VALUES (1, 'call back')",
        ],
    )
    with pytest.raises(SourceError, match=r"crm.db has 2 tables \(notes, owners\); choose one"):
        open_source(path)
    with pytest.raises(
        SourceError, match=r"crm\.db has no table 'leads'; its tables are: notes, owners"
    ):
        open_source(path, table="leads")
    with open_source(path, table="notes") as reader:
        assert [item.values for item in reader] == [{"id": "1", "body": "call back"}]
    with open_source(
        path, query="SELECT name, id * 10 AS tenfold FROM owners ORDER BY id DESC;"
    ) as reader:
        assert reader.columns == ("name", "tenfold")
        assert [(item.location, item.values) for item in reader] == [
            ("query row 1", {"name": "Bob", "tenfold": "20"}),
            ("query row 2", {"name": "Ann", "tenfold": "10"}),
        ]


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM owners",
        "UPDATE owners SET name = 'x'",
        "INSERT INTO owners VALUES (3, 'Eve')",
        "DROP TABLE owners",
        "ATTACH DATABASE 'other.db' AS other",
        "PRAGMA writable_schema = 1",
        "SELECT 1; DELETE FROM owners",
        "WITH gone AS (DELETE FROM owners RETURNING *) SELECT * FROM gone",
    ],
)
def test_a_query_that_tries_to_write_is_refused(tmp_path, query):
    path = make_database(
        tmp_path / "crm.db",
        [
            "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO owners VALUES (1, 'Ann'), (2, 'Bob')",
        ],
    )
    before = fingerprint(path)
    with pytest.raises(SourceError, match=r"crm\.db"):
        reader = open_source(path, query=query)
        list(reader)
    assert fingerprint(path) == before
    assert not (tmp_path / "other.db").exists()
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT id, name FROM owners ORDER BY id").fetchall() == [
        (1, "Ann"),
        (2, "Bob"),
    ]
    connection.close()


def test_skip_to_resumes_in_the_database(tmp_path):
    path = make_database(
        tmp_path / "many.db",
        [
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",
            "INSERT INTO t SELECT value, 'name ' || value FROM generate_series(1, 10)"
            if sqlite3.sqlite_version_info >= (3, 46)
            else "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 10) "
            "INSERT INTO t SELECT v, 'name ' || v FROM n",
        ],
    )
    with open_source(path) as reader:
        reader.skip_to(7)
        assert list(reader) == [
            SourceRow(
                number, f"table t row {number}", {"id": str(number), "name": f"name {number}"}
            )
            for number in (8, 9, 10)
        ]


def test_a_damaged_database_is_refused(tmp_path):
    good = make_database(
        tmp_path / "good.db",
        ["CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO t VALUES (1, 'a')"],
    )
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(good.read_bytes()[:100] + b"\x00" * 50)
    with pytest.raises(SourceError, match=r"damaged\.sqlite cannot be opened as a SQLite database"):
        open_source(damaged)


def test_row_estimate_is_exact_for_a_table_and_unknown_for_a_query(tmp_path):
    path = make_database(
        tmp_path / "rows.db",
        ["CREATE TABLE people (name TEXT)"]
        + ["INSERT INTO people VALUES ('p' || (SELECT COUNT(*) FROM people))"] * 7,
    )
    with open_source(path) as reader:
        assert reader.estimate_rows() == 7
    with open_source(path, query="SELECT name FROM people WHERE name > 'p3'") as reader:
        assert reader.estimate_rows() is None
        assert len(list(reader)) == 3
