"""Priority lists: criteria, keyset pages, counts, saved filters and exports through the
compliance gate."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from cmplatform.core.models import AuditLog, Campaign, Person
from cmplatform.lib.generation import (
    PERSONS,
    PERSONS_BULK,
    data_generation,
    data_generation_bump,
)
from cmplatform.lib.replica import ReplicaRouter, replica_reads
from compliance import tags
from dashboard.lists import counts, criteria
from dashboard.lists.counts import FACETS_REFRESH_LOCK
from dashboard.lists.exports import (
    EXPORT_LEASE,
    ExportRequestError,
    _SheetWriter,
    list_export_create,
    list_export_run,
)
from dashboard.models import ListExport, PersonFacet, SavedFilter
from dashboard.tasks import person_facets_refresh_task
from ingestion.landing import landing_storage
from tests.factories import (
    address_create,
    email_create,
    person_create,
    phone_create,
    touch_create,
    user_create,
)

pytestmark = pytest.mark.django_db


def ids(query_string: str, rows: int = 500) -> list[int]:
    query, form = criteria.parse(QueryDict(query_string))
    assert query is not None, form.errors
    return [person.pk for person in criteria.page(query, rows=rows).rows]


def touch(person: Person, channel: str, days_ago: int, campaign: Campaign | None = None) -> None:
    touch_create(person, channel, timezone.now() - dt.timedelta(days=days_ago), campaign)


def duplicate_of(golden: Person, **fields: object) -> Person:
    return person_create(is_duplicate=True, is_original=False, merged_into=golden, **fields)


def test_column_criteria_combine_and_only_golden_records_are_listed():
    tx_hot = person_create(state="TX", county="Reeves", lead_status="interested", score=90)
    tx_new = person_create(state="TX", county="Loving", lead_status="new", score=40)
    ok = person_create(state="OK", county="Grady", zip5="73018", score=70, source="legacy")
    duplicate_of(tx_hot, state="TX", score=95)

    assert ids("state=TX") == [tx_hot.pk, tx_new.pk]  # score descending; duplicate left out
    assert ids("state=TX&sort=score") == [tx_new.pk, tx_hot.pk]
    assert ids("state=TX,ok") == [tx_hot.pk, ok.pk, tx_new.pk]
    assert ids("state=TX&county=Loving") == [tx_new.pk]
    assert ids("lead_status=interested&lead_status=new") == [tx_hot.pk, ok.pk, tx_new.pk]
    assert ids("lead_status=interested") == [tx_hot.pk]
    assert ids("score_min=50&score_max=80") == [ok.pk]
    assert ids("zip5=73018") == [ok.pk]
    assert ids("source=legacy") == [ok.pk]
    assert ids("state=TX&score_min=95") == []


def test_contact_points_and_touches_count_the_duplicates_of_a_golden_record():
    golden = person_create(state="TX", score=80)
    bare = person_create(state="TX", score=50)
    duplicate = duplicate_of(golden)
    phone_create(duplicate, "432-555-0101", "+14325550101")
    email_create(golden, "owner@example.com")
    address_create(bare, address_key="K")
    campaign = Campaign.objects.create(name="Permian Q3", campaign_type="mail")
    touch(golden, "mail", days_ago=40, campaign=campaign)
    touch(duplicate, "mail", days_ago=5)
    touch(bare, "sms", days_ago=2)

    assert ids("has_phone=yes") == [golden.pk]
    assert ids("has_phone=no") == [bare.pk]
    assert ids("has_email=yes") == [golden.pk]
    assert ids("has_address=yes") == [bare.pk]
    assert ids("mail_touches_min=2") == [golden.pk]  # one own touch + one of the duplicate
    assert ids("mail_touches_max=0") == [bare.pk]
    assert ids("mail_touches_min=1&mail_touches_max=1") == []
    assert ids("sms_touches_min=1") == [bare.pk]
    assert ids(f"campaign={campaign.pk}") == [golden.pk]
    since = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    # The duplicate's touch 5 days ago counts: the golden record was mailed since.
    assert ids(f"mail_last_touch_after={since}") == [golden.pk]
    assert ids(f"mail_last_touch_before={since}") == [bare.pk]


def test_compliance_status_and_date_criteria():
    clear = person_create(score=60)
    blocked = person_create(score=50)
    unchecked = person_create(score=40)
    Person.objects.filter(pk=clear.pk).update(call_status="CLEAR")
    Person.objects.filter(pk=blocked.pk).update(call_status="DNC_FEDERAL")
    old = timezone.now() - dt.timedelta(days=30)
    Person.objects.filter(pk=unchecked.pk).update(created_at=old)

    assert ids("call_status=CLEAR") == [clear.pk]
    assert ids("call_status=DNC_FEDERAL") == [blocked.pk]
    assert ids("call_status=UNCHECKED") == [unchecked.pk]
    cutoff = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert ids(f"created_to={cutoff}") == [unchecked.pk]
    assert ids(f"created_from={cutoff}") == [clear.pk, blocked.pk]


@pytest.mark.parametrize(
    ("query_string", "field", "message"),
    [
        ("state=Texas", "state", "Not a two-letter state code: TEXAS."),
        ("zip5=7977", "zip5", "Not a five-digit ZIP: 7977."),
        ("county=Reeves", "county", "Choose exactly one state to filter on a county."),
        ("score_min=80&score_max=20", "score_max", "The upper bound is below the lower bound."),
        ("sort=name", "sort", "Select a valid choice. name is not one of the available choices."),
    ],
)
def test_bad_criteria_are_refused_with_a_message(query_string, field, message):
    query, form = criteria.parse(QueryDict(query_string))
    assert query is None
    assert form.errors[field] == [message]


@pytest.mark.parametrize("sort", sorted(criteria.SORTS))
@pytest.mark.parametrize(
    "filters", ["state=TX", "state=TX&county=Reeves&lead_status=new&zip5=79772"]
)
def test_keyset_pages_walk_every_row_once_in_order(sort, filters):
    base = timezone.now() - dt.timedelta(days=5)
    people = []
    for index in range(11):
        person = person_create(state="TX", score=index % 3 * 10)
        moment = base + dt.timedelta(hours=index % 4)
        Person.objects.filter(pk=person.pk).update(updated_at=moment, created_at=moment)
        people.append(Person.objects.get(pk=person.pk))
        # Neighbours in every index the filters lead (pages after a cursor read them as ranges).
        person_create(state="TN" if index % 2 else "UT", score=index % 3 * 10)
        person_create(state="TX", county="Reevez", zip5="79773", score=index % 3 * 10)
        person_create(state="TX", lead_status="offer_sent", score=index % 3 * 10)
    query, _ = criteria.parse(QueryDict(f"{filters}&sort={sort}"))
    assert query is not None
    seen: list[int] = []
    cursor = None
    while True:
        result = criteria.page(query, cursor=cursor, rows=3)
        seen.extend(person.pk for person in result.rows)
        cursor = result.next_cursor
        if cursor is None:
            break
    column, descending = criteria.SORTS[sort]
    # Every record the criteria select, whatever the paging: the TX records made above, and
    # in the first case the TX neighbours too.
    selected = list(criteria.filtered(query))
    assert len(selected) == (33 if filters == "state=TX" else 11)
    assert {p.pk for p in people} <= {p.pk for p in selected}
    expected = sorted(
        selected,
        key=lambda p: (getattr(p, column) if column != "id" else p.pk, p.pk),
        reverse=descending,
    )
    assert seen == [person.pk for person in expected]


def rare_phones() -> list[Person]:
    """12 TX records scored 0-11; only those scored 10 and 4 have a phone."""
    people = [person_create(state="TX", score=score) for score in range(12)]
    for person in (people[10], people[4]):
        phone_create(person, f"432-555-{person.score:04d}", f"+1432555{person.score:04d}")
    person_create(state="OK", score=50)  # outside the state range
    return people


def test_a_rare_look_up_list_is_searched_window_by_window(settings):
    people = rare_phones()
    settings.DASHBOARD_LIST_WALK_MS = 0  # one window per page
    settings.DASHBOARD_LIST_WINDOW_ROWS = 5
    query, _ = criteria.parse(QueryDict("state=TX&has_phone=yes&sort=-score"))
    assert query is not None and criteria.has_look_ups(query)

    first = criteria.page(query)
    # Scores 11-7 searched: the one with a phone is shown, the cursor goes on after score 7.
    assert ([p.pk for p in first.rows], first.searched) == ([people[10].pk], 5)
    second = criteria.page(query, cursor=first.next_cursor)
    assert ([p.pk for p in second.rows], second.searched) == ([people[4].pk], 5)
    # Fewer than a window left (scores 1, 0): searched to the end, the last page.
    third = criteria.page(query, cursor=second.next_cursor)
    assert (third.rows, third.searched, third.next_cursor) == ([], None, None)

    # A window holding more than a page of matches (scores 11-4) gives an ordinary page.
    settings.DASHBOARD_LIST_WINDOW_ROWS = 8
    full = criteria.page(query, rows=1)
    assert ([p.pk for p in full.rows], full.searched) == ([people[10].pk], None)
    rest = criteria.page(query, cursor=full.next_cursor, rows=1)
    assert ([p.pk for p in rest.rows], rest.searched) == ([people[4].pk], 8)


def test_windows_count_duplicates_and_reach_every_golden_match_once(settings):
    """A window's end is read from the sort index alone, duplicates included: the golden
    matches among the records up to it are all shown, and the next page starts after it."""
    settings.DASHBOARD_LIST_WALK_MS = 0
    settings.DASHBOARD_LIST_WINDOW_ROWS = 3
    goldens = []
    for score in range(20, 0, -2):
        golden = person_create(state="TX", score=score)
        duplicate_of(golden, state="TX", score=score - 1)
        goldens.append(golden)
    for golden in goldens[::3]:
        phone_create(golden, "432-555-0100", "+14325550100")
    query, _ = criteria.parse(QueryDict("state=TX&has_phone=yes&sort=-score"))
    pages, cursor = [], None
    while True:
        result = criteria.page(query, cursor=cursor, rows=2)
        pages.append(([p.pk for p in result.rows], result.searched))
        cursor = result.next_cursor
        if cursor is None:
            break
    # 20 records in sort order, 3 a window (scores 20-18, 17-15, ..., then 2-1 to the end):
    # seven pages, each golden match once.
    assert len(pages) == 7
    assert [pk for rows, _ in pages for pk in rows] == [g.pk for g in goldens[::3]]
    assert {searched for _, searched in pages[:-1]} == {3}
    assert pages[-1][1] is None  # the last window reached the end


def campaign_members() -> Campaign:
    """A campaign whose members are scattered among higher-scored records: 14 golden members
    (two through a duplicate's touch, one merged away), some with a phone, and non-members."""
    campaign = Campaign.objects.create(name="Mail 2024", campaign_type="mail")
    other = Campaign.objects.create(name="Calls 2025", campaign_type="call")
    for index in range(14):
        member = person_create(state="TX" if index % 2 else "NM", score=index * 7 % 50)
        if index % 5 == 0:  # a member through its duplicate's touch
            touch(duplicate_of(member, score=99), "mail", days_ago=3, campaign=campaign)
        else:
            touch(member, "mail", days_ago=3, campaign=campaign)
        if index % 3 == 0:
            phone_create(member, f"432-555-{index:04d}", f"+1432555{index:04d}")
        stranger = person_create(state="TX", score=index * 7 % 50 + 1)
        touch(stranger, "call", days_ago=3, campaign=other)
    person_create(state="TX", score=100)  # in no campaign, top of the score index
    return campaign


def walk(query: criteria.ListQuery, rows: int) -> list[tuple[list[int], int | None]]:
    pages, cursor = [], None
    while True:
        result = criteria.page(query, cursor=cursor, rows=rows)
        pages.append(([p.pk for p in result.rows], result.searched))
        cursor = result.next_cursor
        if cursor is None:
            return pages


@pytest.mark.parametrize("sort", ["-score", "score"])
@pytest.mark.parametrize(
    "extra", ["", "&score_min=7&score_max=35", "&has_phone=yes", "&mail_touches_min=1"]
)
@pytest.mark.parametrize("walk_ms", [60_000, 0])
def test_a_campaign_list_by_score_reads_the_members_in_score_order(settings, sort, extra, walk_ms):
    settings.DASHBOARD_LIST_WALK_MS = walk_ms  # 0: every page is one window of 4 members
    settings.DASHBOARD_LIST_WINDOW_ROWS = 4
    campaign = campaign_members()
    query, form = criteria.parse(QueryDict(f"campaign={campaign.pk}{extra}&sort={sort}"))
    assert query is not None, form.errors
    assert criteria._by_campaign(query, "score")

    pages = walk(query, rows=3)

    shown = [pk for rows, _ in pages for pk in rows]
    selected = list(criteria.filtered(query))
    assert selected and all(not p.is_duplicate for p in selected)
    expected = sorted(selected, key=lambda p: (p.score, p.pk), reverse=sort == "-score")
    assert shown == [p.pk for p in expected]
    searched = {searched for _, searched in pages}
    if walk_ms == 0 and "has_phone" in extra:
        assert searched == {4, None}  # windows of 4 members, the last to the end
    else:
        # the campaign alone is a range of the members' index: ordinary pages
        assert searched == {None}


def test_a_campaign_list_with_a_state_or_another_sort_walks_the_persons_index():
    campaign = campaign_members()
    for extra, sort in (("&state=TX", "-score"), ("", "-updated_at")):
        query, _ = criteria.parse(QueryDict(f"campaign={campaign.pk}{extra}&sort={sort}"))
        assert query is not None
        assert not criteria._by_campaign(query, criteria.SORTS[sort][0])
        selected = list(criteria.filtered(query))
        column, descending = criteria.SORTS[sort]
        expected = sorted(selected, key=lambda p: (getattr(p, column), p.pk), reverse=descending)
        assert [pk for rows, _ in walk(query, rows=4) for pk in rows] == [p.pk for p in expected]


def test_within_the_walk_budget_a_look_up_list_fills_its_page(settings):
    people = rare_phones()
    settings.DASHBOARD_LIST_WALK_MS = 60_000  # never cut short here
    settings.DASHBOARD_LIST_WINDOW_ROWS = 5
    query, _ = criteria.parse(QueryDict("state=TX&has_phone=yes&sort=-score"))
    result = criteria.page(query)
    assert ([p.pk for p in result.rows], result.searched) == ([people[10].pk, people[4].pk], None)
    # Criteria on columns only are never windowed.
    settings.DASHBOARD_LIST_WALK_MS = 0
    columns, _ = criteria.parse(QueryDict("state=TX&score_min=3&sort=score"))
    assert not criteria.has_look_ups(columns)
    assert len(criteria.page(columns).rows) == 9


def test_the_list_page_says_how_far_a_rare_list_was_searched(client_as, settings):
    people = rare_phones()
    settings.DASHBOARD_LIST_WALK_MS = 0
    settings.DASHBOARD_LIST_WINDOW_ROWS = 5
    client = client_as("viewer")
    response = client.get("/lists/", {"state": "TX", "has_phone": "yes", "sort": "-score"})
    body = response.content.decode()
    assert [p.pk for p in response.context["page"].rows] == [people[10].pk]
    assert 'data-testid="list-window"' in body
    assert "searched the next 5 records in this order and shows the 1 that match" in body
    assert "Search further →" in body
    further = client.get("/lists/" + response.context["next_url"])
    assert [p.pk for p in further.context["page"].rows] == [people[4].pk]
    # A page from the cache says the same.
    again = client.get("/lists/", {"state": "TX", "has_phone": "yes", "sort": "-score"})
    assert again.context["page"].searched == 5


def test_a_forged_cursor_is_refused_on_the_page(client_as):
    person_create(state="TX")
    response = client_as("viewer").get("/lists/?state=TX&cursor=not-a-cursor")
    assert response.status_code == 200
    assert "The page cursor is not valid; start again from the first page." in (
        response.content.decode()
    )


def test_list_page_shows_rows_and_the_next_page_link(client_as):
    people = [person_create(state="TX", score=score) for score in range(60)]
    client = client_as("viewer")
    first = client.get("/lists/?state=TX")
    html = first.content.decode()
    assert f'href="/leads/{people[-1].pk}/"' in html
    assert f'href="/leads/{people[9].pk}/"' not in html  # page 2
    next_url = first.context["next_url"]
    second = client.get("/lists/" + next_url)
    assert [p.pk for p in second.context["page"].rows] == [p.pk for p in people[9::-1]]
    assert "next_url" not in second.context


def test_small_lists_are_counted_exactly_and_big_ones_estimated_from_the_summary():
    for index in range(30):
        person = person_create(state="TX", score=index)
        if index % 3 == 0:
            phone_create(person, f"432-555-{index:04d}", f"+1432555{index:04d}")
    person_create(state="OK")
    exact = counts.estimate(criteria.parse(QueryDict("state=TX&has_phone=yes"))[0])
    assert (exact.value, exact.exact, exact.label()) == (10, True, "10")

    assert counts.person_facets_refresh() == 2
    assert PersonFacet.objects.get(state="TX").persons == 30
    assert counts.facets_are_current()
    original = counts.SAMPLE_ROWS
    counts.SAMPLE_ROWS = 6  # sample below the facet count: the estimate path
    try:
        estimate = counts._estimate(criteria.parse(QueryDict("state=TX&has_phone=yes"))[0])
        assert estimate.exact is False
        assert estimate.as_of is not None
        # The sample holds the first 6 TX records by id: 0 and 3 have phones → 2 of 6 of 30.
        assert estimate.value == 10
        facet_only = counts._estimate(criteria.parse(QueryDict("state=TX"))[0])
        assert (facet_only.value, facet_only.exact) == (30, False)
    finally:
        counts.SAMPLE_ROWS = original


def test_a_forged_cursor_value_of_the_wrong_type_is_refused():
    query, _ = criteria.parse(QueryDict("sort=-updated_at"))
    assert query is not None
    forged = base64.urlsafe_b64encode(b'["x",5]').decode().rstrip("=")
    with pytest.raises(criteria.CriteriaError):
        criteria.page(query, cursor=forged)
    score_query, _ = criteria.parse(QueryDict("sort=-score"))
    assert score_query is not None
    forged_score = base64.urlsafe_b64encode(b"[true,5]").decode().rstrip("=")
    with pytest.raises(criteria.CriteriaError):
        criteria.page(score_query, cursor=forged_score)


def test_a_filter_of_hundreds_of_zip_codes_is_saved_whole(client_as):
    query = "zip5=" + ",".join(f"{70000 + n:05d}" for n in range(400))
    response = client_as("operator").post("/lists/save/", {"name": "Permian ZIPs", "query": query})
    assert response.status_code == 302
    assert SavedFilter.objects.get(name="Permian ZIPs").query == query


def test_estimate_labels():
    assert counts.Estimate(1_234_567, exact=False, as_of=None).label() == "≈ 1.2M"
    assert counts.Estimate(48_200, exact=False, as_of=None).label() == "≈ 48.2k"
    assert counts.Estimate(999, exact=False, as_of=None).label() == "≈ 999"
    assert counts.Estimate(48_200, exact=True, as_of=None).label() == "48,200"


def test_count_fragment_asks_for_a_summary_once_per_change(client_as, monkeypatch):
    person_create(state="TX")
    client = client_as("viewer")
    cache.delete(FACETS_REFRESH_LOCK)
    enqueued: list[tuple] = []
    monkeypatch.setattr(person_facets_refresh_task, "delay", lambda *a: enqueued.append(a))

    response = client.get("/lists/count/?state=TX")
    assert response.status_code == 200
    assert response.content.decode().strip().endswith(">1</span>")
    client.get("/lists/count/?state=TX&score_min=0")
    assert enqueued == [()]  # one rebuild for one change of the persons
    counts.person_facets_refresh()
    cache.delete(FACETS_REFRESH_LOCK)
    client.get("/lists/count/?state=OK")
    assert enqueued == [()]  # the summary is current: nothing to rebuild


def test_operator_saves_a_filter_shared_by_url_and_a_viewer_cannot(client_as):
    operator = client_as("operator")
    response = operator.post(
        "/lists/save/", {"name": "Hot Texas", "query": "state=TX&score_min=80"}
    )
    saved = SavedFilter.objects.get(name="Hot Texas")
    assert response.status_code == 302
    assert response["Location"] == f"/lists/saved/{saved.pk}/"
    assert saved.query == "state=TX&score_min=80"
    assert saved.created_by == operator.user
    entry = AuditLog.objects.get(object_type="dashboard.savedfilter", object_id=str(saved.pk))
    assert (entry.action, entry.actor_username) == ("create", "operator-user")

    viewer = client_as("viewer")
    opened = viewer.get(f"/lists/saved/{saved.pk}/")
    assert opened["Location"] == "/lists/?state=TX&score_min=80"
    refused = viewer.post("/lists/save/", {"name": "Mine", "query": "state=OK"})
    assert refused.status_code == 403
    again = operator.post("/lists/save/", {"name": "Hot Texas", "query": "state=OK"})
    assert again.status_code == 302
    assert SavedFilter.objects.get(name="Hot Texas").query == "state=TX&score_min=80"
    assert SavedFilter.objects.count() == 1


def test_a_saved_filter_is_renamed_or_deleted_by_its_author_or_an_admin(client_as):
    author, other = client_as("operator"), Client()
    other.force_login(user_create("other-operator", "operator"))
    author.post("/lists/save/", {"name": "Hot Texas", "query": "state=TX"})
    author.post("/lists/save/", {"name": "Oklahoma", "query": "state=OK"})
    texas = SavedFilter.objects.get(name="Hot Texas")

    builder = author.get("/lists/").content.decode()
    assert f'action="/lists/saved/{texas.pk}/rename/"' in builder
    assert f'action="/lists/saved/{texas.pk}/rename/"' not in other.get("/lists/").content.decode()
    assert other.post(f"/lists/saved/{texas.pk}/rename/", {"name": "Mine"}).status_code == 403
    assert other.post(f"/lists/saved/{texas.pk}/delete/").status_code == 403

    taken = author.post(f"/lists/saved/{texas.pk}/rename/", {"name": "Oklahoma"}, follow=True)
    assert "exists already" in taken.content.decode()
    author.post(f"/lists/saved/{texas.pk}/rename/", {"name": "Texas, best first"})
    texas.refresh_from_db()
    assert (texas.name, texas.query) == ("Texas, best first", "state=TX")
    # the shared address is the same
    assert author.get(f"/lists/saved/{texas.pk}/")["Location"] == "/lists/?state=TX"

    admin = client_as("admin")
    assert admin.post(f"/lists/saved/{texas.pk}/delete/").status_code == 302
    assert not SavedFilter.objects.filter(pk=texas.pk).exists()
    entries = list(
        AuditLog.objects.filter(object_type="dashboard.savedfilter", object_id=str(texas.pk))
        .order_by("pk")
        .values_list("action", "actor_username", "changes")
    )
    assert entries[1:] == [
        ("update", "operator-user", {"name": ["Hot Texas", "Texas, best first"]}),
        ("delete", "admin-user", {"name": "Texas, best first", "query": "state=TX"}),
    ]


def _mail_ready(person: Person, street: str) -> None:
    address_create(person, street=street, city="Pecos", address_key=street)
    Person.objects.filter(pk=person.pk).update(mail_status="CLEAR", mail_flags=tags.MAIL_CLEAR)


def test_export_applies_the_channel_gate_reports_suppressions_and_is_audited(
    client_as, django_capture_on_commit_callbacks
):
    clear = person_create(state="TX", first_name='=HYPERLINK("http://x")', score=90)
    _mail_ready(clear, "1 Main St")
    deceased = person_create(state="TX", score=80)
    Person.objects.filter(pk=deceased.pk).update(mail_status="DECEASED")
    person_create(state="TX", score=70)  # never scrubbed
    person_create(state="OK", score=99)  # not in the list
    operator = client_as("operator")

    with django_capture_on_commit_callbacks() as callbacks:
        response = operator.post(
            "/lists/exports/new/", {"query": "state=TX", "channel": "mail", "file_format": "csv"}
        )
    export = ListExport.objects.get()
    assert response["Location"] == f"/lists/exports/{export.pk}/"
    assert len(callbacks) == 1  # the export task is enqueued after commit
    assert export.status == ListExport.Status.QUEUED
    list_export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ListExport.Status.COMPLETE
    assert (export.considered, export.exported) == (3, 1)
    assert export.suppressed == {"DECEASED": 1, "UNCHECKED": 1}  # unchecked: not scrubbed
    # A second delivery of the task changes nothing.
    assert list_export_run(export_id=export.pk).exported == 1

    page = operator.get(f"/lists/exports/{export.pk}/").content.decode()
    assert "DECEASED" in page and 'data-testid="suppressed-total">2<' in page
    download = operator.get(f"/lists/exports/{export.pk}/download/")
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[0] == [
        "person_id", "first_name", "last_name", "state", "zip5", "contact_points", "score"
    ]  # fmt: skip
    assert rows[1][0] == str(clear.pk)
    assert rows[1][1] == '\'=HYPERLINK("http://x")'  # formula neutralised
    assert rows[1][5] == "1 Main St, Pecos, TX 79772"
    assert len(rows) == 2
    actions = list(
        AuditLog.objects.filter(object_type="dashboard.listexport").values_list("action", "changes")
    )
    assert actions[0] == ("export", {"query": "state=TX", "channel": "mail", "format": "csv"})
    assert actions[1][0] == "export" and actions[1][1]["rows"] == 1


def test_export_follows_the_lists_order_and_stops_at_its_limit(
    client_as, django_capture_on_commit_callbacks
):
    by_score = {}
    for score in (10, 50, 30, 40, 20):
        by_score[score] = person_create(state="TX", score=score)
        _mail_ready(by_score[score], f"{score} Main St")
    deceased = person_create(state="TX", score=45)
    Person.objects.filter(pk=deceased.pk).update(mail_status="DECEASED")
    operator = client_as("operator")

    def export(query: str, limit: str) -> tuple[ListExport, list[list[str]]]:
        with django_capture_on_commit_callbacks():
            response = operator.post(
                "/lists/exports/new/",
                {"query": query, "channel": "mail", "file_format": "csv", "max_records": limit},
            )
        assert response.status_code == 302
        created = ListExport.objects.latest("pk")
        list_export_run(export_id=created.pk)
        created.refresh_from_db()
        download = operator.get(f"/lists/exports/{created.pk}/download/")
        rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
        return created, rows[1:]

    best, rows = export("state=TX&sort=-score", "2")
    assert [(row[0], row[6]) for row in rows] == [
        (str(by_score[50].pk), "50"),
        (str(by_score[40].pk), "40"),
    ]
    # the deceased record between them was considered and suppressed; the rest was not
    assert (best.max_records, best.considered, best.exported) == (2, 3, 2)
    assert best.suppressed == {"DECEASED": 1}
    page = operator.get(f"/lists/exports/{best.pk}/").content.decode()
    assert "at most 2: the first of the list in its order" in page
    entry = AuditLog.objects.filter(object_type="dashboard.listexport", action="export").first()
    assert entry is not None and entry.changes["max_records"] == 2

    lowest, rows = export("state=TX&sort=score", "1,000")
    assert [row[6] for row in rows] == ["10", "20", "30", "40", "50"]
    assert (lowest.max_records, lowest.considered, lowest.exported) == (1000, 6, 5)

    for wrong in ("0", "two", "-3"):
        refused = operator.post(
            "/lists/exports/new/",
            {"query": "state=TX", "channel": "mail", "file_format": "csv", "max_records": wrong},
            follow=True,
        )
        assert "The number of records must be" in refused.content.decode()
    assert ListExport.objects.count() == 2


def test_xlsx_export_holds_the_same_rows():
    operator_user = user_create("exporter", "operator")
    person = person_create(state="TX", score=10, first_name="=1+2")
    _mail_ready(person, "2 Oak Ave")
    export = list_export_create(
        query="state=TX", channel="mail", file_format="xlsx", by=operator_user
    )
    list_export_run(export_id=export.pk)
    export.refresh_from_db()
    with landing_storage().open(export.storage_name, "rb") as handle:
        sheet = load_workbook(handle, read_only=True).active
        values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1][0] == person.pk
    assert values[1][1] == "'=1+2"  # text, not a formula Excel would calculate
    assert values[1][5] == "2 Oak Ave, Pecos, TX 79772"
    assert len(values) == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"query": "state=TX", "channel": "fax", "file_format": "csv"}, "Unknown channel 'fax'."),
        ({"query": "state=TX", "channel": "mail", "file_format": "pdf"}, "Unknown format 'pdf'"),
        ({"query": "zip5=1", "channel": "mail", "file_format": "csv"}, "criteria are not valid"),
    ],
)
def test_bad_export_requests_are_refused_and_nothing_is_queued(client_as, fields, message):
    response = client_as("operator").post("/lists/exports/new/", fields, follow=True)
    assert message in html.unescape(response.content.decode())
    assert ListExport.objects.count() == 0
    assert not AuditLog.objects.filter(object_type="dashboard.listexport").exists()
    with pytest.raises(ExportRequestError):
        list_export_create(by=None, **fields)


