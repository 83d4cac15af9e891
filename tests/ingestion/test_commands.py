"""``manage.py ingest``, ``import_report`` and ``replay_import``: what they print, what they
refuse, and that a second run of the same file changes nothing (SQLite and MariaDB passes)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cmplatform.core.models import Person
from dedupe.models import DedupeRun
from ingestion.models import ImportBatch, ImportRowError, RecordVersion, SourceFile, SourceRecord
from ingestion.services import import_file

pytestmark = pytest.mark.django_db

Status = ImportBatch.Status
LEADS_CSV = (
    "id,first_name,last_name,email,phone\n"
    "1,Ann,Archer,ann.archer@example.com,(405) 235-7001\n"
    "2,Bill,Baker,bill.baker@example.com,\n"
    "3,Cora,Cole,,(405) 235-7003\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def command(*arguments: str) -> tuple[str, str]:
    """Run a management command; its (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*arguments, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def count_line(label: str, value: int) -> str:
    """One line of the reconciliation: the label padded to 19, the count right-aligned in 12."""
    return f"  {label:<19}{value:>12,}"


def written() -> dict[str, int]:
    return {
        "persons": Person.objects.count(),
        "source_records": SourceRecord.objects.count(),
        "lineage": RecordVersion.objects.count(),
        "row_errors": ImportRowError.objects.count(),
    }


def test_ingest_prints_the_reconciliation(tmp_path):
    path = write(tmp_path / "leads.csv", LEADS_CSV)
    out, err = command("ingest", str(path), "--workers=0")
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.source, batch.inserted) == (Status.COMPLETE, "leads", 3)
    lines = out.splitlines()
    assert lines[0] == f"Import {batch.pk} [COMPLETE] leads ← leads.csv"
    assert lines[1] == f"  sha256 {batch.source_file.sha256}, {len(LEADS_CSV):,} bytes"
    assert lines[2].startswith(f"  rows read {3:>12,}")
    assert lines[3:9] == [
        count_line("inserted", 3),
        count_line("updated", 0),
        count_line("unchanged", 0),
        count_line("duplicate in batch", 0),
        count_line("error", 0),
        count_line("= accounted", 3) + "  reconciled",
    ]
    assert lines[9:] == [
        f"  report checklist: reports/{batch.pk}/checklist.json",
        f"  report errors: reports/{batch.pk}/errors.csv",
        f"  report summary: reports/{batch.pk}/summary.csv",
        "Golden records: 3 persons, 0 of this import's persons linked to a golden record, "
        f"0 pairs to review (dedupe run {DedupeRun.objects.get().pk})",
    ]
    assert DedupeRun.objects.get().import_batch_id == batch.pk
    # one progress line per chunk on stderr
    assert err.startswith(f"import {batch.pk}: 100.0% 3 rows, ")
    assert err.rstrip().endswith("| ins 3 upd 0 same 0 dup 0 err 0")
    assert written() == {"persons": 3, "source_records": 3, "lineage": 3, "row_errors": 0}


def test_ingest_json_output_parses(tmp_path):
    path = write(tmp_path / "leads.csv", LEADS_CSV)
    out, _ = command("ingest", str(path), "--workers=0", "--json", "--source", "crm_export")
    summary = json.loads(out)
    batch = ImportBatch.objects.get()
    assert summary.pop("dedupe") == {"run": DedupeRun.objects.get().pk, "linked": 0, "review": 0}
    assert isinstance(summary.pop("seconds"), float)
    assert summary == {
        "import_id": batch.pk,
        "status": "COMPLETE",
        "source": "crm_export",
        "rows_read": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "errors": 0,
        "conflicts": 0,
        "reports": {
            "summary": f"reports/{batch.pk}/summary.csv",
            "errors": f"reports/{batch.pk}/errors.csv",
            "checklist": f"reports/{batch.pk}/checklist.json",
        },
        "message": "",
    }


def test_a_second_ingest_of_the_same_file_says_so_and_changes_nothing(tmp_path):
    path = write(tmp_path / "leads.csv", LEADS_CSV)
    command("ingest", str(path), "--workers=0")
    first = ImportBatch.objects.get()
    before = written()
    people = list(Person.objects.order_by("id").values_list("id", "first_name", "updated_at"))

    out, err = command("ingest", str(path), "--workers=0")
    again = ImportBatch.objects.exclude(pk=first.pk).get()
    assert again.status == Status.DUPLICATE_FILE
    assert out.splitlines()[0] == f"Import {again.pk} [DUPLICATE_FILE] leads ← leads.csv"
    assert (
        f"  This file (SHA-256 {first.source_file.sha256}) was already imported by import "
        f"{first.pk} on {first.finished_at:%Y-%m-%d %H:%M} UTC; nothing changed. Import it "
        "again with --force to re-read it."
    ) in out.splitlines()
    assert count_line("= accounted", 0) + "  reconciled" in out.splitlines()
    assert err == ""
    assert written() == before
    assert list(Person.objects.order_by("id").values_list("id", "first_name", "updated_at")) == (
        people
    )
    assert SourceFile.objects.count() == 1


