"""DNC registry files through the ingestion machinery, and the scrub's flags from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cmplatform.core.models import Person, PhoneNumber
from compliance.models import FederalDnc, RegistryCoverage, StateDnc, Suppression
from compliance.selectors import registry_ages
from ingestion.models import ImportBatch, ImportChunk, ImportRowError
from ingestion.registries import Layout, RegistryFile, registry_import
from ingestion.services import ImportRequestError
from tests.factories import person_create, phone_create

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def load(path: Path, **options: object) -> ImportBatch:
    change_list = bool(options.pop("change_list", False))
    layout = options.pop("layout", None) or Layout.from_json(None, change_list=change_list)
    spec = RegistryFile(
        path=path,
        kind=str(options.pop("kind", "federal")),
        list_date=options.pop("list_date", TODAY),  # type: ignore[arg-type]
        change_list=change_list,
        layout=layout,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )
    return registry_import(spec)


STATE_LISTS = ("CO", "FL", "IN", "LA", "MA", "MO", "OK", "PA", "TN", "TX", "WY")


def load_state_lists(tmp_path: Path, list_date: dt.date = TODAY) -> None:
    """Every state list, each holding one stranger's number."""
    for state in STATE_LISTS:
        path = write(tmp_path, f"{state}.txt", ["9155550199"])
        load(
            path,
            kind="state",
            state=state,
            list_date=list_date,
            layout=Layout(number_columns=(0,)),
            force=True,
        )


def person_with(*numbers: str, state: str = "TX") -> Person:
    person = person_create(state=state)
    for number in numbers:
        phone_create(person, number, number)
    return person


def status(person: Person, channel: str = "call") -> str:
    person.refresh_from_db()
    return getattr(person, f"{channel}_status")


def test_every_registered_number_is_flagged(tmp_path: Path) -> None:
    listed = [f"+1432555{n:04d}" for n in range(0, 200, 2)]  # 432: West Texas
    clear = [f"+1432555{n:04d}" for n in range(1, 200, 2)]
    persons = [person_with(number) for number in listed + clear]
    batch = load(write(tmp_path, "full.txt", [f"{n[2:5]},{n[5:]}" for n in listed]))
    assert batch.status == ImportBatch.Status.COMPLETE
    assert (batch.rows_read, batch.inserted, batch.errors) == (100, 100, 0)
    load_state_lists(tmp_path)
    flagged = {p.e164 for p in PhoneNumber.objects.filter(dnc_status="DNC_FEDERAL")}
    assert flagged == set(listed)
    statuses = {p.pk: status(p) for p in persons}
    assert [statuses[p.pk] for p in persons[:100]] == ["DNC_FEDERAL"] * 100
    assert [statuses[p.pk] for p in persons[100:]] == ["CLEAR"] * 100
    assert RegistryCoverage.objects.get(kind="federal", scope="432").as_of == TODAY


def test_change_list_deletion_clears_the_flag_and_addition_sets_it(tmp_path: Path) -> None:
    gone, added = person_with("+14325550100"), person_with("+14325550101")
    load(write(tmp_path, "full.txt", ["432,5550100"]))
    load_state_lists(tmp_path)
    assert (status(gone), status(added)) == ("DNC_FEDERAL", "CLEAR")

    batch = load(
        write(tmp_path, "changes.txt", ["432,5550100,D", "432,5550101,A"]), change_list=True
    )
    assert (batch.rows_read, batch.inserted, batch.updated) == (2, 1, 1)
    assert (status(gone), status(added)) == ("CLEAR", "DNC_FEDERAL")
    assert FederalDnc.objects.get(phone="+14325550100").removed_on == TODAY


def test_full_list_marks_numbers_it_no_longer_holds_removed(tmp_path: Path) -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    load(write(tmp_path, "one.txt", ["432,5550100", "432,5550102"]), list_date=yesterday)
    # Half the numbers gone: refused as a likely truncated file, and nothing changes.
    refused = load(write(tmp_path, "two.txt", ["432,5550102"]))
    assert refused.status == ImportBatch.Status.COMPLETE
    assert "Not applied: the full list lacks 1 of the 2 numbers" in refused.message
    assert FederalDnc.objects.get(phone="+14325550100").removed_on is None
    assert RegistryCoverage.objects.get(scope="432").as_of == yesterday

    batch = load(write(tmp_path, "two.txt", ["432,5550102"]), force=True)
    assert (batch.unchanged, batch.inserted) == (1, 0)
    assert "1 numbers missing from the full list were marked removed" in batch.message
    assert FederalDnc.objects.get(phone="+14325550100").removed_on == TODAY
    assert FederalDnc.objects.get(phone="+14325550102").removed_on is None
    assert RegistryCoverage.objects.get(scope="432").as_of == TODAY


