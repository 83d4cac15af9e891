"""Lead pages: search, the detail (contact points, lineage, timeline, compliance, duplicates),
merge and unmerge by role, with audit and a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmplatform.core.models import AuditLog, Campaign, Person, Touchpoint
from compliance.models import Consent, RegistryCoverage, Suppression
from compliance.services import reference_reload, suppression_create
from dedupe.models import DedupeLog, ManualDecision, ReviewPair
from dedupe.services import persons_merge
from dedupe.services.runs import SURVIVING_FIELDS
from ingestion.models import ImportBatch
from ingestion.services import ImportRequest, import_file, import_run
from tests.factories import person_create, phone_create

pytestmark = pytest.mark.django_db

UTC = dt.UTC
OWNERS_CSV = (
    "id,First Name,Middle Name,Last Name,Phone,Email,Address,City,State,Zip,Mailed On\n"
    "A1,Mary,,Hale,(432) 555-0100,mary.hale@haleranch.net,12 Oak St,Pecos,TX,79772,2026-01-05\n"
    "B7,Mary,Ann,Hale,(432) 555-0199,,12 Oak Street,Pecos,TX,79772,2026-02-10\n"
)


def detail_url(person: Person) -> str:
    return reverse("dashboard:leads:detail", args=[person.pk])


def merge_url(person: Person) -> str:
    return reverse("dashboard:leads:merge", args=[person.pk])


def unmerge_url(person: Person) -> str:
    return reverse("dashboard:leads:unmerge", args=[person.pk])


def surviving(person: Person) -> dict[str, str]:
    person.refresh_from_db()
    return {name: getattr(person, name) for name in SURVIVING_FIELDS}


def audit_rows() -> list[tuple[str, str, str, str]]:
    return list(
        AuditLog.objects.filter(object_type="core.person")
        .order_by("pk")
        .values_list("action", "origin", "actor_username", "object_id")
    )


@pytest.fixture(autouse=True)
def fresh_registry() -> None:
    """Registry data of today for the numbers' area code and state, and the calling rules
    reread from this test's database."""
    today = dt.date.today()
    RegistryCoverage.objects.create(kind="federal", scope="432", as_of=today, full_list_on=today)
    RegistryCoverage.objects.create(kind="state", scope="TX", as_of=today, full_list_on=today)
    reference_reload()


@dataclass
class Imported:
    batch: ImportBatch
    first: Person  # source key A1
    second: Person  # source key B7


@pytest.fixture
def imported(tmp_path: Path) -> Imported:
    """Two rows of one landowner under two keys, imported for real (landing zone, import
    batch, lineage, mail touchpoints of the campaign)."""
    path = tmp_path / "owners.csv"
    path.write_text(OWNERS_CSV, encoding="utf-8")
    request = ImportRequest(campaign="Permian Q1", channel="mail")
    batch = import_run(import_file(path, request=request).pk)
    assert (batch.status, batch.inserted) == (ImportBatch.Status.COMPLETE, 2)
    first = Person.objects.get(phone_numbers__e164="+14325550100")
    second = Person.objects.get(phone_numbers__e164="+14325550199")
    return Imported(batch, first, second)


@pytest.fixture
def lead(imported: Imported, client_as: Callable[[str], Client]) -> Imported:
    """The imported pair merged by an operator, an SMS opt-out of the second number, an SMS
    touchpoint and an SMS consent."""
    operator = client_as("operator")
    persons_merge(golden=imported.first, duplicates=[imported.second], by=operator.user)
    suppression_create(
        reason=Suppression.Reason.OPTED_OUT,
        channel="sms",
        source=Suppression.Source.SMS_REPLY,
        phone="+14325550199",
        message="STOP",
        received_at=dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
    )
    campaign = Campaign.objects.create(name="Permian SMS", campaign_type="sms")
    Touchpoint.objects.create(
        person=imported.first,
        campaign=campaign,
        channel="sms",
        occurred_at=dt.datetime(2026, 3, 1, 16, 0, tzinfo=UTC),
        status=Touchpoint.Status.DELIVERED,
    )
    Consent.objects.create(
        person=imported.first,
        channel="sms",
        obtained_at=dt.datetime(2026, 2, 20, 12, 0, tzinfo=UTC),
        evidence="signed web form",
    )
    imported.first.refresh_from_db()
    imported.second.refresh_from_db()
    return imported


