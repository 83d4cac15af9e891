"""The golden-record console in admin: actions by role, with audit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmplatform.core.models import AuditLog, Person
from dedupe.models import ManualDecision, ReviewPair
from dedupe.services import dedupe_run
from tests.factories import email_create, person_create

GOLDEN_LIST = reverse("admin:dedupe_goldenrecord_changelist")
REVIEW_LIST = reverse("admin:dedupe_reviewpair_changelist")


def act(client, url, action, ids):
    return client.post(url, {"action": action, "_selected_action": [str(i) for i in ids]})


@pytest.mark.django_db
def test_an_operator_merges_and_unmerges_in_admin_and_both_are_audited(client_as):
    golden = person_create(first_name="Robert", last_name="Jones")
    other = person_create(first_name="Bob", last_name="Jones")
    operator = client_as("operator")

    page = act(operator, GOLDEN_LIST, "merge_selected", [golden.pk, other.pk])
    assert page.status_code == 200
    assert f"Merge into {golden.pk}" in page.content.decode()
    assert Person.objects.filter(is_duplicate=True).count() == 0  # nothing before applying

    response = operator.post(
        GOLDEN_LIST,
        {
            "action": "merge_selected",
            "_selected_action": [str(golden.pk), str(other.pk)],
            "apply": "1",
            "value_first_name": str(other.pk),  # "Bob" survives
            "value_last_name": str(golden.pk),
        },
    )

    assert response.status_code == 302
    other.refresh_from_db()
    golden.refresh_from_db()
    assert (other.is_duplicate, other.merged_into_id) == (True, golden.pk)
    assert (golden.first_name, golden.manual_override_fields) == ("Bob", ["first_name"])

    act(operator, GOLDEN_LIST, "unmerge_selected", [other.pk])

    other.refresh_from_db()
    assert (other.is_duplicate, other.merged_into_id) == (False, None)
    assert list(
        AuditLog.objects.filter(object_type="core.person")
        .order_by("pk")
        .values_list("action", "actor_username", "object_id")
    ) == [
        ("merge", "operator-user", str(golden.pk)),
        ("override", "operator-user", str(golden.pk)),  # the chosen value, locked
        ("unmerge", "operator-user", str(other.pk)),
    ]
    override = AuditLog.objects.get(action="override")
    assert override.changes["first_name"] == ["Robert", "Bob"]
    assert ManualDecision.objects.filter(kind="different", is_active=True).count() == 1


@pytest.mark.django_db
def test_a_viewer_sees_the_console_but_cannot_merge(client_as):
    golden = person_create(first_name="Robert", last_name="Jones")
    other = person_create(first_name="Bob", last_name="Jones")
    viewer = client_as("viewer")

    assert viewer.get(GOLDEN_LIST).status_code == 200
    response = viewer.post(
        GOLDEN_LIST,
        {
            "action": "merge_selected",
            "_selected_action": [str(golden.pk), str(other.pk)],
            "apply": "1",
        },
    )

    assert response.status_code in (302, 403)
    assert Person.objects.filter(is_duplicate=True).count() == 0
    assert not AuditLog.objects.filter(action="merge").exists()


@pytest.mark.django_db
def test_review_decisions_merge_or_keep_apart_for_good(client_as):
    a = person_create(first_name="Ann", last_name="Lee")
    b = person_create(first_name="Ann", last_name="Lee")
    c = person_create(first_name="Ann", last_name="Lee")
    for person in (a, b, c):
        email_create(person, f"{person.pk}@ranchmail.com")
    same = ReviewPair.objects.create(person_low=a, person_high=b, probability=0.8)
    different = ReviewPair.objects.create(person_low=a, person_high=c, probability=0.7)
    operator = client_as("operator")

    act(operator, REVIEW_LIST, "same_person", [same.pk])
    act(operator, REVIEW_LIST, "different_persons", [different.pk])
    dedupe_run()

    b.refresh_from_db()
    c.refresh_from_db()
    assert (b.is_duplicate, b.merged_into_id) == (True, a.pk)
    assert c.merged_into_id is None
    assert sorted(ReviewPair.objects.values_list("status", flat=True)) == ["merged", "rejected"]
    assert ManualDecision.objects.filter(kind="different", person_high=c).count() == 1
