"""Pickling of records and the garbage collector's settings during bulk work."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import os
import pickle
import subprocess
import sys
import threading

import pytest

from cmplatform.lib.runtime import BULK_THRESHOLDS, fast_pickle, relaxed_gc
from ingestion.mapping import resolve_mapping
from ingestion.records import NormalizedRecord, RejectedRecord, normalize_record
from ingestion.sources import RowError, SourceRow

COLUMNS = [
    "Record ID",
    "Full Name",
    "Phone",
    "Email",
    "Street",
    "City",
    "State",
    "Zip",
    "Mailed On",
]


def _row(number: int, values: list[str | None]) -> SourceRow:
    return SourceRow(number, f"line {number + 1}", dict(zip(COLUMNS, values, strict=True)))


def test_records_survive_a_pickle_round_trip_with_every_value():
    mapping = resolve_mapping(COLUMNS)
    rows = [
        _row(
            1,
            [
                "A-1",
                "SMITH, JOHN Q JR",
                "(405) 555-0147 ext 12",
                " John@Example.COM ",
                "12 n main st apt 4",
                "Tulsa",
                "ok",
                "74103-1234",
                "03/04/2024",
            ],
        ),
        _row(2, ["A-2", "Mary Jones", "not a phone", "bad@", "", "", "TX", "7", "someday"]),
        _row(3, ["A-3", "", "", "", "", "", "", "", ""]),  # rejected: no name, no contact
    ]
    outcomes = [normalize_record(row, mapping) for row in rows]
    assert [type(o) for o in outcomes] == [NormalizedRecord, NormalizedRecord, RejectedRecord]
    assert outcomes[0].address is not None and outcomes[0].phones[0].extension == "12"
    assert outcomes[1].issues  # nested Issue values travel too
    copies = pickle.loads(pickle.dumps(outcomes, pickle.HIGHEST_PROTOCOL))  # noqa: S301
    assert copies == outcomes
    for copy, original in zip(copies, outcomes, strict=True):
        assert type(copy) is type(original)
        for field in dataclasses.fields(original):
            assert getattr(copy, field.name) == getattr(original, field.name)
    # the checksum covers the nested values' reprs: a copy must give the same text
    assert repr(copies[0].address) == repr(outcomes[0].address)
    assert repr(copies[0].address).startswith("AddressValue(street='12 N MAIN ST APT 4'")


def test_source_rows_and_row_errors_round_trip():
    items = [
        SourceRow(7, "line 8", {"a": "x", "b": None}),
        RowError(8, "line 9", "ragged_row", "3 values for 2 columns", "x,y,z"),
    ]
    assert pickle.loads(pickle.dumps(items)) == items  # noqa: S301


def test_fast_pickle_refuses_classes_it_cannot_rebuild():
    @dataclasses.dataclass(frozen=True)
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    with pytest.raises(TypeError, match="init fields"):
        fast_pickle(Derived)


def test_relaxed_gc_restores_the_settings_after_the_last_of_overlapping_bodies():
    before = gc.get_threshold()
    assert before != BULK_THRESHOLDS
    inside = threading.Event()
    release = threading.Event()

    def other_import() -> None:
        with relaxed_gc():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_import)
    with relaxed_gc():
        assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.get_freeze_count() > 0
        thread.start()
        assert inside.wait(10)
    # this body ended first: the other one still runs with the bulk settings
    assert gc.get_threshold() == BULK_THRESHOLDS
    release.set()
    thread.join(10)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_relaxed_gc_restores_the_settings_when_the_body_fails():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), relaxed_gc():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_dates_in_records_keep_their_time_zone_through_pickling():
    mapping = resolve_mapping(COLUMNS)
    record = normalize_record(
        _row(1, ["B-1", "Ann Lee", "4055550148", "", "", "", "", "", "2024-05-06T07:08:09Z"]),
        mapping,
    )
    assert isinstance(record, NormalizedRecord)
    copy = pickle.loads(pickle.dumps(record))  # noqa: S301
    assert copy.touched_at == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    assert copy.touched_at.tzinfo is not None


@pytest.mark.parametrize("module", ["cmplatform.asgi", "cmplatform.wsgi"])
def test_the_server_entry_points_freeze_what_startup_imported(module):
    code = (
        "import gc, importlib, sys; importlib.import_module(sys.argv[1]); "
        "print(gc.get_freeze_count(), 'dashboard.lists.views' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cmplatform.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code, module], env=env, capture_output=True, text=True, check=True
    )
    frozen, views_imported = done.stdout.split()
    # Django, the views (imported before the freeze) and the libraries they import
    assert views_imported == "True"
    assert int(frozen) > 100_000, done.stdout
