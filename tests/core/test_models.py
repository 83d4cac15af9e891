import pytest
from django.db import IntegrityError, transaction

from cmplatform.core.models import AuditLog, Person, PhoneNumber
from tests.factories import email_create, person_create, phone_create


@pytest.mark.django_db
def test_person_name_keys_follow_the_names():
    person = person_create(first_name="José", last_name="O'Brien")
    assert (person.first_name_key, person.last_name_key) == ("JOSE", "OBRIEN")
    person.last_name = "Núñez"
    person.save(update_fields=["last_name"])
    person.refresh_from_db()
    assert person.last_name_key == "NUNEZ"


@pytest.mark.django_db
def test_four_byte_characters_round_trip():
    person = person_create(first_name="Zoë 🙂", last_name="Ångström")
    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("Zoë 🙂", "Ångström")


@pytest.mark.django_db
def test_score_above_100_is_rejected_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        person_create(score=101)
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_must_point_at_its_golden_record():
    with pytest.raises(IntegrityError), transaction.atomic():
        person_create(is_duplicate=True, is_original=False)
    golden = person_create()
    duplicate = person_create(is_duplicate=True, is_original=False, merged_into=golden)
    assert list(golden.merged_duplicates.all()) == [duplicate]


@pytest.mark.django_db
def test_phone_numbers_are_unique_per_person_by_key_and_keep_invalid_ones():
    person = person_create()
    phone_create(person, "(405) 235-7100", "+14052357100")
    phone_create(person, "555-1234", None)
    phone_create(person, "N/A", None)
    with pytest.raises(IntegrityError), transaction.atomic():
        phone_create(person, "405.235.7100", "+14052357100")
    assert sorted(PhoneNumber.objects.values_list("number_key", flat=True)) == [
        "+14052357100",
        "x5551234",
        "xN/A",
    ]


@pytest.mark.django_db
def test_email_is_stored_normalised_and_unique_per_person():
    person = person_create()
    email = email_create(person, "  Jane.Doe@Example.COM ")
    assert email.email == "jane.doe@example.com"
    with pytest.raises(IntegrityError), transaction.atomic():
        email_create(person, "jane.doe@example.com")


@pytest.mark.django_db
def test_persons_with_data_cannot_be_deleted():
    person = person_create()
    phone_create(person, "(405) 235-7100", "+14052357100")
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        person.delete()
    assert Person.objects.filter(pk=person.pk).exists()


@pytest.mark.django_db
def test_golden_selector_excludes_duplicates_and_state_is_stored_upper_case():
    golden = person_create(state=" tx ")
    person_create(is_duplicate=True, is_original=False, merged_into=golden, state="TX")
    person_create(state="OK")
    assert Person.objects.get(pk=golden.pk).state == "TX"
    assert list(Person.objects.golden().in_state("tx")) == [golden]


@pytest.mark.django_db
def test_audit_log_is_append_only():
    entry = AuditLog.objects.create(
        origin="system", action="create", object_type="core.person", object_id="1"
    )
    entry.object_id = "2"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=entry.pk).update(object_id="3")
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(pk=entry.pk).object_id == "1"
