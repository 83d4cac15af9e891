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


def parse_mysql_values(s: str, i: int) -> tuple[list[tuple], int]:
    """Parse ``(..),(..);`` starting at ``s[i]``; return the rows and the index after ``;``."""
    rows: list[tuple] = []
    n = len(s)
    while True:
        assert s[i] == "(", s[i : i + 20]
        i += 1
        row: list[object] = []
        while True:
            if s[i] == "'":
                i += 1
                buf = []
                while True:
                    c = s[i]
                    if c == "\\":
                        nxt = s[i + 1]
                        buf.append(_MYSQL_UNESCAPE.get(nxt, nxt))
                        i += 2
                    elif c == "'":
                        i += 1
                        break
                    else:
                        buf.append(c)
                        i += 1
                row.append("".join(buf))
            elif s.startswith("NULL", i):
                row.append(None)
                i += 4
            else:
                j = i
                while s[j] not in ",)":
                    j += 1
                row.append(int(s[i:j]))
                i = j
            if s[i] == ",":
                i += 1
                continue
            assert s[i] == ")"
            i += 1
            break
        rows.append(tuple(row))
        if s[i] == ",":
            i += 1
            continue
        assert s[i] == ";"
        assert i < n
        return rows, i + 1


def read_dump(path: Path) -> tuple[list[tuple], list[int]]:
    """All rows of the dump, and the number of rows of each INSERT statement."""
    rows: list[tuple] = []
    per_insert: list[int] = []
    prefix = "INSERT INTO `owners` VALUES "
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            if line.startswith(prefix):
                batch, end = parse_mysql_values(line, len(prefix))
                assert line[end:] == "\n"  # one statement per physical line
                rows += batch
                per_insert.append(len(batch))
    return rows, per_insert


def read_source(out: Path, manifest: DemoManifest, name: str) -> list[dict]:
    """Records of one source as dicts (column -> value), in file order."""
    src = manifest.source(name)
    path = out / src.file
    if src.format == "mysql_dump":
        rows, _ = read_dump(path)
        return [dict(zip(src.columns, row, strict=True)) for row in rows]
    if src.format == "sqlite":
        con = sqlite3.connect(path)
        try:
            cur = con.execute(f"SELECT * FROM {src.table} ORDER BY rowid")  # noqa: S608
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row, strict=True)) for row in cur]
        finally:
            con.close()
    if src.format == "xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            it = wb[src.sheet].iter_rows(values_only=True)
            header = next(it)
            return [dict(zip(header, row, strict=True)) for row in it]
        finally:
            wb.close()
    text = path.read_bytes().decode(src.encoding)
    if src.quoting == "none":
        lines = text.split(src.line_terminator)
        assert lines[-1] == ""
        header = lines[0].split(src.delimiter)
        return [dict(zip(header, line.split(src.delimiter), strict=True)) for line in lines[1:-1]]
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=src.delimiter)
    return list(reader)


