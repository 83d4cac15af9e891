"""Oversight pages: the compliance view (suppression counts, statuses from the summary,
registry data age, the review queue and its decisions) and the audit log (filters, keyset
pages on the index that fits, readable changes, the CSV export)."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import functools
import io
import itertools
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import AsyncClient, Client
from django.urls import reverse
from django.utils import timezone

from cmplatform.core.models import AuditLog, Person
from cmplatform.core.services import audit_record
from compliance.models import RegistryCoverage, Suppression
from compliance.services import sms_reply_record, suppression_create, suppression_lift
from dashboard.lists.counts import person_facets_refresh
from dashboard.models import SavedFilter
from dashboard.oversight import audit
from dashboard.oversight.compliance import review_queue
from tests.factories import person_create, phone_create, user_create

pytestmark = pytest.mark.django_db

UTC = dt.UTC
COMPLIANCE = reverse("dashboard:oversight:compliance")
AUDIT = reverse("dashboard:oversight:audit")
EXPORT = reverse("dashboard:oversight:audit-export")
# Sunday 1 March 2026, 12:00 UTC (06:00 in Chicago, the display time zone, still on CST).
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)
DAY_AROUND = {"since": "2026-02-28T00:00:00+00:00", "before": "2026-03-02T00:00:00+00:00"}


def section(html: str, testid: str) -> str:
    """The markup of the element with ``data-testid`` (up to its section's end)."""
    start = html.index(f'data-testid="{testid}"')
    end = html.find("</section>", start)
    return html[start : end if end != -1 else len(html)]


# --- Compliance view -------------------------------------------------------------------------


def test_suppression_counts_per_reason_and_channel_are_exact(client_as: Callable) -> None:
    person = person_create()
    suppression_create(reason="OPTED_OUT", channel="sms", source="sms_reply", phone="4325550100")
    suppression_create(reason="OPTED_OUT", channel="sms", source="sms_reply", phone="4325550101")
    suppression_create(reason="OPTED_OUT", channel="email", source="api", email="a@example.com")
    suppression_create(reason="DNC_INTERNAL", channel="call", source="file", phone="4325550102")
    suppression_create(reason="DECEASED", channel="all", source="manual", person=person)
    suppression_create(
        reason="UNDELIVERABLE_ADDRESS", channel="mail", source="returned_mail", address_key="K1"
    )
    lifted = suppression_create(
        reason="OPTED_OUT", channel="sms", source="sms_reply", phone="4325550103"
    )
    suppression_lift(suppression=lifted, reason="re-opt-in by SMS")  # no longer counted

    response = client_as("viewer").get(COMPLIANCE)

    assert response.status_code == 200
    counts = response.context["counts"]
    assert [value for value, _label in counts.channels] == ["all", "mail", "sms", "call", "email"]
    assert [(reason, per_channel, total) for reason, _l, per_channel, total in counts.rows] == [
        ("OPTED_OUT", [0, 0, 2, 0, 1], 3),
        ("REVOKED_CONSENT", [0, 0, 0, 0, 0], 0),
        ("DNC_INTERNAL", [0, 0, 0, 1, 0], 1),
        ("DECEASED", [1, 0, 0, 0, 0], 1),
        ("UNDELIVERABLE_ADDRESS", [0, 1, 0, 0, 0], 1),
    ]
    assert counts.channel_totals == [1, 1, 2, 1, 1]
    assert counts.total == 6
    markup = section(response.content.decode(), "suppression-counts")
    opted_out = re.search(r'data-reason="OPTED_OUT">(.*?)</tr>', markup, re.S)
    assert opted_out is not None
    assert re.findall(r'<td class="num">(?:<strong>)?(\d+)', opted_out.group(1)) == [
        "0",
        "0",
        "2",
        "0",
        "1",
        "3",
    ]


def test_statuses_per_channel_come_from_the_summary_with_its_date(client_as: Callable) -> None:
    viewer = client_as("viewer")
    empty = viewer.get(COMPLIANCE).content.decode()
    assert "No summary yet" in section(empty, "channel-statuses")

    golden = person_create(call_status="CLEAR", sms_status="CLEAR", email_status="OPTED_OUT")
    person_create(call_status="CLEAR", sms_status="DNC_FEDERAL")
    person_create(call_status="DNC_FEDERAL", sms_status="DNC_FEDERAL")
    person_create()  # never scrubbed
    person_create(call_status="DNC_STATE", is_duplicate=True, is_original=False, merged_into=golden)
    person_facets_refresh()

    response = viewer.get(COMPLIANCE)

    statuses = response.context["statuses"]
    assert statuses.statuses == {
        "mail": [("UNCHECKED", 4)],
        "sms": [("DNC_FEDERAL", 2), ("CLEAR", 1), ("UNCHECKED", 1)],
        "call": [("CLEAR", 2), ("DNC_FEDERAL", 1), ("UNCHECKED", 1)],
        "email": [("UNCHECKED", 3), ("OPTED_OUT", 1)],
    }
    markup = section(response.content.decode(), "channel-statuses")
    as_of = timezone.localtime(statuses.as_of).strftime("%Y-%m-%d %H:%M")
    assert f"As of {as_of}" in markup
    assert response.context["statuses_behind"] is False


def test_registry_data_age_warns_at_26_days_and_is_stale_at_32(client_as: Callable) -> None:
    today = dt.date.today()
    RegistryCoverage.objects.create(kind="federal", scope="432", as_of=today - dt.timedelta(26))
    RegistryCoverage.objects.create(kind="federal", scope="212", as_of=today - dt.timedelta(32))
    RegistryCoverage.objects.create(kind="federal", scope="915", as_of=today - dt.timedelta(1))
    RegistryCoverage.objects.create(kind="state", scope="TX", as_of=today - dt.timedelta(3))

    response = client_as("viewer").get(COMPLIANCE)

    registry = response.context["registry"]
    assert [(a.kind, a.scope, a.age_days, a.state) for a in registry.attention] == [
        ("federal", "212", 32, "stale"),
        ("federal", "432", 26, "warning"),
    ]
    assert (registry.scopes, registry.warnings, registry.stale) == (4, 1, 1)
    assert [(g.state, g.worst, [a.scope for a in g.federal]) for g in registry.groups] == [
        ("NY", "stale", ["212"]),
        ("TX", "warning", ["432", "915"]),
    ]
    markup = section(response.content.decode(), "registry-ages")
    assert '<tr class="oversight-stale" data-scope="federal:212" data-state="stale">' in markup
    assert '<tr class="oversight-warning" data-scope="federal:432" data-state="warning">' in markup
    assert 'data-scope="federal:915" data-state="ok"' in markup
    assert 'data-scope="federal:915" data-state="warning"' not in markup
    assert "1 nearing the 31-day limit" in markup
    assert "1 stale" in markup


def revocations() -> tuple[list[Person], Suppression, Suppression]:
    """Two revocation requests: one texted from a number two persons hold, then a wrong
    number (the number alone). Registry data is current, so a lifted one leaves them CLEAR."""
    today = dt.date.today()
    RegistryCoverage.objects.create(kind="federal", scope="432", as_of=today, full_list_on=today)
    RegistryCoverage.objects.create(kind="state", scope="TX", as_of=today, full_list_on=today)
    holders = [person_create(first_name="Ada", last_name="Reeves"), person_create()]
    for holder in holders:
        phone_create(holder, "(432) 555-0100", "+14325550100")
    first = sms_reply_record(
        phone="+14325550100",
        body="Please don't text me again",
        received_at=T0,
    ).suppression
    second = sms_reply_record(
        phone="+14325550177", body="wrong number", received_at=T0 + dt.timedelta(hours=1)
    ).suppression
    assert first is not None and second is not None
    return holders, first, second


def test_review_queue_groups_each_request_for_a_viewer_read_only(client_as: Callable) -> None:
    holders, first, second = revocations()

    response = client_as("viewer").get(COMPLIANCE)

    queue = response.context["queue"]
    assert [[m.pk for m in request.members] for request in queue.requests] == [
        list(
            Suppression.objects.filter(request=first.request)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        [second.pk],
    ]
    assert [request.identifiers for request in queue.requests] == [
        [("phone", "+14325550100")],
        [("phone", "+14325550177")],
    ]
    assert [[p.pk for p in request.holders] for request in queue.requests] == [
        [holder.pk for holder in holders],
        [],
    ]
    assert (queue.pending, queue.is_capped) == (4, False)
    markup = section(response.content.decode(), "review-queue")
    assert markup.count('data-testid="review-request"') == 2
    assert "Please don&#x27;t text me again" in markup
    assert "+14325550100" in markup
    assert f'href="/leads/{holders[0].pk}/">#{holders[0].pk}</a> Ada Reeves' in markup
    received = timezone.localtime(T0).strftime("%Y-%m-%d %H:%M")
    assert received in markup
    assert 'data-testid="review-decide"' not in markup
    assert "Your role may read the queue only." in markup


def test_review_queue_is_bounded_and_never_shows_half_a_request() -> None:
    _holders, first, second = revocations()
    members = [s.pk for s in Suppression.objects.filter(request=first.request).order_by("pk")]

    queue = review_queue(rows=2, requests=1, count_cap=3)

    # Two rows read, one request shown, completed with the member the row limit cut off.
    assert [[m.pk for m in request.members] for request in queue.requests] == [members]
    assert (queue.pending, queue.is_capped) == (3, True)
    assert [r.key for r in review_queue(requests=5).requests] == [
        first.request,
        second.request,
    ]


def test_operator_confirms_a_request_for_all_its_suppressions_audited(
    client_as: Callable,
) -> None:
    _holders, first, second = revocations()
    operator = client_as("operator")
    assert 'data-testid="review-decide"' in operator.get(COMPLIANCE).content.decode()
    members = list(Suppression.objects.filter(request=first.request).order_by("pk"))
    last = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first()

    response = operator.post(
        reverse("dashboard:oversight:review-decide", args=[members[-1].pk]),
        {"decision": "confirm", "note": "called back, confirmed"},
    )

    assert response.status_code == 302
    assert response["Location"] == COMPLIANCE + "#review-queue"
    decided = Suppression.objects.filter(request=first.request).order_by("pk")
    assert [(s.review, s.is_active) for s in decided] == [("confirmed", True)] * 3
    assert Suppression.objects.get(pk=second.pk).review == "pending"
    entries = AuditLog.objects.filter(pk__gt=last).order_by("pk")
    assert [
        (e.actor_username, e.origin, e.action, e.object_type, e.object_id, e.changes)
        for e in entries
    ] == [
        (
            "operator-user",
            "dashboard",
            "update",
            "compliance.suppression",
            str(member.pk),
            {"review": ["pending", "confirmed"], "note": ["", "called back, confirmed"]},
        )
        for member in members
    ]
    page = operator.get(COMPLIANCE, follow=True)
    assert "confirmed: it stays suppressed." in page.content.decode()
    assert [request.first.pk for request in page.context["queue"].requests] == [second.pk]


def test_operator_releases_a_request_lifting_its_suppressions(client_as: Callable) -> None:
    holders, first, _second = revocations()
    operator = client_as("operator")
    assert Person.objects.get(pk=holders[0].pk).sms_status == "REVOKED_CONSENT"
    last = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first()

    response = operator.post(
        reverse("dashboard:oversight:review-decide", args=[first.pk]),
        {"decision": "release", "note": "a joke"},
    )

    assert response.status_code == 302
    members = list(Suppression.objects.filter(request=first.request).order_by("pk"))
    assert [(s.review, s.is_active) for s in members] == [("released", False)] * 3
    assert [Person.objects.get(pk=h.pk).sms_status for h in holders] == ["CLEAR", "CLEAR"]
    entries = AuditLog.objects.filter(pk__gt=last).order_by("pk")
    assert [(e.actor_username, e.origin, e.object_id, e.changes) for e in entries] == [
        row
        for member in members
        for row in (
            (
                "operator-user",
                "dashboard",
                str(member.pk),
                {"review": ["pending", "released"], "note": ["", "a joke"]},
            ),
            (
                "operator-user",
                "dashboard",
                str(member.pk),
                {"is_active": [True, False], "lifted_reason": ["", "Released on review: a joke"]},
            ),
        )
    ]
    # Decided already: a second decision changes nothing and says why.
    again = operator.post(
        reverse("dashboard:oversight:review-decide", args=[first.pk]),
        {"decision": "confirm"},
        follow=True,
    )
    assert "This suppression does not wait for review." in again.content.decode()
    assert AuditLog.objects.filter(pk__gt=last).count() == 6


def test_a_viewer_cannot_decide_and_nothing_changes(client_as: Callable) -> None:
    _holders, first, _second = revocations()
    viewer, operator = client_as("viewer"), client_as("operator")
    rows = Suppression.objects.order_by("pk").values_list("pk", "review", "is_active")
    before = list(rows)
    audited = AuditLog.objects.count()
    url = reverse("dashboard:oversight:review-decide", args=[first.pk])

    assert viewer.post(url, {"decision": "confirm"}).status_code == 403
    anonymous = Client().post(url, {"decision": "release"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")
    assert operator.get(url).status_code == 405  # decisions are POSTs only

    assert list(rows) == before
    assert AuditLog.objects.count() == audited


# --- Audit log -------------------------------------------------------------------------------


def record(
    monkeypatch: pytest.MonkeyPatch,
    at: dt.datetime,
    obj: Any,
    *,
    actor: Any = None,
    action: str = AuditLog.Action.UPDATE,
    origin: str = AuditLog.Origin.DASHBOARD,
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """An audit entry written by the service, as if at ``at``."""
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: at)
        return audit_record(
            actor=actor, origin=origin, action=action, obj=obj, changes=changes or {}
        )


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Users, objects and seven entries around T0 (two at the same moment)."""
    alice = user_create("alice", "operator")
    bob = user_create("bob", "viewer")
    ada = person_create(first_name="Ada", last_name="Reeves")
    ben = person_create(first_name="Ben", last_name="Loving")
    saved = SavedFilter.objects.create(name="Permian", query="state=TX")
    hour = dt.timedelta(hours=1)
    entries = {
        "e1": record(monkeypatch, T0, ada, actor=alice, changes={"first_name": ["Ada", "Adah"]}),
        "e2": record(
            monkeypatch,
            T0 + hour,
            ada,
            actor=bob,
            action="merge",
            origin="admin",
            changes={"merged": [ben.pk], "before": {"state": "NM"}, "after": {"state": "TX"}},
        ),
        "e3": record(
            monkeypatch,
            T0 + 2 * hour,
            saved,
            actor=alice,
            action="create",
            origin="api",
            changes={"name": "Permian", "query": "state=TX"},
        ),
        "e4": record(
            monkeypatch, T0 + 3 * hour, ben, origin="system", changes={"call_status": ["", "CLEAR"]}
        ),
        "e5": record(monkeypatch, T0 + 4 * hour, saved, actor=bob, action="export"),
        "e6": record(monkeypatch, T0 + 4 * hour, ben, actor=alice, action="override"),
        "e7": record(monkeypatch, T0 + 5 * hour, ada, actor=alice, origin="api"),
    }
    return {"alice": alice, "bob": bob, "ada": ada, "ben": ben, "saved": saved, **entries}


def shown(client: Client, **params: Any) -> list[int]:
    response = client.get(AUDIT, params)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.is_valid(), form.errors
    return [row.entry.pk for row in response.context["rows"]]


def pks(history: dict[str, Any], *names: str) -> list[int]:
    return [history[name].pk for name in names]


def test_audit_filters_return_exactly_the_matching_entries(
    client_as: Callable, history: dict[str, Any]
) -> None:
    viewer = client_as("viewer")
    ada, ben, saved = history["ada"], history["ben"], history["saved"]

    # Newest first; two entries at one moment: the later id first.
    assert shown(viewer, **DAY_AROUND) == pks(history, "e7", "e6", "e5", "e4", "e3", "e2", "e1")
    assert shown(viewer, user="alice") == pks(history, "e7", "e6", "e3", "e1")
    assert shown(viewer, user="bob") == pks(history, "e5", "e2")
    assert shown(viewer, user="nobody") == []
    assert shown(viewer, object_type="core.person", object_id=str(ada.pk)) == pks(
        history, "e7", "e2", "e1"
    )
    assert shown(viewer, object_type="CORE.Person ", object_id=str(ben.pk)) == pks(
        history, "e6", "e4"
    )
    assert shown(viewer, object_type="dashboard.savedfilter", object_id=str(saved.pk)) == pks(
        history, "e5", "e3"
    )
    assert shown(viewer, object_type="dashboard.savedfilter") == pks(history, "e5", "e3")
    assert shown(viewer, action="update", **DAY_AROUND) == pks(history, "e7", "e4", "e1")
    assert shown(viewer, action="merge") == pks(history, "e2")
    assert shown(viewer, origin="api") == pks(history, "e7", "e3")
    assert shown(viewer, origin="system", **DAY_AROUND) == pks(history, "e4")
    # From is inclusive, Before exclusive; a time without offset is the display time zone's
    # (07:00 in Chicago on 1 March is 13:00 UTC).
    assert shown(viewer, since="2026-03-01T07:00", before="2026-03-01T10:00") == pks(
        history, "e4", "e3", "e2"
    )
    assert shown(
        viewer, user="alice", object_type="core.person", object_id=str(ada.pk), origin="api"
    ) == pks(history, "e7")
    assert shown(viewer, user="alice", action="override", since="2026-03-01T16:00:00+00:00") == pks(
        history, "e6"
    )


def test_audit_filter_errors_are_shown_and_list_nothing(client_as: Callable) -> None:
    viewer = client_as("viewer")
    response = viewer.get(AUDIT, {"object_id": "12"})
    assert "Choose the object type of this id." in response.content.decode()
    assert "rows" not in response.context
    response = viewer.get(AUDIT, {"since": "2026-03-02T00:00", "before": "2026-03-01T00:00"})
    assert "Choose a time after the start." in response.content.decode()
    response = viewer.get(AUDIT, {"cursor": "not-a-cursor"})
    assert "The page cursor is not valid" in response.content.decode()
    assert client_as("operator").get(EXPORT, {"object_id": "12"}).status_code == 400


def walk(client: Client, params: dict[str, Any]) -> list[list[int]]:
    """Every page of the audit log for ``params``, following the page's own next link."""
    pages = []
    url = AUDIT + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append([row.entry.pk for row in response.context["rows"]])
        next_url = response.context.get("next_url")
        url = AUDIT + next_url if next_url else ""
        assert len(pages) < 50
    return pages


def test_keyset_pages_walk_every_entry_once_on_each_index(
    client_as: Callable, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = client_as("viewer")
    # Three more at one moment, so pages split inside a tie of occurred_at.
    ties = [
        record(monkeypatch, T0 + dt.timedelta(hours=2), history["ada"], actor=history["alice"])
        for _ in range(3)
    ]
    everything = [
        history["e7"].pk,
        history["e6"].pk,
        history["e5"].pk,
        history["e4"].pk,
        *[entry.pk for entry in reversed(ties)],
        history["e3"].pk,
        history["e2"].pk,
        history["e1"].pk,
    ]

    pages = walk(viewer, {"rows": 2, "since": "2026-02-28T00:00", "before": "2026-03-02T00:00"})
    assert pages == [everything[i : i + 2] for i in range(0, 10, 2)]

    by_alice = [pk for pk in everything if pk not in pks(history, "e5", "e4", "e2")]
    pages = walk(viewer, {"rows": 3, "user": "alice"})
    assert [pk for page in pages for pk in page] == by_alice
    assert [len(page) for page in pages] == [3, 3, 1]

    of_ada = {*pks(history, "e7", "e2", "e1"), *(tie.pk for tie in ties)}
    pages = walk(viewer, {"rows": 2, "object_type": "core.person", "object_id": history["ada"].pk})
    assert [pk for page in pages for pk in page] == [pk for pk in everything if pk in of_ada]
    assert [len(page) for page in pages] == [2, 2, 2]


def test_filters_no_index_serves_are_searched_in_bounded_windows(
    history: dict[str, Any],
) -> None:
    query = audit.AuditQuery(
        action="update",
        since=dt.datetime(2026, 2, 28, tzinfo=UTC),
        before=dt.datetime(2026, 3, 2, tzinfo=UTC),
    )
    pages, cursor, windows = [], None, []
    while True:
        page = audit.audit_page(query, cursor=cursor, rows=5, scan_rows=2)
        pages.append([entry.pk for entry in page.entries])
        windows.append(page.searched_to)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    # Each page examined at most two entries (e7 e6 | e5 e4 | e3 e2 | e1) and said how far back
    # it searched; together they hold every match once.
    assert pages == [pks(history, "e7"), pks(history, "e4"), [], pks(history, "e1")]
    assert windows == [
        T0 + dt.timedelta(hours=4),
        T0 + dt.timedelta(hours=3),
        T0 + dt.timedelta(hours=1),
        None,
    ]
    assert page.index == audit.TIME_INDEX


def plan_of(queryset: Any) -> tuple[str, bool]:
    """(the index the database reads, whether it sorts apart from it)."""
    if connection.vendor == "mysql":
        plan = json.loads(queryset.explain(format="json"))
        plan = json.loads(plan) if isinstance(plan, str) else plan
        text = json.dumps(plan)
        keys = re.findall(r'"key": "(\w+)"', text)
        assert len(keys) == 1, text
        return keys[0], "filesort" in text
    text = queryset.explain()
    found = re.findall(r"USING (?:COVERING )?INDEX (\w+)", text)
    assert len(found) == 1, text
    return found[0], "TEMP B-TREE" in text


# Transactional: ANALYZE TABLE commits on MySQL, so the rows are emptied by a flush.
@pytest.mark.django_db(transaction=True)
def test_each_filter_reads_the_index_that_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    """6,000 entries of 30 users on 300 objects over 100 minutes, with statistics: every
    query a page makes is a range of the chosen index, in its order (no sort)."""
    user_model = get_user_model()
    user_model.objects.bulk_create([user_model(username=f"user{n}") for n in range(30)])
    users = list(user_model.objects.order_by("pk"))
    tick = itertools.count()
    monkeypatch.setattr(timezone, "now", lambda: T0 + dt.timedelta(seconds=next(tick)))
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                actor=users[n % 30],
                actor_username=users[n % 30].username,
                origin=("dashboard", "admin", "api", "system")[n % 4],
                action=("update", "create", "merge")[n % 3],
                object_type=("core.person", "compliance.suppression")[n % 2],
                object_id=str(n % 300),
                changes={},
            )
            for n in range(6_000)
        ],
        batch_size=1_000,
    )
    monkeypatch.undo()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE TABLE audit_log" if connection.vendor == "mysql" else "ANALYZE")
    after = (T0 + dt.timedelta(seconds=5_000), 10**9)
    boundary = (T0 + dt.timedelta(seconds=1_000), 1)
    cases = [
        (
            audit.AuditQuery(object_type="core.person", object_id="2", user_id=users[2].pk),
            audit.OBJECT_INDEX,
        ),
        (audit.AuditQuery(object_type="core.person", object_id="2"), audit.OBJECT_INDEX),
        (audit.AuditQuery(user_id=users[3].pk, action="update"), audit.ACTOR_INDEX),
        (audit.AuditQuery(user_id=users[3].pk), audit.ACTOR_INDEX),
        (audit.AuditQuery(object_type="core.person", origin="api"), audit.TIME_INDEX),
        (audit.AuditQuery(since=T0 + dt.timedelta(seconds=100)), audit.TIME_INDEX),
        (audit.AuditQuery(), audit.TIME_INDEX),
    ]
    for query, index in cases:
        ordered, post, chosen = audit.page_queryset(query, after=after)
        assert chosen == index
        queries = [ordered.filter(post)[:51]]
        if post:
            window = ordered.values_list("occurred_at", "pk")[9_999:10_001]
            bounded = ordered.filter(audit._not_older_than(boundary)).filter(post)[:51]
            queries += [window, bounded]
        for queryset in queries:
            assert plan_of(queryset) == (index, False), (query, str(queryset.query))


def test_changes_are_shown_as_before_after_tables_or_json_with_person_links(
    client_as: Callable, history: dict[str, Any]
) -> None:
    response = client_as("viewer").get(AUDIT, DAY_AROUND)
    rows = {row.entry.pk: row for row in response.context["rows"]}
    assert rows[history["e1"].pk].changes == audit.ChangesView([("first_name", "Ada", "Adah")], "")
    assert rows[history["e2"].pk].changes == audit.ChangesView(
        [("state", "NM", "TX")], f'{{\n  "merged": [\n    {history["ben"].pk}\n  ]\n}}'
    )
    assert rows[history["e3"].pk].changes == audit.ChangesView(
        [], '{\n  "name": "Permian",\n  "query": "state=TX"\n}'
    )
    assert rows[history["e4"].pk].changes == audit.ChangesView([("call_status", "", "CLEAR")], "")
    assert rows[history["e5"].pk].changes == audit.ChangesView([], "")
    assert rows[history["e1"].pk].person_id == history["ada"].pk
    assert rows[history["e3"].pk].person_id is None
    markup = section(response.content.decode(), "audit-entries")
    e1 = re.search(rf'data-id="{history["e1"].pk}">(.*?)\n      </tr>', markup, re.S)
    assert e1 is not None
    assert f'<a href="/leads/{history["ada"].pk}/" data-testid="audit-person-link">' in e1.group(1)
    assert "<td>first_name</td><td>Ada</td><td>Adah</td>" in e1.group(1)
    assert "&quot;query&quot;: &quot;state=TX&quot;" in markup
    assert 'data-testid="audit-filters"' in response.content.decode()
    assert audit.changes_view(["a", "b"]) == audit.ChangesView([], '[\n  "a",\n  "b"\n]')


def test_audit_pages_need_the_audit_permission(client_as: Callable) -> None:
    get_user_model().objects.create_user("nobody-in-particular", password="x-Long-enough-9")
    client = Client()
    client.login(username="nobody-in-particular", password="x-Long-enough-9")
    assert client.get(AUDIT).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert Client().get(AUDIT).status_code == 302
    # exporting the log (personal data in its before/after values) is an export right
    viewer = client_as("viewer")
    assert viewer.get(EXPORT).status_code == 403
    assert 'data-testid="audit-export"' not in viewer.get(AUDIT).content.decode()
    operator = client_as("operator")
    assert operator.get(EXPORT).status_code == 200
    assert 'data-testid="audit-export"' in operator.get(AUDIT).content.decode()


def export_rows(content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content)))


