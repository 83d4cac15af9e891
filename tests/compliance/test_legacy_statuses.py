"""Legacy lead statuses that are compliance facts become suppressions when imported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cmplatform.core.models import Person
from compliance.models import Suppression
from ingestion.services import import_file, import_run

pytestmark = pytest.mark.django_db


def test_dnc_and_deceased_statuses_suppress_the_person_once(tmp_path: Path) -> None:
    path = tmp_path / "legacy.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "First Name", "Last Name", "Phone", "Status"])
        writer.writerow(["a1", "Ann", "Cole", "(432) 555-0100", "Do Not Call"])
        writer.writerow(["a2", "Bob", "Dale", "(432) 555-0101", "Deceased"])
        writer.writerow(["a3", "Cy", "Eads", "(432) 555-0102", "Interested"])
    batch = import_run(import_file(path).pk)
    assert batch.status == "COMPLETE"
    rows = Suppression.objects.order_by("reason").values_list(
        "person__first_name", "reason", "channel", "source", "import_batch_id"
    )
    assert list(rows) == [
        ("Bob", "DECEASED", "all", "legacy", batch.pk),
        ("Ann", "DNC_INTERNAL", "all", "legacy", batch.pk),
    ]
    statuses = dict(Person.objects.values_list("first_name", "mail_status"))
    assert statuses["Ann"] == "DNC_INTERNAL"
    assert statuses["Bob"] == "DECEASED"

    # The same rows in another file: no second suppression.
    again = tmp_path / "again.csv"
    again.write_text(path.read_text() + "\n")
    import_run(import_file(again).pk)
    assert Suppression.objects.count() == 2
