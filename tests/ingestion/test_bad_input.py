"""Broken and hostile inputs through ``import_file`` → ``import_run``: each ends with a clear
message and the right status, leaves what earlier imports committed as it was, and accounts
for every row it could read (this module runs in both passes: SQLite and MariaDB)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from cmplatform.core.models import EmailAddress, Person, PhoneNumber
from ingestion.landing import landing_storage
from ingestion.models import ImportBatch, ImportChunk, ImportRowError, RecordVersion, SourceRecord
from ingestion.services import ImportRequest, import_database, import_file, import_run
from tests.ingestion.conftest import (
    MYSQL_HOST,
    MYSQL_PORT,
    MYSQL_USER,
    mysql_connect,
    mysql_url,
)
from tests.ingestion.test_sources_spreadsheet import BILLION_LAUGHS, inline, sheet_xml, write_xlsx

pytestmark = pytest.mark.django_db

Status = ImportBatch.Status
HEADER = "id,first_name,last_name,email"
GOOD_CSV = (
    "id,first_name,last_name,email,phone\r\n"
    "1,Ann,Archer,ann.archer@example.com,(405) 235-7001\r\n"
    "2,Bill,Baker,bill.baker@example.com,(405) 235-7002\r\n"
    "3,Cora,Cole,cora.cole@example.com,\r\n"
)


def write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def run_file(path: Path, **request: Any) -> ImportBatch:
    """Land ``path``, create its import and run it in process. A batch that failed on creation
    is run too, as a task or a second click would: that must leave it exactly as it was."""
    created = import_file(path, request=ImportRequest(**request))
    batch = import_run(created.pk, workers=0)
    if created.status == Status.FAILED:
        assert (batch.status, batch.message) == (Status.FAILED, created.message)
    return batch


def state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row an import writes, in id order (timestamps included: touching one shows)."""
    return {
        "persons": list(
            Person.objects.order_by("id").values_list(
                "id", "first_name", "last_name", "lead_status", "source", "updated_at"
            )
        ),
        "emails": list(
            EmailAddress.objects.order_by("id").values_list(
                "id", "person_id", "email", "is_primary", "updated_at"
            )
        ),
        "phones": list(
            PhoneNumber.objects.order_by("id").values_list(
                "id", "person_id", "raw", "e164", "updated_at"
            )
        ),
        "source_records": list(
            SourceRecord.objects.order_by("id").values_list(
                "id", "source", "source_key", "person_id", "checksum", "last_batch_id", "last_row"
            )
        ),
        "lineage": list(
            RecordVersion.objects.order_by("id").values_list(
                "id", "batch_id", "row_number", "person_id", "outcome", "values"
            )
        ),
        "chunks": list(
            ImportChunk.objects.order_by("id").values_list(
                "id", "batch_id", "first_row", "last_row", "rows_read", "inserted"
            )
        ),
        "row_errors": list(
            ImportRowError.objects.order_by("id").values_list("id", "batch_id", "row_number", "raw")
        ),
    }


def assert_kept(before: dict[str, list[tuple[Any, ...]]]) -> None:
    """What ``before`` holds is still there, unchanged (later imports may only add rows)."""
    after = state()
    for table, rows in before.items():
        assert after[table][: len(rows)] == rows, table


def assert_accounted(batch: ImportBatch) -> None:
    """rows read = the outcomes, and each row read is in the lineage or the row errors once."""
    batch.refresh_from_db()
    assert batch.rows_read == (
        batch.inserted + batch.updated + batch.unchanged + batch.duplicates + batch.errors
    )
    accepted = list(RecordVersion.objects.filter(batch_id=batch.pk).values_list("row_number"))
    rejected = list(ImportRowError.objects.filter(batch_id=batch.pk).values_list("row_number"))
    assert len(rejected) == batch.errors
    assert sorted(number for (number,) in accepted + rejected) == list(
        range(1, batch.rows_read + 1)
    )
    assert batch.last_row == batch.rows_read


def errors_csv(batch: ImportBatch) -> list[list[str]]:
    with landing_storage().open(batch.reports["errors"], "rb") as handle:
        return list(csv.reader(io.StringIO(handle.read().decode("utf-8"))))


