"""The REST API: every endpoint with a token client, its refusals, roles and throttles."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.worker import state as worker_state
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cmplatform.celery import app as celery_app
from cmplatform.core.models import AuditLog, Campaign, Person, Touchpoint
from cmplatform.lib.embedded_worker import embedded_worker_start
from compliance.models import ComplianceEvaluation, RegistryCoverage
from compliance.scrub import scrub_all
from compliance.services import reference_reload
from dashboard.models import SavedFilter
from ingestion.models import ImportBatch, SourceFile
from ingestion.services import import_run
from tests.factories import email_create, person_create, phone_create, user_create

UTC = dt.UTC
# A Tuesday in November (standard time): 17:00 UTC is 11:00 in Midland, Texas.
MIDDAY = dt.datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
LEADS = (
    b"lead_id,First Name,Last Name,Phone,Email\n"
    b"L1,Ann,Lee,(405) 235-7001,ann@example.com\n"
    b"L2,Bill,Ortiz,(405) 235-7002,bill@example.com\n"
    b"L3,,,,\n"
)


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    """Throttle counters (and cached look-ups) start empty in every test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_as(db: None) -> Callable[[str], APIClient]:
    """A token-authenticated API client for a fresh user of the given role."""

    def make(role: str) -> APIClient:
        user = user_create(f"{role}-api", role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


def iso(moment: dt.datetime | None) -> str | None:
    """A time as the API writes it: ISO 8601 in the display time zone, with its offset."""
    return None if moment is None else timezone.localtime(moment).isoformat()


def person_json(person: Person) -> dict[str, Any]:
    person.refresh_from_db()
    return {
        "id": person.pk,
        "url": f"/api/persons/{person.pk}/",
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "last_name": person.last_name,
        "suffix": person.suffix,
        "state": person.state,
        "county": person.county,
        "zip5": person.zip5,
        "lead_status": person.lead_status,
        "score": person.score,
        "source": person.source,
        "is_golden": not person.is_duplicate,
        "golden_id": person.merged_into_id if person.is_duplicate else person.pk,
        "is_duplicate": person.is_duplicate,
        "merged_into": person.merged_into_id,
        "call_status": person.call_status,
        "sms_status": person.sms_status,
        "email_status": person.email_status,
        "mail_status": person.mail_status,
        "updated_at": iso(person.updated_at),
    }


def upload(content: bytes = LEADS, name: str = "leads.csv", **fields: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, content, content_type="text/csv"), **fields}


