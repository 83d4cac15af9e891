"""MySQL dump reader: literals and escapes (checked against MariaDB), statements never run."""

from __future__ import annotations

import gzip
import secrets
import subprocess
from pathlib import Path

import pytest

from ingestion.sources import (
    BINARY_VALUE,
    INVALID_ENCODING,
    MALFORMED_ROW,
    RAGGED_ROW,
    UNSUPPORTED_STATEMENT,
    RowError,
    SourceError,
    SourceRow,
    mysql_dump,
    open_source,
)
from tests.ingestion.conftest import MYSQL_HOST, MYSQL_PORT, MYSQL_USER, mysql_connect

# Every literal form and escape mysqldump, phpMyAdmin or a person might write, in a dump
# MariaDB accepts as it is: the test loads it and compares every value with the reader's.
FIRST_INSERT = ",".join(
    [
        r"(1,'NUL\0 quote\' dquote\" bs\b nl\n cr\r tab\t ctrlz\Z backslash\\ pct\% us\_ "
        r"other\q','-1.50',NULL)",
        "(2,'it''s doubled','0.00','plain')",
        "(3,'',NULL,0x4A6F73C3A9)",
        "(4,'; ) ( -- /* not a comment */ # nor this','12.00',X'41')",
        "(5,_utf8mb4'introduced','1.00',_binary 'bytes')",
        "(6,N'national',NULL,b'1000001')",
        "(7,'José Peña 😀',NULL,TRUE)",
        "(8,'NULL','3.14',_binary'')",
    ]
)
LITERALS_DUMP = (
    r"""-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
/*!40101 SET NAMES utf8mb4 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
DROP TABLE IF EXISTS `odd``names`;
CREATE TABLE `odd``names` (
  `id` int NOT NULL,
  `text` varchar(255) DEFAULT NULL COMMENT 'a comment, with (parentheses); and a semicolon',
  `amount` decimal(10,2) DEFAULT NULL,
  `raw` varbinary(32) DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_text` (`text`(20))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
LOCK TABLES `odd``names` WRITE;
INSERT INTO `odd``names` VALUES """  # noqa: S608 (a dump to read and to load in a scratch database)
    + FIRST_INSERT
    + r''';
/* a comment; with a semicolon */
INSERT INTO `odd``names` (`id`, `text`, `amount`, `raw`) VALUES
(9, "double \"quoted\" and ""doubled""", 2.50, FALSE),
(10, 'multi
line', NULL, '');
# a hash comment; still nothing
INSERT INTO `odd``names` VALUES (11,'a line ending like a statement;
(12,''fake'',NULL,NULL);','7.00',NULL);
UNLOCK TABLES;
DELIMITER ;;
/*!50003 CREATE TRIGGER `t_bi` BEFORE INSERT ON `odd``names` FOR EACH ROW SET @a = 1 */;;
DELIMITER ;
'''
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def load_with_mysql_client(dump: Path, database: str) -> None:
    with open(dump, "rb") as dump_file:
        subprocess.run(
            ["mysql", f"-h{MYSQL_HOST}", f"-P{MYSQL_PORT}", f"-u{MYSQL_USER}", database],
            stdin=dump_file,
            check=True,
            timeout=60,
        )


def stored_rows(database: str, query: str) -> list[list[str | None]]:
    connection = mysql_connect(database, conv={})
    cursor = connection.cursor()
    cursor.execute(query)
    rows = [
        [value.decode("utf-8") if isinstance(value, bytes) else value for value in row]
        for row in cursor.fetchall()
    ]
    connection.close()
    return rows


def test_every_literal_and_escape_reads_as_mariadb_stores_it(tmp_path, scratch_database):
    dump = write(tmp_path / "literals.sql", LITERALS_DUMP)
    load_with_mysql_client(dump, scratch_database)
    stored = stored_rows(scratch_database, "SELECT * FROM `odd``names` ORDER BY id")

    with open_source(dump) as reader:
        assert reader.kind == "mysql_dump"
        assert reader.description["table"] == "odd`names"
        assert reader.columns == ("id", "text", "amount", "raw")
        items = list(reader)
    assert all(isinstance(item, SourceRow) for item in items)
    read = [[item.values[column] for column in reader.columns] for item in items]
    assert len(read) == 11
    assert read == stored
    # and what that means, spelled out for the trickiest ones
    assert read[0][1] == (
        "NUL\0 quote' dquote\" bs\b nl\n cr\r tab\t ctrlz\x1a backslash\\ pct\\% us\\_ otherq"
    )
    assert read[1][1] == "it's doubled"
    assert read[2][3] == "José"
    assert read[3][1] == "; ) ( -- /* not a comment */ # nor this"
    assert read[6] == ["7", "José Peña 😀", None, "1"]
    assert read[7][1] == "NULL"
    assert read[8] == ["9", 'double "quoted" and "doubled"', "2.50", "0"]
    assert read[9][1] == "multi\nline"
    assert read[10][1] == "a line ending like a statement;\n(12,'fake',NULL,NULL);"
    assert [item.location for item in items[7:]] == [
        "line 14 tuple 8",
        "line 16 tuple 1",
        "line 16 tuple 2",
        "line 21 tuple 1",
    ]


def test_no_statement_of_a_dump_is_ever_executed(tmp_path):
    canary = f"ingest_canary_{secrets.token_hex(6)}"
    user = f"evil_{secrets.token_hex(4)}"
    connection = mysql_connect()
    cursor = connection.cursor()
    cursor.execute(f"CREATE DATABASE `{canary}`")
    try:
        cursor.execute(f"CREATE TABLE `{canary}`.owners (owner_id INT PRIMARY KEY, name TEXT)")
        cursor.execute(f"INSERT INTO `{canary}`.owners VALUES (1, 'canary')")  # noqa: S608
        connection.commit()
        dump = write(
            tmp_path / "hostile.sql",
            f"""-- MySQL dump 10.13
DROP TABLE IF EXISTS `{canary}`.`owners`;
DROP DATABASE IF EXISTS `{canary}`;
DELETE FROM `{canary}`.owners;
UPDATE `{canary}`.owners SET name = 'overwritten';
GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%' IDENTIFIED BY 'pwned';
CREATE USER '{user}'@'localhost';
SET GLOBAL read_only = 1;
CREATE TABLE `owners` (`owner_id` int NOT NULL, `name` text);
INSERT INTO `owners` VALUES (100001,'SMITH, JOHN'),(100002,'DOE, JANE');
""",  # noqa: S608 (a dump to read, never executed: that is the test)
        )
        with open_source(dump) as reader:
            items = list(reader)
        assert items == [
            SourceRow(1, "line 10 tuple 1", {"owner_id": "100001", "name": "SMITH, JOHN"}),
            SourceRow(2, "line 10 tuple 2", {"owner_id": "100002", "name": "DOE, JANE"}),
        ]
        cursor.execute(f"SELECT owner_id, name FROM `{canary}`.owners")  # noqa: S608
        assert cursor.fetchall() == ((1, "canary"),)
        cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE User = %s", (user,))
        assert cursor.fetchall() == ((0,),)
        cursor.execute("SELECT @@GLOBAL.read_only")
        assert cursor.fetchall() == ((0,),)
    finally:
        cursor.execute(f"DROP DATABASE IF EXISTS `{canary}`")
        connection.close()


def test_bad_tuples_are_row_errors_and_the_good_ones_around_them_still_come_out(tmp_path):
    dump = write(
        tmp_path / "bad.sql",
        "CREATE TABLE `t` (`id` int, `name` varchar(20), `photo` blob);\n"
        "INSERT INTO `t` VALUES (1,'Ann',NULL),(2,NOW(),NULL),(3,'Cy'),(4,'Di',0xFF00),"
        "(5,'Ed',NULL);\n"
        "INSERT INTO `t` SELECT * FROM `other`;\n"
        "INSERT INTO `t` VALUES (6,'Flo',NULL);\n",
    )
    items = list(open_source(dump))
    assert [(item.number, item.location, type(item).__name__) for item in items] == [
        (1, "line 2 tuple 1", "SourceRow"),
        (2, "line 2 tuple 2", "RowError"),
        (3, "line 2 tuple 3", "RowError"),
        (4, "line 2 tuple 4", "RowError"),
        (5, "line 2 tuple 5", "SourceRow"),
        (6, "line 3", "RowError"),
        (7, "line 4 tuple 1", "SourceRow"),
    ]
    assert (items[1].error_type, items[1].raw) == (MALFORMED_ROW, "(2,NOW(),NULL)")
    assert (items[2].error_type, items[2].raw) == (RAGGED_ROW, "(3,'Cy')")
    assert items[2].message == "the tuple has 2 values, the table has 3 columns"
    assert (items[3].error_type, items[3].raw) == (BINARY_VALUE, "(4,'Di',0xFF00)")
    assert (items[5].error_type, items[5].raw) == (
        UNSUPPORTED_STATEMENT,
        "INSERT INTO `t` SELECT * FROM `other`",
    )
    assert items[4].values == {"id": "5", "name": "Ed", "photo": None}


def test_an_invalid_utf8_byte_spoils_only_its_tuple(tmp_path):
    dump = tmp_path / "bytes.sql"
    dump.write_bytes(
        b"CREATE TABLE `t` (`id` int, `name` varchar(20));\n"
        b"INSERT INTO `t` VALUES (1,'Jos\xc3\xa9'),(2,'Ren\xe9e'),(3,'Zo\xc3\xab');\n"
    )
    items = list(open_source(dump))
    assert items[0].values == {"id": "1", "name": "José"}
    assert items[1] == RowError(
        2,
        "line 2 tuple 2",
        INVALID_ENCODING,
        "the tuple holds bytes that are not valid utf-8",
        "(2,'Ren\\xe9e')",
    )
    assert items[2].values == {"id": "3", "name": "Zoë"}


def test_a_dump_of_several_tables_needs_a_table(tmp_path):
    dump = write(
        tmp_path / "crm.sql",
        "CREATE TABLE `owners` (`id` int, `name` text);\n"
        "INSERT INTO `owners` VALUES (1,'Ann');\n"
        "CREATE TABLE `notes` (`owner_id` int, `body` text);\n"
        "INSERT INTO `notes` VALUES (1,'call back'),(1,'no answer');\n"
        "CREATE TABLE `empty` (`id` int);\n",
    )
    with pytest.raises(SourceError, match=r"INSERTs into 2 tables \(owners, notes\); choose one"):
        open_source(dump)
    with open_source(dump, table="notes") as reader:
        assert [item.values["body"] for item in reader] == ["call back", "no answer"]
    with open_source(dump, table="empty") as reader:
        assert reader.columns == ("id",)
        assert list(reader) == []
    with pytest.raises(
        SourceError, match=r"has no table 'leads' .* tables it has are: owners, notes, empty"
    ):
        open_source(dump, table="leads")


def test_a_gzipped_dump_is_read_like_the_plain_one(demo_sources, tmp_path):
    out_dir, manifest = demo_sources
    plain = out_dir / manifest.source("legacy_owners").file
    zipped = tmp_path / "legacy_owners.sql.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    with open_source(plain) as plain_reader, open_source(zipped) as zipped_reader:
        assert zipped_reader.description["compression"] == "gzip"
        assert list(zipped_reader) == list(plain_reader)


def test_statements_larger_than_a_read_give_the_same_rows(demo_sources, monkeypatch):
    """The dump read 64 characters at a time: every statement spans many refills."""
    out_dir, manifest = demo_sources
    dump = out_dir / manifest.source("legacy_owners").file
    with open_source(dump) as reader:
        expected = list(reader)
    monkeypatch.setattr(mysql_dump, "READ_CHARACTERS", 64)
    with open_source(dump) as reader:
        assert list(reader) == expected


def test_skip_to_resumes_counting_row_errors(tmp_path):
    dump = write(
        tmp_path / "resume.sql",
        "CREATE TABLE `t` (`id` int, `name` text);\n"
        "INSERT INTO `t` VALUES (1,'a'),(2),(3,'c');\n"
        "INSERT INTO `t` VALUES (4,'d'),(5,'e');\n",
    )
    with open_source(dump) as reader:
        reader.skip_to(3)
        assert list(reader) == [
            SourceRow(4, "line 3 tuple 1", {"id": "4", "name": "d"}),
            SourceRow(5, "line 3 tuple 2", {"id": "5", "name": "e"}),
        ]


def test_a_truncated_gzipped_dump_is_a_clear_error(demo_sources, tmp_path):
    out_dir, manifest = demo_sources
    dump = (out_dir / manifest.source("legacy_owners").file).read_text(encoding="utf-8")
    head, inserts = dump.split("INSERT INTO", 1)
    inserts = "INSERT INTO" + inserts[: inserts.rindex(";\n") + 2]
    big = head + inserts * 12  # ~3 MB: the first megabyte (sampled when opened) is intact
    compressed = gzip.compress(big.encode())
    cut = tmp_path / "cut.sql.gz"
    cut.write_bytes(compressed[: len(compressed) * 3 // 4])
    received = []
    with pytest.raises(SourceError, match=r"cut\.sql\.gz could not be read after row \d+"):
        for item in open_source(cut, table="owners"):
            received.append(item)
    assert len(received) > 1380
    assert [item.number for item in received] == list(range(1, len(received) + 1))


def test_a_dump_written_on_one_line_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(mysql_dump, "GUESS_LIMIT", 100)
    monkeypatch.setattr(mysql_dump, "READ_CHARACTERS", 32)
    statements = ["CREATE TABLE `t` (`id` int, `name` text);"] + [
        f"INSERT INTO `t` VALUES ({number},'row {number}; not an end'),({number + 1},'x');"  # noqa: S608 (read, never run)
        for number in range(1, 200, 2)
    ]
    dump = write(tmp_path / "one_line.sql", "".join(statements))
    items = list(open_source(dump))
    assert [item.values["id"] for item in items] == [str(number) for number in range(1, 201)]
    assert items[2] == SourceRow(3, "line 1 tuple 1", {"id": "3", "name": "row 3; not an end"})