def lineage_values(batch: ImportBatch) -> list[dict[str, Any]]:
    return [
        json.loads(values)
        for values in RecordVersion.objects.filter(batch_id=batch.pk)
        .order_by("row_number")
        .values_list("values", flat=True)
    ]


@pytest.fixture
def committed(tmp_path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """A good file imported first; its state, which no later bad import may change."""
    batch = run_file(write(tmp_path / "good.csv", GOOD_CSV))
    assert (batch.status, batch.inserted) == (Status.COMPLETE, 3)
    before = state()
    sizes = {table: len(rows) for table, rows in before.items()}
    assert sizes == {
        "persons": 3,
        "emails": 3,
        "phones": 2,
        "source_records": 3,
        "lineage": 3,
        "chunks": 1,
        "row_errors": 0,
    }
    return before


def assert_failed_on_creation(batch: ImportBatch, phrase: str, before: dict) -> None:
    """Refused before any row was read: FAILED, nothing written, and it says why."""
    assert batch.status == Status.FAILED
    assert phrase in batch.message
    assert (batch.rows_read, batch.chunks_done, batch.last_row) == (0, 0, 0)
    assert batch.checklist["file_readable"] is False
    assert batch.checklist["overall_status"] == Status.FAILED
    assert errors_csv(batch) == [
        ["row_number", "error_type", "field_name", "field_value", "error_message"]
    ]
    assert_accounted(batch)
    assert state() == before


# -- files that cannot be read at all --------------------------------------------------------


def test_an_empty_file_fails_saying_there_is_nothing_to_import(tmp_path, committed):
    batch = run_file(write(tmp_path / "leads.csv", b""))
    assert_failed_on_creation(batch, "is empty (0 bytes): there is nothing to import", committed)
    assert batch.message.startswith("leads.csv")
    assert "produce the file again" in batch.message


def test_binary_garbage_fails_as_not_a_data_file(tmp_path, committed):
    garbage = random.Random(20261123).randbytes(64 * 1024)
    batch = run_file(write(tmp_path / "leads.csv", garbage))
    assert_failed_on_creation(batch, "is not a data file: it is binary, not text", committed)
    assert "Export the data as CSV, XLSX" in batch.message


def test_a_renamed_executable_fails_as_an_executable(tmp_path, committed):
    renamed = shutil.copyfile("/bin/ls", tmp_path / "leads.csv")
    batch = run_file(renamed)
    assert_failed_on_creation(
        batch, "is not a data file: it looks like a Linux executable (ELF)", committed
    )
    assert "renaming a file does not change what it is" in batch.message


def zip_bomb_xlsx(path: Path) -> Path:
    """A valid workbook with a second sheet part of 100 MiB of blanks (~1000:1)."""
    write_xlsx(path, {"Data": sheet_xml(f'<row r="1">{inline("A1", "id")}</row>')})
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet9.xml", "w", force_zip64=True) as member,
    ):
        block = b" " * (1 << 20)
        for _ in range(100):
            member.write(block)
    return path


def zip_bomb_csv(path: Path) -> Path:
    """A zipped CSV whose one member is a header and 100 MiB of blank lines."""
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("leads.csv", "w", force_zip64=True) as member,
    ):
        member.write(f"{HEADER}\n".encode())
        block = b"\n" * (1 << 20)
        for _ in range(100):
            member.write(block)
    return path


@pytest.mark.parametrize(
    ("name", "build", "member"),
    [
        ("bomb.xlsx", zip_bomb_xlsx, "xl/worksheets/sheet9.xml"),
        ("bomb.zip", zip_bomb_csv, "leads.csv"),
    ],
)
def test_a_zip_bomb_is_refused(tmp_path, committed, name, build, member):
    batch = run_file(build(tmp_path / name))
    assert_failed_on_creation(
        batch, f"looks like a zip bomb: its member '{member}' expands", committed
    )
    assert batch.message.startswith(name)
    assert "refused (limit 200:1" in batch.message


