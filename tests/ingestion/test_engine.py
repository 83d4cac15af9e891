"""The ingestion engine through its public services (import_file → import_run, import_replay,
import_cancel), on the database the settings give (the suite runs on SQLite and MariaDB)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from cmplatform.core.models import Address, EmailAddress, Person, PhoneNumber, Touchpoint
from cmplatform.core.services import person_update
from cmplatform.lib.normalize import name_key
from ingestion.engine import ChunkCounts
from ingestion.landing import landing_storage
from ingestion.models import (
    ImportBatch,
    ImportChunk,
    ImportRowError,
    MappingProfile,
    MatchConflict,
    RecordVersion,
    SourceRecord,
)
from ingestion.services import (
    ImportRequest,
    ImportRequestError,
    import_cancel,
    import_file,
    import_replay,
    import_run,
)
from tests.factories import email_create, person_create, phone_create

Status = ImportBatch.Status
OUTCOMES = ("rows_read", "inserted", "updated", "unchanged", "duplicates", "errors")
PHONE = "(405) 235-7001"
HEADER = ("id", "First Name", "Middle Name", "Last Name", "Suffix", "Phone", "Email", "Updated")
# "Ref" is no record-key synonym: rows under this header have no key of their own and are
# matched to existing persons by e-mail, phone or name + ZIP.
UNKEYED = ("Ref", *HEADER[1:])


def write_csv(
    directory: Path, name: str, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER
) -> Path:
    """A UTF-8 CSV of ``rows`` under ``header``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = directory / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def row(
    key: str,
    first: str,
    last: str,
    *,
    middle: str = "",
    suffix: str = "",
    phone: str = "",
    email: str = "",
    updated: str = "",
) -> tuple[str, ...]:
    """One row of :data:`HEADER`."""
    return (key, first, middle, last, suffix, phone, email, updated)


def run(
    path: Path, request: ImportRequest | None = None, *, workers: int = 0, **run_options: Any
) -> ImportBatch:
    """Land ``path``, create its import and run it in process."""
    batch = import_file(path, request=request)
    return import_run(batch.pk, workers=workers, **run_options)


def import_rows(
    directory: Path,
    name: str,
    rows: Sequence[Sequence[str]],
    request: ImportRequest | None = None,
    header: Sequence[str] = HEADER,
) -> ImportBatch:
    """:func:`run` over a CSV of ``rows`` written as ``name``."""
    return run(write_csv(directory, name, rows, header), request)


def outcome_counts(batch: ImportBatch) -> dict[str, int]:
    return {name: getattr(batch, name) for name in OUTCOMES}


def only(**counts: int) -> dict[str, int]:
    """Outcome counts: the given ones, every other outcome zero."""
    return {**dict.fromkeys(OUTCOMES, 0), **counts}


def table_counts() -> dict[str, int]:
    """Rows of every table an import writes to."""
    models = (Person, PhoneNumber, EmailAddress, Address, Touchpoint, SourceRecord)
    counts = {model.__name__: model.objects.count() for model in models}
    counts["RecordVersion"] = RecordVersion.objects.count()
    counts["MatchConflict"] = MatchConflict.objects.count()
    return counts


def people_content() -> list[tuple[Any, ...]]:
    """Every person with its phones and e-mails, without ids (order-independent)."""
    phones: dict[int, list[tuple[Any, ...]]] = {}
    for phone in PhoneNumber.objects.all():
        phones.setdefault(phone.person_id, []).append(
            (phone.raw, phone.e164, phone.phone_type, phone.is_valid, phone.is_primary)
        )
    emails: dict[int, list[tuple[Any, ...]]] = {}
    for email in EmailAddress.objects.all():
        emails.setdefault(email.person_id, []).append(
            (email.email, email.is_valid, email.is_primary)
        )
    fields = ("first_name", "middle_name", "last_name", "suffix", "state", "county", "zip5")
    return sorted(
        (
            *(getattr(person, name) for name in fields),
            tuple(sorted(phones.get(person.pk, []))),
            tuple(sorted(emails.get(person.pk, []))),
        )
        for person in Person.objects.all()
    )


def versions(batch: ImportBatch) -> list[tuple[int, str, str]]:
    """(row number, outcome, match rule) of each accepted row of ``batch``."""
    return list(
        RecordVersion.objects.filter(batch_id=batch.pk)
        .order_by("row_number")
        .values_list("row_number", "outcome", "match_rule")
    )