@pytest.fixture
def formula_history(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    sly = get_user_model().objects.create(username='=HYPERLINK("http://x","y")')
    saved = SavedFilter.objects.create(name="=SUM(A1:A9)", query="state=TX")
    first = record(
        monkeypatch,
        T0,
        saved,
        actor=sly,
        action="create",
        changes={"name": "=SUM(A1:A9)"},
    )
    second = record(
        monkeypatch,
        T0 + dt.timedelta(minutes=1, microseconds=250),
        saved,
        origin="system",
        changes={"query": ["", "state=TX"]},
    )
    return {"saved": saved, "first": first, "second": second}


def test_export_is_the_filtered_log_exact_and_formula_safe(
    client_as: Callable, formula_history: dict[str, Any]
) -> None:
    saved, first, second = (formula_history[k] for k in ("saved", "first", "second"))

    response = client_as("operator").get(EXPORT, DAY_AROUND)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="audit_log_\d{8}T\d{6}Z\.csv"', response["Content-Disposition"]
    )
    content = b"".join(response.streaming_content).decode()
    assert export_rows(content) == [
        list(audit.EXPORT_HEADER),
        [
            "2026-03-01T12:01:00.000250+00:00",
            str(second.pk),
            "",
            "system",
            "update",
            "dashboard.savedfilter",
            str(saved.pk),
            "'=SUM(A1:A9)",
            '{"query":["","state=TX"]}',
        ],
        [
            "2026-03-01T12:00:00+00:00",
            str(first.pk),
            '\'=HYPERLINK("http://x","y")',
            "dashboard",
            "create",
            "dashboard.savedfilter",
            str(saved.pk),
            "'=SUM(A1:A9)",
            '{"name":"=SUM(A1:A9)"}',
        ],
    ]
    only_system = client_as("operator").get(EXPORT, {"origin": "system", **DAY_AROUND})
    rows = export_rows(b"".join(only_system.streaming_content).decode())
    assert [row[1] for row in rows[1:]] == [str(second.pk)]