def test_viewers_cannot_export_or_download(client_as):
    viewer = client_as("viewer")
    assert viewer.post("/lists/exports/new/", {"query": "", "channel": "mail"}).status_code == 403
    assert viewer.get("/lists/exports/").status_code == 403
    assert ListExport.objects.count() == 0


def test_list_pages_are_cached_until_the_persons_change(client_as):
    first = person_create(state="TX", score=50)
    client = client_as("viewer")
    assert [p.pk for p in client.get("/lists/?state=TX").context["page"].rows] == [first.pk]
    # A row written behind the cache's back (no import, no scrub) is not seen yet...
    second = person_create(state="TX", score=60)
    assert [p.pk for p in client.get("/lists/?state=TX").context["page"].rows] == [first.pk]
    # ...until a bulk change starts a new generation (imports and scrubs do).
    data_generation_bump(PERSONS)
    rows = client.get("/lists/?state=TX").context["page"].rows
    assert [p.pk for p in rows] == [second.pk, first.pk]


def test_finishing_an_import_starts_a_new_generation_once_committed(
    tmp_path, django_capture_on_commit_callbacks
):
    from ingestion.services import import_file, import_run

    source = tmp_path / "leads.csv"
    source.write_text("first_name,last_name,email\nAda,Byron,ada@example.com\n")
    with django_capture_on_commit_callbacks() as callbacks:
        batch = import_run(import_file(source).pk)
        assert data_generation(PERSONS) == 0  # not before the commit
    assert batch.status == "COMPLETE"
    for callback in callbacks:
        callback()
    assert (data_generation(PERSONS), data_generation(PERSONS_BULK)) == (1, 1)
    assert not counts.facets_are_current()