# -- detail -----------------------------------------------------------------------------------


def test_detail_shows_contact_points_with_compliance_tags_and_their_sources(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    response = client_as("viewer").get(detail_url(lead.first))

    assert response.status_code == 200
    points = response.context["points"]
    assert [
        (p.point.e164, p.point.raw, p.point.person_id, p.tags, p.clear_for) for p in points.phones
    ] == [
        ("+14325550100", "(432) 555-0100", lead.first.pk, [], ["Call", "SMS"]),
        (
            "+14325550199",
            "(432) 555-0199",
            lead.second.pk,
            [("OPTED_OUT", "Opted out")],
            [],  # an SMS STOP stops calls to the number too (revoke-all, the default)
        ),
    ]
    # Where each value came from: the import row that brought it.
    assert [
        [(o.source, o.source_key, o.batch_id, o.row_number) for o in p.origins]
        for p in points.phones
    ] == [[("owners", "A1", lead.batch.pk, 1)], [("owners", "B7", lead.batch.pk, 2)]]
    assert [(p.point.email, [o.source_key for o in p.origins]) for p in points.emails] == [
        ("mary.hale@haleranch.net", ["A1"])
    ]
    assert [
        (p.point.address_key, p.point.person_id, [o.source_key for o in p.origins])
        for p in points.addresses
    ] == [
        ("12 OAK ST|79772", lead.first.pk, ["A1"]),
        ("12 OAK ST|79772", lead.second.pk, ["B7"]),
    ]
    import_page = reverse("dashboard:imports:detail", args=[lead.batch.pk])
    assert {o.batch_url for p in points.phones for o in p.origins} == {import_page}
    lineage = response.context["lineage"]
    assert sorted((r.source, r.source_key, r.person_id) for r in lineage.source_records) == [
        ("owners", "A1", lead.first.pk),
        ("owners", "B7", lead.second.pk),
    ]
    html = response.content.decode()
    for testid in ("contact-points", "lineage", "timeline", "compliance-status", "duplicates"):
        assert f'data-testid="{testid}"' in html
    assert "+14325550199" in html and "(432) 555-0100" in html
    assert f'href="{import_page}" data-testid="import-link"' in html
    # A viewer sees no merge or unmerge controls.
    assert 'data-testid="unmerge-button"' not in html
    assert 'data-testid="merge-with-form"' not in html


def test_detail_explains_survivorship_and_manual_overrides(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    maria = person_create(first_name="Maria", last_name="Hale")
    operator = client_as("operator")
    operator.post(
        merge_url(lead.first), {"with": [str(maria.pk)], "value_first_name": str(maria.pk)}
    )

    response = operator.get(detail_url(lead.first))

    fields = {item.name: item for item in response.context["fields"]}
    assert (fields["first_name"].value, fields["first_name"].how) == ("Maria", "override")
    assert fields["first_name"].override_by == "operator-user"
    # The middle name was empty on A1: survivorship took B7's.
    middle = fields["middle_name"]
    assert (middle.value, middle.how, middle.own_value) == ("Ann", "survivorship", "")
    assert [donor.pk for donor in middle.donors] == [lead.second.pk]
    assert [o.source_key for o in middle.origins] == ["B7"]
    assert (fields["last_name"].how, [o.source_key for o in fields["last_name"].origins]) == (
        "own",
        ["B7", "A1"],
    )
    html = response.content.decode()
    assert 'data-testid="manual-override"' in html and 'data-testid="survivorship"' in html


def test_timeline_merges_every_kind_of_event_newest_first(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    response = client_as("viewer").get(detail_url(lead.first))

    items = response.context["timeline"].items
    assert [item.at for item in items] == sorted((item.at for item in items), reverse=True)
    by_kind: dict[str, list[Any]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    assert sorted(by_kind) == ["audit", "compliance", "import", "merge", "touchpoint"]
    assert [(i.title, i.detail, i.person_id) for i in by_kind["touchpoint"]] == [
        ("SMS: Delivered", "Permian SMS", lead.first.pk),
        ("Mail: Sent", "Permian Q1 · owners", lead.second.pk),
        ("Mail: Sent", "Permian Q1 · owners", lead.first.pk),
    ]
    assert sorted((i.title, i.person_id) for i in by_kind["import"]) == [
        (f"Import {lead.batch.pk} (owners): inserted", lead.first.pk),
        (f"Import {lead.batch.pk} (owners): inserted", lead.second.pk),
    ]
    merges = [(i.title, i.actor) for i in by_kind["merge"]]
    assert (f"Linked #{lead.second.pk} to golden record #{lead.first.pk}", "operator-user") in (
        merges
    )
    assert [i.title for i in by_kind["compliance"]] == [
        "Suppression recorded: Opted out (SMS)",
        "SMS written consent obtained",
    ]
    assert "+14325550199" in by_kind["compliance"][0].detail
    assert [(i.title, i.actor) for i in by_kind["audit"]] == [("Merge (Admin)", "operator-user")]
    assert f"merged #{lead.second.pk}" in by_kind["audit"][0].detail
    html = response.content.decode()
    for kind in ("touchpoint", "import", "merge", "compliance", "audit"):
        assert f'data-kind="{kind}"' in html


def test_lifted_suppressions_and_contact_checks_are_on_the_timeline(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    from compliance.services import may_contact, suppression_lift

    suppression_lift(suppression=Suppression.objects.get(), reason="START by SMS")
    may_contact(person_id=lead.first.pk, channel="mail")

    response = client_as("viewer").get(detail_url(lead.first))

    titles = [i.title for i in response.context["timeline"].items if i.kind == "compliance"]
    assert titles[:2] == ["Contact check Mail: ALLOW", "Suppression lifted: Opted out (SMS)"]
    assert response.context["compliance"].suppressions_in_force == []


def test_compliance_status_per_channel_with_every_tag_suppressions_and_consents(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    suppression_create(
        reason=Suppression.Reason.DNC_INTERNAL,
        channel="all",
        source=Suppression.Source.MANUAL,
        person=lead.second,
        note="asked on the phone",
    )

    response = client_as("viewer").get(detail_url(lead.first))

    reading = response.context["compliance"]
    assert [(c.channel, c.status, c.tags, c.has_clear_point) for c in reading.channels] == [
        # the SMS STOP of the duplicate's number stops calls to it too (revoke-all)
        (
            "call",
            "DNC_INTERNAL",
            [("OPTED_OUT", "Opted out"), ("DNC_INTERNAL", "Internal DNC")],
            True,
        ),
        (
            "sms",
            "DNC_INTERNAL",
            [("OPTED_OUT", "Opted out"), ("DNC_INTERNAL", "Internal DNC")],
            True,
        ),
        ("email", "DNC_INTERNAL", [("DNC_INTERNAL", "Internal DNC")], True),
        ("mail", "DNC_INTERNAL", [("DNC_INTERNAL", "Internal DNC")], True),
    ]
    assert sorted(
        (s.reason, s.channel, s.source, s.identifier, s.person_id)
        for s in reading.suppressions_in_force
    ) == [
        ("DNC_INTERNAL", "all", "manual", "", lead.second.pk),
        ("OPTED_OUT", "sms", "sms_reply", "+14325550199", None),
    ]
    assert [(c.channel, c.evidence) for c in reading.consents] == [("sms", "signed web form")]
    html = response.content.decode()
    assert 'data-testid="compliance-sms" data-status="DNC_INTERNAL"' in html
    assert "asked on the phone" in html


@pytest.fixture
def earlier() -> Person:
    """A person with a lower id than the lead's (requested before ``lead``)."""
    return person_create(first_name="M", last_name="Hale")


def test_duplicates_show_match_evidence_and_open_review_pairs(
    earlier: Person, lead: Imported, client_as: Callable[[str], Client]
) -> None:
    later = person_create(first_name="Mary", last_name="Hail")
    # the duplicate as the higher id of a pair: found through the index on person_high
    ReviewPair.objects.create(
        person_low=earlier, person_high=lead.second, probability=0.71, evidence={"name": "initial"}
    )
    ReviewPair.objects.create(
        person_low=lead.first, person_high=later, probability=0.65, evidence={"zip": "same"}
    )
    ReviewPair.objects.create(
        person_low=earlier, person_high=lead.first, probability=0.9, status="rejected"
    )

    response = client_as("operator").get(detail_url(lead.first))

    assert [
        (d.person.pk, d.link.match_score, d.link.match_reason, d.link.evidence)
        for d in response.context["duplicates"]
    ] == [(lead.second.pk, 1.0, "manual merge", {"decided_by": "operator-user"})]
    assert [(c.other.pk, c.pair.probability) for c in response.context["review_pairs"]] == [
        (earlier.pk, 0.71),
        (later.pk, 0.65),
    ]
    html = response.content.decode()
    assert 'data-testid="unmerge-button"' in html
    assert f'{merge_url(lead.first)}?with={earlier.pk}" data-testid="review-pair-merge"' in html


def test_a_duplicates_page_links_prominently_to_its_golden_record(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    response = client_as("viewer").get(detail_url(lead.second))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="golden-link"' in html
    assert f'href="{detail_url(lead.first)}" data-testid="golden-link-anchor"' in html
    # Its own contact points and sources only.
    assert [p.point.e164 for p in response.context["points"].phones] == ["+14325550199"]
    assert [v.source_key for v in response.context["lineage"].versions] == ["B7"]
    assert [
        (d.person.pk, d.link.original_id, d.link.match_reason)
        for d in response.context["duplicates"]
    ] == [(lead.second.pk, lead.first.pk, "manual merge")]


def test_detail_of_an_unknown_person_is_404_and_anonymous_visitors_log_in(
    client_as: Callable[[str], Client],
) -> None:
    assert client_as("viewer").get("/leads/987654/").status_code == 404
    response = Client().get("/leads/987654/")
    assert (response.status_code, response.url) == (302, "/login/?next=/leads/987654/")


def test_detail_queries_do_not_grow_with_the_touchpoints(
    lead: Imported, client_as: Callable[[str], Client], django_assert_max_num_queries: Any
) -> None:
    viewer = client_as("viewer")
    viewer.get(detail_url(lead.first))  # session and permission caches warm
    with CaptureQueriesContext(connection) as few:
        viewer.get(detail_url(lead.first))
    start = dt.datetime(2026, 6, 1, tzinfo=UTC)
    Touchpoint.objects.bulk_create(
        Touchpoint(
            person=lead.second if n % 2 else lead.first,
            channel=("call", "sms", "mail", "email")[n % 4],
            occurred_at=start + dt.timedelta(hours=n),
            status=Touchpoint.Status.NO_ANSWER,
        )
        for n in range(1200)
    )

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = viewer.get(detail_url(lead.first))

    timeline = response.context["timeline"]
    touchpoints = [item for item in timeline.items if item.kind == "touchpoint"]
    assert len(touchpoints) == 200
    assert touchpoints[0].at == start + dt.timedelta(hours=1199)
    assert timeline.truncated == ["touchpoints"]
    # the one query per timeline source and per channel, whatever the volume
    assert len(few.captured_queries) <= 30


# -- merge ------------------------------------------------------------------------------------


@pytest.fixture
def pair() -> tuple[Person, Person]:
    golden = person_create(
        first_name="Robert", middle_name="R", last_name="Jones", state="TX", county="Reeves"
    )
    other = person_create(
        first_name="Bob",
        middle_name="Lee",
        last_name="Jones",
        state="NM",
        county="Lea",
        zip5="88240",
    )
    return golden, other


def test_merge_page_shows_both_persons_side_by_side_with_a_radio_per_field(
    pair: tuple[Person, Person], client_as: Callable[[str], Client]
) -> None:
    golden, other = pair

    response = client_as("operator").get(merge_url(golden), {"with": f"#{other.pk}"})

    assert response.status_code == 200
    assert [(row.name, row.choices, row.differs) for row in response.context["rows"]] == [
        ("first_name", [(golden.pk, "Robert", True), (other.pk, "Bob", False)], True),
        ("middle_name", [(golden.pk, "R", True), (other.pk, "Lee", False)], True),
        ("last_name", [(golden.pk, "Jones", True), (other.pk, "Jones", False)], False),
        ("suffix", [(golden.pk, "", True), (other.pk, "", False)], False),
        ("state", [(golden.pk, "TX", True), (other.pk, "NM", False)], True),
        ("county", [(golden.pk, "Reeves", True), (other.pk, "Lea", False)], True),
        ("zip5", [(golden.pk, "79772", True), (other.pk, "88240", False)], True),
    ]
    html = response.content.decode()
    assert 'data-testid="merge-form"' in html and 'data-testid="merge-submit"' in html
    assert f'data-testid="merge-radio-first_name-{other.pk}"' in html
    assert audit_rows() == []  # looking changes nothing


def test_merge_with_chosen_values_changes_exactly_those_fields_and_is_audited(
    pair: tuple[Person, Person], client_as: Callable[[str], Client]
) -> None:
    golden, other = pair
    operator = client_as("operator")

    response = operator.post(
        merge_url(golden),
        {
            "with": [str(other.pk)],
            "value_first_name": str(other.pk),
            "value_middle_name": str(other.pk),
            "value_state": str(golden.pk),
            "value_zip5": str(golden.pk),
        },
    )

    assert (response.status_code, response.url) == (302, detail_url(golden))
    assert surviving(golden) == {
        "first_name": "Bob",
        "middle_name": "Lee",
        "last_name": "Jones",
        "suffix": "",
        "state": "TX",
        "county": "Reeves",
        "zip5": "79772",
    }
    assert (golden.manual_override_fields, golden.survivorship) == (
        ["first_name", "middle_name"],
        {},
    )
    other.refresh_from_db()
    assert (other.is_duplicate, other.merged_into_id, other.first_name) == (True, golden.pk, "Bob")
    assert audit_rows() == [
        ("merge", "dashboard", "operator-user", str(golden.pk)),
        ("override", "dashboard", "operator-user", str(golden.pk)),
    ]
    merge_entry, override_entry = AuditLog.objects.filter(object_type="core.person").order_by("pk")
    assert merge_entry.changes["merged"] == [other.pk]
    assert {k: override_entry.changes[k] for k in ("first_name", "middle_name")} == {
        "first_name": ["Robert", "Bob"],
        "middle_name": ["R", "Lee"],
    }
    assert "state" not in override_entry.changes
    assert list(DedupeLog.objects.values_list("action", "golden_id", "person_id")) == [
        ("merge", golden.pk, other.pk)
    ]
    page = operator.get(response.url)
    assert f"Merged #{other.pk} into #{golden.pk}." in page.content.decode()


def test_merging_into_a_duplicate_is_refused_with_a_clear_message_and_changes_nothing(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    stranger = person_create(first_name="Ann", last_name="Hale")
    before = (audit_rows(), DedupeLog.objects.count(), ManualDecision.objects.count())

    response = client_as("operator").post(
        merge_url(lead.second), {"with": [str(stranger.pk)], "value_first_name": str(stranger.pk)}
    )

    assert response.status_code == 400
    assert response.context["problems"] == [
        f"Person {lead.second.pk} is a duplicate of {lead.first.pk}; merge into that golden record."
    ]
    html = response.content.decode()
    assert "merge into that golden record" in html
    assert 'data-testid="merge-into-golden"' in html
    stranger.refresh_from_db()
    assert (stranger.is_duplicate, stranger.merged_into_id) == (False, None)
    assert (audit_rows(), DedupeLog.objects.count(), ManualDecision.objects.count()) == before


def test_merge_refuses_unknown_and_already_merged_persons(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    operator = client_as("operator")
    before = audit_rows()

    response = operator.post(merge_url(lead.first), {"with": [str(lead.second.pk), "999999"]})

    assert response.status_code == 400
    assert response.context["problems"] == [
        "There is no person #999999.",
        f"Person #{lead.second.pk} is already merged into #{lead.first.pk}.",
    ]
    assert audit_rows() == before
    empty = operator.post(merge_url(lead.first), {})
    assert empty.status_code == 400
    assert empty.context["problems"] == ["Choose at least one other person to merge."]


def test_unmerge_restores_both_records_and_is_audited(
    pair: tuple[Person, Person], client_as: Callable[[str], Client]
) -> None:
    golden, other = pair
    Person.objects.filter(pk=golden.pk).update(middle_name="", zip5="")
    operator = client_as("operator")
    operator.post(merge_url(golden), {"with": [str(other.pk)]})
    # survivorship filled the empty middle name and the empty location from the duplicate
    assert surviving(golden) == {
        "first_name": "Robert",
        "middle_name": "Lee",
        "last_name": "Jones",
        "suffix": "",
        "state": "NM",
        "county": "Lea",
        "zip5": "88240",
    }
    page = operator.get(detail_url(golden))
    assert f'action="{unmerge_url(other)}"' in page.content.decode()

    response = operator.post(unmerge_url(other))

    assert (response.status_code, response.url) == (302, detail_url(golden))
    assert surviving(golden) == {
        "first_name": "Robert",
        "middle_name": "",
        "last_name": "Jones",
        "suffix": "",
        "state": "TX",
        "county": "Reeves",
        "zip5": "",
    }
    assert golden.survivorship == {}
    other.refresh_from_db()
    assert (other.is_duplicate, other.is_original, other.merged_into_id) == (False, True, None)
    assert audit_rows()[-1] == ("unmerge", "dashboard", "operator-user", str(other.pk))
    assert AuditLog.objects.order_by("pk").last().changes == {"unmerged_from": golden.pk}
    assert DedupeLog.objects.filter(action="unmerge", person_id=other.pk).count() == 1
    assert "Unmerged" in operator.get(response.url).content.decode()


def test_unmerging_a_golden_record_is_refused_with_its_reason(
    pair: tuple[Person, Person], client_as: Callable[[str], Client]
) -> None:
    golden, _ = pair
    operator = client_as("operator")

    response = operator.post(unmerge_url(golden), follow=True)

    assert f"Person {golden.pk} is not merged into another person." in response.content.decode()
    assert audit_rows() == []


def test_a_viewer_may_neither_merge_nor_unmerge(
    lead: Imported, pair: tuple[Person, Person], client_as: Callable[[str], Client]
) -> None:
    golden, other = pair
    viewer = client_as("viewer")
    before = (audit_rows(), DedupeLog.objects.count(), ManualDecision.objects.count())

    assert viewer.get(merge_url(golden), {"with": str(other.pk)}).status_code == 403
    assert viewer.post(merge_url(golden), {"with": [str(other.pk)]}).status_code == 403
    assert viewer.post(unmerge_url(lead.second)).status_code == 403

    other.refresh_from_db()
    lead.second.refresh_from_db()
    assert (other.is_duplicate, lead.second.merged_into_id) == (False, lead.first.pk)
    assert (audit_rows(), DedupeLog.objects.count(), ManualDecision.objects.count()) == before


def test_unmerge_takes_post_only(lead: Imported, client_as: Callable[[str], Client]) -> None:
    assert client_as("operator").get(unmerge_url(lead.second)).status_code == 405
    lead.second.refresh_from_db()
    assert lead.second.merged_into_id == lead.first.pk


# -- search -----------------------------------------------------------------------------------


def test_search_shows_golden_status_and_links_to_the_detail(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    viewer = client_as("viewer")

    response = viewer.get(reverse("dashboard:leads:search"), {"q": "Hale, Mary"})

    assert [p.pk for p in response.context["persons"]] == [lead.first.pk, lead.second.pk]
    html = response.content.decode()
    assert f'href="{detail_url(lead.first)}" data-testid="lead-result-link"' in html
    assert f'duplicate of <a href="{detail_url(lead.first)}">#{lead.first.pk}</a>' in html
    by_phone = viewer.get(reverse("dashboard:leads:search"), {"q": "432.555.0199"})
    assert [p.pk for p in by_phone.context["persons"]] == [lead.second.pk]


def test_live_search_answers_htmx_with_the_results_alone(
    lead: Imported, client_as: Callable[[str], Client]
) -> None:
    response = client_as("viewer").get(
        reverse("dashboard:leads:search"), {"q": "mary.hale@haleranch.net"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="lead-results">')
    assert "<html" not in html
    assert [p.pk for p in response.context["persons"]] == [lead.first.pk]


def test_search_reads_the_name_index_order_and_shows_golden_records_first(
    client_as: Callable[[str], Client],
) -> None:
    # Stoneaa, Stoneab … Stoneby, created in reverse name order: the name index's order is not
    # the order of the ids.
    stones = {
        n: person_create(first_name="Cy", last_name=f"Stone{chr(97 + n // 26)}{chr(97 + n % 26)}")
        for n in range(50, -1, -1)
    }
    Person.objects.filter(pk=stones[3].pk).update(
        is_duplicate=True, is_original=False, merged_into=stones[4]
    )
    viewer = client_as("viewer")

    with CaptureQueriesContext(connection) as captured:
        response = viewer.get(reverse("dashboard:leads:search"), {"q": "stone"})

    # The first 50 names (all but Stoneby), golden records first, each part in name order.
    assert [p.pk for p in response.context["persons"]] == [
        *(stones[n].pk for n in range(50) if n != 3),
        stones[3].pk,
    ]
    assert response.context["has_more"] is True
    assert 'data-testid="lead-results-more"' in response.content.decode()
    searches = [
        query["sql"].replace('"', "").replace("`", "")
        for query in captured.captured_queries
        if "FROM persons" in query["sql"].replace('"', "").replace("`", "")
    ]
    assert len(searches) == 1
    assert searches[0].endswith(
        "ORDER BY persons.last_name_key ASC, persons.first_name_key ASC, persons.zip5 ASC, "
        "persons.id ASC LIMIT 51"
    )
    exact = viewer.get(reverse("dashboard:leads:search"), {"q": "Stoneah"})
    assert [p.pk for p in exact.context["persons"]] == [stones[7].pk]
    assert exact.context["has_more"] is False
    assert 'data-testid="lead-results-more"' not in exact.content.decode()


def test_search_finds_a_record_id_of_any_length_written_with_hash_or_id(
    client_as: Callable[[str], Client],
) -> None:
    long_id = person_create(pk=12_345_678, first_name="Ida", last_name="Long")
    short_id = person_create(pk=42, first_name="Sid", last_name="Short")
    phone_create(short_id, "(432) 555-0100", "+14325550100")
    viewer = client_as("viewer")

    def found(term: str) -> list[int]:
        response = viewer.get(reverse("dashboard:leads:search"), {"q": term})
        assert response.status_code == 200
        return [p.pk for p in response.context["persons"]]

    assert found("#12345678") == [long_id.pk]
    assert found("id:12345678") == [long_id.pk]
    assert found(" ID: 12345678 ") == [long_id.pk]
    assert found("# 42") == [short_id.pk]
    assert found("id:42") == [short_id.pk]
    assert found("42") == [short_id.pk]
    # Bare digits of phone length stay a phone number.
    assert found("12345678") == []
    assert found("4325550100") == [short_id.pk]
    assert found("#99999999") == []
    assert found("#" + "9" * 30) == []
    page = viewer.get(reverse("dashboard:leads:search")).content.decode()
    assert 'E-mail, phone, record id (#1234567), "Last, First" or last name' in page


def test_a_phone_without_sources_is_shown_without_origins(
    client_as: Callable[[str], Client],
) -> None:
    person = person_create(first_name="Walt", last_name="Rowe")
    phone_create(person, "555-0000", None)

    response = client_as("viewer").get(detail_url(person))

    assert [(p.point.raw, p.point.e164, p.origins) for p in response.context["points"].phones] == [
        ("555-0000", None, [])
    ]
    assert response.context["timeline"].items == []
