"""Contract of the bulk interface: the same calls give the same results on SQLite and MariaDB
(this module runs in both passes of tests/run.sh)."""

import datetime as dt
import os
import tempfile
from decimal import Decimal

import pytest
from django.db import connection

from cmplatform.core.models import EmailAddress, Person
from cmplatform.lib.bulk import (
    Column,
    ColumnType,
    Merge,
    Rule,
    Upsert,
    discard_prepared,
    load_prepared,
    prepare_load,
    staging_create,
    staging_drop,
    staging_load,
    update_from_staging,
    upsert_from_staging,
)
from tests.factories import email_create, person_create

T1 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC)

ROUND_TRIP_COLUMNS = [
    Column("number", ColumnType.BIGINT),
    Column("label", ColumnType.VARCHAR, 200),
    Column("body", ColumnType.TEXT),
    Column("flag", ColumnType.BOOLEAN),
    Column("seen_at", ColumnType.DATETIME),
]


def staged_rows(name):
    quoted = connection.ops.quote_name(name)
    prefix = "" if connection.vendor == "mysql" else "temp."
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {prefix}{quoted} ORDER BY 1")  # noqa: S608
        return cursor.fetchall()


@pytest.mark.django_db
def test_staging_round_trips_awkward_values_exactly():
    awkward = "tab\there, new\nline, cr\r, back\\slash, nul\0, ctrl-z\x1a, 'quote' \"dq\" 🙂 ñ"
    rows = [
        (1, awkward, "x" * 10_000, True, T1),
        (
            2,
            "",
            None,
            False,
            dt.datetime(2025, 1, 1, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        ),
        (3, None, '=HYPERLINK("http://evil")', None, None),
    ]
    staging_create(connection, name="stage_round_trip", columns=ROUND_TRIP_COLUMNS)
    assert (
        staging_load(
            connection, name="stage_round_trip", columns=ROUND_TRIP_COLUMNS, rows=iter(rows)
        )
        == 3
    )
    stored = staged_rows("stage_round_trip")
    assert [row[1] for row in stored] == [awkward, "", None]
    assert [row[2] for row in stored] == ["x" * 10_000, None, '=HYPERLINK("http://evil")']
    assert [None if row[3] is None else bool(row[3]) for row in stored] == [True, False, None]
    # Aware datetimes are stored as naive UTC on both backends (MySQL hands back datetimes,
    # SQLite the text it stored, written as Django writes it so that ORM filters match).
    if connection.vendor == "mysql":
        noon = dt.datetime(2025, 1, 1, 12, 0)
        assert [row[4] for row in stored] == [noon, noon, None]
    else:
        noon_text = "2025-01-01 12:00:00"
        assert [row[4] for row in stored] == [noon_text, noon_text, None]
    staging_drop(connection, name="stage_round_trip")


@pytest.mark.django_db
def test_bad_rows_and_identifiers_are_refused_before_anything_is_stored():
    columns = [Column("code", ColumnType.VARCHAR, 5)]
    staging_create(connection, name="stage_refusals", columns=columns)
    with pytest.raises(ValueError, match="too long for code"):
        staging_load(
            connection, name="stage_refusals", columns=columns, rows=[("12345",), ("123456",)]
        )
    with pytest.raises(ValueError, match="has 2 values, expected 1"):
        staging_load(connection, name="stage_refusals", columns=columns, rows=[("a", "b")])
    assert list(staged_rows("stage_refusals")) == []
    typed = [
        Column("flag", ColumnType.BOOLEAN),
        Column("count", ColumnType.INTEGER),
        Column("at", ColumnType.DATETIME),
    ]
    staging_create(connection, name="stage_typed", columns=typed)
    for bad_row, message in [
        (("0", 1, NOW), "flag needs a boolean, got '0'"),
        ((True, "1.5", NOW), "count needs an integer, got '1.5'"),
        ((True, Decimal("1.5"), NOW), "count needs an integer"),
        ((True, 1, dt.datetime(2025, 1, 1)), "at needs an aware datetime"),
    ]:
        with pytest.raises(TypeError, match=message):
            staging_load(connection, name="stage_typed", columns=typed, rows=[bad_row])
    assert list(staged_rows("stage_typed")) == []
    with pytest.raises(ValueError, match="Not a safe SQL identifier"):
        Column("name; DROP TABLE persons", ColumnType.TEXT)
    with pytest.raises(ValueError, match="Not a safe SQL identifier"):
        staging_create(connection, name="x`y", columns=columns)


PERSON_COLUMNS = [
    Column("id", ColumnType.BIGINT),
    Column("first_name", ColumnType.VARCHAR, 100),
    Column("middle_name", ColumnType.VARCHAR, 100),
    Column("last_name", ColumnType.VARCHAR, 100),
    Column("suffix", ColumnType.VARCHAR, 20),
    Column("lead_status", ColumnType.VARCHAR, 20),
    Column("seen_at", ColumnType.DATETIME),
    Column("now", ColumnType.DATETIME),
    Column("yes", ColumnType.BOOLEAN),
    Column("no", ColumnType.BOOLEAN),
    Column("zero", ColumnType.INTEGER),
    Column("blank", ColumnType.VARCHAR, 10),
    Column("locks", ColumnType.JSON),
    Column("no_fields", ColumnType.JSON),
]
# Columns that only matter when the upsert inserts: filled from constants, never updated.
INSERT_ONLY = {
    "first_name_key": "blank",
    "last_name_key": "blank",
    "state": "blank",
    "county": "blank",
    "zip5": "blank",
    "is_original": "yes",
    "is_duplicate": "no",
    "is_manual_override": "no",
    "manual_override_fields": "locks",
    "survivorship": "no_fields",
    "score": "zero",
    "source": "blank",
    "created_at": "now",
}
PERSON_UPSERT = Upsert(
    target="persons",
    staging="stage_persons",
    key=["id"],
    columns={
        "id": "id",
        "first_name": "first_name",
        "middle_name": "middle_name",
        "last_name": "last_name",
        "suffix": "suffix",
        "lead_status": "lead_status",
        "last_imported_at": "seen_at",
        "updated_at": "now",
        **INSERT_ONLY,
    },
    merge={
        "first_name": Merge(Rule.NEWEST, locked_by="manual_override_fields"),
        "middle_name": Merge(Rule.NEWEST, locked_by="manual_override_fields"),
        "last_name": Merge(Rule.NEWEST, locked_by="manual_override_fields"),
        "suffix": Merge(Rule.FILL, locked_by="manual_override_fields"),
        "lead_status": Merge(Rule.KEEP),
        "last_imported_at": Merge(Rule.NEWEST),
        "updated_at": Merge(Rule.OVERWRITE),
        **{column: Merge(Rule.KEEP) for column in INSERT_ONLY},
    },
    timestamp=("last_imported_at", "seen_at"),
)


def person_row(person_id, first, middle, last, suffix, seen_at):
    return (
        person_id,
        first,
        middle,
        last,
        suffix,
        "new",
        seen_at,
        NOW,
        True,
        False,
        0,
        "",
        "[]",
        "{}",
    )


@pytest.mark.django_db
def test_upsert_applies_survivorship_rules_per_column():
    locked = person_create(
        first_name="Bob", middle_name="A", last_name="Smith", lead_status="interested"
    )
    Person.objects.filter(pk=locked.pk).update(
        manual_override_fields=["last_name"], is_manual_override=True, last_imported_at=T1
    )
    newer_elsewhere = person_create(first_name="Ann", last_name="Lee")
    Person.objects.filter(pk=newer_elsewhere.pk).update(last_imported_at=T2)
    staging_create(connection, name="stage_persons", columns=PERSON_COLUMNS)
    staging_load(
        connection,
        name="stage_persons",
        columns=PERSON_COLUMNS,
        rows=[
            # newer than stored: names may change, but not the locked last name, and the
            # empty middle name never wipes the stored one
            person_row(locked.pk, "Robert", "", "Smyth", "Jr", T2),
            # older than stored: the names stay, the suffix (FILL) still fills in
            person_row(newer_elsewhere.pk, "Anne", "B", "Leigh", "Sr", T1),
            # a new person is inserted with the insert-only constants
            person_row(None, "Cara", "", "Diaz", "", T2),
        ],
    )
    upsert_from_staging(connection, PERSON_UPSERT)
    locked.refresh_from_db()
    assert (locked.first_name, locked.middle_name, locked.last_name, locked.suffix) == (
        "Robert",
        "A",
        "Smith",
        "Jr",
    )
    assert locked.lead_status == "interested"  # KEEP: imports never change a lead's status
    assert locked.last_imported_at == T2
    assert locked.updated_at == NOW
    newer_elsewhere.refresh_from_db()
    assert (newer_elsewhere.first_name, newer_elsewhere.last_name, newer_elsewhere.suffix) == (
        "Ann",
        "Lee",
        "Sr",
    )
    assert newer_elsewhere.last_imported_at == T2
    inserted = Person.objects.get(first_name="Cara")
    assert (inserted.last_name, inserted.is_original, inserted.manual_override_fields) == (
        "Diaz",
        True,
        [],
    )
    assert inserted.created_at == NOW


EMAIL_COLUMNS = [
    Column("person_id", ColumnType.BIGINT),
    Column("email", ColumnType.VARCHAR, 254),
    Column("is_verified", ColumnType.BOOLEAN),
    Column("is_wanted", ColumnType.BOOLEAN),
    Column("status", ColumnType.VARCHAR, 12),
    Column("now", ColumnType.DATETIME),
]
EMAIL_UPSERT = Upsert(
    target="email_addresses",
    staging="stage_emails",
    key=["person_id", "email"],
    columns={
        "person_id": "person_id",
        "email": "email",
        "is_verified": "is_verified",
        "is_primary": "is_wanted",
        "is_valid": "is_wanted",
        "opt_out_status": "status",
        "created_at": "now",
        "updated_at": "now",
    },
    merge={
        "is_verified": Merge(Rule.UPGRADE),
        "is_primary": Merge(Rule.KEEP),
        "is_valid": Merge(Rule.KEEP),
        "opt_out_status": Merge(Rule.KEEP),
        "created_at": Merge(Rule.KEEP),
        "updated_at": Merge(Rule.OVERWRITE),
    },
    only_where_true="is_wanted",
)


@pytest.mark.django_db
def test_upsert_on_a_natural_key_inserts_updates_and_is_idempotent():
    person = person_create()
    existing = email_create(person, "old@example.com", is_verified=False)
    verified = email_create(person, "kept@example.com", is_verified=True)
    staging_create(connection, name="stage_emails", columns=EMAIL_COLUMNS, index=["person_id"])
    staging_load(
        connection,
        name="stage_emails",
        columns=EMAIL_COLUMNS,
        rows=[
            (person.pk, "old@example.com", True, True, "CLEAR", NOW),
            (person.pk, "kept@example.com", False, True, "CLEAR", NOW),
            (person.pk, "new@example.com", False, True, "CLEAR", NOW),
            (person.pk, "skipped@example.com", False, False, "CLEAR", NOW),
        ],
    )
    upsert_from_staging(connection, EMAIL_UPSERT)
    upsert_from_staging(connection, EMAIL_UPSERT)  # the same rows again change nothing
    stored = list(
        EmailAddress.objects.order_by("email").values_list("email", "is_verified", "created_at")
    )
    assert stored == [
        ("kept@example.com", True, verified.created_at),  # verified beats unverified
        ("new@example.com", False, NOW),
        ("old@example.com", True, existing.created_at),
    ]


@pytest.mark.django_db(transaction=True)
def test_staging_work_never_commits_the_callers_transaction():
    from django.db import transaction

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        person_create(first_name="Uncommitted")
        staging_create(connection, name="stage_in_tx", columns=EMAIL_COLUMNS, index=["email"])
        staging_load(
            connection,
            name="stage_in_tx",
            columns=EMAIL_COLUMNS,
            rows=[(1, "a@b.co", True, True, "CLEAR", NOW)],
        )
        staging_drop(connection, name="stage_in_tx")
        raise Abort
    assert not Person.objects.filter(first_name="Uncommitted").exists()


@pytest.mark.django_db
def test_constants_insert_and_merge_like_staged_columns_and_rows_apply_in_order():
    person = person_create()
    existing = email_create(person, "old@example.com", is_verified=False)
    columns = [
        Column("seq", ColumnType.BIGINT),
        Column("person_id", ColumnType.BIGINT),
        Column("email", ColumnType.VARCHAR, 254),
        Column("is_valid", ColumnType.BOOLEAN),
    ]
    staging_create(connection, name="stage_constants", columns=columns)
    # Two rows for one stored address, staged out of order: "seq" decides which is merged last.
    staging_load(
        connection,
        name="stage_constants",
        columns=columns,
        rows=[
            (2, person.pk, "old@example.com", False),
            (1, person.pk, "old@example.com", True),
            (3, person.pk, "new@example.com", True),
        ],
    )
    upsert_from_staging(
        connection,
        Upsert(
            target="email_addresses",
            staging="stage_constants",
            key=("person_id", "email"),
            columns={c: c for c in ("person_id", "email", "is_valid")}
            | {c: c for c in ("is_primary", "is_verified", "opt_out_status")}
            | {"created_at": "created_at", "updated_at": "updated_at"},
            constants={
                "is_primary": False,
                "is_verified": True,
                "opt_out_status": "CLEAR",
                "created_at": NOW,
                "updated_at": NOW,
            },
            merge={
                "is_valid": Merge(Rule.OVERWRITE),
                "is_verified": Merge(Rule.KEEP),
                "created_at": Merge(Rule.KEEP),
                "updated_at": Merge(Rule.OVERWRITE),
            },
            order_by=("seq",),
        ),
    )
    stored = list(
        EmailAddress.objects.order_by("email").values_list(
            "email", "is_valid", "is_verified", "created_at", "updated_at"
        )
    )
    assert stored == [
        ("new@example.com", True, True, NOW, NOW),
        ("old@example.com", False, False, existing.created_at, NOW),  # seq 2 was merged last
    ]


@pytest.mark.django_db
def test_staged_datetimes_are_found_by_orm_equality_filters():
    person = person_create()
    columns = [
        Column("person_id", ColumnType.BIGINT),
        Column("email", ColumnType.VARCHAR, 254),
        Column("created_at", ColumnType.DATETIME),
    ]
    stamps = (NOW, NOW.replace(microsecond=123456))  # with and without a fraction
    staging_create(connection, name="stage_stamp", columns=columns)
    staging_load(
        connection,
        name="stage_stamp",
        columns=columns,
        rows=[(person.pk, f"a{n}@ranchmail.com", stamp) for n, stamp in enumerate(stamps)],
    )
    constants = {"is_primary": False, "is_verified": False, "is_valid": True}
    constants |= {"opt_out_status": "CLEAR", "updated_at": NOW}
    upsert_from_staging(
        connection,
        Upsert(
            target="email_addresses",
            staging="stage_stamp",
            key=("person_id", "email"),
            columns={name: name for name in ("person_id", "email", "created_at", *constants)},
            merge={},
            constants=constants,
        ),
    )
    for n, stamp in enumerate(stamps):
        found = EmailAddress.objects.filter(created_at=stamp).values_list("email", flat=True)
        assert list(found) == [f"a{n}@ranchmail.com"]


@pytest.mark.django_db
def test_prepared_loads_leave_no_file_behind_and_refuse_bad_rows_before_sending(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where LOAD DATA files go
    columns = [Column("number", ColumnType.BIGINT), Column("label", ColumnType.VARCHAR, 5)]
    staging_create(connection, name="stage_prepared", columns=columns)
    before: set[str] = set()

    with pytest.raises(ValueError, match="too long for label"):
        prepare_load(connection.vendor, columns, [(1, "ok"), (2, "far too long")])
    assert set(os.listdir(tmp_path)) == before

    prepared = prepare_load(connection.vendor, columns, [(2, "two"), (1, "one")])
    assert prepared.count == 2
    assert load_prepared(connection, name="stage_prepared", prepared=prepared) == 2
    assert list(staged_rows("stage_prepared")) == [(1, "one"), (2, "two")]
    assert set(os.listdir(tmp_path)) == before

    unused = prepare_load(connection.vendor, columns, [(3, "three")])
    discard_prepared(unused)
    assert set(os.listdir(tmp_path)) == before
    with pytest.raises(ValueError, match="prepared for another database"):
        other = "sqlite" if connection.vendor == "mysql" else "mysql"
        load_prepared(connection, name="stage_prepared", prepared=prepare_load(other, columns, []))
    assert list(staged_rows("stage_prepared")) == [(1, "one"), (2, "two")]
    assert set(os.listdir(tmp_path)) == before


@pytest.mark.django_db
def test_update_from_staging_sets_columns_of_the_staged_keys_only():
    ann, bob, _ = (person_create(first_name=name) for name in ("Ann", "Bob", "Cy"))
    columns = [
        Column("id", ColumnType.BIGINT),
        Column("is_duplicate", ColumnType.BOOLEAN),
        Column("is_original", ColumnType.BOOLEAN),
        Column("merged_into_id", ColumnType.BIGINT),
    ]
    staging_create(connection, name="stage_links", columns=columns, index=["id"])
    staging_load(
        connection, name="stage_links", columns=columns, rows=[(bob.pk, True, False, ann.pk)]
    )

    changed = update_from_staging(
        connection,
        target="persons",
        staging="stage_links",
        key="id",
        columns={
            "is_duplicate": "is_duplicate",
            "is_original": "is_original",
            "merged_into_id": "merged_into_id",
        },
    )

    assert changed == 1
    assert list(
        Person.objects.order_by("pk").values_list("first_name", "is_duplicate", "merged_into_id")
    ) == [("Ann", False, None), ("Bob", True, ann.pk), ("Cy", False, None)]
