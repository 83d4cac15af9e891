import pytest

from cmplatform.core.models import AuditLog, Campaign, Person
from cmplatform.core.services import model_delete_audited, model_save_audited, person_update
from tests.factories import person_create, user_create


@pytest.mark.django_db
def test_person_update_locks_changed_fields_and_audits_them():
    operator = user_create("olga", "operator")
    person = person_create(first_name="Bob", last_name="Smith", lead_status="new")
    updated = person_update(
        person=person,
        changes={"first_name": "Robert", "lead_status": "new", "score": 80},
        by=operator,
        origin="admin",
    )
    assert updated.first_name == "Robert"
    assert updated.first_name_key == "ROBERT"
    assert updated.manual_override_fields == ["first_name", "score"]
    assert updated.is_manual_override is True
    entry = AuditLog.objects.get(action="override")
    assert entry.actor == operator
    assert entry.actor_username == "olga"
    assert entry.object_type == "core.person"
    assert entry.object_id == str(person.pk)
    assert entry.changes == {
        "first_name": ["Bob", "Robert"],
        "first_name_key": ["BOB", "ROBERT"],
        "is_manual_override": [False, True],
        "manual_override_fields": [[], ["first_name", "score"]],
        "score": [0, 80],
    }


@pytest.mark.django_db
def test_person_update_without_a_real_change_writes_nothing():
    person = person_create(first_name="Ann")
    before = Person.objects.get(pk=person.pk).updated_at
    person_update(person=person, changes={"first_name": "Ann"}, by=None, origin="admin")
    assert AuditLog.objects.count() == 0
    assert Person.objects.get(pk=person.pk).updated_at == before


@pytest.mark.django_db
def test_person_update_refuses_system_fields_and_invalid_values():
    person = person_create()
    with pytest.raises(ValueError, match="cannot be edited: is_duplicate"):
        person_update(person=person, changes={"is_duplicate": True}, by=None, origin="api")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        person_update(person=person, changes={"lead_status": "bogus"}, by=None, origin="api")
    person.refresh_from_db()
    assert (person.is_duplicate, person.lead_status) == (False, "new")
    assert AuditLog.objects.count() == 0


@pytest.mark.django_db
def test_model_save_and_delete_are_audited_with_before_and_after():
    admin = user_create("ada", "admin")
    campaign = model_save_audited(
        obj=Campaign(name="Permian mail drop", campaign_type="mail"), by=admin, origin="admin"
    )
    campaign.name = "Permian mail drop 2"
    model_save_audited(obj=campaign, by=admin, origin="admin")
    model_save_audited(obj=campaign, by=admin, origin="admin")  # no change: no entry
    model_delete_audited(obj=campaign, by=admin, origin="admin")
    entries = list(AuditLog.objects.filter(object_type="core.campaign").order_by("id"))
    assert [entry.action for entry in entries] == ["create", "update", "delete"]
    assert entries[0].changes["name"] == [None, "Permian mail drop"]
    assert entries[1].changes == {"name": ["Permian mail drop", "Permian mail drop 2"]}
    assert entries[2].changes["name"] == ["Permian mail drop 2", None]
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_a_value_set_by_hand_is_no_longer_held_by_survivorship():
    # survivorship had filled the middle name and the ZIP from another cluster member
    person = person_create(
        first_name="Ann",
        middle_name="Q",
        zip5="79772",
        survivorship={"middle_name": ["", "Q"], "zip5": ["", "79772"]},
    )

    updated = person_update(
        person=person,
        changes={"middle_name": "R"},
        by=user_create("op", "operator"),
        origin="admin",
    )

    assert updated.middle_name == "R"
    assert updated.survivorship == {"zip5": ["", "79772"]}
    assert Person.objects.get(pk=person.pk).survivorship == {"zip5": ["", "79772"]}