class _RolledBack(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the body in a transaction that is undone afterwards."""
    with pytest.raises(_RolledBack), transaction.atomic():
        yield
        raise _RolledBack


def read_report(batch: ImportBatch, kind: str) -> str:
    with landing_storage().open(batch.reports[kind], "rb") as handle:
        return handle.read().decode("utf-8")


def assert_reconciled(batch: ImportBatch) -> None:
    assert batch.rows_read == batch.accounted
    chunks = list(ImportChunk.objects.filter(batch=batch).values(*OUTCOMES))
    for name in OUTCOMES:
        assert getattr(batch, name) == sum(chunk[name] for chunk in chunks), name
    accepted = batch.inserted + batch.updated + batch.unchanged + batch.duplicates
    assert RecordVersion.objects.filter(batch_id=batch.pk).count() == accepted
    assert ImportRowError.objects.filter(batch_id=batch.pk).count() == batch.errors


def ann(*, middle: str, updated: str, first: str = "Ann") -> tuple[str, ...]:
    """Record 1 of a source: Ann Lee with a phone, a middle name and a source timestamp."""
    return row("1", first, "Lee", phone=PHONE, middle=middle, updated=updated)


@pytest.fixture
def three_people(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path,
        "three.csv",
        [
            row("1", "Ann", "Lee", phone="(405) 235-7001", email="ann@ranchmail.com"),
            row("2", "Bill", "Ortiz", phone="(405) 235-7002", email="bill@ranchmail.com"),
            row("3", "Cara", "Nunez", phone="(405) 235-7003", email="cara@ranchmail.com"),
        ],
    )


# -- end to end ------------------------------------------------------------------------------


def test_every_demo_source_imports_reconciled_with_lineage_and_reports(db, demo_sources):
    out_dir, manifest = demo_sources
    storage = landing_storage()
    with open(out_dir / manifest.ground_truth, encoding="utf-8", newline="") as truth_file:
        household = {
            (r["source"], r["source_key"]): r["household_id"] for r in csv.DictReader(truth_file)
        }
    formats = sorted(source.format for source in manifest.sources)
    assert formats == ["delimited"] * 3 + ["mysql_dump", "sqlite", "xlsx"]
    channels = {}
    for source in manifest.sources:
        options = {"sheet": source.sheet} if source.sheet else {}
        batch = run(out_dir / source.file, ImportRequest(options=options, chunk_rows=700))

        assert batch.status == (Status.COMPLETE_WITH_ERRORS if batch.errors else Status.COMPLETE)
        assert batch.rows_read == source.rows, source.name
        assert batch.chunks_done == -(-source.rows // 700)
        assert_reconciled(batch)
        landed_on = set(
            RecordVersion.objects.filter(batch_id=batch.pk).values_list("person_id", flat=True)
        )
        assert Person.objects.filter(pk__in=landed_on).count() == len(landed_on)
        assert sorted(batch.reports) == ["checklist", "errors", "summary"]
        assert all(storage.exists(name) for name in batch.reports.values())
        assert batch.checklist["row_count_matches"] is True
        # the progress estimate, taken by the run: exact for a table, a line or used-range
        # count for files (fields spanning lines make it high), none for a dump
        if source.format == "sqlite":
            assert batch.rows_expected == source.rows
        elif source.format == "mysql_dump":
            assert batch.rows_expected is None
        else:
            assert batch.rows_expected is not None
            assert source.rows <= batch.rows_expected <= source.rows * 1.1, source.name
        channels[source.name] = batch.channel

    assert channels == {
        "legacy_owners": "",
        "legacy_contacts": "",
        "campaign_mail_2024": "mail",
        "campaign_sms_2025": "sms",
        "campaign_calls_2025": "call",
        "lead_list_q3": "",
    }
    # Look-alikes (spouses, father and son) may only ever be joined inside their household.
    households_of: dict[int, set[str]] = {}
    lineage = RecordVersion.objects.values_list("source", "source_key", "person_id")
    for source_name, key, person_id in lineage:
        households_of.setdefault(person_id, set()).add(household[(source_name, key)])
    assert len(households_of) == Person.objects.count()
    assert all(len(households) == 1 for households in households_of.values())


def test_workers_give_the_in_process_result(db, tmp_path, demo_sources):
    out_dir, manifest = demo_sources
    path = out_dir / manifest.source("legacy_owners").file
    with rolled_back():
        in_process = run(path, ImportRequest(chunk_rows=400), workers=0)
        expected = (outcome_counts(in_process), people_content())
    pooled = run(path, ImportRequest(chunk_rows=400), workers=2)
    assert pooled.status == in_process.status
    assert (outcome_counts(pooled), people_content()) == expected
    assert len(expected[1]) == in_process.inserted > 1000


# -- idempotency -----------------------------------------------------------------------------


def test_the_same_file_again_is_a_duplicate_file_and_changes_nothing(db, three_people):
    first = run(three_people)
    before = table_counts()

    again = import_file(three_people)

    assert again.status == Status.DUPLICATE_FILE
    assert f"import {first.pk}" in again.message
    assert import_run(again.pk, workers=0).status == Status.DUPLICATE_FILE
    assert table_counts() == before
    assert before["Person"] == 3


def test_a_forced_reimport_finds_every_row_unchanged(db, three_people):
    run(three_people)
    before = table_counts()

    forced = run(three_people, ImportRequest(force=True))

    assert forced.status == Status.COMPLETE
    assert outcome_counts(forced) == only(rows_read=3, unchanged=3)
    assert table_counts() == {**before, "RecordVersion": before["RecordVersion"] + 3}


def test_the_same_rows_in_another_file_and_order_are_unchanged(db, tmp_path, three_people):
    run(three_people)
    lines = three_people.read_text(encoding="utf-8").splitlines()
    other = tmp_path / "export copy.csv"
    other.write_text("\n".join([lines[0], lines[3], "", lines[2], lines[1], ""]), encoding="utf-8")
    before = table_counts()

    batch = run(other)

    assert batch.status == Status.COMPLETE
    assert outcome_counts(batch) == only(rows_read=3, unchanged=3)
    # the rows are known under the new file's own keys too, on the same persons
    assert table_counts() == {
        **before,
        "RecordVersion": before["RecordVersion"] + 3,
        "SourceRecord": before["SourceRecord"] + 3,
    }
    by_key = dict(SourceRecord.objects.filter(source="three").values_list("source_key", "person"))
    assert (
        dict(SourceRecord.objects.filter(source="export_copy").values_list("source_key", "person"))
        == by_key
    )
    assert [rule for _, _, rule in versions(batch)] == ["same_facts"] * 3


def test_a_changed_value_of_a_known_record_updates_it(db, tmp_path, three_people):
    run(three_people, ImportRequest(source="crm"))
    changed = write_csv(
        tmp_path,
        "three_v2.csv",
        [
            row("1", "Ann", "Lee", phone="(405) 235-7001", email="ann@ranchmail.com"),
            row("2", "Bill", "Ortiz", phone="(405) 235-7002", email="bill@ranchmail.com"),
            row("3", "Cara", "Nunez", middle="Jo", phone="(405) 235-7003", email="cara@new.com"),
        ],
    )

    batch = run(changed, ImportRequest(source="crm"))

    assert outcome_counts(batch) == only(rows_read=3, unchanged=2, updated=1)
    assert versions(batch)[2] == (3, "updated", "source_key")
    cara = Person.objects.get(last_name="Nunez")
    assert cara.middle_name == "Jo"
    assert sorted(cara.email_addresses.values_list("email", flat=True)) == [
        "cara@new.com",
        "cara@ranchmail.com",
    ]
    assert Person.objects.count() == 3


# -- survivorship ----------------------------------------------------------------------------


def test_a_manually_edited_field_is_never_overwritten_by_an_import(db, tmp_path):
    import_rows(tmp_path, "a.csv", [ann(middle="B", updated="2024-01-01")])
    person_update(
        person=Person.objects.get(), changes={"first_name": "Anne"}, by=None, origin="admin"
    )

    newer = [ann(first="Annie", middle="C", updated="2025-01-01")]
    batch = import_rows(tmp_path, "b.csv", newer, ImportRequest(source="a"))

    assert versions(batch) == [(1, "updated", "source_key")]
    person = Person.objects.get()
    assert (person.first_name, person.first_name_key, person.middle_name) == (
        "Anne",
        name_key("Anne"),
        "C",
    )
    assert person.manual_override_fields == ["first_name"]


def test_an_empty_value_never_overwrites_a_stored_one(db, tmp_path):
    import_rows(tmp_path, "a.csv", [ann(middle="B", updated="2024-01-01")])

    emptied = [ann(middle="", updated="2025-01-01")]
    batch = import_rows(tmp_path, "b.csv", emptied, ImportRequest(source="a"))

    assert versions(batch) == [(1, "updated", "source_key")]
    assert Person.objects.get().middle_name == "B"


def test_an_older_source_timestamp_loses_and_a_newer_one_wins(db, tmp_path):
    import_rows(tmp_path, "a.csv", [ann(middle="B", updated="2024-06-01")])

    older = [ann(middle="C", updated="2023-01-01")]
    import_rows(tmp_path, "b.csv", older, ImportRequest(source="a"))
    assert Person.objects.get().middle_name == "B"

    newer = [ann(middle="D", updated="2025-01-01")]
    import_rows(tmp_path, "c.csv", newer, ImportRequest(source="a"))
    person = Person.objects.get()
    assert person.middle_name == "D"
    assert person.source_updated_at == dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def test_an_invalid_phone_is_kept_raw_and_flagged(db, tmp_path):
    batch = import_rows(tmp_path, "a.csv", [row("1", "Ann", "Lee", phone="555-12")])

    assert outcome_counts(batch)["inserted"] == 1
    phone = PhoneNumber.objects.get()
    assert (phone.raw, phone.e164, phone.is_valid) == ("555-12", None, False)
    assert batch.checklist["invalid_phones"] == 1


def test_phone_kinds_are_stored_whole_and_are_choices_of_the_model(db, tmp_path):
    rows = [
        row("1", "Ann", "Lee", phone="(432) 555-0101"),
        row("2", "Bob", "Ray", phone="800-555-0199"),
        row("3", "Cy", "Oz", phone="900-555-0142"),
    ]
    import_rows(tmp_path, "a.csv", rows)

    kinds = dict(PhoneNumber.objects.values_list("raw", "phone_type"))
    assert kinds == {
        "(432) 555-0101": "fixed_or_mobile",
        "800-555-0199": "toll_free",
        "900-555-0142": "premium",
    }
    assert set(kinds.values()) <= set(PhoneNumber.PhoneType.values)


# -- matching --------------------------------------------------------------------------------


def test_an_email_match_with_compatible_names_lands_on_the_existing_person(db, tmp_path):
    existing = person_create(first_name="Ann", last_name="Lee")
    email_create(existing, "ann@ranchmail.com")

    batch = import_rows(
        tmp_path, "a.csv", [row("9", "ANN", "lee", email="Ann@Ranchmail.com")], header=UNKEYED
    )

    assert versions(batch) == [(1, "updated", "email")]
    assert RecordVersion.objects.get(batch_id=batch.pk).person_id == existing.pk
    assert list(Person.objects.values_list("pk", flat=True)) == [existing.pk]
    assert list(EmailAddress.objects.values_list("person", "email")) == [
        (existing.pk, "ann@ranchmail.com")
    ]


def test_a_keyed_row_is_its_own_person_until_golden_record_resolution_links_it(db, tmp_path):
    existing = person_create(first_name="Ann", last_name="Lee")
    email_create(existing, "ann@ranchmail.com")

    batch = import_rows(tmp_path, "a.csv", [row("9", "Ann", "Lee", email="ann@ranchmail.com")])

    assert versions(batch) == [(1, "inserted", "new")]
    assert Person.objects.count() == 2
    assert sorted(EmailAddress.objects.values_list("email", flat=True)) == [
        "ann@ranchmail.com",
        "ann@ranchmail.com",
    ]
    assert MatchConflict.objects.count() == 0


def test_a_nickname_with_the_same_email_matches(db, tmp_path):
    robert = person_create(first_name="Robert", last_name="Jones")
    email_create(robert, "rj@ranchmail.com")

    batch = import_rows(
        tmp_path, "a.csv", [row("9", "Bob", "Jones", email="rj@ranchmail.com")], header=UNKEYED
    )

    assert versions(batch) == [(1, "updated", "email")]
    assert RecordVersion.objects.get(batch_id=batch.pk).person_id == robert.pk
    assert Person.objects.count() == 1


@pytest.mark.parametrize("chunk_rows", [1, 100])
def test_spouses_sharing_a_landline_stay_two_persons(db, tmp_path, chunk_rows):
    rows = [
        row("1", "John", "Smith", phone="(405) 235-7001"),
        row("2", "Mary", "Smith", phone="(405) 235-7001"),
    ]
    batch = import_rows(
        tmp_path, "a.csv", rows, ImportRequest(chunk_rows=chunk_rows), header=UNKEYED
    )

    assert versions(batch) == [(1, "inserted", "new"), (2, "inserted", "new")]
    assert sorted(Person.objects.values_list("first_name", flat=True)) == ["John", "Mary"]
    assert sorted(PhoneNumber.objects.values_list("person__first_name", "e164")) == [
        ("John", "+14052357001"),
        ("Mary", "+14052357001"),
    ]


@pytest.mark.parametrize("chunk_rows", [1, 100])
def test_a_placeholder_email_never_matches_two_people(db, tmp_path, chunk_rows):
    rows = [
        row("1", "John", "Smith", email="none@none.com"),
        row("2", "John", "Smith", phone="(405) 235-7002", email="none@none.com"),
        row("3", "Mary", "Jones", email="None@None.com"),
    ]
    batch = import_rows(
        tmp_path, "a.csv", rows, ImportRequest(chunk_rows=chunk_rows), header=UNKEYED
    )

    assert versions(batch) == [
        (1, "inserted", "new"),
        (2, "inserted", "new"),
        (3, "inserted", "new"),
    ]
    assert MatchConflict.objects.count() == 0
    # Kept, flagged invalid, on each person: nothing is dropped.
    assert sorted(EmailAddress.objects.values_list("person__first_name", "email", "is_valid")) == [
        ("John", "none@none.com", False),
        ("John", "none@none.com", False),
        ("Mary", "none@none.com", False),
    ]


@pytest.mark.parametrize("chunk_rows", [1, 100])
def test_father_and_son_at_one_address_and_phone_stay_two_persons(db, tmp_path, chunk_rows):
    header = (*UNKEYED, "Address", "City", "State", "Zip")
    home = ("12 Oak St", "Pecos", "TX", "79772")
    rows = [
        (*row("1", "John", "Smith", suffix="Sr", phone="(405) 235-7001"), *home),
        (*row("2", "John", "Smith", suffix="Jr", phone="(405) 235-7001"), *home),
    ]
    path = write_csv(tmp_path, "a.csv", rows, header)

    batch = run(path, ImportRequest(chunk_rows=chunk_rows))

    assert versions(batch) == [(1, "inserted", "new"), (2, "inserted", "new")]
    assert sorted(Person.objects.values_list("first_name", "suffix", "zip5")) == [
        ("John", "Jr", "79772"),
        ("John", "Sr", "79772"),
    ]
    assert Address.objects.count() == 2


def test_email_and_phone_of_two_persons_land_on_the_email_one_with_a_conflict(db, tmp_path):
    by_email = person_create(first_name="Ann", last_name="Lee")
    email_create(by_email, "ann@ranchmail.com")
    by_phone = person_create(first_name="Ann", last_name="Lee")
    phone_create(by_phone, "(405) 235-7001", "+14052357001")
    both = [row("9", "Ann", "Lee", phone="405-235-7001", email="ann@ranchmail.com")]

    batch = import_rows(tmp_path, "a.csv", both, header=UNKEYED)

    assert versions(batch) == [(1, "updated", "email")]
    assert batch.conflicts == 1
    conflict = MatchConflict.objects.get()
    assert (conflict.batch_id, conflict.row_number) == (batch.pk, 1)
    assert conflict.source_key.startswith("h:")
    assert conflict.chosen_person_id == by_email.pk
    assert json.loads(conflict.candidates) == [
        {"person_id": by_email.pk, "rule": "email"},
        {"person_id": by_phone.pk, "rule": "phone"},
    ]
    assert Person.objects.filter(is_duplicate=False, merged_into__isnull=True).count() == 2
    assert sorted(PhoneNumber.objects.values_list("person_id", flat=True)) == sorted(
        [by_email.pk, by_phone.pk]
    )


# -- duplicates in one batch -----------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [3, 100])
def test_a_key_seen_twice_in_one_file_is_a_duplicate_in_any_chunking(db, tmp_path, chunk_rows):
    rows = [
        row(str(key), f"Name{key}", "Lee", phone=f"(405) 235-70{key:02d}") for key in range(1, 6)
    ]
    rows.insert(2, row("1", "Name1", "Lee", phone="(405) 235-7001"))  # same row, same chunk
    rows.append(row("2", "Name2", "Lee", middle="Q", phone="(405) 235-7002"))  # a later chunk
    path = write_csv(tmp_path, "a.csv", rows)

    batch = run(path, ImportRequest(chunk_rows=chunk_rows))

    assert batch.status == Status.COMPLETE
    assert outcome_counts(batch) == only(rows_read=7, inserted=5, duplicates=2)
    assert batch.chunks_done == -(-7 // chunk_rows)
    assert [(n, outcome) for n, outcome, _ in versions(batch) if outcome == "duplicate"] == [
        (3, "duplicate"),
        (7, "duplicate"),
    ]
    assert Person.objects.count() == 5
    # the later row of a key still brings its new value
    assert Person.objects.get(first_name="Name2").middle_name == "Q"


# -- replay ----------------------------------------------------------------------------------


def test_an_errors_only_replay_with_relaxed_rules_accepts_the_rejected_rows(db, tmp_path):
    rows = [
        row("1", "Ann", "Lee", phone="(405) 235-7001"),
        row("2", "Bill", "Ortiz"),  # no contact: rejected by the default rules
        row("3", "Cara", "Nunez"),
    ]
    origin = import_rows(tmp_path, "a.csv", rows)
    assert origin.status == Status.COMPLETE_WITH_ERRORS
    assert outcome_counts(origin)["errors"] == 2

    replay = import_replay(
        origin.pk, mode=ImportBatch.Mode.ERRORS_ONLY, request=ImportRequest(required=("name",))
    )
    replay = import_run(replay.pk, workers=0)

    assert replay.status == Status.COMPLETE
    assert (replay.replay_of_id, replay.source) == (origin.pk, origin.source)
    assert outcome_counts(replay) == only(rows_read=2, inserted=2)
    assert versions(replay) == [(2, "inserted", "new"), (3, "inserted", "new")]
    assert sorted(Person.objects.values_list("first_name", flat=True)) == ["Ann", "Bill", "Cara"]


def test_a_full_replay_finds_every_row_unchanged(db, three_people):
    origin = run(three_people)
    before = table_counts()

    replay = import_run(import_replay(origin.pk).pk, workers=0)

    assert replay.status == Status.COMPLETE
    assert outcome_counts(replay) == only(rows_read=3, unchanged=3)
    assert table_counts() == {**before, "RecordVersion": before["RecordVersion"] + 3}


# -- cancel ----------------------------------------------------------------------------------


def test_cancelling_a_pending_import_ends_it_without_reading(db, three_people):
    batch = import_file(three_people)

    cancelled = import_cancel(batch.pk)

    assert cancelled.status == Status.CANCELLED
    assert import_run(batch.pk, workers=0).status == Status.CANCELLED
    assert (Person.objects.count(), ImportChunk.objects.count()) == (0, 0)


def test_a_cancel_between_chunks_keeps_the_committed_chunk(db, tmp_path):
    rows = [row(str(n), f"Name{n}", "Lee", phone=f"(405) 235-70{n:02d}") for n in range(1, 10)]
    batch = import_file(write_csv(tmp_path, "a.csv", rows), request=ImportRequest(chunk_rows=3))
    seen: list[int] = []

    def cancel_after_first_chunk(progress: ImportBatch, counts: ChunkCounts | None) -> None:
        seen.append(progress.chunks_done)
        import_cancel(progress.pk)

    batch = import_run(batch.pk, workers=0, on_progress=cancel_after_first_chunk)

    assert seen == [1]
    assert batch.status == Status.CANCELLED
    assert (batch.chunks_done, batch.last_row) == (1, 3)
    assert outcome_counts(batch) == only(rows_read=3, inserted=3)
    names = sorted(Person.objects.values_list("first_name", flat=True))
    assert names == ["Name1", "Name2", "Name3"]
    assert RecordVersion.objects.filter(batch_id=batch.pk).count() == 3


# -- mapping ---------------------------------------------------------------------------------


def test_an_explicit_mapping_overrides_the_synonyms(db, tmp_path):
    # "Mail" would be an e-mail by its name; this export keeps the mailing street in it.
    header = ("id", "First Name", "Last Name", "Mail", "City", "State", "Zip")
    path = write_csv(
        tmp_path, "a.csv", [("1", "Ann", "Lee", "12 Oak St", "Pecos", "TX", "79772")], header
    )

    batch = run(path, ImportRequest(mapping={"Mail": "street"}))

    assert batch.status == Status.COMPLETE
    assert batch.mapping["fields"]["street"] == ["Mail"]
    assert batch.mapping["decided_by"]["street"] == "explicit"
    assert "email" not in batch.mapping["fields"]
    assert EmailAddress.objects.count() == 0
    assert list(Address.objects.values_list("street", "city", "zip5")) == [
        ("12 OAK ST", "PECOS", "79772")
    ]


def test_a_saved_profile_is_reused_by_name(db, tmp_path):
    header = ("id", "First Name", "Last Name", "Phone", "Contact")
    first = write_csv(tmp_path, "a.csv", [("1", "Ann", "Lee", "", "ann@ranchmail.com")], header)
    second = write_csv(
        tmp_path, "b.csv", [("2", "Bill", "Ortiz", "", "bill@ranchmail.com")], header
    )
    saved = run(
        first, ImportRequest(source="crm", mapping={"Contact": "email"}, save_profile="std")
    )
    assert MappingProfile.objects.get(source="crm", name="std").mapping == {"Contact": "email"}

    reused = run(second, ImportRequest(source="crm", profile="std"))

    assert reused.status == Status.COMPLETE
    assert reused.mapping == saved.mapping
    assert reused.mapping["fields"]["email"] == ["Contact"]
    assert sorted(EmailAddress.objects.values_list("email", flat=True)) == [
        "ann@ranchmail.com",
        "bill@ranchmail.com",
    ]


def test_unmapped_columns_travel_in_the_lineage(db, tmp_path):
    header = ("id", "First Name", "Last Name", "Phone", "Parcel Notes")
    path = write_csv(tmp_path, "a.csv", [("1", "Ann", "Lee", PHONE, "corner lot, 2 ac")], header)

    batch = run(path)

    assert batch.mapping["unmapped"] == ["Parcel Notes"]
    values = json.loads(RecordVersion.objects.get(batch_id=batch.pk).values)
    assert values == {
        "id": "1",
        "First Name": "Ann",
        "Last Name": "Lee",
        "Phone": PHONE,
        "Parcel Notes": "corner lot, 2 ac",
    }


def test_a_mapping_naming_a_missing_column_fails_the_import_with_the_column(db, three_people):
    batch = import_file(three_people, request=ImportRequest(mapping={"Cell Phone": "mobile_phone"}))

    assert batch.status == Status.FAILED
    assert "Cell Phone" in batch.message
    assert batch.message.startswith("The mapping names columns the source does not have")
    assert (batch.rows_read, batch.chunks_done) == (0, 0)
    assert (Person.objects.count(), ImportChunk.objects.count()) == (0, 0)
    assert json.loads(read_report(batch, "checklist"))["overall_status"] == Status.FAILED


# -- touchpoints -----------------------------------------------------------------------------


def test_a_campaign_file_records_mail_touchpoints_once(db, tmp_path):
    header = ("id", "First Name", "Last Name", "Phone", "Mailed On")
    rows = [
        ("1", "Ann", "Lee", PHONE, "2024-03-05"),
        ("2", "Bill", "Ortiz", "(405) 235-7002", "03/06/2024"),
    ]
    path = write_csv(tmp_path, "mail.csv", rows, header)

    batch = run(path)

    assert batch.channel == "mail"
    touches = list(Touchpoint.objects.order_by("external_id"))
    assert [(t.person.first_name, t.channel, t.occurred_at, t.external_id) for t in touches] == [
        ("Ann", "mail", dt.datetime(2024, 3, 5, tzinfo=dt.UTC), "1@20240305T000000"),
        ("Bill", "mail", dt.datetime(2024, 3, 6, tzinfo=dt.UTC), "2@20240306T000000"),
    ]
    forced = run(path, ImportRequest(force=True))
    rows[1] = ("2", "Bill", "Ortiz", "(405) 235-7099", "03/06/2024")
    corrected = import_rows(tmp_path, "mail_v2.csv", rows, ImportRequest(source="mail"), header)

    assert outcome_counts(forced) == only(rows_read=2, unchanged=2)
    assert outcome_counts(corrected) == only(rows_read=2, unchanged=1, updated=1)
    assert list(Touchpoint.objects.order_by("external_id").values_list("pk", flat=True)) == [
        t.pk for t in touches
    ]


def test_one_record_mailed_on_several_days_is_several_touches(db, tmp_path):
    header = ("id", "First Name", "Last Name", "Phone", "Mailed On")
    first = [("L1", "Ann", "Lee", PHONE, "2024-03-01"), ("L1", "Ann", "Lee", PHONE, "2024-04-01")]
    import_rows(tmp_path, "t1.csv", first, ImportRequest(source="mailhouse"), header)
    second = [("L1", "Ann", "Lee", PHONE, "2024-05-01")]
    import_rows(tmp_path, "t2.csv", second, ImportRequest(source="mailhouse"), header)

    assert list(
        Touchpoint.objects.order_by("occurred_at").values_list("occurred_at", flat=True)
    ) == [dt.datetime(2024, month, 1, tzinfo=dt.UTC) for month in (3, 4, 5)]
    assert Person.objects.count() == 1


# -- reports ---------------------------------------------------------------------------------


def test_reports_neutralise_formulas_and_keep_values_verbatim(db, tmp_path):
    formula = '=HYPERLINK("http://x.test")' + "x" * 100
    rows = [row("1", "Ann", formula, phone=PHONE), row("2", "=1+1", "Lee", phone="(405) 235-7002")]
    batch = import_rows(tmp_path, "a.csv", rows)

    assert batch.status == Status.COMPLETE_WITH_ERRORS
    lines = list(csv.reader(io.StringIO(read_report(batch, "errors"))))
    assert lines[0] == ["row_number", "error_type", "field_name", "field_value", "error_message"]
    assert lines[1][:4] == ["1", "value_too_long", "last_name", "'" + formula]
    assert len(lines) == 2
    error = ImportRowError.objects.get(batch_id=batch.pk)
    assert error.field_value == formula
    assert json.loads(error.raw)["Last Name"] == formula
    stored = json.loads(RecordVersion.objects.get(batch_id=batch.pk).values)
    assert stored["First Name"] == "=1+1"


def test_the_checklist_reports_every_check(db, three_people):
    batch = run(three_people)

    checklist = json.loads(read_report(batch, "checklist"))

    assert checklist == batch.checklist
    assert {
        "file_readable",
        "schema_matches",
        "required_fields_present",
        "row_count_matches",
        "duplicates_in_batch",
        "invalid_emails",
        "invalid_phones",
        "data_types_valid",
        "overall_status",
    } <= set(checklist)
    assert checklist["row_count_matches"] is True
    assert checklist["overall_status"] == Status.COMPLETE
    assert (checklist["rows_read"], checklist["duplicates_in_batch"]) == (3, 0)
    summary = read_report(batch, "summary").splitlines()
    assert summary[0].startswith("chunk,first_row,last_row,rows_read,inserted")
    assert summary[-1].startswith("total,,3,3,3,0,0,0,0,0,")


@pytest.mark.parametrize("chunk_rows", [1, 100])
def test_the_same_facts_under_two_keys_of_one_file_are_one_person(db, tmp_path, chunk_rows):
    facts = ("John", "Smith")
    rows = [row("1", *facts, phone=PHONE), row("2", *facts, phone=PHONE)]
    batch = import_rows(tmp_path, "a.csv", rows, ImportRequest(chunk_rows=chunk_rows))

    assert versions(batch) == [(1, "inserted", "new"), (2, "unchanged", "same_facts")]
    assert Person.objects.count() == 1


@pytest.mark.parametrize("chunk_rows", [1, 100])
def test_what_a_known_record_brings_is_matched_by_later_rows_of_its_chunk(db, tmp_path, chunk_rows):
    import_rows(
        tmp_path, "k1.csv", [row("1", "John", "Smith", phone=PHONE)], ImportRequest(source="crm")
    )
    rows = [
        row("1", "John", "Smith", phone=PHONE, email="john.smith@ranchmail.com"),
        row("", "John", "Smith", email="john.smith@ranchmail.com"),  # no key: matched
    ]
    request = ImportRequest(source="crm", chunk_rows=chunk_rows)
    batch = import_rows(tmp_path, "k2.csv", rows, request)

    assert versions(batch) == [(1, "updated", "source_key"), (2, "updated", "email")]
    assert Person.objects.count() == 1


def test_record_keys_and_emails_compare_exactly_on_every_database(db, tmp_path):
    # MySQL's default collation folds case and accents: "ab1" and "AB1" would be one record.
    rows = [
        row("ab1", "John", "Smith", phone="(405) 235-7001"),
        row("AB1", "Mary", "Jones", phone="(212) 555-0187", email="josé@ranchmail.com"),
        row("aB1", "Ann", "Lee", email="jose@ranchmail.com"),
    ]
    batch = import_rows(tmp_path, "a.csv", rows, ImportRequest(source="crm"))

    assert versions(batch) == [
        (1, "inserted", "new"),
        (2, "inserted", "new"),
        (3, "inserted", "new"),
    ]
    assert sorted(SourceRecord.objects.values_list("source_key", flat=True)) == [
        "AB1",
        "aB1",
        "ab1",
    ]
    assert Person.objects.count() == 3


# -- lifecycle ---------------------------------------------------------------------------------


def test_an_errors_only_replay_keeps_the_explicit_mapping_of_its_import(db, tmp_path):
    header = ("Given", "Family", "Tel")
    rows = [("Ann", "Lee", PHONE), ("Mary", "Jones", "")]
    mapping = {"Given": "first_name", "Family": "last_name", "Tel": "phone"}
    origin = import_rows(tmp_path, "r.csv", rows, ImportRequest(mapping=mapping), header)
    assert outcome_counts(origin) == only(rows_read=2, inserted=1, errors=1)

    replay = import_replay(origin.pk, mode="errors-only", request=ImportRequest(required=("name",)))
    replay = import_run(replay.pk, workers=0)

    assert outcome_counts(replay) == only(rows_read=1, inserted=1)
    assert sorted(Person.objects.values_list("first_name", flat=True)) == ["Ann", "Mary"]


def test_a_duplicate_file_import_cannot_be_replayed(db, three_people):
    first = run(three_people)
    copy = import_file(three_people)
    assert copy.status == Status.DUPLICATE_FILE

    with pytest.raises(ImportRequestError, match=f"already imported by import {first.pk}"):
        import_replay(copy.pk, mode="full")


def test_an_unfinished_import_is_resumed_with_its_settings_or_refused(db, tmp_path):
    path = write_csv(tmp_path, "a.csv", [row("1", "Ann", "Lee", phone=PHONE)])
    batch = import_file(path, request=ImportRequest(required=("name",)))
    # A run killed before its first commit: started, nothing committed.
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.RUNNING, started_at=batch.created_at
    )

    assert import_file(path).pk == batch.pk
    with pytest.raises(ImportRequestError, match=f"Import {batch.pk} of this source is unfinished"):
        import_file(path, request=ImportRequest(required=("contact",)))
    finished = import_run(batch.pk, workers=0)
    assert outcome_counts(finished) == only(rows_read=1, inserted=1)


def test_a_second_run_of_a_running_import_never_marks_it_failed(db, tmp_path):
    rows = [
        row(str(n), f"Ann{chr(65 + n)}", "Lee", phone=f"(405) 235-{7000 + n}") for n in range(6)
    ]
    path = write_csv(tmp_path, "a.csv", rows)
    batch = import_file(path, request=ImportRequest(chunk_rows=2))
    interloper: list[ImportBatch] = []

    def second_run(progress: ImportBatch, counts: ChunkCounts | None) -> None:
        if not interloper:  # after the first chunk, another worker runs the same import
            interloper.append(import_run(batch.pk, workers=0))

    first = import_run(batch.pk, workers=0, on_progress=second_run)

    assert interloper[0].status == Status.COMPLETE
    assert first.status == Status.COMPLETE
    assert outcome_counts(first) == only(rows_read=6, inserted=6)
    assert Person.objects.count() == 6