def test_a_change_list_alone_never_makes_data_fresh(tmp_path: Path) -> None:
    person = person_with("+14325550100")
    load_state_lists(tmp_path)
    load(write(tmp_path, "changes.txt", ["432,5550199,A"]), change_list=True)
    coverage = RegistryCoverage.objects.get(kind="federal", scope="432")
    assert (coverage.as_of, coverage.full_list_on) == (TODAY, None)
    assert status(person) == "DNC_DATA_STALE"


def test_a_file_with_rejected_lines_advances_no_date_and_removes_nothing(tmp_path: Path) -> None:
    person = person_with("+14325550100")
    load(write(tmp_path, "full.txt", ["432,5550150"]), list_date=TODAY - dt.timedelta(days=40))
    load_state_lists(tmp_path)
    # Today's full list in a layout the loader was not told about: every line rejected.
    batch = load(write(tmp_path, "new.txt", ["4325550100", "4325550101"]))
    assert (batch.status, batch.errors) == (ImportBatch.Status.COMPLETE_WITH_ERRORS, 2)
    assert "Registry coverage not advanced and nothing marked removed" in batch.message
    assert FederalDnc.objects.get(phone="+14325550150").removed_on is None
    assert RegistryCoverage.objects.get(scope="432").as_of == TODAY - dt.timedelta(days=40)
    assert status(person) == "DNC_DATA_STALE"


def test_an_older_list_loaded_late_changes_nothing(tmp_path: Path) -> None:
    load(write(tmp_path, "new.txt", ["432,5550100", "432,5550101"]))
    old = load(write(tmp_path, "old.txt", ["432,5550100"]), list_date=TODAY - dt.timedelta(days=9))
    assert "marked removed" not in old.message
    assert FederalDnc.objects.filter(removed_on__isnull=False).count() == 0
    assert RegistryCoverage.objects.get(scope="432").as_of == TODAY


def test_internal_list_deletion_lifts_only_what_a_list_added(tmp_path: Path) -> None:
    from compliance.services import suppression_create

    person_with("+12125550100", state="NY")
    suppression_create(
        reason="DNC_INTERNAL", channel="all", source="disposition", phone="+12125550100"
    )
    batch = load(
        write(tmp_path, "internal.txt", ["2125550100,D"]),
        kind="internal",
        change_list=True,
        layout=Layout(number_columns=(0,), action_column=1),
    )
    assert (batch.unchanged, batch.updated) == (1, 0)
    assert Suppression.objects.get().is_active


def test_stale_registry_data_blocks_calls_and_sms(tmp_path: Path) -> None:
    person = person_with("+14325550100")
    old = TODAY - dt.timedelta(days=32)
    load(write(tmp_path, "full.txt", ["432,5550199"]), list_date=old)
    load_state_lists(tmp_path)
    assert (status(person, "call"), status(person, "sms")) == ("DNC_DATA_STALE", "DNC_DATA_STALE")
    ages = {(a.kind, a.scope): a for a in registry_ages()}
    assert (ages[("federal", "432")].age_days, ages[("federal", "432")].state) == (32, "stale")

    # A change list of today makes the area code fresh again; 25 days is a warning only.
    load(write(tmp_path, "changes.txt", ["432,5550198,A"]), change_list=True)
    call_command("scrub")
    assert status(person) == "CLEAR"
    RegistryCoverage.objects.filter(kind="federal").update(as_of=TODAY - dt.timedelta(days=25))
    call_command("scrub")
    assert status(person) == "CLEAR"
    assert {a.state for a in registry_ages() if a.kind == "federal"} == {"warning"}


def test_missing_state_list_data_blocks_persons_of_that_state(tmp_path: Path) -> None:
    texan = person_with("+14325550100", state="TX")
    load(write(tmp_path, "full.txt", ["432,5550199"]))
    assert status(texan) == "DNC_DATA_STALE"  # Texas keeps its own list: not loaded yet
    load(
        write(tmp_path, "tx.txt", ["4325550100"]),
        kind="state",
        state="TX",
        layout=Layout(number_columns=(0,)),
    )
    assert status(texan) == "DNC_STATE"
    assert StateDnc.objects.get(phone="+14325550100").state == "TX"