def test_ingest_with_a_mapping_file(tmp_path):
    path = write(
        tmp_path / "crm.csv",
        "Cust No,Given,Family,Contact Mail,Ph\n"
        "c-1,Dora,Diaz,dora@example.com,unused\n"
        "c-2,Eli,Ellis,eli@example.com,\n",
    )
    mapping = write(
        tmp_path / "mapping.json",
        json.dumps(
            {
                "Cust No": "source_key",
                "Given": "first_name",
                "Family": "last_name",
                "Contact Mail": "email",
                "Ph": None,
            }
        ),
    )
    out, _ = command("ingest", str(path), "--workers=0", "--mapping", str(mapping))
    batch = ImportBatch.objects.get()
    assert batch.status == Status.COMPLETE
    assert count_line("inserted", 2) in out.splitlines()
    assert batch.mapping == {
        "fields": {
            "source_key": ["Cust No"],
            "first_name": ["Given"],
            "last_name": ["Family"],
            "email": ["Contact Mail"],
        },
        "unmapped": ["Ph"],
        "decided_by": {
            "source_key": "explicit",
            "first_name": "explicit",
            "last_name": "explicit",
            "email": "explicit",
        },
        "explicit": {
            "Cust No": "source_key",
            "Given": "first_name",
            "Family": "last_name",
            "Contact Mail": "email",
            "Ph": None,
        },
    }
    assert sorted(SourceRecord.objects.values_list("source", "source_key")) == [
        ("crm", "c-1"),
        ("crm", "c-2"),
    ]
    assert sorted(Person.objects.values_list("first_name", "last_name")) == [
        ("Dora", "Diaz"),
        ("Eli", "Ellis"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, r"^Cannot read the mapping file: \[Errno 2\] No such file or directory"),
        ('{"Given": first_name}', r"^Cannot read the mapping file: Expecting value: line 1"),
        ('["first_name", "last_name"]', r"^A mapping is a JSON object \{source column: "),
    ],
)
def test_an_unreadable_mapping_file_is_refused_before_anything_lands(tmp_path, content, message):
    path = write(tmp_path / "leads.csv", LEADS_CSV)
    mapping = tmp_path / "mapping.json"
    if content is not None:
        write(mapping, content)
    with pytest.raises(CommandError, match=message):
        command("ingest", str(path), "--workers=0", "--mapping", str(mapping))
    assert not SourceFile.objects.exists()
    assert not ImportBatch.objects.exists()
    assert written() == {"persons": 0, "source_records": 0, "lineage": 0, "row_errors": 0}


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"Cell Phone": "mobile_phone"},
            "The mapping names columns the source does not have: Cell Phone. The source's "
            "columns are: id, first_name, last_name, email, phone.",
        ),
        (
            {"phone": "phone_number"},
            "Unknown canonical fields in the mapping: phone_number. Known fields: source_key, ",
        ),
        (
            {"first_name": "first_name", "last_name": "first_name"},
            "Field 'first_name' is mapped from two columns: 'first_name' and 'last_name'.",
        ),
        (
            # Regression: a value that is not a field name raised TypeError out of the command.
            {"phone": 5, "email": ["email"]},
            "A mapping gives each column a canonical field name or null; not so for: email, phone.",
        ),
    ],
)
def test_a_mapping_that_does_not_fit_the_file_fails_the_import_with_a_clear_message(
    tmp_path, mapping, message
):
    path = write(tmp_path / "leads.csv", LEADS_CSV)
    mapping_file = write(tmp_path / "mapping.json", json.dumps(mapping))
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("ingest", str(path), "--workers=0", "--mapping", str(mapping_file), stdout=out)
    batch = ImportBatch.objects.get()
    assert batch.status == Status.FAILED
    assert batch.message.startswith(message)
    assert str(refused.value) == f"Import {batch.pk} failed: {batch.message}"
    assert out.getvalue().startswith(f"Import {batch.pk} [FAILED] leads ← leads.csv")
    assert written() == {"persons": 0, "source_records": 0, "lineage": 0, "row_errors": 0}


def test_a_failed_ingest_prints_why_and_raises(tmp_path):
    path = write(tmp_path / "leads.csv", "")
    out = io.StringIO()
    failed = r"^Import \d+ failed: leads\.csv.* is empty \(0 bytes\): there is nothing to"
    with pytest.raises(CommandError, match=failed):
        call_command("ingest", str(path), "--workers=0", stdout=out)
    batch = ImportBatch.objects.get()
    assert batch.status == Status.FAILED
    assert f"  {batch.message}" in out.getvalue().splitlines()
    assert written() == {"persons": 0, "source_records": 0, "lineage": 0, "row_errors": 0}


def test_ingest_resume_runs_the_import_it_names(tmp_path):
    batch = import_file(write(tmp_path / "leads.csv", LEADS_CSV))
    assert batch.status == Status.PENDING
    out, _ = command("ingest", "ignored-with-resume", "--workers=0", "--resume", str(batch.pk))
    batch.refresh_from_db()
    assert (batch.status, batch.inserted) == (Status.COMPLETE, 3)
    assert out.splitlines()[0] == f"Import {batch.pk} [COMPLETE] leads ← leads.csv"
    assert ImportBatch.objects.count() == 1