def test_billion_laughs_inside_an_xlsx_is_refused(tmp_path, committed):
    xml = sheet_xml(
        f'<row r="1">{inline("A1", "first_name")}{inline("B1", "email")}</row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c>'
        f"{inline('B2', 'lol@example.com')}</row>",
        prolog=BILLION_LAUGHS,
    )
    batch = run_file(write_xlsx(tmp_path / "laughs.xlsx", {"Data": xml}))
    assert_failed_on_creation(
        batch, "its part xl/worksheets/sheet1.xml declares a DOCTYPE", committed
    )


# -- files that are read, with the bad parts accounted ---------------------------------------


def test_a_header_only_file_completes_saying_it_has_no_data_rows(tmp_path, committed):
    batch = run_file(write(tmp_path / "leads.csv", f"{HEADER}\r\n\r\n"))
    assert batch.status == Status.COMPLETE
    assert batch.message == "The file has a header but no data rows: nothing was imported."
    assert batch.schema["columns"] == ["id", "first_name", "last_name", "email"]
    assert (batch.rows_read, batch.chunks_done) == (0, 0)
    assert batch.checklist["file_readable"] is True
    assert batch.checklist["rows_read"] == 0
    assert_accounted(batch)
    assert state() == committed


def test_a_cp1252_file_is_decoded_not_lost(tmp_path, committed):
    text = (
        "id,first_name,last_name,email,notes\r\n"
        "10,Renée,Lefèvre,renee@example.com,café \u2013 5 €\r\n"
        "11,José,O\u2019Brien,jose@example.com,\u201cquoted\u201d\r\n"
    )
    batch = run_file(write(tmp_path / "leads.csv", text.encode("cp1252")))
    assert batch.status == Status.COMPLETE
    assert batch.schema["detected"]["encoding"] == "cp1252"
    assert (batch.inserted, batch.errors) == (2, 0)
    assert lineage_values(batch) == [
        {
            "id": "10",
            "first_name": "Renée",
            "last_name": "Lefèvre",
            "email": "renee@example.com",
            "notes": "café \u2013 5 €",
        },
        {
            "id": "11",
            "first_name": "José",
            "last_name": "O\u2019Brien",
            "email": "jose@example.com",
            "notes": "\u201cquoted\u201d",
        },
    ]
    new_people = Person.objects.filter(source=batch.source).order_by("id")
    assert [person.first_name for person in new_people] == ["Renée", "José"]
    assert_accounted(batch)
    assert_kept(committed)


def test_a_sheet_with_two_to_the_twentieth_blank_rows_imports_its_data_rows(tmp_path, committed):
    last = 2**20
    # rows Excel keeps for formatting: empty, or styled cells holding nothing / a blank
    styled = range(last - 10_000, last)
    blank_rows = "".join(f'<row r="{row}"/>' for row in range(3, styled.start))
    styled_rows = "".join(
        f'<row r="{row}"><c r="A{row}" s="1"/>{inline(f"B{row}", " ")}</row>' for row in styled
    )
    header = "".join(
        inline(f"{column}1", name) for column, name in zip("ABCD", HEADER.split(","), strict=True)
    )
    xml = sheet_xml(
        f'<row r="1">{header}</row>'
        f'<row r="2"><c r="A2"><v>21</v></c>{inline("B2", "Fay")}{inline("C2", "First")}'
        f"{inline('D2', 'fay@example.com')}</row>"
        f"{blank_rows}{styled_rows}"
        f'<row r="{last}"><c r="A{last}"><v>22</v></c>{inline(f"B{last}", "Lou")}'
        f"{inline(f'C{last}', 'Last')}{inline(f'D{last}', 'lou@example.com')}</row>"
    )
    batch = run_file(write_xlsx(tmp_path / "formatted.xlsx", {"Data": xml}))
    assert batch.status == Status.COMPLETE
    assert (batch.rows_read, batch.inserted, batch.errors) == (2, 2, 0)
    assert [(v["id"], v["first_name"], v["email"]) for v in lineage_values(batch)] == [
        ("21", "Fay", "fay@example.com"),
        ("22", "Lou", "lou@example.com"),
    ]
    assert list(ImportChunk.objects.filter(batch=batch).values_list("first_row", "last_row")) == [
        (1, 2)
    ]
    assert_accounted(batch)
    assert_kept(committed)


