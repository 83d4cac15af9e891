import json

import pytest

from cmplatform.demo import generate_demo_sources
from ingestion.mapping import MappingError, fold, resolve_mapping


def test_fold_ignores_case_spaces_and_punctuation():
    assert fold("E-mail Address") == fold("email_address") == fold("EmailAddress")


def test_every_demo_source_maps_completely_without_a_mapping_file(tmp_path):
    generate_demo_sources(rows=300, out_dir=tmp_path, seed=3)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    for source in manifest["sources"]:
        mapping = resolve_mapping(source["columns"])
        assert mapping.unmapped == (), source["name"]
        assert mapping.columns_of("source_key") == (source["key_column"],), source["name"]


def test_demo_layouts_map_to_the_expected_fields():
    owners = resolve_mapping(
        ["owner_id", "owner_name", "mail_addr1", "mail_city", "mail_state", "mail_zip",
         "county", "phone_1", "phone_2", "email", "lead_status", "created_at", "updated_at"]
    )  # fmt: skip
    assert owners.fields == {
        "source_key": ("owner_id",),
        "full_name": ("owner_name",),
        "street": ("mail_addr1",),
        "city": ("mail_city",),
        "state": ("mail_state",),
        "zip": ("mail_zip",),
        "county": ("county",),
        "phone": ("phone_1", "phone_2"),
        "email": ("email",),
        "lead_status": ("lead_status",),
        "source_created_at": ("created_at",),
        "source_updated_at": ("updated_at",),
    }
    calls = resolve_mapping(
        ["RecordID", "Owner Name", "Phone Number", "Mobile", "Email Address", "Street", "Town",
         "State", "Postal Code", "Last Called"]
    )  # fmt: skip
    assert calls.columns_of("mobile_phone") == ("Mobile",)
    assert calls.columns_of("touched_at") == ("Last Called",)
    assert calls.columns_of("zip") == ("Postal Code",)


def test_full_name_is_ignored_when_split_names_exist_and_kept_in_lineage():
    mapping = resolve_mapping(["Name", "First Name", "Last Name", "Notes"])
    assert mapping.columns_of("full_name") == ()
    assert mapping.columns_of("first_name") == ("First Name",)
    assert mapping.unmapped == ("Name", "Notes")


def test_explicit_mapping_overrides_synonyms_and_can_ignore_columns():
    mapping = resolve_mapping(
        ["Phone", "Owner Phone", "Acct", "status"],
        {"Acct": "source_key", "status": None, "Owner Phone": "mobile_phone"},
    )
    assert mapping.fields == {
        "phone": ("Phone",),
        "mobile_phone": ("Owner Phone",),
        "source_key": ("Acct",),
    }
    assert mapping.unmapped == ("status",)
    assert mapping.decided_by == {
        "phone": "auto",
        "mobile_phone": "explicit",
        "source_key": "explicit",
    }


def test_explicit_choice_displaces_an_automatic_one_which_stays_in_lineage():
    mapping = resolve_mapping(["id", "Legacy Key"], {"Legacy Key": "source_key"})
    assert mapping.columns_of("source_key") == ("Legacy Key",)
    assert mapping.unmapped == ("id",)


def test_second_automatic_match_of_a_single_field_is_kept_unmapped():
    mapping = resolve_mapping(["City", "Town"])
    assert mapping.columns_of("city") == ("City",)
    assert mapping.unmapped == ("Town",)


@pytest.mark.parametrize(
    ("explicit", "message"),
    [
        ({"Missing": "email"}, "does not have: Missing"),
        (
            {"Phone": "telephone_number"},
            "Unknown canonical fields in the mapping: telephone_number",
        ),
        ({"A": "city", "B": "city"}, "Field 'city' is mapped from two columns: 'A' and 'B'"),
    ],
)
def test_bad_explicit_mappings_are_explained(explicit, message):
    with pytest.raises(MappingError, match=message):
        resolve_mapping(["Phone", "A", "B"], explicit)