def test_import_report_prints_the_reconciliation_and_the_checklist(tmp_path):
    path = write(tmp_path / "leads.csv", LEADS_CSV + "4,Dee,Dunn,,\n")
    command("ingest", str(path), "--workers=0")  # an error row is no failure: nothing raised
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.inserted, batch.errors) == (Status.COMPLETE_WITH_ERRORS, 3, 1)

    out, _ = command("import_report", str(batch.pk))
    assert out.splitlines()[0] == f"Import {batch.pk} [COMPLETE_WITH_ERRORS] leads ← leads.csv"
    assert count_line("inserted", 3) in out.splitlines()
    assert count_line("error", 1) in out.splitlines()
    assert count_line("= accounted", 4) + "  reconciled" in out.splitlines()
    assert "{" not in out

    with_checklist, _ = command("import_report", str(batch.pk), "--checklist")
    text, brace, checklist = with_checklist.partition("\n{\n")
    assert text + "\n" == out
    checklist = json.loads(brace.lstrip("\n") + checklist)
    assert checklist == batch.checklist
    assert checklist["import_id"] == batch.pk
    assert checklist["overall_status"] == "COMPLETE_WITH_ERRORS"
    assert checklist["row_count_matches"] is True
    assert (checklist["rows_read"], checklist["rows_missing_required_fields"]) == (4, 1)
    assert checklist["errors_by_type"] == {"required_field_missing": 1}


def test_replay_errors_only_with_relaxed_rules_accepts_the_rows_rejected_for_no_contact(
    tmp_path,
):
    path = write(
        tmp_path / "leads.csv",
        LEADS_CSV + "4,Dee,Dunn,,\n" + "5,,,,\n" + "6,Fay,Fox,,\n",
    )
    command("ingest", str(path), "--workers=0")
    origin = ImportBatch.objects.get()
    assert (origin.inserted, origin.errors) == (3, 3)
    assert list(
        ImportRowError.objects.filter(batch_id=origin.pk)
        .order_by("row_number")
        .values_list("row_number", "error_type", "field_name")
    ) == [
        (4, "required_field_missing", "contact"),
        (5, "required_field_missing", "name"),
        (6, "required_field_missing", "contact"),
    ]

    out, _ = command(
        "replay_import", str(origin.pk), "--mode", "errors-only", "--required", "name",
        "--workers=0",
    )  # fmt: skip
    replay = ImportBatch.objects.exclude(pk=origin.pk).get()
    assert (replay.mode, replay.replay_of_id, replay.required_fields) == (
        "errors-only",
        origin.pk,
        ["name"],
    )
    # the two rows with a name are in now; the one without is still rejected
    assert (replay.status, replay.rows_read, replay.inserted, replay.errors) == (
        Status.COMPLETE_WITH_ERRORS,
        3,
        2,
        1,
    )
    lines = out.splitlines()
    assert lines[0] == f"Import {replay.pk} [COMPLETE_WITH_ERRORS] leads ← leads.csv"
    assert f"  replay (errors-only) of import {origin.pk}" in lines
    assert count_line("inserted", 2) in lines
    assert count_line("= accounted", 3) + "  reconciled" in lines
    assert list(
        RecordVersion.objects.filter(batch_id=replay.pk)
        .order_by("row_number")
        .values_list("row_number", "outcome")
    ) == [(4, "inserted"), (6, "inserted")]
    assert sorted(Person.objects.values_list("first_name", flat=True)) == [
        "Ann",
        "Bill",
        "Cora",
        "Dee",
        "Fay",
    ]


@pytest.mark.parametrize(
    "arguments",
    [
        ("import_report", "987654"),
        ("import_report", "987654", "--checklist"),
        ("replay_import", "987654", "--mode", "errors-only"),
        ("replay_import", "987654", "--mode", "full"),
        ("ingest", "ignored-with-resume", "--resume", "987654"),
    ],
)
def test_an_import_id_that_does_not_exist_is_a_command_error(arguments: tuple[str, ...]):
    with pytest.raises(CommandError, match=r"^No import 987654\.$"):
        command(*arguments)
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("mapping_json", "message"),
    [
        ("{not json", r"^The mapping is not JSON: "),
        ('["first_name"]', r"^A mapping is a JSON object \{source column: canonical field\}\.$"),
        ('{"Nope": "first_name"}', r"^The mapping names columns the source does not have: Nope\."),
    ],
)
def test_replay_refuses_a_bad_mapping_without_creating_a_replay(
    tmp_path, mapping_json: str, message: str
):
    # Regression: --mapping-json that was not JSON raised JSONDecodeError out of the command.
    command("ingest", str(write(tmp_path / "leads.csv", LEADS_CSV)), "--workers=0")
    origin = ImportBatch.objects.get()
    with pytest.raises(CommandError, match=message):
        command("replay_import", str(origin.pk), "--mode", "full", "--mapping-json", mapping_json)
    assert list(ImportBatch.objects.values_list("pk", flat=True)) == [origin.pk]