def test_nul_bytes_inside_csv_fields_are_kept_in_the_lineage(tmp_path, committed):
    # ordinary rows around them: NUL bytes above 1 % of the first 64 KiB read as binary
    filler = b"".join(
        b"%d,Ned,Null,ned%d@example.com,fine\r\n" % (key, key) for key in range(32, 52)
    )
    data = (
        b"id,first_name,last_name,email,notes\r\n"
        b"30,Jo\x00hn,Null,john.null@example.com,a\x00b\r\n"
        b'31,Mary,Null,mary.null@example.com,"one\x00, two"\r\n' + filler
    )
    batch = run_file(write(tmp_path / "nul.csv", data))
    assert batch.status == Status.COMPLETE
    assert (batch.rows_read, batch.inserted, batch.errors) == (22, 22, 0)
    assert [(v["first_name"], v["notes"]) for v in lineage_values(batch)[:3]] == [
        ("Jo\x00hn", "a\x00b"),
        ("Mary", "one\x00, two"),
        ("Ned", "fine"),
    ]
    # the name normaliser reads the NUL as a separator; no NUL reaches the person
    assert list(
        Person.objects.filter(source=batch.source).order_by("id").values_list("first_name")[:2]
    ) == [("Jo Hn",), ("Mary",)]
    assert_accounted(batch)
    assert_kept(committed)


def test_a_ten_thousand_character_field_rejects_its_row_or_travels_in_the_lineage(
    tmp_path, committed
):
    long_name = "A" * 10_000
    long_note = "n" * 10_000
    text = (
        "id,first_name,last_name,email,notes\r\n"
        f"40,{long_name},Long,long.name@example.com,short\r\n"
        f"41,Nora,Note,nora.note@example.com,{long_note}\r\n"
    )
    batch = run_file(write(tmp_path / "long.csv", text))
    assert batch.status == Status.COMPLETE_WITH_ERRORS
    assert (batch.rows_read, batch.inserted, batch.errors) == (2, 1, 1)
    # a name column holds 100 characters: the row is rejected verbatim, not truncated
    error = ImportRowError.objects.get(batch_id=batch.pk)
    assert (error.row_number, error.error_type, error.field_name) == (
        1,
        "value_too_long",
        "first_name",
    )
    assert error.field_value == "A" + "a" * 9_999  # the name as normalised
    assert error.message == "The first name has 10000 characters; at most 100 are kept."
    assert json.loads(error.raw)["first_name"] == long_name
    assert errors_csv(batch)[1] == [
        "1",
        "value_too_long",
        "first_name",
        "A" + "a" * 9_999,
        "The first name has 10000 characters; at most 100 are kept.",
    ]
    # an unmapped column has no length limit: the value travels whole in the lineage
    assert lineage_values(batch) == [
        {
            "id": "41",
            "first_name": "Nora",
            "last_name": "Note",
            "email": "nora.note@example.com",
            "notes": long_note,
        }
    ]
    assert_accounted(batch)
    assert_kept(committed)


def test_an_over_long_record_key_rejects_its_row_instead_of_failing_the_chunk(tmp_path, committed):
    # Regression: a key longer than touchpoints.external_id (128) or source_key (191) made the
    # bulk load raise ValueError out of import_run and left the import RUNNING.
    keys = ["k" * 129, "9" * 10_000, "k" * 128]
    text = "id,first_name,last_name,email,mailed_on\r\n" + "".join(
        f"{key},Kim,Key{position},kim{position}@example.com,2024-01-0{position}\r\n"
        for position, key in enumerate(keys, start=1)
    )
    batch = run_file(write(tmp_path / "keys.csv", text), channel="mail")
    assert batch.status == Status.COMPLETE_WITH_ERRORS
    assert (batch.rows_read, batch.inserted, batch.errors) == (3, 1, 2)
    assert list(
        ImportRowError.objects.filter(batch_id=batch.pk)
        .order_by("row_number")
        .values_list("row_number", "error_type", "field_name", "message")
    ) == [
        (
            1,
            "value_too_long",
            "source_key",
            "The source key has 129 characters; at most 128 are kept.",
        ),
        (
            2,
            "value_too_long",
            "source_key",
            "The source key has 10000 characters; at most 128 are kept.",
        ),
    ]
    assert list(SourceRecord.objects.filter(source=batch.source).values_list("source_key")) == [
        ("k" * 128,)
    ]
    assert_accounted(batch)
    assert_kept(committed)


