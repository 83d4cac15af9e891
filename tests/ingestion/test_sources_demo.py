"""Every reader over the project's realistic demo sources: counts, keys, columns, values."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

from cmplatform.demo import DemoManifest
from ingestion.sources import RowError, SourceRow, open_source
from tests.ingestion.conftest import MYSQL_HOST, MYSQL_PORT, MYSQL_USER, mysql_connect


def ground_truth_keys(out_dir: Path, source_name: str) -> list[str]:
    with open(out_dir / "ground_truth.csv", encoding="utf-8", newline="") as truth_file:
        return [
            row["source_key"] for row in csv.DictReader(truth_file) if row["source"] == source_name
        ]


def read_demo_source(out_dir: Path, manifest: DemoManifest, name: str) -> tuple[list, object]:
    source = manifest.source(name)
    options = {"sheet": source.sheet} if source.sheet else {}
    with open_source(out_dir / source.file, **options) as reader:
        return list(reader), reader


def assert_demo_source_read_exactly(out_dir: Path, manifest: DemoManifest, name: str) -> list:
    source = manifest.source(name)
    items, reader = read_demo_source(out_dir, manifest, name)
    assert [item for item in items if isinstance(item, RowError)] == []
    assert len(items) == source.rows
    assert [item.number for item in items] == list(range(1, source.rows + 1))
    assert reader.columns == source.columns
    keys = [item.values[source.key_column] for item in items]
    assert keys == ground_truth_keys(out_dir, name)
    return items


def test_mysql_dump_demo_rows_keys_and_columns(demo_sources):
    out_dir, manifest = demo_sources
    items = assert_demo_source_read_exactly(out_dir, manifest, "legacy_owners")
    assert items[0].location == "line 51 tuple 1"


def test_sqlite_demo_rows_keys_and_columns(demo_sources):
    out_dir, manifest = demo_sources
    items = assert_demo_source_read_exactly(out_dir, manifest, "legacy_contacts")
    assert items[2].location == "table contacts row 3"


def test_mail_csv_demo_rows_keys_and_columns(demo_sources):
    out_dir, manifest = demo_sources
    items = assert_demo_source_read_exactly(out_dir, manifest, "campaign_mail_2024")
    _, reader = read_demo_source(out_dir, manifest, "campaign_mail_2024")
    assert reader.description["encoding"] == "utf-8"
    assert reader.description["delimiter"] == ","
    # quoted addresses with an embedded newline come out whole, their newline kept
    multi_line = [item for item in items if "\n" in item.values["Mailing Address"]]
    assert multi_line
    assert all(item.values["Mailing Address"].count("\n") == 1 for item in multi_line)


def test_sms_tsv_demo_is_read_as_cp1252(demo_sources):
    out_dir, manifest = demo_sources
    items = assert_demo_source_read_exactly(out_dir, manifest, "campaign_sms_2025")
    _, reader = read_demo_source(out_dir, manifest, "campaign_sms_2025")
    assert reader.description["encoding"] == "cp1252"
    assert reader.description["delimiter"] == "\t"
    # the file has no quoting at all: splitting its cp1252 text by hand gives the same values
    text = (out_dir / "campaign_sms_2025.txt").read_bytes().decode("cp1252")
    lines = text.split("\r\n")[1:-1]
    assert [list(item.values.values()) for item in items] == [line.split("\t") for line in lines]
    accented = {
        character for item in items for character in item.values["Name"] if ord(character) > 127
    }
    assert accented and all(character.isalpha() or character == "\u2019" for character in accented)


def test_call_csv_demo_has_its_bom_removed(demo_sources):
    out_dir, manifest = demo_sources
    assert_demo_source_read_exactly(out_dir, manifest, "campaign_calls_2025")
    _, reader = read_demo_source(out_dir, manifest, "campaign_calls_2025")
    assert reader.description["encoding"] == "utf-8-sig"
    assert reader.description["delimiter"] == ";"
    assert reader.columns[0] == "RecordID"


def test_xlsx_demo_rows_keys_and_columns(demo_sources):
    out_dir, manifest = demo_sources
    items = assert_demo_source_read_exactly(out_dir, manifest, "lead_list_q3")
    # the number record_id is an integer cell: written without ".0"
    assert items[0].values["record_id"] == "1"
    # real date cells come out as ISO dates
    assert all(len(item.values["source_date"]) == 10 for item in items)
    assert items[0].values["source_date"][:4] == "2025"


def test_mysql_dump_values_equal_what_mariadb_stores(demo_sources, scratch_database):
    """Load the demo dump with the mysql client, then compare every value of every row."""
    out_dir, manifest = demo_sources
    dump = out_dir / manifest.source("legacy_owners").file
    with open(dump, "rb") as dump_file:
        subprocess.run(
            ["mysql", f"-h{MYSQL_HOST}", f"-P{MYSQL_PORT}", f"-u{MYSQL_USER}", scratch_database],
            stdin=dump_file,
            check=True,
            timeout=120,
        )
    connection = mysql_connect(scratch_database, conv={})
    cursor = connection.cursor()
    cursor.execute("SELECT * FROM owners ORDER BY owner_id")
    stored = [
        [value.decode("utf-8") if isinstance(value, bytes) else value for value in row]
        for row in cursor.fetchall()
    ]
    connection.close()

    with open_source(dump) as reader:
        items = list(reader)
    read = [list(item.values.values()) for item in items]
    assert len(read) == len(stored) == 1380
    assert read == stored
    # the rare control characters really are in there (so the comparison proved escapes)
    owner_names = [row[1] for row in stored if row[1] is not None]
    street_lines = [row[2] for row in stored if row[2] is not None]
    assert any("\0" in name for name in owner_names)
    assert any("\r\n" in street for street in street_lines)
    assert any("\x1a" in street for street in street_lines)
    assert any("\\" in street for street in street_lines)
    assert any(row[12] == "0000-00-00 00:00:00" for row in stored)
    assert any(row[12] is None for row in stored)


def test_every_demo_source_can_be_resumed_after_a_row(demo_sources):
    out_dir, manifest = demo_sources
    for source in manifest.sources:
        options = {"sheet": source.sheet} if source.sheet else {}
        with open_source(out_dir / source.file, **options) as reader:
            everything = list(reader)
            reader.skip_to(100)
            rest = list(reader)
        assert isinstance(everything[0], SourceRow)
        assert rest == everything[100:], source.name
