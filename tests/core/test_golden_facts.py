"""The golden-record summaries (``golden_facts``, ``golden_campaigns``) always equal what the
source tables say, after every path that changes contact points, touches or cluster links."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from cmplatform.core import golden_facts
from cmplatform.core.golden_facts import (
    golden_facts_rebuild,
    golden_facts_refresh,
    golden_scores_sync,
)
from cmplatform.core.models import (
    Address,
    AuditLog,
    Campaign,
    GoldenCampaign,
    GoldenFacts,
    Person,
    PhoneNumber,
    Touchpoint,
)
from cmplatform.core.services import model_delete_audited, model_save_audited, person_update
from cmplatform.demo import generate_demo_sources
from dedupe.services import dedupe_run, person_make_golden, person_unmerge, persons_merge
from ingestion.services import ImportRequest, import_file, import_run
from tests.factories import (
    DEMO_FILES,
    email_create,
    person_create,
    phone_create,
    user_create,
)

pytestmark = pytest.mark.django_db

COLUMNS = [field.attname for field in GoldenFacts._meta.concrete_fields]
NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def truth() -> tuple[dict[int, dict[str, Any]], set[tuple[int, int]]]:
    """The summaries computed from the source tables, one person at a time."""
    golden_of = {
        pk: (merged_into if is_duplicate else pk)
        for pk, is_duplicate, merged_into in Person.objects.values_list(
            "pk", "is_duplicate", "merged_into_id"
        )
    }
    facts: dict[int, dict[str, Any]] = defaultdict(
        lambda: dict.fromkeys(golden_facts.COUNTS, 0) | dict.fromkeys(golden_facts.LATEST)
    )
    for model, column in ((PhoneNumber, "phones"), (Address, "addresses")):
        for person_id in model.objects.values_list("person_id", flat=True):
            facts[golden_of[person_id]][column] += 1
    for person in Person.objects.prefetch_related("email_addresses"):
        for _ in person.email_addresses.all():
            facts[golden_of[person.pk]]["emails"] += 1
    campaigns = set()
    for person_id, channel, at, campaign_id in Touchpoint.objects.values_list(
        "person_id", "channel", "occurred_at", "campaign_id"
    ):
        row = facts[golden_of[person_id]]
        row[f"{channel}_touches"] += 1
        last = row[f"{channel}_last_at"]
        row[f"{channel}_last_at"] = at if last is None else max(last, at)
        if campaign_id is not None:
            campaigns.add((golden_of[person_id], campaign_id))
    return {pk: {"person_id": pk, **row} for pk, row in facts.items()}, campaigns


def stored() -> tuple[dict[int, dict[str, Any]], set[tuple[int, int]]]:
    facts = {row["person_id"]: row for row in GoldenFacts.objects.values(*COLUMNS)}
    return facts, set(GoldenCampaign.objects.values_list("person_id", "campaign_id"))


def assert_summaries_true() -> None:
    assert stored() == truth()
    # each membership carries its golden record's score (the list's campaign index)
    scores = dict(Person.objects.values_list("pk", "score"))
    memberships = GoldenCampaign.objects.values_list("person_id", "score")
    assert [(pk, score) for pk, score in memberships if scores[pk] != score] == []


def touch(person: Person, channel: str, at: dt.datetime, campaign: Campaign | None = None) -> None:
    Touchpoint.objects.create(
        person=person, channel=channel, occurred_at=at, status="sent", campaign=campaign
    )


@pytest.fixture
def cluster() -> dict[str, Any]:
    """A golden record with a duplicate, a lone record, and a record with nothing."""
    spring = Campaign.objects.create(name="Spring", campaign_type="mail")
    fall = Campaign.objects.create(name="Fall", campaign_type="sms")
    golden = person_create()
    duplicate = person_create(is_duplicate=True, is_original=False, merged_into=golden)
    lone, empty = person_create(), person_create()
    phone_create(golden, "405-235-7001", "+14052357001")
    phone_create(duplicate, "405-235-7002", "+14052357002")
    phone_create(lone, "405-235-7003", "+14052357003")
    email_create(duplicate, "ann@example.com")
    Address.objects.create(person=lone, street="1 Main St", address_key="K1")
    touch(golden, "mail", NOW - dt.timedelta(days=40), spring)
    touch(duplicate, "mail", NOW - dt.timedelta(days=5), fall)
    touch(duplicate, "sms", NOW - dt.timedelta(days=3))
    touch(lone, "call", NOW - dt.timedelta(days=1), spring)
    golden_facts_refresh(person_ids=Person.objects.values_list("pk", flat=True))
    return {
        "golden": golden,
        "duplicate": duplicate,
        "lone": lone,
        "empty": empty,
        "spring": spring,
        "fall": fall,
    }


def test_a_cluster_is_summarised_whole_and_a_record_with_nothing_has_no_row(cluster):
    golden, lone = cluster["golden"], cluster["lone"]
    facts, campaigns = stored()

    assert set(facts) == {golden.pk, lone.pk}  # the duplicate and the empty record: no row
    assert facts[golden.pk] | {"person_id": 0} == {
        "person_id": 0,
        "phones": 2,
        "emails": 1,
        "addresses": 0,
        "mail_touches": 2,
        "mail_last_at": NOW - dt.timedelta(days=5),
        "sms_touches": 1,
        "sms_last_at": NOW - dt.timedelta(days=3),
        "call_touches": 0,
        "call_last_at": None,
        "email_touches": 0,
        "email_last_at": None,
    }
    assert campaigns == {
        (golden.pk, cluster["spring"].pk),
        (golden.pk, cluster["fall"].pk),
        (lone.pk, cluster["spring"].pk),
    }
    assert_summaries_true()


def test_refreshing_a_record_that_became_a_duplicate_moves_its_facts_to_its_golden_record(
    cluster,
):
    golden, lone = cluster["golden"], cluster["lone"]
    Person.objects.filter(pk=lone.pk).update(
        is_duplicate=True, is_original=False, merged_into=golden
    )
    golden_facts_refresh(person_ids=[lone.pk])

    facts, campaigns = stored()
    assert set(facts) == {golden.pk}
    assert (facts[golden.pk]["phones"], facts[golden.pk]["call_touches"]) == (3, 1)
    assert (lone.pk, cluster["spring"].pk) not in campaigns
    assert_summaries_true()


def test_rebuild_recomputes_everything_and_drops_what_no_longer_holds(cluster, monkeypatch):
    monkeypatch.setattr(golden_facts, "REBUILD_RANGE", 2)  # several ranges, several commits
    # Rows changed behind the summaries' back: a stale row, a missing one, a wrong count.
    GoldenFacts.objects.create(person=cluster["empty"], phones=9)
    GoldenFacts.objects.filter(pk=cluster["golden"].pk).update(phones=0)
    GoldenFacts.objects.filter(pk=cluster["lone"].pk).delete()
    assert stored() != truth()

    assert golden_facts_rebuild() == 2

    assert_summaries_true()


def test_merge_unmerge_and_make_golden_keep_the_summaries_true(cluster):
    admin = user_create("ops-admin", "admin")
    golden, lone = cluster["golden"], cluster["lone"]

    persons_merge(golden=golden, duplicates=[lone], by=admin)
    assert set(stored()[0]) == {golden.pk}
    assert_summaries_true()

    person_unmerge(person=lone, by=admin)
    assert set(stored()[0]) == {golden.pk, lone.pk}
    assert_summaries_true()

    duplicate = cluster["duplicate"]
    person_make_golden(person=duplicate, by=admin)  # the golden record becomes its duplicate
    assert set(stored()[0]) == {duplicate.pk, lone.pk}
    assert_summaries_true()

    person_unmerge(person=golden, by=admin)
    assert set(stored()[0]) == {golden.pk, lone.pk, duplicate.pk}
    assert_summaries_true()


def test_audited_edits_of_contact_points_and_touches_keep_the_summaries_true(cluster):
    admin = user_create("ops-admin", "admin")
    empty, lone = cluster["empty"], cluster["lone"]

    phone = PhoneNumber(person=empty, raw="405-235-7009", e164="+14052357009", is_valid=True)
    model_save_audited(obj=phone, by=admin, origin=AuditLog.Origin.ADMIN)
    assert stored()[0][empty.pk]["phones"] == 1
    assert_summaries_true()

    # A touch moved to another person leaves the first one's summary and campaigns.
    moved = Touchpoint.objects.get(person=lone)
    moved.person = empty
    model_save_audited(obj=moved, by=admin, origin=AuditLog.Origin.ADMIN)
    assert (empty.pk, cluster["spring"].pk) in stored()[1]
    assert (lone.pk, cluster["spring"].pk) not in stored()[1]
    assert_summaries_true()

    model_delete_audited(obj=phone, by=admin, origin=AuditLog.Origin.ADMIN)
    assert stored()[0][empty.pk]["phones"] == 0
    assert_summaries_true()


def test_each_ingested_chunk_refreshes_its_persons_summaries(tmp_path: Path):
    path = tmp_path / "mail.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "First Name", "Last Name", "Phone", "Email", "Mailed On"])
        writer.writerow(["1", "Ann", "Lee", "(405) 235-7001", "ann@example.com", "2024-03-05"])
        writer.writerow(["1", "Ann", "Lee", "(405) 235-7009", "", "2024-04-05"])
        writer.writerow(["2", "Bill", "Ortiz", "(405) 235-7002", "", "2024-03-06"])
        writer.writerow(["3", "Cora", "Cole", "", "cora@example.com", ""])
    request = ImportRequest(source="mailhouse", campaign="Mail 2024", chunk_rows=2)
    batch = import_run(import_file(path, request=request).pk, workers=0)

    assert batch.chunks_done == 2
    campaign = Campaign.objects.get(name="Mail 2024")
    ann, bill, cora = (Person.objects.get(first_name=name) for name in ("Ann", "Bill", "Cora"))
    facts, campaigns = stored()
    assert (facts[ann.pk]["mail_touches"], facts[ann.pk]["phones"]) == (2, 2)
    assert facts[ann.pk]["mail_last_at"] == dt.datetime(2024, 4, 5, tzinfo=dt.UTC)
    assert (facts[cora.pk]["emails"], facts[cora.pk]["mail_touches"]) == (1, 0)
    assert campaigns == {(ann.pk, campaign.pk), (bill.pk, campaign.pk)}
    assert_summaries_true()


@pytest.mark.django_db(transaction=True)
def test_the_demo_sources_and_a_golden_record_run_keep_the_summaries_true(tmp_path: Path):
    """Every demo source through the engine, then a full run linking the duplicates: their
    facts move to their golden records."""
    generate_demo_sources(rows=400, out_dir=tmp_path, seed=7)
    for name in DEMO_FILES:
        import_run(import_file(tmp_path / name).pk, workers=0)
    assert_summaries_true()

    run = dedupe_run()

    assert run.linked > 0
    facts, campaigns = stored()
    goldens = set(Person.objects.filter(is_duplicate=False).values_list("pk", flat=True))
    assert set(facts) <= goldens and {person for person, _ in campaigns} <= goldens
    assert_summaries_true()


def test_the_rebuild_command_reports_what_it_summarised(cluster):
    GoldenFacts.objects.all().delete()
    out = io.StringIO()
    call_command("golden_facts_rebuild", stdout=out)
    assert out.getvalue().startswith("2 golden records summarised in ")
    assert_summaries_true()


def test_a_score_edit_reaches_the_campaign_memberships(cluster):
    golden = cluster["golden"]
    assert GoldenCampaign.objects.filter(person=golden).count() == 2

    person_update(person=golden, changes={"score": 87}, by=None, origin="test")

    assert set(GoldenCampaign.objects.filter(person=golden).values_list("score", flat=True)) == {87}
    assert_summaries_true()


def test_scores_changed_in_bulk_are_copied_by_the_sync(cluster):
    golden, lone = cluster["golden"], cluster["lone"]
    Person.objects.filter(pk__in=[golden.pk, lone.pk]).update(score=42)
    Person.objects.filter(pk=lone.pk).update(score=7)

    out = io.StringIO()
    call_command("golden_facts_rebuild", "--scores", stdout=out)

    assert out.getvalue().startswith("3 campaign memberships re-scored in ")
    assert_summaries_true()
    assert golden_scores_sync() == 0  # nothing left to copy


def test_a_merge_gives_the_memberships_the_golden_records_score(cluster):
    golden, lone = cluster["golden"], cluster["lone"]
    Person.objects.filter(pk=golden.pk).update(score=90)
    Person.objects.filter(pk=lone.pk).update(score=10)
    golden_scores_sync()

    persons_merge(golden=Person.objects.get(pk=golden.pk), duplicates=[lone], by=None)

    spring = cluster["spring"]
    assert GoldenCampaign.objects.get(person=golden, campaign=spring).score == 90
    assert not GoldenCampaign.objects.filter(person=lone).exists()
    assert_summaries_true()
