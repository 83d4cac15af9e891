import csv
import datetime as dt
import json

from cmplatform.demo import generate_demo_sources
from ingestion.mapping import resolve_mapping
from ingestion.records import NormalizedRecord, RejectedRecord, Rules, normalize_record
from ingestion.sources import SourceRow, open_source

COLUMNS = ["id", "Name", "Phone", "Mobile", "Email", "Address", "City", "State", "Zip", "Status"]
MAPPING = resolve_mapping(COLUMNS)


def row(number=1, **values):
    full = dict.fromkeys(COLUMNS, "")
    full.update(values)
    return SourceRow(number=number, location=f"line {number + 1}", values=full)


def test_demo_sources_normalise_row_for_row_with_ground_truth_keys(tmp_path):
    generate_demo_sources(rows=1_200, out_dir=tmp_path, seed=5)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    with (tmp_path / "ground_truth.csv").open(newline="", encoding="utf-8") as handle:
        truth = list(csv.DictReader(handle))
    for source in manifest["sources"]:
        expected_keys = [line["source_key"] for line in truth if line["source"] == source["name"]]
        options = {"sheet": source["sheet"]} if source.get("sheet") else {}
        with open_source(tmp_path / source["file"], **options) as reader:
            mapping = resolve_mapping(reader.columns)
            results = [normalize_record(item, mapping) for item in reader]
        accepted = [r for r in results if isinstance(r, NormalizedRecord)]
        rejected = [r for r in results if isinstance(r, RejectedRecord)]
        assert len(accepted) + len(rejected) == source["rows"], source["name"]
        assert [r.source_key for r in accepted] == [
            key for key, r in zip(expected_keys, results, strict=True) if r in accepted
        ]
        assert all(r.has_own_key for r in accepted)
        # Messy but realistic data: nearly every row names a person and a way to reach them.
        assert len(rejected) <= source["rows"] * 0.02, source["name"]


def test_full_name_phones_emails_address_and_status_are_normalised():
    record = normalize_record(
        row(
            id="A-1",
            Name="SMITH, JOHN A JR ET UX",
            Phone="(405) 235-7100",
            Mobile="405.235.7100",
            Email=" John.Smith@GMail.COM ",
            Address="123 North Main Street Apt 4",
            City="oklahoma city",
            State="Oklahoma",
            Zip="73102-1234",
            Status="offer sent",
        ),
        MAPPING,
    )
    assert isinstance(record, NormalizedRecord)
    assert (record.first_name, record.middle_name, record.last_name, record.suffix) == (
        "John",
        "A",
        "Smith",
        "Jr",
    )
    assert record.qualifier == "ET UX"
    assert (record.first_name_key, record.last_name_key) == ("JOHN", "SMITH")
    # The mobile column repeats the phone: one number, first seen in the mobile column.
    assert [(p.e164, p.from_mobile_column) for p in record.phones] == [("+14052357100", True)]
    assert [e.email for e in record.emails] == ["john.smith@gmail.com"]
    assert record.address is not None
    assert (record.address.street, record.address.state, record.address.zip5) == (
        "123 N MAIN ST APT 4",
        "OK",
        "73102",
    )
    assert record.address.zip4 == "1234"
    assert record.lead_status == "offer_sent"
    assert record.source_key == "A-1"
    assert record.issues == ()
    assert record.brought["Name"] == "SMITH, JOHN A JR ET UX"


def test_invalid_values_are_kept_raw_and_flagged_never_dropped():
    record = normalize_record(
        row(Name="Mary Jones", Phone="555-1234", Email="none@none.com", Status="DNC"), MAPPING
    )
    assert isinstance(record, NormalizedRecord)
    assert [(p.raw, p.e164, p.is_valid) for p in record.phones] == [("555-1234", None, False)]
    assert [(e.raw, e.is_valid, e.reason) for e in record.emails] == [
        ("none@none.com", False, "placeholder")
    ]
    assert record.lead_status is None
    assert record.compliance_hints == ("DNC_INTERNAL",)
    assert {(issue.field, issue.code) for issue in record.issues} == {
        ("phone", "too short"),
        ("email", "placeholder"),
    }