FORMULAS = ('=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)")


def test_formula_like_values_are_stored_verbatim(tmp_path, committed):
    rows = [
        ("50", "Ann", "+1", "ann.formula@example.com", FORMULAS[0], FORMULAS[3]),
        ("51", "Bob", "-2", "bob.formula@example.com", FORMULAS[3], FORMULAS[0]),
        ("52", "Cy", "Formula", "cy.formula@example.com", FORMULAS[1], FORMULAS[2]),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("id", "first_name", "last_name", "email", "phone", "notes"))
    writer.writerows(rows)
    batch = run_file(write(tmp_path / "formulas.csv", buffer.getvalue()))
    assert batch.status == Status.COMPLETE
    assert (batch.inserted, batch.errors) == (3, 0)
    columns = ("id", "first_name", "last_name", "email", "phone", "notes")
    assert lineage_values(batch) == [dict(zip(columns, row, strict=True)) for row in rows]
    people = Person.objects.filter(source=batch.source).order_by("id")
    assert [person.last_name for person in people] == ["+1", "-2", "Formula"]
    # an invalid phone is kept as given, never escaped or evaluated
    assert list(
        PhoneNumber.objects.filter(person__in=people)
        .order_by("person_id")
        .values_list("raw", "e164", "is_valid")
    ) == [(FORMULAS[0], None, False), (FORMULAS[3], None, False), (FORMULAS[1], None, False)]
    assert_accounted(batch)
    assert_kept(committed)


def test_a_ragged_row_is_an_error_row_with_its_raw_text(tmp_path, committed):
    text = (
        f"{HEADER}\r\n"
        "60,Rae,Row,rae.row@example.com\r\n"
        "61,Too,Many,too.many@example.com,extra,more\r\n"
        "62,Too,Few\r\n"
        '63,"Bad" Quote,Row,bad.quote@example.com\r\n'
        "64,Sam,Row,sam.row@example.com\r\n"
    )
    batch = run_file(write(tmp_path / "ragged.csv", text))
    assert batch.status == Status.COMPLETE_WITH_ERRORS
    assert (batch.rows_read, batch.inserted, batch.errors) == (5, 2, 3)
    assert list(
        ImportRowError.objects.filter(batch_id=batch.pk)
        .order_by("row_number")
        .values_list("row_number", "location", "error_type", "message", "raw")
    ) == [
        (
            2,
            "line 3",
            "ragged_row",
            "the row has 6 fields, the header has 4",
            "61,Too,Many,too.many@example.com,extra,more\r\n",
        ),
        (3, "line 4", "ragged_row", "the row has 3 fields, the header has 4", "62,Too,Few\r\n"),
        (
            4,
            "line 5",
            "malformed_row",
            "the row cannot be parsed as delimited text: ',' expected after '\"'",
            '63,"Bad" Quote,Row,bad.quote@example.com\r\n',
        ),
    ]
    assert [line[:2] for line in errors_csv(batch)[1:]] == [
        ["2", "ragged_row"],
        ["3", "ragged_row"],
        ["4", "malformed_row"],
    ]
    assert batch.checklist["unreadable_rows"] == 3
    assert_accounted(batch)
    assert_kept(committed)


def test_a_file_truncated_mid_stream_fails_and_keeps_its_committed_chunks(tmp_path, committed):
    # 3 MB of text with an accent early (so no sample has to read to the damage): the damage
    # is met while rows are read, after whole chunks have committed
    note = "x" * 1000
    text = "id,first_name,last_name,email,notes\n" + "".join(
        f"{key},Tess,Trunç{key},tess{key}@example.com,{note}\n" for key in range(1000, 4000)
    )
    whole = gzip.compress(text.encode(), mtime=0)
    path = write(tmp_path / "leads.csv.gz", whole[: len(whole) * 2 // 3])
    batch = run_file(path, chunk_rows=500)
    assert batch.status == Status.FAILED
    assert "could not be read past line" in batch.message
    assert "The file is damaged or truncated." in batch.message
    assert batch.message.endswith(
        f"Committed rows are kept; run the import again to resume after row {batch.last_row}."
    )
    # whole chunks only: the rows before the damage that filled no chunk were not committed
    assert 0 < batch.last_row < 3000
    assert batch.last_row % 500 == 0
    assert batch.chunks_done == batch.last_row // 500
    assert Person.objects.filter(source=batch.source).count() == batch.last_row
    assert_accounted(batch)
    assert_kept(committed)


# -- a MySQL dump is data, never statements ----------------------------------------------------


def test_a_mysql_dump_with_drop_and_grant_statements_is_read_never_executed(
    tmp_path, committed, scratch_database
):
    canary = mysql_connect(scratch_database)
    canary.cursor().execute("CREATE TABLE canary (id INT PRIMARY KEY, note VARCHAR(20))")
    canary.cursor().execute("INSERT INTO canary VALUES (1, 'still here')")
    canary.commit()
    canary.close()
    dump = f"""-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
USE `{scratch_database}`;
DROP TABLE IF EXISTS `canary`;
DROP DATABASE `{scratch_database}`;
GRANT ALL PRIVILEGES ON *.* TO 'intruder'@'%' IDENTIFIED BY 'secret' WITH GRANT OPTION;
CREATE USER 'intruder2'@'%' IDENTIFIED BY 'secret';
SET GLOBAL read_only = 1;
DROP TABLE IF EXISTS `leads`;
CREATE TABLE `leads` (
  `id` int NOT NULL,
  `first_name` varchar(50) DEFAULT NULL,
  `last_name` varchar(50) DEFAULT NULL,
  `email` varchar(100) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO `leads` VALUES (70,'Dana','Drop','dana.drop@example.com'),
(71,'Gus','Grant','gus@example.com');
DELETE FROM `canary`;
INSERT INTO `leads` VALUES (72,'Del','Ete','del.ete@example.com');
SHUTDOWN;
"""  # noqa: S608 (a dump to read, never executed: that is the test)
    batch = run_file(write(tmp_path / "dump.sql", dump))
    assert batch.status == Status.COMPLETE
    assert batch.source_type == "mysql_dump"
    assert batch.schema["detected"]["table"] == "leads"
    assert (batch.rows_read, batch.inserted, batch.errors) == (3, 3, 0)
    assert [value["last_name"] for value in lineage_values(batch)] == ["Drop", "Grant", "Ete"]
    assert_accounted(batch)
    assert_kept(committed)
    # the server is untouched: the canary is alive, no user was made, nothing was set
    server = mysql_connect(scratch_database)
    cursor = server.cursor()
    cursor.execute("SELECT id, note FROM canary")
    assert cursor.fetchall() == ((1, "still here"),)
    cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE User LIKE %s", ("intruder%",))
    assert cursor.fetchall() == ((0,),)
    cursor.execute("SELECT @@global.read_only")
    assert cursor.fetchall() == ((0,),)
    cursor.execute("SHOW TABLES")
    assert cursor.fetchall() == (("canary",),)
    server.close()


# -- a live MySQL source that goes away ------------------------------------------------------

MYSQL_ROWS = 10_000
NOTE_CHARACTERS = 3_000  # 30 MB in all: far more than a fetch and the socket buffers hold


def test_a_mysql_source_lost_mid_stream_fails_keeps_its_chunks_and_resumes(
    committed, scratch_database
):
    source = mysql_connect(scratch_database)
    cursor = source.cursor()
    cursor.execute(
        "CREATE TABLE leads (id INT PRIMARY KEY, first_name VARCHAR(40), last_name "
        "VARCHAR(40), email VARCHAR(100), notes VARCHAR(3000))"
    )
    cursor.execute(
        "INSERT INTO leads SELECT seq, 'Mia', 'Lost', CONCAT('mia', seq, '@example.com'), "  # noqa: S608
        f"REPEAT('x', {NOTE_CHARACTERS}) FROM seq_1_to_{MYSQL_ROWS}"
    )
    source.commit()
    source.close()
    url = mysql_url(scratch_database)
    batch = import_database(url, request=ImportRequest(options={"table": "leads"}, chunk_rows=1000))
    assert batch.status == Status.PENDING

    killed: list[int] = []

    def kill_the_reader(batch: ImportBatch, counts: Any) -> None:
        """After the first chunk commits, kill the connection reading the scratch database."""
        if killed:
            return
        killer = mysql_connect()
        cursor = killer.cursor()
        cursor.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s", (scratch_database,)
        )
        for (thread_id,) in cursor.fetchall():
            cursor.execute(f"KILL CONNECTION {int(thread_id)}")
            killed.append(thread_id)
        killer.close()

    failed = import_run(batch.pk, url=url, workers=0, on_progress=kill_the_reader)
    assert len(killed) == 1
    assert failed.status == Status.FAILED
    server = f"mysql://{MYSQL_USER}@{MYSQL_HOST}:{MYSQL_PORT}/{scratch_database}"
    assert f"the MySQL connection to {server} was lost after " in failed.message
    assert "Resume the import from its last committed chunk." in failed.message
    assert failed.message.endswith(
        f"Committed rows are kept; run the import again to resume after row {failed.last_row}."
    )
    # only whole chunks were committed, and only those are in the database
    assert 1000 <= failed.last_row < MYSQL_ROWS
    assert failed.last_row % 1000 == 0
    assert failed.chunks_done == failed.last_row // 1000
    assert SourceRecord.objects.filter(source=failed.source).count() == failed.last_row
    assert_accounted(failed)
    assert_kept(committed)

    resumed = import_run(failed.pk, url=url, workers=0)
    assert resumed.status == Status.COMPLETE
    assert resumed.message == ""
    # exactly the end state of an uninterrupted import: every row once, one person each
    assert (resumed.rows_read, resumed.inserted, resumed.last_row) == (MYSQL_ROWS,) * 3
    assert resumed.updated + resumed.unchanged + resumed.duplicates + resumed.errors == 0
    assert_accounted(resumed)
    ranges = list(
        ImportChunk.objects.filter(batch=resumed)
        .order_by("index")
        .values_list("first_row", "last_row")
    )
    assert ranges == [(first, first + 999) for first in range(1, MYSQL_ROWS, 1000)]
    landed = {
        key: (person_id, email)
        for key, person_id, email in SourceRecord.objects.filter(source=resumed.source).values_list(
            "source_key", "person_id", "person__email_addresses__email"
        )
    }
    assert landed.keys() == {str(key) for key in range(1, MYSQL_ROWS + 1)}
    assert len({person_id for person_id, _ in landed.values()}) == MYSQL_ROWS
    assert all(email == f"mia{key}@example.com" for key, (_, email) in landed.items())
    assert Person.objects.count() == len(committed["persons"]) + MYSQL_ROWS
    assert_kept(committed)


def test_an_import_that_failed_before_reading_its_source_is_not_run_later(scratch_database):
    # Regression: import_run read such a batch with its empty mapping, once the table existed,
    # and rejected every row as "no first, last or full name" (COMPLETE_WITH_ERRORS).
    url = mysql_url(scratch_database)
    batch = import_database(url, request=ImportRequest(options={"table": "leads"}))
    assert batch.status == Status.FAILED
    assert batch.message == (
        f"mysql://{MYSQL_USER}@{MYSQL_HOST}:{MYSQL_PORT}/{scratch_database} has no table "
        "'leads'; its tables are: none"
    )
    source = mysql_connect(scratch_database)
    source.cursor().execute(
        "CREATE TABLE leads (id INT PRIMARY KEY, first_name VARCHAR(20), last_name VARCHAR(20), "
        "email VARCHAR(50))"
    )
    source.cursor().execute("INSERT INTO leads VALUES (1, 'Ann', 'Lee', 'ann.lee@example.com')")
    source.commit()
    source.close()
    again = import_run(batch.pk, url=url, workers=0)
    assert (again.status, again.message) == (Status.FAILED, batch.message)
    assert (again.rows_read, again.errors, again.chunks_done) == (0, 0, 0)
    assert not ImportRowError.objects.filter(batch_id=batch.pk).exists()
    assert not Person.objects.exists()