def read_ground_truth(out: Path) -> list[dict]:
    with open(out / "ground_truth.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


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
    assert {p.name for p in out.iterdir()} == ALL_FILES
    assert manifest.rows == ROWS
    assert manifest.seed == SEED
    assert tuple(s.name for s in manifest.sources) == SOURCE_NAMES
    assert manifest.split == {
        "legacy_owners": 1840,
        "legacy_contacts": 1200,
        "campaign_mail_2024": 280,
        "campaign_sms_2025": 240,
        "campaign_calls_2025": 240,
        "lead_list_q3": 200,
    }
    assert sum(s.rows for s in manifest.sources) == ROWS
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
    for t in truth:
        truth_keys[t["source"]].append(t["source_key"])
    assert set(truth_keys) == set(SOURCE_NAMES)
    for src in manifest.sources:
        records = read_source(out, manifest, src.name)
        assert len(records) == src.rows, src.name
        assert list(records[0]) == list(src.columns), src.name
        keys = [str(r[src.key_column]) for r in records]
        assert len(set(keys)) == len(keys), f"duplicate keys in {src.name}"
        # same keys, same order: the ground truth is written in file order
        assert keys == truth_keys[src.name], src.name


def test_every_record_has_exactly_one_ground_truth_line(demo: tuple[Path, DemoManifest]) -> None:
    out, _ = demo
    truth = read_ground_truth(out)
    assert len(truth) == ROWS
    assert len({(t["source"], t["source_key"]) for t in truth}) == ROWS
    assert list(truth[0]) == ["source", "source_key", "entity_id", "household_id"]
    # one household per entity
    hh_of: dict[str, str] = {}
    for t in truth:
        assert hh_of.setdefault(t["entity_id"], t["household_id"]) == t["household_id"]


def test_duplicate_rate_and_where_duplicates_are(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    truth = read_ground_truth(out)
    entities = {t["entity_id"] for t in truth}
    assert len(entities) == manifest.entities == 3520
    rate = (len(truth) - len(entities)) / len(truth)
    assert rate == manifest.duplicate_rate == 0.12
    by_entity = collections.defaultdict(list)
    for t in truth:
        by_entity[t["entity_id"]].append(t["source"])
    across = within = 0
    for sources in by_entity.values():
        for i in range(len(sources)):
            for j in range(i + 1, len(sources)):
                if sources[i] == sources[j]:
                    within += 1
                else:
                    across += 1
    assert within > 50
    assert across > 1.5 * within  # most duplicates are across sources


def test_households(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    truth = read_ground_truth(out)
    members = collections.defaultdict(set)
    for t in truth:
        members[t["household_id"]].add(t["entity_id"])
    multi = [h for h, e in members.items() if len(e) > 1]
    assert len(members) == manifest.households
    assert len(multi) == manifest.multi_person_households
    assert sum(manifest.household_kinds.values()) == manifest.households
    in_multi = sum(len(members[h]) for h in multi)
    assert 0.08 <= in_multi / manifest.entities <= 0.12
    for kind in ("couple", "father_son", "couple_with_junior", "siblings"):
        assert manifest.household_kinds[kind] > 0, kind


def test_father_son_pairs_differ_only_by_suffix_and_middle(tmp_path: Path) -> None:
    manifest = generate_demo_sources(rows=3000, out_dir=tmp_path, seed=SEED, kinds=["sqlite"])
    records = read_source(tmp_path, manifest, "legacy_contacts")
    truth = read_ground_truth(tmp_path)
    by_household = collections.defaultdict(list)
    for rec, t in zip(records, truth, strict=True):
        assert str(rec["id"]) == t["source_key"]
        by_household[t["household_id"]].append((t["entity_id"], rec))

    def norm(s: str | None) -> str:
        return (s or "").strip().lower()

    junior_pairs = 0
    spouse_pairs = 0
    for recs in by_household.values():
        for i, (e1, r1) in enumerate(recs):
            for e2, r2 in recs[i + 1 :]:
                if e1 == e2 or norm(r1["LastName"]) != norm(r2["LastName"]):
                    continue
                s1, s2 = norm(r1["Suffix"]).rstrip("."), norm(r2["Suffix"]).rstrip(".")
                if norm(r1["FirstName"]) == norm(r2["FirstName"]) and s1 and s2 and s1 != s2:
                    junior_pairs += 1
                elif norm(r1["FirstName"]) != norm(r2["FirstName"]):
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
        for rec in read_source(out, manifest, name):
            for col in columns:
                value = rec[col]
                if value is None or value == "":
                    continue
                value = str(value)
                total += 1
                formats.add("".join("9" if ch.isdigit() else ch for ch in value))
                try:
                    ok = phonenumbers.is_valid_number(phonenumbers.parse(value, "US"))
                except phonenumbers.NumberParseException:
                    ok = False
                valid += ok
                if not ok:
                    bad[value] += 1
    assert total > 4000
    assert valid / total >= 0.99
    assert 0.001 <= sum(bad.values()) / total <= 0.01  # the deliberate bad values
    assert set(bad) <= {"N/A", "555-1234", "000-000-0000", "NONE", "999-999-9999", "n/a"} | {
        "123-4567",
        "TBD",
    }
    # digits shown as 9: "(405) 321-1234" -> "(999) 999-9999", "+1 405-..." -> "+9 999-..."
    for fmt in (
        "(999) 999-9999",
        "999.999.9999",
        "+9 999-999-9999",
        "9999999999",
        "9-999-999-9999",
    ):
        assert fmt in formats, fmt
    assert any(" x" in f for f in formats)


def test_noise_in_names_and_addresses() -> None:
    plan = DemoPlan(rows=5000, seed=SEED, kinds=["sqlite"])
    n = nick = typo = plus4 = 0
    street_types = set()
    for _key, eid, _hid, row in plan.records("sqlite"):
        h, i = plan.household_of(eid)
        person = h.members[i]
        first, last, address, zip_code = row[1], row[3], row[5], row[8]
        n += 1
        if first and first.strip().title() in NICKNAMES.get(person.first, ()):
            nick += 1
        clean_last = (last or "").strip().lower()
        if clean_last and clean_last not in person.last.lower() and "'" not in person.last:
            typo += 1
        if zip_code and len(zip_code) == 10 and zip_code[5] == "-":
            plus4 += 1
        if address:
            street_types.update(address.split())
    assert 0.03 <= nick / n <= 0.15
    assert 0.05 <= typo / n <= 0.13
    assert 0.10 <= plus4 / n <= 0.30
    assert {"St", "Street", "Ave", "Avenue", "Dr", "Apt", "Box"} <= street_types


def test_deterministic_bytes_and_seed_sensitivity(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_demo_sources(rows=2000, out_dir=a, seed=7)
    generate_demo_sources(rows=2000, out_dir=b, seed=7)
    generate_demo_sources(rows=2000, out_dir=c, seed=8)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(ALL_FILES)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        assert (a / name).read_bytes() != (c / name).read_bytes(), name


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
    assert any(ch in text for ch in "éáíóúñü")
    assert "\u2019" in text  # curly apostrophe (O\u2019Brien): byte 0x92 in cp1252
    assert b"\x92" in raw
    assert text.count("\r\n") == manifest.source("campaign_sms_2025").rows + 1
    assert "\n" not in text.replace("\r\n", "")
    names = [r["Name"] for r in read_source(out, manifest, "campaign_sms_2025")]
    assert any("," in n for n in names) and any("," not in n for n in names)
    assert any(n.isupper() for n in names)
    assert any(n.startswith(("Mr. ", "Mrs. ", "Ms. ", "Dr. ", "Miss ")) for n in names)


def test_calls_file_has_bom_and_semicolons(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    raw = (out / "campaign_calls_2025.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfRecordID;Owner Name;Phone Number;Mobile;")
    assert not (out / "campaign_mail_2024.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    records = read_source(out, manifest, "campaign_calls_2025")
    for rec in records:
        called = rec["Last Called"]
        assert dt.datetime.fromisoformat(called).year == 2025
        assert "T" in called


def test_mail_csv_quoting_round_trips(tmp_path: Path) -> None:
    out = tmp_path
    manifest = generate_demo_sources(rows=3000, out_dir=out, seed=SEED, kinds=["mail_csv"])
    src = manifest.source("campaign_mail_2024")
    raw = (out / src.file).read_text(encoding="utf-8")
    with open(out / src.file, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
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
    assert len(rows) == src.rows + 1
    assert all(len(r) == 11 for r in rows)
    physical_lines = raw.count("\r\n") + raw.replace("\r\n", "").count("\n")
    assert physical_lines > src.rows + 1  # embedded newlines exist...
    assert sum("\n" in r[3] for r in rows[1:]) >= 10  # ...inside addresses
    assert sum("," in r[3] for r in rows[1:]) >= 100
    assert sum('"' in r[1] for r in rows[1:]) >= 5  # Robert "Bob"
    for r in rows[1:]:
        assert dt.datetime.strptime(r[10], "%m/%d/%Y").year == 2024


def test_xlsx_has_two_sheets_and_real_dates(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    wb = openpyxl.load_workbook(out / "lead_list_q3.xlsx", read_only=True)
    try:
        assert wb.sheetnames == ["Leads", "Notes"]
        rows = list(wb["Leads"].iter_rows(values_only=True))
        notes = list(wb["Notes"].iter_rows(values_only=True))
    finally:
        wb.close()
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
    assert all(isinstance(r[0], int) for r in rows[1:])
    assert all(isinstance(r[10], dt.datetime) for r in rows[1:])
    assert any(isinstance(r[7], int) for r in rows[1:]) and any(
        isinstance(r[7], str) for r in rows[1:]
    )
    assert 1 <= len(notes) <= 10 and all(len(n) == 1 and isinstance(n[0], str) for n in notes)


def test_sqlite_schema(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    con = sqlite3.connect(out / "legacy_contacts.sqlite")
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(contacts)")]
        (count,) = con.execute("SELECT count(*) FROM contacts").fetchone()
        stamps = [r[0] for r in con.execute("SELECT LastModified FROM contacts")]
    finally:
        con.close()
    assert cols == list(manifest.source("legacy_contacts").columns)
    assert count == manifest.source("legacy_contacts").rows
    assert all(dt.datetime.fromisoformat(s) for s in stamps)


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
    n = manifest.source("legacy_owners").rows
    assert len(rows) == n
    assert per_insert == [1000] * (n // 1000) + ([n % 1000] if n % 1000 else [])
    for escape in ("\\'", "\\\\", "\\n", "\\r", "\\0", "\\Z", '\\"'):
        assert escape in text, escape
    assert ",NULL," in text and ",''," in text
    assert "'0000-00-00 00:00:00'" in text


def test_kinds_subset_writes_only_that_file(tmp_path: Path) -> None:
    manifest = generate_demo_sources(rows=1000, out_dir=tmp_path, kinds=["mail_csv"])
    assert {p.name for p in tmp_path.iterdir()} == {
        "campaign_mail_2024.csv",
        "ground_truth.csv",
        "manifest.json",
    }
    assert [s.name for s in manifest.sources] == ["campaign_mail_2024"]
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
    db = f"demo_check_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    # no skip: an unreachable server is a failure
    conn = MySQLdb.connect(
        host="127.0.0.1",
        user="root",
        passwd="",
        charset="utf8mb4",
        client_flag=CLIENT.MULTI_STATEMENTS,
    )
    try:
        conn.query(f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4")
        conn.select_db(db)
        conn.query(sql)  # the whole dump, exactly as written
        while True:
            conn.store_result()
            if conn.next_result() != 0:
                break
        cur = conn.cursor()
        cur.execute("SHOW WARNINGS")
        assert cur.fetchall() == ()
        cur.execute("SELECT COUNT(*) FROM owners")
        assert cur.fetchone()[0] == manifest.source("legacy_owners").rows == rows
        cur.execute(_SELECT_OWNERS)
        loaded = [tuple(r) for r in cur.fetchall()]
    finally:
        try:
            conn.query(f"DROP DATABASE IF EXISTS `{db}`")
        finally:
            conn.close()
    expected = sorted(
        (
            row
            for *_, row in DemoPlan(rows=rows, seed=SEED, kinds=["mysql_dump"]).records(
                "mysql_dump"
            )
        ),
        key=lambda r: r[0],
    )
    assert len(loaded) == len(expected) == rows
    assert loaded == expected  # every value survives escaping, incl. NUL, CR/LF, \, ', ", ^Z
    truth_keys = {t["source_key"] for t in read_ground_truth(tmp_path)}
    assert {str(r[0]) for r in loaded} == truth_keys
