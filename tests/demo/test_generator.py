"""Tests of the seeded demo-data generator (pure Python: no Django, no Django database).

The MariaDB test needs a server on 127.0.0.1 (root, no password) and fails when there is none.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import math
import os
import sqlite3
import uuid
from pathlib import Path

import MySQLdb
import openpyxl
import phonenumbers
import pytest
from MySQLdb.constants import CLIENT

from cmplatform.demo import (
    DEFAULT_SPLIT,
    KINDS,
    DemoManifest,
    DemoPlan,
    generate_demo_sources,
    split_rows,
)
from cmplatform.demo.people import NICKNAMES

ROWS = 4000
SEED = 42
ALL_FILES = {
    "legacy_owners.sql",
    "legacy_contacts.sqlite",
    "campaign_mail_2024.csv",
    "campaign_sms_2025.txt",
    "campaign_calls_2025.csv",
    "lead_list_q3.xlsx",
    "ground_truth.csv",
    "manifest.json",
}
SOURCE_NAMES = (
    "legacy_owners",
    "legacy_contacts",
    "campaign_mail_2024",
    "campaign_sms_2025",
    "campaign_calls_2025",
    "lead_list_q3",
)
PHONE_COLUMNS = {
    "legacy_owners": ("phone_1", "phone_2"),
    "legacy_contacts": ("HomePhone", "CellPhone"),
    "campaign_mail_2024": ("Phone",),
    "campaign_sms_2025": ("Cell",),
    "campaign_calls_2025": ("Phone Number", "Mobile"),
    "lead_list_q3": ("phone",),
}


# ---------------------------------------------------------------------------------------------
# readers (deliberately independent of the generator's writers)

_MYSQL_UNESCAPE = {"0": "\0", "n": "\n", "r": "\r", "Z": "\x1a", "t": "\t", "b": "\b"}


def parse_mysql_values(text: str, position: int) -> tuple[list[tuple], int]:
    """Parse ``(..),(..);`` from ``text[position]``; return the rows and the index after ``;``."""
    rows: list[tuple] = []
    length = len(text)
    while True:
        assert text[position] == "(", text[position : position + 20]
        position += 1
        row: list[object] = []
        while True:
            if text[position] == "'":
                position += 1
                characters = []
                while True:
                    character = text[position]
                    if character == "\\":
                        escaped = text[position + 1]
                        characters.append(_MYSQL_UNESCAPE.get(escaped, escaped))
                        position += 2
                    elif character == "'":
                        position += 1
                        break
                    else:
                        characters.append(character)
                        position += 1
                row.append("".join(characters))
            elif text.startswith("NULL", position):
                row.append(None)
                position += 4
            else:
                end = position
                while text[end] not in ",)":
                    end += 1
                row.append(int(text[position:end]))
                position = end
            if text[position] == ",":
                position += 1
                continue
            assert text[position] == ")"
            position += 1
            break
        rows.append(tuple(row))
        if text[position] == ",":
            position += 1
            continue
        assert text[position] == ";"
        assert position < length
        return rows, position + 1


def read_dump(path: Path) -> tuple[list[tuple], list[int]]:
    """All rows of the dump, and the number of rows of each INSERT statement."""
    rows: list[tuple] = []
    per_insert: list[int] = []
    prefix = "INSERT INTO `owners` VALUES "
    with open(path, encoding="utf-8", newline="") as dump_file:
        for line in dump_file:
            if line.startswith(prefix):
                batch, end = parse_mysql_values(line, len(prefix))
                assert line[end:] == "\n"  # one statement per physical line
                rows += batch
                per_insert.append(len(batch))
    return rows, per_insert


def read_source(out: Path, manifest: DemoManifest, name: str) -> list[dict]:
    """Records of one source as dicts (column -> value), in file order."""
    source = manifest.source(name)
    path = out / source.file
    if source.format == "mysql_dump":
        rows, _ = read_dump(path)
        return [dict(zip(source.columns, row, strict=True)) for row in rows]
    if source.format == "sqlite":
        connection = sqlite3.connect(path)
        try:
            cursor = connection.execute(f"SELECT * FROM {source.table} ORDER BY rowid")  # noqa: S608
            columns = [description[0] for description in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor]
        finally:
            connection.close()
    if source.format == "xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            sheet_rows = workbook[source.sheet].iter_rows(values_only=True)
            header = next(sheet_rows)
            return [dict(zip(header, row, strict=True)) for row in sheet_rows]
        finally:
            workbook.close()
    text = path.read_bytes().decode(source.encoding)
    if source.quoting == "none":
        lines = text.split(source.line_terminator)
        assert lines[-1] == ""
        header = lines[0].split(source.delimiter)
        return [
            dict(zip(header, line.split(source.delimiter), strict=True)) for line in lines[1:-1]
        ]
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=source.delimiter)
    return list(reader)


def read_ground_truth(out: Path) -> list[dict]:
    """The ground-truth lines as dicts, in file order."""
    with open(out / "ground_truth.csv", encoding="utf-8", newline="") as truth_file:
        return list(csv.DictReader(truth_file))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("demo")
    calls: list[int] = []
    manifest = generate_demo_sources(rows=ROWS, out_dir=out, seed=SEED, progress=calls.append)
    assert calls == [ROWS]
    return out, manifest


def test_progress_reports_increments(tmp_path: Path) -> None:
    calls: list[int] = []
    generate_demo_sources(rows=25_001, out_dir=tmp_path, kinds=["mail_csv"], progress=calls.append)
    assert calls == [10_000, 10_000, 5_001]


# ---------------------------------------------------------------------------------------------
# counts, keys, ground truth


def test_split_is_exact_and_documented() -> None:
    assert split_rows(1_000_000, KINDS) == {
        "mysql_dump": 460_000,
        "sqlite": 300_000,
        "mail_csv": 70_000,
        "sms_tsv": 60_000,
        "call_csv": 60_000,
        "xlsx": 50_000,
    }
    assert math.isclose(sum(DEFAULT_SPLIT.values()), 1.0)
    assert split_rows(7, ("mail_csv", "xlsx")) == {"mail_csv": 4, "xlsx": 3}
    assert sum(split_rows(12_345, KINDS).values()) == 12_345


def test_files_and_manifest(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    assert {path.name for path in out.iterdir()} == ALL_FILES
    assert manifest.rows == ROWS
    assert manifest.seed == SEED
    assert tuple(source.name for source in manifest.sources) == SOURCE_NAMES
    assert manifest.split == {
        "legacy_owners": 1840,
        "legacy_contacts": 1200,
        "campaign_mail_2024": 280,
        "campaign_sms_2025": 240,
        "campaign_calls_2025": 240,
        "lead_list_q3": 200,
    }
    assert sum(source.rows for source in manifest.sources) == ROWS
    on_disk = DemoManifest.load(out / "manifest.json")
    assert on_disk == manifest
    assert manifest.source("campaign_sms_2025").encoding == "cp1252"
    assert manifest.source("campaign_sms_2025").delimiter == "\t"
    assert manifest.source("campaign_calls_2025").delimiter == ";"
    assert manifest.source("campaign_calls_2025").bom is True
    assert manifest.source("legacy_owners").table == "owners"
    assert manifest.source("legacy_contacts").table == "contacts"
    assert manifest.source("lead_list_q3").sheet == "Leads"
    assert manifest.source("legacy_owners").key_column == "owner_id"
    assert manifest.source("campaign_calls_2025").key_column == "RecordID"


def test_row_counts_and_keys_match_ground_truth(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    truth = read_ground_truth(out)
    truth_keys = collections.defaultdict(list)
    for line in truth:
        truth_keys[line["source"]].append(line["source_key"])
    assert set(truth_keys) == set(SOURCE_NAMES)
    for source in manifest.sources:
        records = read_source(out, manifest, source.name)
        assert len(records) == source.rows, source.name
        assert list(records[0]) == list(source.columns), source.name
        keys = [str(record[source.key_column]) for record in records]
        assert len(set(keys)) == len(keys), f"duplicate keys in {source.name}"
        # same keys, same order: the ground truth is written in file order
        assert keys == truth_keys[source.name], source.name


def test_every_record_has_exactly_one_ground_truth_line(demo: tuple[Path, DemoManifest]) -> None:
    out, _ = demo
    truth = read_ground_truth(out)
    assert len(truth) == ROWS
    assert len({(line["source"], line["source_key"]) for line in truth}) == ROWS
    assert list(truth[0]) == ["source", "source_key", "entity_id", "household_id"]
    # one household per entity
    household_of: dict[str, str] = {}
    for line in truth:
        household_id = household_of.setdefault(line["entity_id"], line["household_id"])
        assert household_id == line["household_id"]


def test_duplicate_rate_and_where_duplicates_are(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    truth = read_ground_truth(out)
    entities = {line["entity_id"] for line in truth}
    assert len(entities) == manifest.entities == 3520
    rate = (len(truth) - len(entities)) / len(truth)
    assert rate == manifest.duplicate_rate == 0.12
    by_entity = collections.defaultdict(list)
    for line in truth:
        by_entity[line["entity_id"]].append(line["source"])
    across = within = 0
    for sources in by_entity.values():
        for first in range(len(sources)):
            for second in range(first + 1, len(sources)):
                if sources[first] == sources[second]:
                    within += 1
                else:
                    across += 1
    assert within > 50
    assert across > 1.5 * within  # most duplicates are across sources


def test_households(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    truth = read_ground_truth(out)
    members = collections.defaultdict(set)
    for line in truth:
        members[line["household_id"]].add(line["entity_id"])
    multi_person = [household for household, entities in members.items() if len(entities) > 1]
    assert len(members) == manifest.households
    assert len(multi_person) == manifest.multi_person_households
    assert sum(manifest.household_kinds.values()) == manifest.households
    in_multi_person = sum(len(members[household]) for household in multi_person)
    assert 0.08 <= in_multi_person / manifest.entities <= 0.12
    for kind in ("couple", "father_son", "couple_with_junior", "siblings"):
        assert manifest.household_kinds[kind] > 0, kind


def test_father_son_pairs_differ_only_by_suffix_and_middle(tmp_path: Path) -> None:
    manifest = generate_demo_sources(rows=3000, out_dir=tmp_path, seed=SEED, kinds=["sqlite"])
    records = read_source(tmp_path, manifest, "legacy_contacts")
    truth = read_ground_truth(tmp_path)
    by_household = collections.defaultdict(list)
    for record, line in zip(records, truth, strict=True):
        assert str(record["id"]) == line["source_key"]
        by_household[line["household_id"]].append((line["entity_id"], record))

    def normalised(value: str | None) -> str:
        return (value or "").strip().lower()

    junior_pairs = 0
    spouse_pairs = 0
    for household_records in by_household.values():
        for index, (entity_a, record_a) in enumerate(household_records):
            for entity_b, record_b in household_records[index + 1 :]:
                if entity_a == entity_b or normalised(record_a["LastName"]) != normalised(
                    record_b["LastName"]
                ):
                    continue
                suffix_a = normalised(record_a["Suffix"]).rstrip(".")
                suffix_b = normalised(record_b["Suffix"]).rstrip(".")
                same_first = normalised(record_a["FirstName"]) == normalised(record_b["FirstName"])
                if same_first and suffix_a and suffix_b and suffix_a != suffix_b:
                    junior_pairs += 1
                elif not same_first:
                    spouse_pairs += 1
    assert junior_pairs >= 5
    assert spouse_pairs >= 50


# ---------------------------------------------------------------------------------------------
# field-level realism


def test_phones_are_valid_us_numbers(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    valid = total = 0
    bad: collections.Counter[str] = collections.Counter()
    formats = set()
    for name, columns in PHONE_COLUMNS.items():
        for record in read_source(out, manifest, name):
            for column in columns:
                value = record[column]
                if value is None or value == "":
                    continue
                value = str(value)
                total += 1
                formats.add("".join("9" if char.isdigit() else char for char in value))
                try:
                    is_valid = phonenumbers.is_valid_number(phonenumbers.parse(value, "US"))
                except phonenumbers.NumberParseException:
                    is_valid = False
                valid += is_valid
                if not is_valid:
                    bad[value] += 1
    assert total > 4000
    assert valid / total >= 0.99
    assert 0.001 <= sum(bad.values()) / total <= 0.01  # the deliberate bad values
    assert set(bad) <= {"N/A", "555-1234", "000-000-0000", "NONE", "999-999-9999", "n/a"} | {
        "123-4567",
        "TBD",
    }
    # digits shown as 9: "(405) 321-1234" -> "(999) 999-9999", "+1 405-..." -> "+9 999-..."
    for phone_format in (
        "(999) 999-9999",
        "999.999.9999",
        "+9 999-999-9999",
        "9999999999",
        "9-999-999-9999",
    ):
        assert phone_format in formats, phone_format
    assert any(" x" in phone_format for phone_format in formats)


def test_noise_in_names_and_addresses() -> None:
    plan = DemoPlan(rows=5000, seed=SEED, kinds=["sqlite"])
    record_count = nicknames = typos = plus4 = 0
    street_types = set()
    for _key, entity_id, _household_id, row in plan.records("sqlite"):
        household, member_index = plan.household_of(entity_id)
        person = household.members[member_index]
        first, last, address, zip_code = row[1], row[3], row[5], row[8]
        record_count += 1
        if first and first.strip().title() in NICKNAMES.get(person.first, ()):
            nicknames += 1
        clean_last = (last or "").strip().lower()
        if clean_last and clean_last not in person.last.lower() and "'" not in person.last:
            typos += 1
        if zip_code and len(zip_code) == 10 and zip_code[5] == "-":
            plus4 += 1
        if address:
            street_types.update(address.split())
    assert 0.03 <= nicknames / record_count <= 0.15
    assert 0.05 <= typos / record_count <= 0.13
    assert 0.10 <= plus4 / record_count <= 0.30
    assert {"St", "Street", "Ave", "Avenue", "Dr", "Apt", "Box"} <= street_types


def test_deterministic_bytes_and_seed_sensitivity(tmp_path: Path) -> None:
    first_run, second_run, other_seed = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_demo_sources(rows=2000, out_dir=first_run, seed=7)
    generate_demo_sources(rows=2000, out_dir=second_run, seed=7)
    generate_demo_sources(rows=2000, out_dir=other_seed, seed=8)
    names = sorted(path.name for path in first_run.iterdir())
    assert names == sorted(ALL_FILES)
    for name in names:
        first_bytes = (first_run / name).read_bytes()
        assert first_bytes == (second_run / name).read_bytes(), name
        assert first_bytes != (other_seed / name).read_bytes(), name


# ---------------------------------------------------------------------------------------------
# file formats


def test_sms_file_is_cp1252_not_utf8(tmp_path: Path) -> None:
    out = tmp_path
    manifest = generate_demo_sources(rows=3000, out_dir=out, seed=SEED, kinds=["sms_tsv"])
    raw = (out / "campaign_sms_2025.txt").read_bytes()
    text = raw.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert text.startswith("record_id\tName\tCell\tAddress\tCity\tSt\tZip\tTexted\r\n")
    assert any(char in text for char in "éáíóúñü")
    assert "\u2019" in text  # curly apostrophe (O\u2019Brien): byte 0x92 in cp1252
    assert b"\x92" in raw
    assert text.count("\r\n") == manifest.source("campaign_sms_2025").rows + 1
    assert "\n" not in text.replace("\r\n", "")
    names = [record["Name"] for record in read_source(out, manifest, "campaign_sms_2025")]
    assert any("," in name for name in names) and any("," not in name for name in names)
    assert any(name.isupper() for name in names)
    assert any(name.startswith(("Mr. ", "Mrs. ", "Ms. ", "Dr. ", "Miss ")) for name in names)


def test_calls_file_has_bom_and_semicolons(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    raw = (out / "campaign_calls_2025.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfRecordID;Owner Name;Phone Number;Mobile;")
    assert not (out / "campaign_mail_2024.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    records = read_source(out, manifest, "campaign_calls_2025")
    for record in records:
        called = record["Last Called"]
        assert dt.datetime.fromisoformat(called).year == 2025
        assert "T" in called


def test_mail_csv_quoting_round_trips(tmp_path: Path) -> None:
    out = tmp_path
    manifest = generate_demo_sources(rows=3000, out_dir=out, seed=SEED, kinds=["mail_csv"])
    source = manifest.source("campaign_mail_2024")
    raw = (out / source.file).read_text(encoding="utf-8")
    with open(out / source.file, encoding="utf-8", newline="") as mail_file:
        rows = list(csv.reader(mail_file))
    assert rows[0] == [
        "record_id",
        "First Name",
        "Last Name",
        "Mailing Address",
        "City",
        "State",
        "ZIP",
        "County",
        "Phone",
        "Email",
        "Mailed On",
    ]
    assert len(rows) == source.rows + 1
    assert all(len(row) == 11 for row in rows)
    physical_lines = raw.count("\r\n") + raw.replace("\r\n", "").count("\n")
    assert physical_lines > source.rows + 1  # embedded newlines exist...
    assert sum("\n" in row[3] for row in rows[1:]) >= 10  # ...inside addresses
    assert sum("," in row[3] for row in rows[1:]) >= 100
    assert sum('"' in row[1] for row in rows[1:]) >= 5  # Robert "Bob"
    for row in rows[1:]:
        assert dt.datetime.strptime(row[10], "%m/%d/%Y").year == 2024


def test_xlsx_has_two_sheets_and_real_dates(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    workbook = openpyxl.load_workbook(out / "lead_list_q3.xlsx", read_only=True)
    try:
        assert workbook.sheetnames == ["Leads", "Notes"]
        rows = list(workbook["Leads"].iter_rows(values_only=True))
        notes = list(workbook["Notes"].iter_rows(values_only=True))
    finally:
        workbook.close()
    assert rows[0] == (
        "record_id",
        "first_name",
        "last_name",
        "suffix",
        "address",
        "city",
        "state",
        "zip",
        "phone",
        "email",
        "source_date",
    )
    assert len(rows) == manifest.source("lead_list_q3").rows + 1
    assert all(isinstance(row[0], int) for row in rows[1:])
    assert all(isinstance(row[10], dt.datetime) for row in rows[1:])
    assert any(isinstance(row[7], int) for row in rows[1:]) and any(
        isinstance(row[7], str) for row in rows[1:]
    )
    assert 1 <= len(notes) <= 10
    assert all(len(note) == 1 and isinstance(note[0], str) for note in notes)


def test_sqlite_schema(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    connection = sqlite3.connect(out / "legacy_contacts.sqlite")
    try:
        columns = [info[1] for info in connection.execute("PRAGMA table_info(contacts)")]
        (count,) = connection.execute("SELECT count(*) FROM contacts").fetchone()
        stamps = [row[0] for row in connection.execute("SELECT LastModified FROM contacts")]
    finally:
        connection.close()
    assert columns == list(manifest.source("legacy_contacts").columns)
    assert count == manifest.source("legacy_contacts").rows
    assert all(dt.datetime.fromisoformat(stamp) for stamp in stamps)


def test_mysql_dump_layout(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    text = (out / "legacy_owners.sql").read_text(encoding="utf-8")
    assert text.startswith("-- MySQL dump ")
    assert "/*!40101 SET NAMES utf8mb4 */;" in text
    assert "DROP TABLE IF EXISTS `owners`;" in text
    assert "CREATE TABLE `owners` (" in text
    assert ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;" in text
    assert text.index("LOCK TABLES `owners` WRITE;") < text.index("INSERT INTO `owners` VALUES (")
    assert text.index("UNLOCK TABLES;") > text.rindex("INSERT INTO `owners` VALUES (")
    rows, per_insert = read_dump(out / "legacy_owners.sql")
    row_count = manifest.source("legacy_owners").rows
    assert len(rows) == row_count
    full_inserts = [1000] * (row_count // 1000)
    assert per_insert == full_inserts + ([row_count % 1000] if row_count % 1000 else [])
    for escape in ("\\'", "\\\\", "\\n", "\\r", "\\0", "\\Z", '\\"'):
        assert escape in text, escape
    assert ",NULL," in text and ",''," in text
    assert "'0000-00-00 00:00:00'" in text


def test_kinds_subset_writes_only_that_file(tmp_path: Path) -> None:
    manifest = generate_demo_sources(rows=1000, out_dir=tmp_path, kinds=["mail_csv"])
    assert {path.name for path in tmp_path.iterdir()} == {
        "campaign_mail_2024.csv",
        "ground_truth.csv",
        "manifest.json",
    }
    assert [source.name for source in manifest.sources] == ["campaign_mail_2024"]
    assert manifest.source("mail_csv").rows == 1000
    assert manifest.entities == 880
    records = read_source(tmp_path, manifest, "campaign_mail_2024")
    assert len(records) == 1000
    assert len(read_ground_truth(tmp_path)) == 1000


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_demo_sources(rows=10, out_dir=tmp_path, kinds=["csv"])
    with pytest.raises(ValueError):
        generate_demo_sources(rows=-1, out_dir=tmp_path)


# ---------------------------------------------------------------------------------------------
# the dump loads into a real MariaDB, unchanged

_SELECT_OWNERS = (
    "SELECT owner_id, owner_name, mail_addr1, mail_city, mail_state, mail_zip, county, phone_1, "
    "phone_2, email, lead_status, CAST(created_at AS CHAR), CAST(updated_at AS CHAR) "
    "FROM owners ORDER BY owner_id"
)


def test_mysql_dump_loads_into_mariadb(tmp_path: Path) -> None:
    rows = 3000
    manifest = generate_demo_sources(rows=rows, out_dir=tmp_path, seed=SEED, kinds=["mysql_dump"])
    sql = (tmp_path / "legacy_owners.sql").read_text(encoding="utf-8")
    database = f"demo_check_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    # no skip: an unreachable server is a failure
    connection = MySQLdb.connect(
        host="127.0.0.1",
        user="root",
        passwd="",
        charset="utf8mb4",
        client_flag=CLIENT.MULTI_STATEMENTS,
    )
    try:
        connection.query(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
        connection.select_db(database)
        connection.query(sql)  # the whole dump, exactly as written
        while True:
            connection.store_result()
            if connection.next_result() != 0:
                break
        cursor = connection.cursor()
        cursor.execute("SHOW WARNINGS")
        assert cursor.fetchall() == ()
        cursor.execute("SELECT COUNT(*) FROM owners")
        assert cursor.fetchone()[0] == manifest.source("legacy_owners").rows == rows
        cursor.execute(_SELECT_OWNERS)
        loaded = [tuple(row) for row in cursor.fetchall()]
    finally:
        try:
            connection.query(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            connection.close()
    plan = DemoPlan(rows=rows, seed=SEED, kinds=["mysql_dump"])
    expected = sorted((row for *_, row in plan.records("mysql_dump")), key=lambda row: row[0])
    assert len(loaded) == len(expected) == rows
    assert loaded == expected  # every value survives escaping, incl. NUL, CR/LF, \, ', ", ^Z
    truth_keys = {line["source_key"] for line in read_ground_truth(tmp_path)}
    assert {str(row[0]) for row in loaded} == truth_keys