def test_state_list_applies_by_the_address_state_too(tmp_path: Path) -> None:
    # A 212 (New York) number of a person living in Florida: Florida's list applies.
    floridian = person_with("+12125550100", state="FL")
    load(write(tmp_path, "full.txt", ["212,5550199"]))
    load(
        write(tmp_path, "fl.txt", ["2125550100"]),
        kind="state",
        state="FL",
        layout=Layout(number_columns=(0,)),
    )
    assert status(floridian) == "DNC_STATE"


def test_internal_list_suppresses_the_number_on_every_channel_it_reaches(tmp_path: Path) -> None:
    person = person_with("+12125550100", "+12125550101", state="NY")
    load(write(tmp_path, "full.txt", ["212,5550199"]))
    load(
        write(tmp_path, "internal.txt", ["2125550100"]),
        kind="internal",
        layout=Layout(number_columns=(0,)),
    )
    assert Suppression.objects.get().reason == "DNC_INTERNAL"
    # One number listed, the other clear: the person may be called on the clear one.
    assert status(person) == "CLEAR"
    assert PhoneNumber.objects.get(e164="+12125550100").dnc_status == "DNC_INTERNAL"


def test_bad_lines_are_errors_and_the_counts_reconcile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "changes.txt",
        ["432,5550100,A", "432,555010,A", "", "432,5550101,X", "432,5550100,A", "555,5550123,A"],
    )
    batch = load(path, change_list=True)
    assert batch.status == ImportBatch.Status.COMPLETE_WITH_ERRORS
    assert (batch.rows_read, batch.inserted, batch.duplicates, batch.errors) == (6, 1, 1, 4)
    errors = dict(
        ImportRowError.objects.filter(batch_id=batch.pk).values_list("row_number", "error_type")
    )
    assert errors == {2: "invalid_phone", 3: "empty_line", 4: "unknown_action", 6: "invalid_phone"}
    chunk = ImportChunk.objects.get(batch=batch)
    assert chunk.rows_read == 6
    assert set(batch.reports) == {"summary", "errors", "checklist"}


def test_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "full.txt", ["432,5550100"])
    load(path)
    again = load(path)
    assert again.status == ImportBatch.Status.DUPLICATE_FILE
    assert FederalDnc.objects.count() == 1


def test_bad_requests_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = write(tmp_path, "tx.txt", ["4325550100"])
    with pytest.raises(ImportRequestError, match="two-letter state"):
        load(path, kind="state")
    with pytest.raises(ImportRequestError, match="not valid JSON"):
        Layout.from_json("{number_columns", change_list=False)
    with pytest.raises(ImportRequestError, match="Unknown registry layout keys: colums"):
        Layout.from_json('{"colums": [0]}', change_list=False)
    with pytest.raises(ImportRequestError, match="in the future"):
        load(path, list_date=TODAY + dt.timedelta(days=5))
    assert ImportBatch.objects.count() == 0
    assert StateDnc.objects.count() == 0


def test_load_registry_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "full.txt", ["432,5550100", "432,5550101"])
    call_command("load_registry", str(path), "--kind", "federal", "--list-date", TODAY.isoformat())
    assert '"inserted": 2' in capsys.readouterr().out
    with pytest.raises(CommandError, match="not YYYY-MM-DD"):
        call_command("load_registry", str(path), "--kind", "federal", "--list-date", "24/11/2026")
    with pytest.raises(CommandError, match="is not a readable file"):
        call_command(
            "load_registry",
            str(tmp_path / "missing.txt"),
            "--kind",
            "federal",
            "--list-date",
            TODAY.isoformat(),
        )


@pytest.mark.django_db(transaction=True)
def test_full_scrub_on_parallel_connections_matches_one(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from compliance import scrub

    monkeypatch.setattr(scrub, "SCRUB_RANGE", 3)  # 20 persons: seven ranges over the workers
    numbers = [f"+1432555{n:04d}" for n in range(0, 40, 2)]
    load(write(tmp_path, "full.txt", [f"{n[2:5]},{n[5:]}" for n in numbers[::2]]))
    load_state_lists(tmp_path)
    persons = [person_with(number) for number in numbers]
    expected = {p.pk: "DNC_FEDERAL" if i % 2 == 0 else "CLEAR" for i, p in enumerate(persons)}
    for workers in (1, 2):
        settings.COMPLIANCE_SCRUB_WORKERS = workers
        Person.objects.update(call_status="", call_flags=0)
        result = scrub.scrub_all()
        assert (result.persons, result.phones) == (20, 20)
        assert dict(Person.objects.values_list("pk", "call_status")) == expected