def test_export_walks_keyset_pages_and_stops_at_its_cap(
    formula_history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = [
        record(monkeypatch, T0 - dt.timedelta(minutes=m), formula_history["saved"])
        for m in range(1, 6)
    ]
    query = audit.AuditQuery(since=T0 - dt.timedelta(days=1), before=T0 + dt.timedelta(days=1))
    pages = list(audit.AuditExport(query, page_rows=2))
    expected = [formula_history["second"].pk, formula_history["first"].pk, *(e.pk for e in extra)]
    assert [[entry.pk for entry in page] for page in pages] == [
        expected[0:2],
        expected[2:4],
        expected[4:6],
        expected[6:7],
    ]
    capped = list(audit.AuditExport(query, page_rows=2, max_rows=5))
    assert [entry.pk for page in capped for entry in page] == expected[:5]


def test_an_export_stops_after_its_scan_windows_and_says_how_far_back_it_searched(
    client_as: Callable, history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    updates = audit.AuditQuery(
        action="update",
        since=dt.datetime(2026, 2, 28, tzinfo=UTC),
        before=dt.datetime(2026, 3, 2, tzinfo=UTC),
    )

    def exported(query: audit.AuditQuery, max_windows: int) -> tuple[list[list[int]], Any]:
        export = audit.AuditExport(query, page_rows=5, scan_rows=2, max_windows=max_windows)
        pages = [[entry.pk for entry in page] for page in export]
        return pages, export.searched_to

    # Windows of two entries: e7 e6 | e5 e4 | e3 e2 | e1; none fills a page of five.
    e7, e4, e1 = pks(history, "e7"), pks(history, "e4"), pks(history, "e1")
    assert exported(updates, 2) == ([e7, e4], T0 + 3 * HOUR)
    assert exported(updates, 3) == ([e7, e4], T0 + HOUR)
    assert exported(updates, 4) == ([e7, e4, e1], None)
    # A filter the index serves reads matches only: no window, no stop.
    of_alice = audit.AuditQuery(user_id=history["alice"].pk, since=updates.since)
    assert exported(of_alice, 1) == ([pks(history, "e7", "e6", "e3", "e1")], None)

    monkeypatch.setattr(
        audit, "AuditExport", functools.partial(audit.AuditExport, scan_rows=2, max_windows=2)
    )
    response = client_as("operator").get(EXPORT, {"action": "update", **DAY_AROUND})
    rows = export_rows(b"".join(response.streaming_content).decode())
    assert [row[1] for row in rows[1:-1]] == [str(pk) for pk in pks(history, "e7", "e4")]
    assert rows[-1] == [
        "# searched back to 2026-03-01T15:00:00+00:00; "
        "narrow the time range to export older entries"
    ]


def test_an_audit_log_export_is_itself_audited_with_its_filters(
    client_as: Callable, history: dict[str, Any]
) -> None:
    operator = client_as("operator")

    response = operator.get(
        EXPORT, {"action": "update", "origin": "", "rows": "5", "other": "x", **DAY_AROUND}
    )

    assert response.status_code == 200
    entry = AuditLog.objects.get(action="export", object_type="auth.user")
    assert (entry.actor, entry.origin, entry.object_id, entry.changes) == (
        operator.user,
        "dashboard",
        str(operator.user.pk),
        {"downloaded": "audit_log", "filters": {"action": "update", **DAY_AROUND}},
    )
    # Refused filters export nothing and audit nothing.
    refused = operator.get(EXPORT, {"since": "2026-03-02T00:00", "before": "2026-03-01T00:00"})
    assert refused.status_code == 400
    assert AuditLog.objects.filter(action="export", object_type="auth.user").count() == 1


@pytest.mark.django_db(transaction=True)
def test_export_streams_asynchronously_under_asgi(monkeypatch: pytest.MonkeyPatch) -> None:
    operator = user_create("async-operator", "operator")
    saved = SavedFilter.objects.create(name="Loving", query="state=TX")
    entry = record(monkeypatch, T0, saved, actor=operator, action="create")

    async def download() -> tuple[bool, str]:
        client = AsyncClient()
        await client.aforce_login(operator)
        response = await client.get(EXPORT, {"user": "async-operator"})
        chunks = [chunk async for chunk in response.streaming_content]
        return response.is_async, b"".join(chunks).decode()

    is_async, content = asyncio.run(download())
    assert is_async
    # The export's own audit entry is the newest of the user's.
    exported = AuditLog.objects.get(action="export")
    assert export_rows(content) == [
        list(audit.EXPORT_HEADER),
        [
            exported.occurred_at.astimezone(UTC).isoformat(),
            str(exported.pk),
            "async-operator",
            "dashboard",
            "export",
            "auth.user",
            str(operator.pk),
            "async-operator",
            '{"downloaded":"audit_log","filters":{"user":"async-operator"}}',
        ],
        [
            "2026-03-01T12:00:00+00:00",
            str(entry.pk),
            "async-operator",
            "dashboard",
            "create",
            "dashboard.savedfilter",
            str(saved.pk),
            "Loving",
            "{}",
        ],
    ]


def test_home_counts_the_review_queue_up_to_its_cap(
    client_as: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dashboard.views

    revocations()  # four requests waiting
    viewer = client_as("viewer")
    shown = section_of(viewer.get("/").content.decode(), "review-queue-count")
    assert shown == "4"
    monkeypatch.setattr(dashboard.views, "REVIEW_COUNT_CAP", 4)
    assert section_of(viewer.get("/").content.decode(), "review-queue-count") == "4"
    monkeypatch.setattr(dashboard.views, "REVIEW_COUNT_CAP", 3)
    assert section_of(viewer.get("/").content.decode(), "review-queue-count") == "3+"


def section_of(markup: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', markup)
    assert found is not None
    return found.group(1)