def test_a_merge_changes_cached_lists_but_does_not_call_for_a_new_summary(
    django_capture_on_commit_callbacks,
):
    from compliance.scrub import scrub_persons

    person = person_create(state="TX")
    counts.person_facets_refresh()
    with django_capture_on_commit_callbacks(execute=True):
        scrub_persons(person_ids=[person.pk])
    assert data_generation(PERSONS) == 1
    assert data_generation(PERSONS_BULK) == 0
    assert counts.facets_are_current()


def _patch_sampling(monkeypatch, **values):
    for name, value in values.items():
        monkeypatch.setattr(counts, name, value)


def every_second_texan_recent() -> str:
    """40 TX records scored 0-39, every second one (odd scores) created recently; the summary
    built. Gives the ``created_from`` date that selects the recent ones."""
    old = timezone.now() - dt.timedelta(days=400)
    people = [person_create(state="TX", score=index) for index in range(40)]
    for person in people[::2]:
        Person.objects.filter(pk=person.pk).update(created_at=old)
    counts.person_facets_refresh()
    return (timezone.localdate() - dt.timedelta(days=30)).isoformat()


def test_the_estimate_samples_across_the_table_not_in_index_order(monkeypatch):
    # Every second record is recent: a sample of the first rows by score would see a few.
    since = every_second_texan_recent()
    _patch_sampling(monkeypatch, SAMPLE_ROWS=10, WINDOWS=2, WINDOW_IDS=10, MIN_SAMPLE=5)

    recent = counts._estimate(criteria.parse(QueryDict(f"state=TX&created_from={since}"))[0])
    assert (recent.value, recent.exact, recent.below) == (20, False, False)
    assert recent.label() == "≈ 20"
    none = counts._estimate(criteria.parse(QueryDict("state=TX&score_min=100"))[0])
    # No sampled record passes: the list is smaller than one sampled record's share (40/20).
    assert (none.value, none.below, none.label()) == (2, True, "< 2")