def walk(client: APIClient, url: str) -> list[dict[str, Any]]:
    """Every page from ``url`` on, following ``next``."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages


# --- Persons ----------------------------------------------------------------------------------


def test_person_search_finds_by_email_phone_id_and_name(api_as):
    client = api_as("viewer")
    ann = person_create(first_name="Ann", last_name="Lee", score=70)
    phone_create(ann, "(432) 555-0100", "+14325550100")
    email_create(ann, "Ann.Lee@Example.com")
    duplicate = person_create(
        first_name="Ann", last_name="Leeds", merged_into=ann, is_duplicate=True, is_original=False
    )
    person_create(first_name="Bob", last_name="Lee")

    def search(term: str) -> list[int]:
        response = client.get("/api/persons/", {"q": term})
        assert response.status_code == 200
        assert response.json()["has_more"] is False
        return [row["id"] for row in response.json()["results"]]

    assert search("ann.lee@example.COM") == [ann.pk]
    assert search("432.555.0100") == [ann.pk]
    assert search(str(duplicate.pk)) == [duplicate.pk]
    assert search("Lee, Ann") == [ann.pk]
    assert search("Ann Lee") == [ann.pk, duplicate.pk]
    response = client.get("/api/persons/", {"q": "leeds"})
    assert response.json() == {"results": [person_json(duplicate)], "has_more": False}
    assert search("nobody@example.com") == []


def test_person_search_finds_a_record_id_of_any_length_written_with_hash_or_id(api_as):
    client = api_as("viewer")
    person = person_create(pk=12_345_678, first_name="Ida", last_name="Long")

    def search(term: str) -> list[int]:
        response = client.get("/api/persons/", {"q": term})
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert search("#12345678") == [person.pk]
    assert search("id:12345678") == [person.pk]
    assert search("12345678") == []  # phone length: a phone number


def test_person_search_shows_at_most_fifty_and_says_there_are_more(api_as):
    client = api_as("viewer")
    persons = [person_create(first_name="Cy", last_name=f"Stone{n:02d}") for n in range(51)]
    body = client.get("/api/persons/", {"q": "stone"}).json()
    assert [row["id"] for row in body["results"]] == [p.pk for p in persons[:50]]
    assert body["has_more"] is True


def test_person_search_needs_a_term(api_as):
    client = api_as("viewer")
    response = client.get("/api/persons/")
    assert (response.status_code, response.json()) == (400, {"q": ["This field is required."]})
    response = client.get("/api/persons/", {"q": ""})
    assert (response.status_code, response.json()) == (400, {"q": ["This field may not be blank."]})


def test_person_detail_has_contact_points_tags_and_linked_duplicates(api_as, registry_today):
    client = api_as("viewer")
    golden = person_create(first_name="Ann", last_name="Lee", state="TX")
    phone = phone_create(golden, "(432) 555-0100", "+14325550100", is_primary=True)
    bad_phone = phone_create(golden, "555", None)
    email = email_create(golden, "ann@example.com", is_verified=True)
    address = golden.addresses.create(
        street="1 Main St", city="Midland", state="TX", zip5="79701", address_key="1 MAIN ST 79701"
    )
    duplicate = person_create(merged_into=golden, is_duplicate=True, is_original=False)
    scrub_all(now=MIDDAY)
    phone.refresh_from_db()
    bad_phone.refresh_from_db()

    response = client.get(f"/api/persons/{golden.pk}/")

    assert response.status_code == 200
    golden.refresh_from_db()
    assert response.json() == {
        **person_json(golden),
        "created_at": iso(golden.created_at),
        "last_imported_at": None,
        "source_updated_at": None,
        "manual_override_fields": [],
        "compliance_checked_at": iso(golden.compliance_checked_at),
        "compliance_tags": {
            "call": ["INVALID_NUMBER"],
            "sms": ["INVALID_NUMBER"],
            "email": [],
            "mail": [],
        },
        "phones": [
            {
                "id": phone.pk,
                "raw": "(432) 555-0100",
                "e164": "+14325550100",
                "phone_type": "unknown",
                "is_primary": True,
                "is_valid": True,
                "dnc_status": "CLEAR",
                "dnc_checked_at": iso(MIDDAY),
                "compliance_tags": [],
                "updated_at": iso(phone.updated_at),
            },
            {
                "id": bad_phone.pk,
                "raw": "555",
                "e164": None,
                "phone_type": "unknown",
                "is_primary": False,
                "is_valid": False,
                "dnc_status": "INVALID_NUMBER",
                "dnc_checked_at": iso(MIDDAY),
                "compliance_tags": ["INVALID_NUMBER"],
                "updated_at": iso(bad_phone.updated_at),
            },
        ],
        "emails": [
            {
                "id": email.pk,
                "email": "ann@example.com",
                "is_primary": False,
                "is_verified": True,
                "is_valid": True,
                "opt_out_status": "CLEAR",
            }
        ],
        "addresses": [
            {
                "id": address.pk,
                "street": "1 Main St",
                "city": "Midland",
                "state": "TX",
                "zip5": "79701",
                "zip4": "",
                "county": "",
                "is_primary": False,
            }
        ],
        "duplicate_ids": [duplicate.pk],
    }
    assert (golden.call_status, golden.email_status) == ("CLEAR", "CLEAR")
    detail = client.get(f"/api/persons/{duplicate.pk}/").json()
    assert (detail["golden_id"], detail["is_golden"], detail["duplicate_ids"]) == (
        golden.pk,
        False,
        [],
    )


def test_unknown_person_is_404(api_as):
    response = api_as("viewer").get("/api/persons/999999/")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No Person matches the given query."},
    )


# --- Imports ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_operator_uploads_a_file_and_a_worker_imports_it():
    client = APIClient()
    operator = user_create("operator-api", "operator")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=operator).key}")

    response = client.post(
        "/api/imports/",
        upload(source="spring_leads", mapping=json.dumps({"lead_id": "source_key"})),
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    created = response.json()
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"http://testserver/api/imports/{batch.pk}/"
    assert (created["id"], created["status"], created["source"]) == (
        batch.pk,
        "PENDING",
        "spring_leads",
    )
    assert created["file"]["sha256"] == hashlib.sha256(LEADS).hexdigest()
    assert created["created_by"] == "operator-api"
    audit = AuditLog.objects.get(origin="api")
    assert (audit.actor, audit.action, audit.object_type, audit.object_id) == (
        operator,
        "create",
        "ingestion.importbatch",
        str(batch.pk),
    )
    assert audit.changes == {
        "source": "spring_leads",
        "file": "leads.csv",
        "sha256": hashlib.sha256(LEADS).hexdigest(),
        "status": "PENDING",
        "channel": "",
        "campaign": "",
    }

    # The task was queued when the upload committed; a worker runs it. (Waiting reads only
    # the worker's state: SQLite's shared in-memory test database locks whole tables.)
    runs_before = worker_state.total_count["ingestion.import_run"]
    worker = embedded_worker_start(celery_app)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            worker_state.total_count["ingestion.import_run"] == runs_before
            or worker_state.active_requests
        ):
            time.sleep(0.1)
    finally:
        worker.stop()
    detail = client.get(f"/api/imports/{batch.pk}/").json()

    assert detail["status"] == "COMPLETE_WITH_ERRORS", detail["message"]
    assert detail["counts"] == {
        "rows_read": 3,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "errors": 1,
        "conflicts": 0,
        "chunks_done": 1,
        "last_row": 3,
        "rows_expected": 3,
    }
    assert detail["reconciliation"] == {
        "rows_read": 3,
        "accounted": 3,
        "is_reconciled": True,
        "chunks": 1,
        "chunk_rows_read": 3,
    }
    assert detail["reports"] == {
        kind: f"/api/imports/{batch.pk}/reports/{kind}/"
        for kind in ("summary", "errors", "checklist")
    }
    assert detail["checklist"]["rows_read"] == 3
    assert sorted(Person.objects.values_list("last_name", flat=True)) == ["Lee", "Ortiz"]

    summary = client.get(detail["reports"]["summary"])
    assert summary["Content-Type"] == "text/csv"
    assert summary["Content-Disposition"] == f'attachment; filename="import-{batch.pk}-summary.csv"'
    lines = list(csv.reader(io.StringIO(b"".join(summary.streaming_content).decode())))
    assert lines[0][:9] == [
        "chunk", "first_row", "last_row", "rows_read", "inserted", "updated", "unchanged",
        "duplicates", "errors",
    ]  # fmt: skip
    assert lines[1][:9] == ["0", "1", "3", "3", "2", "0", "0", "0", "1"]
    errors = client.get(detail["reports"]["errors"])
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode())))
    assert [row[:2] for row in rows] == [
        ["row_number", "error_type"],
        ["3", "required_field_missing"],
    ]
    checklist = client.get(detail["reports"]["checklist"])
    assert checklist["Content-Type"] == "application/json"
    assert json.loads(b"".join(checklist.streaming_content)) == detail["checklist"]


def test_upload_is_queued_only_once_it_commits(api_as, django_capture_on_commit_callbacks):
    client = api_as("operator")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/api/imports/", upload(), format="multipart")
    assert response.status_code == 201
    assert response.json()["status"] == "PENDING"
    assert len(callbacks) == 1


def test_viewer_may_list_imports_but_not_upload(api_as, django_capture_on_commit_callbacks):
    client = api_as("viewer")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/api/imports/", upload(), format="multipart")
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Your role does not allow this."},
    )
    assert callbacks == []
    assert not ImportBatch.objects.exists()
    assert not SourceFile.objects.exists()
    assert not AuditLog.objects.filter(origin="api").exists()
    assert client.get("/api/imports/").status_code == 200


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"file": None}, {"file": ["No file was submitted."]}),
        (
            {"mapping": "{not json"},
            {"mapping": ['Give a JSON object: {"source column": "canonical field" or null}.']},
        ),
        (
            {"mapping": '["first_name"]'},
            {"mapping": ['Give a JSON object: {"source column": "canonical field" or null}.']},
        ),
        ({"channel": "fax"}, {"channel": ['"fax" is not a valid choice.']}),
        ({"campaign": "Permian Q3"}, {"channel": ["A campaign needs a channel."]}),
        (
            {"source": "Spring Leads"},
            {"source": ["This value does not match the required pattern."]},
        ),
    ],
)
def test_upload_refused_with_reasons_writes_nothing(
    api_as, django_capture_on_commit_callbacks, fields, errors
):
    client = api_as("operator")
    data = upload(**fields)
    if data["file"] is None:
        del data["file"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/api/imports/", data, format="multipart")
    assert (response.status_code, response.json()) == (400, errors)
    assert callbacks == []
    assert not ImportBatch.objects.exists()
    assert not SourceFile.objects.exists()
    assert not AuditLog.objects.filter(origin="api").exists()


def test_unknown_canonical_field_in_the_mapping_is_refused(api_as):
    response = api_as("operator").post(
        "/api/imports/", upload(mapping='{"lead_id": "shoe_size"}'), format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["mapping"][0].startswith("Unknown canonical fields: shoe_size. ")


def test_same_file_again_is_a_duplicate_and_nothing_runs(
    api_as, django_capture_on_commit_callbacks
):
    client = api_as("operator")
    first = client.post("/api/imports/", upload(), format="multipart").json()
    assert import_run(first["id"]).status == "COMPLETE_WITH_ERRORS"

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/api/imports/", upload(name="copy.csv"), format="multipart")

    assert response.status_code == 201
    again = response.json()
    assert again["status"] == "DUPLICATE_FILE"
    assert again["message"].startswith(f"This file (SHA-256 {hashlib.sha256(LEADS).hexdigest()})")
    assert again["file"] == first["file"]
    assert callbacks == []
    assert AuditLog.objects.filter(origin="api", action="create").count() == 2


def test_uploading_an_unfinished_imports_file_again_resumes_it_with_its_settings(
    api_as, django_capture_on_commit_callbacks
):
    client = api_as("operator")
    first = client.post("/api/imports/", upload(), format="multipart").json()

    with django_capture_on_commit_callbacks() as callbacks:
        refused = client.post("/api/imports/", upload(channel="mail"), format="multipart")
    assert refused.status_code == 400
    assert refused.json()["non_field_errors"][0].startswith(
        f"Import {first['id']} of this source is unfinished (PENDING, 0 rows committed) with "
        "other settings (channel)."
    )
    assert callbacks == []

    with django_capture_on_commit_callbacks() as callbacks:
        again = client.post("/api/imports/", upload(), format="multipart")
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert len(callbacks) == 1
    assert ImportBatch.objects.count() == 1
    audits = AuditLog.objects.filter(origin="api").order_by("pk")
    assert [(entry.action, entry.changes.get("resumed")) for entry in audits] == [
        ("create", None),
        ("update", True),
    ]


def test_unreadable_mapping_ends_in_a_failed_import_that_never_runs(
    api_as, django_capture_on_commit_callbacks
):
    client = api_as("operator")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            "/api/imports/", upload(mapping='{"no such column": "email"}'), format="multipart"
        )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "FAILED"
    assert "no such column" in body["message"]
    assert callbacks == []


def test_import_pages_walk_every_import_once_newest_first(api_as):
    client = api_as("viewer")
    ids = [ImportBatch.objects.create(source=f"s{n}", source_type="csv").pk for n in range(7)]

    pages = walk(client, "/api/imports/?rows=3")

    assert [[row["id"] for row in page["results"]] for page in pages] == [
        ids[6:3:-1],
        ids[3:0:-1],
        ids[0:1],
    ]
    assert pages[0]["previous"] is None
    first = pages[0]["results"][0]
    assert first == {
        "id": ids[6],
        "url": f"/api/imports/{ids[6]}/",
        "source": "s6",
        "source_type": "csv",
        "mode": "full",
        "status": "PENDING",
        "message": "",
        "file": None,
        "counts": {
            "rows_read": 0,
            "inserted": 0,
            "updated": 0,
            "unchanged": 0,
            "duplicates": 0,
            "errors": 0,
            "conflicts": 0,
            "chunks_done": 0,
            "last_row": 0,
            "rows_expected": None,
        },
        "created_by": None,
        "created_at": iso(ImportBatch.objects.get(pk=ids[6]).created_at),
        "started_at": None,
        "finished_at": None,
    }


def test_import_status_and_reports_of_unknown_or_unfinished_imports(api_as):
    client = api_as("viewer")
    batch = ImportBatch.objects.create(source="s", source_type="csv")
    response = client.get(f"/api/imports/{batch.pk}/reports/summary/")
    assert (response.status_code, response.json()) == (
        404,
        {
            "detail": f"Import {batch.pk} has no summary report yet: it is written when the "
            "import ends."
        },
    )
    response = client.get(f"/api/imports/{batch.pk}/reports/everything/")
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "No report 'everything'; choose summary, errors or checklist."},
    )
    assert client.get(f"/api/imports/{batch.pk + 1}/").status_code == 404
    assert client.get(f"/api/imports/{batch.pk + 1}/reports/summary/").status_code == 404
    detail = client.get(f"/api/imports/{batch.pk}/").json()
    assert detail["reports"] == {"summary": None, "errors": None, "checklist": None}
    assert detail["reconciliation"] == {
        "rows_read": 0,
        "accounted": 0,
        "is_reconciled": True,
        "chunks": 0,
        "chunk_rows_read": 0,
    }


def test_a_bad_import_cursor_is_refused(api_as):
    response = api_as("viewer").get("/api/imports/", {"cursor": "garbage"})
    assert (response.status_code, response.json()) == (
        400,
        {"cursor": ["The page cursor is not valid; start again from the first page."]},
    )


# --- Priority lists ---------------------------------------------------------------------------


def test_ad_hoc_list_pages_walk_every_golden_record_once(api_as):
    client = api_as("viewer")
    scores = [5, 90, 40, 90, 70, 10, 90, 55, 20, 65, 90, 30]
    persons = [person_create(state="TX", score=score) for score in scores]
    person_create(state="OK", score=99)  # another state
    person_create(
        state="TX", score=99, merged_into=persons[0], is_duplicate=True, is_original=False
    )

    pages = walk(client, "/api/lists/?state=tx&sort=-score&rows=5")

    expected = sorted(persons, key=lambda p: (-p.score, -p.pk))
    seen = [row["id"] for page in pages for row in page["results"]]
    assert seen == [p.pk for p in expected]
    assert [len(page["results"]) for page in pages] == [5, 5, 2]
    assert pages[0]["results"][0] == person_json(expected[0])
    assert pages[0]["query"] == "sort=-score&state=tx"
    assert pages[0]["sort"] == "-score"
    assert pages[0]["estimate"] == {"value": 12, "exact": True, "as_of": None, "label": "12"}
    assert pages[0]["next"] == (
        f"http://testserver/api/lists/?sort=-score&state=tx&cursor={pages[0]['next_cursor']}&rows=5"
    )
    assert pages[-1]["next_cursor"] is None


def test_a_rare_list_page_says_how_many_records_it_searched(api_as, settings):
    settings.DASHBOARD_LIST_WALK_MS = 0
    settings.DASHBOARD_LIST_WINDOW_ROWS = 3
    people = [person_create(state="TX", score=score) for score in range(7)]
    phone_create(people[5], "432-555-0005", "+14325550005")
    pages = walk(api_as("viewer"), "/api/lists/?state=tx&has_phone=yes&sort=-score&rows=5")
    assert [[row["id"] for row in page["results"]] for page in pages] == [[people[5].pk], [], []]
    assert [page["searched"] for page in pages] == [3, 3, None]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"state": "Texas"}, {"state": ["Not a two-letter state code: TEXAS."]}),
        (
            {"score_min": "90", "score_max": "10"},
            {"score_max": ["The upper bound is below the lower bound."]},
        ),
        ({"county": "Reeves"}, {"county": ["Choose exactly one state to filter on a county."]}),
        (
            {"sort": "name"},
            {"sort": ["Select a valid choice. name is not one of the available choices."]},
        ),
        ({"rows": "0"}, {"rows": ["Ensure this value is greater than or equal to 1."]}),
        # The last day of the calendar has no next day to end its range (was a 500).
        ({"created_to": "9999-12-31"}, {"created_to": ["Give a date from 1900 to 2999."]}),
        # An empty number or date is an API caller's mistake, not "any" (a form's blank field).
        (
            {"call_last_touch_before": "", "score_min": ""},
            {
                "call_last_touch_before": ["Give a value or leave the parameter out."],
                "score_min": ["Give a value or leave the parameter out."],
            },
        ),
        (
            {"cursor": "bm90IGEgY3Vyc29y"},
            {"cursor": ["The page cursor is not valid; start again from the first page."]},
        ),
    ],
)
def test_invalid_list_criteria_are_refused_with_the_form_errors(api_as, query, errors):
    response = api_as("viewer").get("/api/lists/", query)
    assert (response.status_code, response.json()) == (400, errors)


def test_saved_filters_are_listed_by_name_and_run_page_by_page(api_as):
    client = api_as("viewer")
    author = get_user_model().objects.get(username="viewer-api")
    texas = SavedFilter.objects.create(
        name="Texas, best first", query="state=TX&sort=-score", created_by=author
    )
    SavedFilter.objects.create(name="Everyone", query="")
    persons = [person_create(state="TX", score=score) for score in (10, 80, 50, 80, 30)]
    person_create(state="NM", score=100)

    listed = walk(client, "/api/saved-filters/?rows=1")
    assert [page["results"][0]["name"] for page in listed] == ["Everyone", "Texas, best first"]
    assert listed[1]["results"][0] == {
        "id": texas.pk,
        "name": "Texas, best first",
        "description": "",
        "query": "state=TX&sort=-score",
        "created_by": "viewer-api",
        "created_at": iso(texas.created_at),
        "updated_at": iso(texas.updated_at),
        "run_url": f"/api/saved-filters/{texas.pk}/run/",
    }

    pages = walk(client, f"/api/saved-filters/{texas.pk}/run/?rows=2")
    seen = [row["id"] for page in pages for row in page["results"]]
    assert seen == [p.pk for p in sorted(persons, key=lambda p: (-p.score, -p.pk))]
    assert len(seen) == len(set(seen))
    assert pages[0]["next"].startswith(
        f"http://testserver/api/saved-filters/{texas.pk}/run/?cursor="
    )
    assert pages[0]["query"] == "sort=-score&state=TX"


def test_a_saved_filter_that_no_longer_validates_is_refused(api_as):
    client = api_as("viewer")
    campaign = Campaign.objects.create(name="Gone soon", campaign_type="mail")
    saved = SavedFilter.objects.create(name="Campaign", query=f"campaign={campaign.pk + 1}")
    response = client.get(f"/api/saved-filters/{saved.pk}/run/")
    assert (response.status_code, response.json()) == (
        400,
        {"campaign": ["Select a valid choice. That choice is not one of the available choices."]},
    )
    assert client.get(f"/api/saved-filters/{saved.pk + 1}/run/").status_code == 404


# --- Compliance -------------------------------------------------------------------------------


@pytest.fixture
def registry_today(db: None) -> Iterator[None]:
    """Registry data of today for Texas and area code 432; the calling rules reread."""
    today = dt.date.today()
    RegistryCoverage.objects.create(kind="federal", scope="432", as_of=today, full_list_on=today)
    RegistryCoverage.objects.create(kind="state", scope="TX", as_of=today, full_list_on=today)
    reference_reload()
    yield
    reference_reload()


def check(client: APIClient, **params: Any) -> Any:
    return client.get("/api/compliance/check/", params)


def test_compliance_check_allows_a_clear_person_in_calling_hours(api_as, registry_today):
    client = api_as("viewer")
    person = person_create(state="TX")
    phone_create(person, "(432) 555-0100", "+14325550100")
    scrub_all(now=MIDDAY)

    response = check(client, person=person.pk, channel="call", at="2026-11-24T17:00:00Z")

    assert response.status_code == 200
    body = response.json()
    evaluation = ComplianceEvaluation.objects.get()
    assert body == {
        "person": person.pk,
        "golden_id": person.pk,
        "channel": "call",
        "at": iso(MIDDAY),
        "decision": "ALLOW",
        "allowed": True,
        "tags": ["CLEAR"],
        "next_allowed_at": None,
        "evidence": evaluation.evidence,
    }
    assert body["evidence"]["numbers"] == ["+14325550100"]
    assert (evaluation.person_id, evaluation.channel, evaluation.planned_at) == (
        person.pk,
        "call",
        MIDDAY,
    )


def test_compliance_check_defers_outside_calling_hours_and_says_until_when(api_as, registry_today):
    client = api_as("viewer")
    person = person_create(state="TX")
    phone_create(person, "(432) 555-0100", "+14325550100")
    scrub_all(now=MIDDAY)

    # 04:00 in Midland: too early everywhere the person may be.
    body = check(client, person=person.pk, channel="call", at="2026-11-24T04:00:00-06:00").json()

    assert (body["decision"], body["allowed"], body["tags"]) == ("DEFER", False, ["QUIET_HOURS"])
    assert body["at"] == iso(dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC))
    assert body["next_allowed_at"] == iso(dt.datetime(2026, 11, 24, 15, 0, tzinfo=UTC))


def test_compliance_check_blocks_with_every_tag_and_a_capped_person_is_deferred(
    api_as, registry_today, settings
):
    client = api_as("viewer")
    no_phone = person_create(state="TX")
    body = check(client, person=no_phone.pk, channel="call", at="2026-11-24T17:00:00Z").json()
    assert (body["decision"], body["tags"], body["next_allowed_at"]) == (
        "BLOCK",
        ["NO_CONTACT_POINT"],
        None,
    )

    settings.COMPLIANCE_MAX_CALLS_24H = 1
    called = person_create(state="TX")
    phone_create(called, "(432) 555-0101", "+14325550101")
    scrub_all(now=MIDDAY)
    Touchpoint.objects.create(
        person=called,
        channel="call",
        status="no_answer",
        occurred_at=MIDDAY - dt.timedelta(hours=2),
    )
    body = check(client, person=called.pk, channel="call", at="2026-11-24T17:00:00Z").json()
    assert (body["decision"], body["tags"], body["next_allowed_at"]) == (
        "DEFER",
        ["FREQ_CAPPED"],
        iso(MIDDAY + dt.timedelta(hours=22)),
    )


def test_compliance_check_of_a_duplicate_reads_its_golden_record(api_as, registry_today):
    client = api_as("viewer")
    golden = person_create(state="TX")
    phone_create(golden, "(432) 555-0100", "+14325550100")
    duplicate = person_create(merged_into=golden, is_duplicate=True, is_original=False)
    scrub_all(now=MIDDAY)
    body = check(client, person=duplicate.pk, channel="email", at="2026-11-24T17:00:00Z").json()
    assert (body["person"], body["golden_id"], body["decision"], body["tags"]) == (
        duplicate.pk,
        golden.pk,
        "BLOCK",
        ["NO_CONTACT_POINT"],
    )


@pytest.mark.parametrize(
    ("params", "status", "body"),
    [
        (
            {"channel": "call", "at": "2026-11-24T17:00:00"},
            400,
            {"at": ["Give the time with its UTC offset, e.g. 2026-11-24T17:00:00Z."]},
        ),
        (
            {"channel": "call", "at": "1066-10-14T09:00:00Z"},
            400,
            {"at": ["Give a time from 2000 to 2099."]},
        ),
        ({"channel": "fax"}, 400, {"channel": ['"fax" is not a valid choice.']}),
        ({"channel": "call", "campaign": "424242"}, 400, {"campaign": ["No campaign 424242."]}),
        ({}, 400, {"channel": ["This field is required."]}),
    ],
)
def test_compliance_check_refusals_store_nothing(api_as, registry_today, params, status, body):
    client = api_as("viewer")
    person = person_create(state="TX")
    response = check(client, person=person.pk, **params)
    assert (response.status_code, response.json()) == (status, body)
    assert not ComplianceEvaluation.objects.exists()


def test_compliance_check_of_an_unknown_person_is_404(api_as):
    response = check(api_as("viewer"), person=987654, channel="call")
    assert (response.status_code, response.json()) == (404, {"detail": "No person 987654."})
    assert not ComplianceEvaluation.objects.exists()
    response = check(api_as("operator"), channel="call")
    assert (response.status_code, response.json()) == (400, {"person": ["This field is required."]})


def test_compliance_check_takes_a_token_never_a_browser_session(api_as, client_as, registry_today):
    person = person_create(state="TX")
    params = {"person": person.pk, "channel": "mail", "at": "2026-11-24T17:00:00Z"}
    # A signed-in browser (a page of another site could send it here with its cookie).
    browser = client_as("operator")

    refused = browser.get("/api/compliance/check/", params)

    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
    assert refused["WWW-Authenticate"] == "Token"
    assert not ComplianceEvaluation.objects.exists()
    # The browser still reads the other endpoints with its session.
    assert browser.get(f"/api/persons/{person.pk}/").status_code == 200
    answered = check(api_as("viewer"), **params)
    assert (answered.status_code, answered.json()["decision"], answered.json()["tags"]) == (
        200,
        "BLOCK",
        ["NO_CONTACT_POINT"],
    )
    assert ComplianceEvaluation.objects.count() == 1
    schema = browser.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/compliance/check/"]["get"]
    assert operation["security"] == [{"tokenAuth": []}]
    assert "Token authentication only" in operation["description"]
    assert {"tokenAuth": []} in schema["paths"]["/api/persons/"]["get"]["security"]


# --- Tokens, roles and throttles --------------------------------------------------------------


def test_api_token_command_prints_the_same_key_until_replaced_and_audits_issues(
    db, capsys: pytest.CaptureFixture[str]
):
    user = user_create("integrator", "viewer")

    call_command("api_token", "integrator")
    first = capsys.readouterr()
    call_command("api_token", "integrator")
    again = capsys.readouterr()

    key = Token.objects.get(user=user).key
    assert (first.out, again.out) == (f"{key}\n", f"{key}\n")
    assert first.err == "Issued a new API token for 'integrator'.\n"
    assert again.err == ""
    issued = AuditLog.objects.filter(origin="command", changes__has_key="api_token")
    assert issued.count() == 1
    entry = issued.get()
    assert (entry.actor, entry.action, entry.object_id) == (None, "update", str(user.pk))
    assert key not in json.dumps(entry.changes)

    call_command("api_token", "integrator", "--replace")
    replaced = capsys.readouterr().out.strip()
    assert replaced != key
    assert Token.objects.get(user=user).key == replaced
    assert issued.count() == 2
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/persons/", {"q": "x"}).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {replaced}")
    assert client.get("/api/persons/", {"q": "x"}).status_code == 200

    with pytest.raises(CommandError, match=r"No user 'nobody'\."):
        call_command("api_token", "nobody")
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="inactive"):
        call_command("api_token", "integrator")


def test_downloading_the_error_report_is_audited(api_as):
    operator, viewer = api_as("operator"), api_as("viewer")
    batch_id = operator.post("/api/imports/", upload(), format="multipart").json()["id"]
    assert import_run(batch_id).status == "COMPLETE_WITH_ERRORS"
    exports = AuditLog.objects.filter(action="export")
    assert viewer.get(f"/api/imports/{batch_id}/reports/errors/").status_code == 403
    summary = operator.get(f"/api/imports/{batch_id}/reports/summary/")
    assert b"".join(summary.streaming_content).startswith(b"chunk,")
    assert not exports.exists()

    errors = operator.get(f"/api/imports/{batch_id}/reports/errors/")

    assert errors.status_code == 200
    assert b"".join(errors.streaming_content).startswith(b"row_number,")
    entry = exports.get()
    assert (entry.actor, entry.origin, entry.object_type, entry.object_id, entry.changes) == (
        operator.user,
        "api",
        "ingestion.importbatch",
        str(batch_id),
        {"downloaded": ImportBatch.objects.get(pk=batch_id).reports["errors"], "report": "errors"},
    )
    unfinished = ImportBatch.objects.create(source="s", source_type="csv")
    assert operator.get(f"/api/imports/{unfinished.pk}/reports/errors/").status_code == 404
    assert exports.count() == 1


def test_token_endpoint_exchanges_credentials_for_the_users_token(db):
    user = user_create("integrator", "operator", password="correct-Horse-battery-9")
    client = APIClient()

    response = client.post(
        "/api/token/", {"username": "integrator", "password": "correct-Horse-battery-9"}
    )

    assert response.status_code == 200
    key = response.json()["token"]
    assert key == Token.objects.get(user=user).key
    entry = AuditLog.objects.get(origin="api")
    assert (entry.actor, entry.object_type, entry.object_id) == (user, "auth.user", str(user.pk))
    assert list(entry.changes) == ["api_token"]
    again = client.post(
        "/api/token/", {"username": "integrator", "password": "correct-Horse-battery-9"}
    )
    assert again.json() == {"token": key}
    assert AuditLog.objects.filter(origin="api").count() == 1

    wrong = client.post("/api/token/", {"username": "integrator", "password": "guess"})
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"non_field_errors": ["Unable to log in with provided credentials."]},
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/imports/").status_code == 200


ENDPOINTS = [
    ("get", "/api/persons/?q=lee"),
    ("get", "/api/persons/1/"),
    ("get", "/api/imports/"),
    ("post", "/api/imports/"),
    ("get", "/api/imports/1/"),
    ("get", "/api/imports/1/reports/summary/"),
    ("get", "/api/lists/"),
    ("get", "/api/saved-filters/"),
    ("get", "/api/saved-filters/1/run/"),
    ("get", "/api/compliance/check/?person=1&channel=call"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_and_bad_tokens_are_refused_with_401(db, method, url):
    client = APIClient()
    response = getattr(client, method)(url)
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
    assert response["WWW-Authenticate"] == "Token"
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = getattr(client, method)(url)
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_a_user_without_a_role_is_refused_with_403(db, method, url):
    user = get_user_model().objects.create_user("nobody", password="correct-Horse-battery-9")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = getattr(client, method)(url)
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Your role does not allow this."},
    )


def test_viewer_reads_and_operator_imports(api_as):
    viewer, operator = api_as("viewer"), api_as("operator")
    person = person_create(state="TX")
    readable = [
        "/api/persons/?q=lee",
        f"/api/persons/{person.pk}/",
        "/api/imports/",
        "/api/lists/",
        "/api/saved-filters/",
        f"/api/compliance/check/?person={person.pk}&channel=mail",
    ]
    for url in readable:
        assert viewer.get(url).status_code == 200, url
    assert viewer.post("/api/imports/", upload(), format="multipart").status_code == 403
    assert operator.post("/api/imports/", upload(), format="multipart").status_code == 201


def test_a_signed_in_browser_session_may_read(client_as):
    client = client_as("viewer")
    response = client.get("/api/persons/", {"q": "lee"})
    assert (response.status_code, response.json()) == (200, {"results": [], "has_more": False})


def test_unsupported_methods_answer_405(api_as):
    client = api_as("operator")
    response = client.delete("/api/imports/")
    assert (response.status_code, response.json()) == (
        405,
        {"detail": 'Method "DELETE" not allowed.'},
    )
    assert client.put("/api/persons/", {}).status_code == 405


def test_a_burst_over_the_user_rate_is_throttled(api_as, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    client = api_as("viewer")
    statuses = [client.get("/api/persons/", {"q": "lee"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/imports/")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert 0 < int(response["Retry-After"]) <= 60
    # Another user has a budget of its own.
    assert api_as("operator").get("/api/imports/").status_code == 200


def test_password_guessing_is_throttled_per_client(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    user_create("integrator", "viewer")
    client = APIClient()
    statuses = [
        client.post("/api/token/", {"username": "integrator", "password": f"guess{n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [400, 400, 429]
    assert not Token.objects.exists()


def test_a_forged_forwarded_for_header_does_not_escape_the_client_limit(db, settings):
    # Without a proxy in front (the default here) the connection's address is the client's.
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }
    client = APIClient()

    def guess(forwarded_for: str) -> int:
        return client.post(
            "/api/token/",
            {"username": "integrator", "password": "guess"},
            HTTP_X_FORWARDED_FOR=forwarded_for,
        ).status_code

    assert [guess(f"198.51.100.{n}") for n in range(3)] == [400, 400, 429]

    # Behind one proxy: the address it appended counts, not what the client wrote before it.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    cache.clear()
    assert [guess(f"198.51.100.{n}, 203.0.113.7") for n in range(3)] == [400, 400, 429]
    assert guess("198.51.100.1, 203.0.113.8") == 400
    assert not Token.objects.exists()


def test_failed_logins_are_limited_per_username_whatever_the_address(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100/minute", "user": "100/minute", "login": "2/minute"},
    }
    user_create("integrator", "viewer", password="correct-Horse-battery-9")
    client = APIClient()

    def login(username: str, password: str, address: str) -> Any:
        return client.post(
            "/api/token/", {"username": username, "password": password}, REMOTE_ADDR=address
        )

    # Successful logins are not counted.
    assert [
        login("integrator", "correct-Horse-battery-9", f"192.0.2.{n}").status_code for n in range(3)
    ] == [200, 200, 200]
    statuses = [login("integrator", f"guess{n}", f"198.51.100.{n}").status_code for n in range(2)]
    statuses.append(login(" Integrator", "guess2", "198.51.100.2").status_code)
    assert statuses == [400, 400, 429]
    # Until the failures age out, even the right password is refused for this username.
    refused = login("integrator", "correct-Horse-battery-9", "192.0.2.50")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another username has a budget of its own.
    assert login("someone-else", "guess", "192.0.2.51").status_code == 400