def test_the_same_person_written_differently_has_the_same_checksum_and_derived_key():
    keyless = resolve_mapping([c for c in COLUMNS if c != "id"])
    first = normalize_record(
        row(Name="John Smith", Phone="(405) 235-7100", City="Enid", State="OK"), keyless
    )
    second = normalize_record(
        row(number=9, Name="SMITH, JOHN", Phone="+1 405 235 7100", City="ENID", State="ok"),
        keyless,
    )
    assert isinstance(first, NormalizedRecord) and isinstance(second, NormalizedRecord)
    assert first.checksum == second.checksum
    assert first.source_key == second.source_key == f"h:{first.checksum}"
    assert first.has_own_key is False
    third = normalize_record(row(Name="John Smith", Phone="(405) 235-7101"), keyless)
    assert isinstance(third, NormalizedRecord)
    assert third.checksum != first.checksum


def test_rows_missing_required_fields_are_rejected_verbatim():
    nameless = normalize_record(row(number=7, Phone="(405) 235-7100"), MAPPING)
    assert isinstance(nameless, RejectedRecord)
    assert (nameless.row_number, nameless.error_type, nameless.field_name) == (
        7,
        "required_field_missing",
        "name",
    )
    assert nameless.raw["Phone"] == "(405) 235-7100"
    unreachable = normalize_record(row(Name="Ann Lee"), MAPPING)
    assert isinstance(unreachable, RejectedRecord)
    assert unreachable.message == "The row has no phone, e-mail or street address."
    lenient = normalize_record(row(Name="Ann Lee"), MAPPING, Rules(required=("name",)))
    assert isinstance(lenient, NormalizedRecord)


def test_source_timestamps_become_aware_utc_datetimes():
    mapping = resolve_mapping(["Name", "Email", "updated_at", "Mailed On"])
    record = normalize_record(
        SourceRow(
            number=1,
            location="line 2",
            values={
                "Name": "Ann Lee",
                "Email": "ann.lee@yahoo.com",
                "updated_at": "2024-03-05 14:30:00",
                "Mailed On": "03/01/2024",
            },
        ),
        mapping,
    )
    assert isinstance(record, NormalizedRecord)
    assert record.source_updated_at == dt.datetime(2024, 3, 5, 14, 30, tzinfo=dt.UTC)
    assert record.touched_at == dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def test_every_changed_fact_changes_the_checksum():
    base = {
        "Name": "SMITH, JOHN",
        "Phone": "(405) 235-7100",
        "Address": "12 Main St",
        "Zip": "73102-1234",
        "Status": "new",
    }
    variants = [
        {"Name": "SMITH, JOHN DECEASED"},
        {"Name": "SMITH, JOHN ET UX"},
        {"Zip": "73102-9999"},
        {"Phone": "(405) 235-7100 x12"},
        {"Email": "john@gmail.com"},
        {"Status": "interested"},
        {"Address": "14 Main St"},
    ]
    reference = normalize_record(row(**base), MAPPING)
    assert isinstance(reference, NormalizedRecord)
    checksums = {reference.checksum}
    for variant in variants:
        record = normalize_record(row(**{**base, **variant}), MAPPING)
        assert isinstance(record, NormalizedRecord)
        assert record.checksum not in checksums, variant
        checksums.add(record.checksum)


def test_a_value_too_long_for_its_column_rejects_only_its_row():
    record = normalize_record(row(number=3, Name="Ann Lee", Address="9" * 250), MAPPING)
    assert isinstance(record, RejectedRecord)
    assert (record.error_type, record.field_name) == ("value_too_long", "street")
    assert record.message.startswith("The street has ")
    assert record.raw["Address"] == "9" * 250