def test_the_whole_filter_is_tested_on_the_first_records_of_each_window_only(monkeypatch):
    since = every_second_texan_recent()
    _patch_sampling(
        monkeypatch, SAMPLE_ROWS=10, WINDOWS=2, WINDOW_IDS=10, WINDOW_SAMPLE=3, MIN_SAMPLE=5
    )
    recent = counts._estimate(criteria.parse(QueryDict(f"state=TX&created_from={since}"))[0])
    # Records 0-2 and 30-32 are sampled; 1 and 31 are recent: 2 of 6 of 40.
    assert (recent.value, recent.exact) == (13, False)


def test_without_a_summary_the_windows_scale_to_the_table(monkeypatch):
    for index in range(40):
        person_create(state="TX" if index % 4 else "OK", score=index)
    _patch_sampling(monkeypatch, SAMPLE_ROWS=10, WINDOWS=2, WINDOW_IDS=10, MIN_SAMPLE=5)
    texas = counts._estimate(criteria.parse(QueryDict("state=TX"))[0])
    assert (texas.value, texas.exact, texas.as_of) == (30, False, None)


def test_replica_router_sends_only_wrapped_reads_to_the_replica():
    router = ReplicaRouter()
    assert router.db_for_read(Person) is None
    with replica_reads():
        assert router.db_for_read(Person) == "replica"
        assert router.db_for_write(Person) == "default"
    assert router.db_for_read(Person) is None
    assert router.allow_migrate("replica", "core") is False
    assert router.allow_migrate("default", "core") is True


def test_a_replica_url_adds_the_replica_alias_and_its_router(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "1", "READ_REPLICA_URL": f"sqlite:///{tmp_path}/replica.db"}
    env.pop("DATABASE_URL", None)
    script = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'cmplatform.settings');"
        " django.setup(); from django.conf import settings as s; print(sorted(s.DATABASES),"
        " s.DATABASE_ROUTERS, s.DATABASES['replica']['TEST']['MIRROR'])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == (
        "['default', 'replica'] ['cmplatform.lib.replica.ReplicaRouter'] default"
    )


def test_a_redelivered_export_takes_over_a_run_whose_worker_died(
    django_capture_on_commit_callbacks,
):
    user = user_create("exporter", "operator")
    person = person_create(state="TX")
    _mail_ready(person, "3 Elm St")
    export = list_export_create(query="state=TX", channel="mail", file_format="csv", by=user)
    ListExport.objects.filter(pk=export.pk).update(
        status=ListExport.Status.RUNNING, started_at=timezone.now()
    )
    # Another delivery while the first may still run: nothing happens.
    assert list_export_run(export_id=export.pk).status == ListExport.Status.RUNNING
    # The broker redelivered it because the worker was lost: taken over and finished.
    assert list_export_run(export_id=export.pk, takeover=True).status == "COMPLETE"

    stale = list_export_create(query="state=TX", channel="mail", file_format="csv", by=user)
    ListExport.objects.filter(pk=stale.pk).update(
        status=ListExport.Status.RUNNING,
        started_at=timezone.now() - EXPORT_LEASE - dt.timedelta(minutes=1),
    )
    assert list_export_run(export_id=stale.pk).exported == 1


def test_xlsx_sheets_never_pass_excels_row_limit():
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    writer = _SheetWriter(book, "mail list", sheet_rows=2)
    for row in (["id", "name"], [1, "a"], [2, "b"], [3, "c"], [4, "d"], [5, "e"]):
        writer.writerow(row)
    buffer = io.BytesIO()
    book.save(buffer)
    saved = load_workbook(buffer, read_only=True)
    sheets = {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in saved}
    assert sheets == {
        "mail list": [["id", "name"], [1, "a"], [2, "b"]],
        "mail list (2)": [["id", "name"], [3, "c"], [4, "d"]],
        "mail list (3)": [["id", "name"], [5, "e"]],
    }
