"""Import pages: an upload in parts, the mapping step with its preview, the start that
enqueues the run, the tracker (status, reconciliation, reports) and the audited actions, with
the real engine on the configured database."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cmplatform.celery import app as celery_app
from cmplatform.core.models import AuditLog, Person
from dashboard.imports import uploads
from ingestion.models import ImportBatch, ImportRowError, MappingProfile, SourceFile

Status = ImportBatch.Status
LEADS = (
    b"lead_id,First Name,Last Name,Phone,Email,Zip\n"
    b"L1,Ann,Lee,(405) 235-7001,ann@ranchmail.com,73102\n"
    b"L2,Bill,Ortiz,(123) 456-7890,bill@ranchmail.com,73103\n"
    b"L3,,,(405) 235-7003,,73104\n"
    b"L4,Cara,Nunez,(405) 235-7004,cara@ranchmail.com,73105\n"
)
AUTO_MAPPING = {
    "lead_id": "source_key",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Phone": "phone",
    "Email": "email",
    "Zip": "zip",
}
NO_NAME = "The row has no first, last or full name."


@pytest.fixture(autouse=True)
def staging_area(settings: Any, tmp_path: Path) -> Path:
    """Each test stages its uploads in a directory of its own."""
    settings.VAR_DIR = tmp_path
    return tmp_path / "uploads"


@pytest.fixture
def run_tasks_here() -> Iterator[None]:
    """Celery runs enqueued tasks in this process (its eager mode): the real task code, no
    broker."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


def url(name: str, *args: Any) -> str:
    return reverse(f"dashboard:imports:{name}", args=args)


def send_part(client: Client, upload: dict[str, Any], offset: int, data: bytes) -> Any:
    return client.post(
        f"{upload['part_url']}?offset={offset}", data=data, content_type="application/octet-stream"
    )


def upload_in_parts(client: Client, content: bytes = LEADS, name: str = "leads.csv") -> str:
    created = client.post(url("upload_create"), {"name": name, "size": len(content)}).json()
    for offset in range(0, len(content), 64):
        assert send_part(client, created, offset, content[offset : offset + 64]).status_code == 200
    finished = client.post(created["finish_url"])
    assert finished.status_code == 200
    return created["upload_id"]


def start_data(upload_id: str, client: Client, **settings: str) -> dict[str, str]:
    page = client.get(url("mapping", upload_id)).context["page"]
    data = {f"map:{column.name}": column.field for column in page.columns}
    data.update({"source": "leads", "applied_profile": "", "profile": ""})
    data.update(settings)
    return data


def start_import(
    client: Client, upload_id: str, django_capture_on_commit_callbacks: Any, **settings: str
) -> tuple[Any, ImportBatch, list[Any]]:
    data = start_data(upload_id, client, **settings)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("start", upload_id), data)
    return response, ImportBatch.objects.order_by("-pk").first(), callbacks


def run(callbacks: list[Any]) -> None:
    for callback in callbacks:
        callback()


# -- upload ----------------------------------------------------------------------------------


def test_a_file_arrives_in_parts_a_retried_part_changes_nothing_and_a_wrong_offset_is_refused(
    client_as: Any, staging_area: Path
) -> None:
    client = client_as("operator")
    created = client.post(url("upload_create"), {"name": "leads.csv", "size": len(LEADS)})
    assert created.status_code == 201
    upload = created.json()
    upload_id = upload["upload_id"]
    assert (upload["name"], upload["size"], upload["offset"], upload["complete"]) == (
        "leads.csv",
        len(LEADS),
        0,
        False,
    )
    assert upload["part_url"] == f"/imports/uploads/{upload_id}/parts/"

    first = send_part(client, upload, 0, LEADS[:100])
    assert (first.status_code, first.json()) == (200, {"offset": 100, "size": len(LEADS)})
    # The response was lost and the browser sends the same part again: nothing is added.
    again = send_part(client, upload, 0, LEADS[:100])
    assert (again.status_code, again.json()) == (200, {"offset": 100, "size": len(LEADS)})
    # A part overlapping what is held: only its new bytes are appended.
    overlap = send_part(client, upload, 50, LEADS[50:150])
    assert overlap.json() == {"offset": 150, "size": len(LEADS)}

    gap = send_part(client, upload, 200, LEADS[200:250])
    assert gap.status_code == 409
    assert gap.json() == {
        "error": "The part starts at byte 200 but the server holds 150 bytes; continue from "
        "byte 150.",
        "code": "offset",
        "offset": 150,
    }
    other_file = send_part(client, upload, 0, b"X" * 100)
    assert other_file.status_code == 409
    assert other_file.json()["code"] == "mismatch"
    too_far = send_part(client, upload, 150, LEADS[150:] + b"extra")
    assert too_far.status_code == 400
    early = client.post(upload["finish_url"])
    assert (early.status_code, early.json()["code"], early.json()["offset"]) == (
        409,
        "incomplete",
        150,
    )

    status = client.get(upload["status_url"]).json()
    assert (status["offset"], status["complete"]) == (150, False)
    assert send_part(client, upload, 150, LEADS[150:]).json() == {
        "offset": len(LEADS),
        "size": len(LEADS),
    }
    finished = client.post(upload["finish_url"])
    assert finished.status_code == 200
    assert finished.json()["sha256"] == hashlib.sha256(LEADS).hexdigest()
    assert finished.json()["mapping_url"] == f"/imports/uploads/{upload_id}/mapping/"
    assert (staging_area / upload_id / "file" / "leads.csv").read_bytes() == LEADS
    late = send_part(client, upload, 0, LEADS[:10])
    assert (late.status_code, late.json()["code"]) == (409, "complete")
    # Nothing is landed or imported before the mapping is chosen.
    assert not SourceFile.objects.exists()
    assert not ImportBatch.objects.exists()


def test_upload_requests_are_checked(client_as: Any) -> None:
    client = client_as("operator")
    empty = client.post(url("upload_create"), {"name": "leads.csv", "size": "0"})
    assert (empty.status_code, empty.json()["error"]) == (
        400,
        "The file is empty: there is nothing to import.",
    )
    huge = client.post(
        url("upload_create"), {"name": "x.csv", "size": str(uploads.FILE_MAX_BYTES + 1)}
    )
    assert huge.status_code == 400
    assert client.post(url("upload_create"), {"name": "x.csv"}).status_code == 400
    upload = client.post(url("upload_create"), {"name": "x.csv", "size": "10"}).json()
    no_offset = client.post(
        upload["part_url"], data=b"abc", content_type="application/octet-stream"
    )
    assert no_offset.status_code == 400
    # Another operator's upload does not exist for this one.
    other = client_as("admin")
    assert other.get(upload["status_url"]).status_code == 404
    assert send_part(other, upload, 0, b"0123456789").status_code == 404
    assert client.get(upload["status_url"]).json()["offset"] == 0


@pytest.mark.parametrize("spooled", [False, True])
def test_a_whole_file_posted_without_javascript_is_staged(
    client_as: Any, settings: Any, spooled: bool
) -> None:
    if spooled:
        # Bigger than what Django keeps in memory: the upload arrives as a temporary file.
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    client = client_as("operator")
    response = client.post(url("upload"), {"file": SimpleUploadedFile("leads.csv", LEADS)})
    staged = uploads.uploads_of(client.user)
    assert [(u.name, u.size, u.sha256) for u in staged] == [
        ("leads.csv", len(LEADS), hashlib.sha256(LEADS).hexdigest())
    ]
    assert response.status_code == 302
    assert response["Location"] == url("mapping", staged[0].upload_id)
    assert staged[0].data_path.read_bytes() == LEADS
    page = client.get(url("upload"))
    assert b'data-testid="pending-upload"' in page.content
    assert b'data-testid="upload-file"' in page.content


# -- mapping ---------------------------------------------------------------------------------


def test_the_mapping_page_matches_columns_and_flags_the_preview_as_the_engine_would(
    client_as: Any,
) -> None:
    client = client_as("operator")
    upload_id = upload_in_parts(client)
    response = client.get(url("mapping", upload_id))
    assert response.status_code == 200
    page = response.context["page"]
    assert {c.name: c.field for c in page.columns} == AUTO_MAPPING
    assert {c.name: c.decided_by for c in page.columns} == dict.fromkeys(AUTO_MAPPING, "auto")
    assert {c.name: c.problems for c in page.columns} == {
        "lead_id": 0,
        "First Name": 1,
        "Last Name": 1,
        "Phone": 1,
        "Email": 0,
        "Zip": 0,
    }
    rows = page.preview.rows
    assert [row.number for row in rows] == [1, 2, 3, 4]
    assert rows[1].problems[3] == ("phone: invalid area code",)
    assert rows[1].rejected == ""
    assert rows[2].rejected == NO_NAME
    assert rows[2].problems[1:3] == (("required field missing",), ("required field missing",))
    assert page.form["source"].value() == "leads"
    assert page.can_start
    html = response.content.decode()
    assert 'data-testid="mapping-select" data-column="Phone"' in html
    assert '<option value="phone" selected>Phone</option>' in html
    assert 'data-testid="preview-problem">phone: invalid area code</small>' in html
    assert f'data-testid="preview-rejected" title="{NO_NAME}"' in html
    assert 'data-testid="start-import"' in html
    assert hashlib.sha256(LEADS).hexdigest() in html
    assert not SourceFile.objects.exists()


def test_a_workbook_is_previewed_like_a_text_file(client_as: Any) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Leads"
    for line in LEADS.decode().splitlines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    client = client_as("operator")
    upload_id = upload_in_parts(client, buffer.getvalue(), name="leads.xlsx")
    page = client.get(url("mapping", upload_id)).context["page"]
    assert page.preview.kind == "xlsx"
    assert page.preview.description["all_sheets"] == ["Leads"]
    assert {c.name: c.field for c in page.columns} == AUTO_MAPPING
    assert page.preview.rows[1].problems[3] == ("phone: invalid area code",)
    assert page.preview.rows[2].rejected == NO_NAME
    missing = client.get(
        url("mapping", upload_id), {**start_data_after_start(upload_id), "sheet": "Owners"}
    ).context["page"]
    assert missing.read_error == "leads.xlsx has no sheet 'Owners'; its sheets are: Leads"
    assert not missing.can_start


def test_a_changed_select_re_judges_the_preview(client_as: Any) -> None:
    client = client_as("operator")
    upload_id = upload_in_parts(client)
    data = {f"map:{column}": field for column, field in AUTO_MAPPING.items()}
    data.update({"source": "leads", "profile": "", "applied_profile": "", "map:Phone": ""})
    response = client.get(url("mapping", upload_id), data, headers={"HX-Request": "true"})
    assert response.templates[0].name == "dashboard/imports/_mapping_area.html"
    page = response.context["page"]
    assert {c.name: (c.field, c.decided_by) for c in page.columns}["Phone"] == ("", "changed")
    assert page.preview.rows[1].problems[3] == ()
    # A field chosen for another column leaves the column that had it.
    data.update({"map:Email": "last_name"})
    moved = client.get(url("mapping", upload_id), data).context["page"]
    assert {c.name: (c.field, c.decided_by) for c in moved.columns if "a" in c.name} == {
        "lead_id": ("source_key", "auto"),
        "First Name": ("first_name", "auto"),
        "Last Name": ("", "displaced"),
        "Email": ("last_name", "changed"),
    }
    # Two columns chosen for one single-valued field: the page says so and cannot start.
    data.update({"map:Zip": "last_name"})
    clash = client.get(url("mapping", upload_id), data).context["page"]
    assert clash.mapping_error == (
        "Field 'last_name' is mapped from two columns: 'Email' and 'Zip'."
    )
    assert not clash.can_start
    refused = client.post(url("start", upload_id), data)
    assert refused.status_code == 400
    assert not ImportBatch.objects.exists()


# -- start and tracker -----------------------------------------------------------------------


def test_start_enqueues_the_run_which_completes_with_counts_reports_and_audit(
    client_as: Any, django_capture_on_commit_callbacks: Any, run_tasks_here: None
) -> None:
    client = client_as("operator")
    upload_id = upload_in_parts(client)
    response, batch, callbacks = start_import(
        client, upload_id, django_capture_on_commit_callbacks, save_profile="weekly"
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", batch.pk)
    assert batch.status == Status.PENDING
    assert len(callbacks) == 1
    assert batch.source_file.sha256 == hashlib.sha256(LEADS).hexdigest()
    assert batch.source_file.uploaded_by == client.user
    assert batch.mapping["explicit"] == AUTO_MAPPING
    assert MappingProfile.objects.get(source="leads", name="weekly").mapping == AUTO_MAPPING
    audit = AuditLog.objects.get(object_type="ingestion.importbatch", object_id=str(batch.pk))
    assert (audit.actor, audit.origin, audit.action) == (
        client.user,
        AuditLog.Origin.DASHBOARD,
        AuditLog.Action.CREATE,
    )
    assert audit.changes == {
        "source": [None, "leads"],
        "file": [None, "leads.csv"],
        "sha256": [None, hashlib.sha256(LEADS).hexdigest()],
        "size": [None, len(LEADS)],
        "mapping": [None, AUTO_MAPPING],
        "save_profile": [None, "weekly"],
        "status": [None, "PENDING"],
    }
    # The staged bytes are gone (landed now); starting again shows the same import.
    assert uploads.uploads_of(client.user) == []
    again = client.post(url("start", upload_id), start_data_after_start(upload_id))
    assert again["Location"] == url("detail", batch.pk)
    assert ImportBatch.objects.count() == 1

    pending = client.get(url("status", batch.pk)).json()
    # the row estimate is a pass over the file: the worker takes it, not the request
    assert (pending["status"], pending["done"], pending["total"], pending["finished"]) == (
        "PENDING",
        0,
        None,
        False,
    )
    run(callbacks)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_read, batch.inserted, batch.errors) == (
        Status.COMPLETE_WITH_ERRORS,
        4,
        3,
        1,
    )
    assert Person.objects.count() == 3

    status = client.get(url("status", batch.pk)).json()
    assert status["rate"] > 0
    status.pop("rate")
    assert status == {
        "id": batch.pk,
        "topic": f"import.{batch.pk}",
        "status": "COMPLETE_WITH_ERRORS",
        "status_display": "Complete with errors",
        "finished": True,
        "done": 4,
        "total": 4,
        "percent": 100.0,
        "eta_seconds": None,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "errors": 1,
        "chunks_done": 1,
        "cancel_requested": False,
        "message": "",
    }

    detail = client.get(url("detail", batch.pk))
    html = detail.content.decode()
    assert '<dd data-testid="count-inserted" data-field="inserted">3</dd>' in html
    assert '<dd data-testid="count-errors" data-field="errors">1</dd>' in html
    assert '<th class="num" data-testid="total-rows-read">4</th>' in html
    assert '<td class="num" data-testid="total-accounted">4</td>' in html
    assert 'data-testid="reconciled">reconciled</span>' in html
    assert f'data-testid="import-sha256">{batch.source_file.sha256}</code>' in html
    assert f'data-ws-path="/ws/progress/import.{batch.pk}/"' in html
    assert html.count('data-testid="reconciliation-chunk"') == 1
    assert f'href="{url("error_report", batch.pk)}" data-testid="report-errors"' in html
    assert 'data-testid="replay-errors"' in html
    assert 'data-testid="cancel-import"' not in html
    assert f"{NO_NAME}</td>" in html

    errors = client.get(url("error_report", batch.pk))
    assert errors["Content-Type"] == "text/csv"
    assert errors["Content-Disposition"] == f'attachment; filename="import_{batch.pk}_errors.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(errors.streaming_content).decode())))
    assert rows == [
        ["row_number", "error_type", "field_name", "field_value", "error_message"],
        ["3", "required_field_missing", "name", "", NO_NAME],
    ]
    summary = client.get(url("report", batch.pk, "summary"))
    assert (
        b"".join(summary.streaming_content)
        .decode()
        .splitlines()[-1]
        .startswith("total,,4,4,3,0,0,0,1,0,")
    )
    checklist = json.loads(
        b"".join(client.get(url("report", batch.pk, "checklist")).streaming_content)
    )
    assert (checklist["invalid_phones"], checklist["rows_read"], checklist["overall_status"]) == (
        1,
        4,
        "COMPLETE_WITH_ERRORS",
    )
    assert client.get(url("report", batch.pk, "other")).status_code == 404

    listing = client.get(url("list")).content.decode()
    assert f'href="{url("detail", batch.pk)}" data-testid="import-link"' in listing


def start_data_after_start(upload_id: str) -> dict[str, str]:
    data = {f"map:{column}": field for column, field in AUTO_MAPPING.items()}
    data.update({"source": "leads", "profile": "", "applied_profile": ""})
    return data


def test_the_same_bytes_again_are_recorded_as_already_imported_and_nothing_runs(
    client_as: Any, django_capture_on_commit_callbacks: Any, run_tasks_here: None
) -> None:
    client = client_as("operator")
    _, first, callbacks = start_import(
        client, upload_in_parts(client), django_capture_on_commit_callbacks
    )
    run(callbacks)
    second_upload = upload_in_parts(client)
    page = client.get(url("mapping", second_upload))
    assert page.context["earlier_import"] == first
    assert b'data-testid="already-imported"' in page.content
    response, second, callbacks = start_import(
        client, second_upload, django_capture_on_commit_callbacks
    )
    assert second.status == Status.DUPLICATE_FILE
    assert callbacks == []
    assert second.source_file_id == first.source_file_id
    assert AuditLog.objects.filter(object_id=str(second.pk), action="create").count() == 1
    assert "was already imported by import" in client.get(response["Location"]).content.decode()


def test_a_saved_profile_fills_the_selects_of_the_next_file(
    client_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_as("operator")
    first = upload_in_parts(client)
    start_import(
        client,
        first,
        django_capture_on_commit_callbacks,
        save_profile="no-email",
        **{"map:Email": ""},
    )
    assert MappingProfile.objects.get(name="no-email").mapping["Email"] is None
    second = upload_in_parts(client, LEADS.replace(b"Ann,", b"Anne,"), name="leads2.csv")
    data = start_data_after_start(second)
    data.update({"profile": "no-email", "applied_profile": ""})
    page = client.get(url("mapping", second), data).context["page"]
    assert page.applied_profile == "no-email"
    assert {c.name: (c.field, c.decided_by) for c in page.columns}["Email"] == ("", "profile")
    assert [p.name for p in page.profiles] == ["no-email"]


# -- actions ---------------------------------------------------------------------------------


def completed_import(client: Client, django_capture_on_commit_callbacks: Any) -> ImportBatch:
    _, batch, callbacks = start_import(
        client, upload_in_parts(client), django_capture_on_commit_callbacks
    )
    run(callbacks)
    batch.refresh_from_db()
    return batch


def test_replay_and_cancel_call_the_engine_and_are_audited(
    client_as: Any, django_capture_on_commit_callbacks: Any, run_tasks_here: None
) -> None:
    client = client_as("operator")
    origin = completed_import(client, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("replay", origin.pk), {"mode": "errors-only"})
    replay = ImportBatch.objects.get(replay_of=origin)
    assert response["Location"] == url("detail", replay.pk)
    assert (replay.mode, replay.status, len(callbacks)) == ("errors-only", Status.PENDING, 1)
    audit = AuditLog.objects.get(object_id=str(replay.pk))
    assert (audit.action, audit.actor, audit.changes) == (
        "create",
        client.user,
        {"replay_of": [None, origin.pk], "mode": [None, "errors-only"]},
    )
    run(callbacks)
    replay.refresh_from_db()
    assert (replay.status, replay.rows_read, replay.errors) == (Status.COMPLETE_WITH_ERRORS, 1, 1)

    # A full replay, cancelled before it runs.
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url("replay", origin.pk), {"mode": "full"})
    full = ImportBatch.objects.filter(replay_of=origin, mode="full").get()
    assert client.get(url("detail", full.pk)).content.count(b'data-testid="cancel-import"') == 1
    cancelled = client.post(url("cancel", full.pk))
    assert cancelled["Location"] == url("detail", full.pk)
    full.refresh_from_db()
    assert (full.status, full.cancel_requested) == (Status.CANCELLED, True)
    audit = AuditLog.objects.get(object_id=str(full.pk), action="update")
    assert audit.changes == {
        "cancel_requested": [False, True],
        "status": ["PENDING", "CANCELLED"],
    }
    # Cancelling a finished import changes nothing and records nothing.
    before = AuditLog.objects.count()
    client.post(url("cancel", origin.pk))
    origin.refresh_from_db()
    assert origin.status == Status.COMPLETE_WITH_ERRORS
    assert AuditLog.objects.count() == before
    # A replay the engine refuses: a message, nothing created.
    refused = client.post(url("replay", full.pk), {"mode": "bogus"}, follow=True)
    assert b"Choose a replay mode" in refused.content


def test_a_failed_import_resumes_after_its_last_chunk(
    client_as: Any, django_capture_on_commit_callbacks: Any, run_tasks_here: None
) -> None:
    client = client_as("operator")
    _, batch, _ = start_import(client, upload_in_parts(client), django_capture_on_commit_callbacks)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.FAILED, message="Lost the database."
    )
    assert b'data-testid="resume-import"' in client.get(url("detail", batch.pk)).content
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("resume", batch.pk))
    assert response["Location"] == url("detail", batch.pk)
    assert len(callbacks) == 1
    audit = AuditLog.objects.get(object_id=str(batch.pk), action="update")
    assert audit.changes == {"resumed_after_row": [None, 0]}
    run(callbacks)
    batch.refresh_from_db()
    assert (batch.status, batch.inserted) == (Status.COMPLETE_WITH_ERRORS, 3)
    refused = client.post(url("resume", batch.pk), follow=True)
    assert b"only an import that failed after reading its source can be resumed" in refused.content


# -- access ----------------------------------------------------------------------------------


def test_downloading_the_error_csv_is_audited(
    client_as: Any, django_capture_on_commit_callbacks: Any, run_tasks_here: None
) -> None:
    client = client_as("operator")
    batch = completed_import(client, django_capture_on_commit_callbacks)
    exports = AuditLog.objects.filter(action=AuditLog.Action.EXPORT)
    summary = client.get(url("report", batch.pk, "summary"))
    assert b"".join(summary.streaming_content).startswith(b"chunk,")
    assert not exports.exists()

    errors = client.get(url("error_report", batch.pk))

    assert errors.status_code == 200
    assert b"".join(errors.streaming_content).startswith(b"row_number,")
    entry = exports.get()
    assert (entry.actor, entry.origin, entry.object_type, entry.object_id, entry.changes) == (
        client.user,
        AuditLog.Origin.DASHBOARD,
        "ingestion.importbatch",
        str(batch.pk),
        {"downloaded": batch.reports["errors"], "report": "errors"},
    )
    # No report yet: nothing downloaded, nothing audited.
    unfinished = ImportBatch.objects.create(source="leads", source_type="csv")
    assert client.get(url("error_report", unfinished.pk)).status_code == 404
    assert exports.count() == 1


def test_an_upload_that_became_an_import_is_not_discarded(
    client_as: Any, django_capture_on_commit_callbacks: Any, staging_area: Path
) -> None:
    client = client_as("operator")
    upload_id = upload_in_parts(client)
    # Read before the import starts, as a discard request racing the start would have.
    seen = uploads.upload_get(upload_id=upload_id, user=client.user)
    _response, batch, _callbacks = start_import(
        client, upload_id, django_capture_on_commit_callbacks
    )

    with pytest.raises(uploads.UploadError) as refused:
        uploads.upload_discard(upload=seen)

    message = f"The upload of leads.csv became import {batch.pk}; it can no longer be discarded."
    assert (str(refused.value), refused.value.status, refused.value.code) == (
        message,
        409,
        "imported",
    )
    assert (staging_area / upload_id / "meta.json").exists()
    page = client.post(url("upload_discard", upload_id), follow=True)
    assert message in page.content.decode()
    again = client.post(url("start", upload_id), start_data_after_start(upload_id))
    assert again["Location"] == url("detail", batch.pk)
    # Before its import starts an upload is discarded whole.
    other = upload_in_parts(client, name="other.csv")
    page = client.post(url("upload_discard", other), follow=True)
    assert "Upload of other.csv discarded." in page.content.decode()
    assert not (staging_area / other).exists()


def test_a_viewer_reads_but_may_not_upload_start_replay_or_cancel(
    client_as: Any,
    django_capture_on_commit_callbacks: Any,
    run_tasks_here: None,
    staging_area: Path,
) -> None:
    operator = client_as("operator")
    batch = completed_import(operator, django_capture_on_commit_callbacks)
    staged = operator.post(url("upload_create"), {"name": "more.csv", "size": len(LEADS)}).json()
    viewer = client_as("viewer")
    writes = (AuditLog.objects.count(), ImportBatch.objects.count(), sorted(staging_area.iterdir()))

    refused = [
        viewer.get(url("upload")),
        viewer.post(url("upload"), {"file": SimpleUploadedFile("leads.csv", LEADS)}),
        viewer.post(url("upload_create"), {"name": "x.csv", "size": "10"}),
        viewer.get(staged["status_url"]),
        send_part(viewer, staged, 0, LEADS),
        viewer.post(staged["finish_url"]),
        viewer.post(url("upload_discard", staged["upload_id"])),
        viewer.get(url("mapping", staged["upload_id"])),
        viewer.post(url("start", staged["upload_id"]), start_data_after_start(staged["upload_id"])),
        viewer.post(url("replay", batch.pk), {"mode": "full"}),
        viewer.post(url("cancel", batch.pk)),
        viewer.post(url("resume", batch.pk)),
        viewer.get(url("error_report", batch.pk)),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert (
        AuditLog.objects.count(),
        ImportBatch.objects.count(),
        sorted(staging_area.iterdir()),
    ) == writes
    assert (staging_area / staged["upload_id"] / "file" / "more.csv").stat().st_size == 0

    assert viewer.get(url("list")).status_code == 200
    page = viewer.get(url("detail", batch.pk)).content.decode()
    assert 'data-testid="report-summary"' in page
    assert 'data-testid="report-errors"' not in page
    assert 'data-testid="replay-full"' not in page
    assert viewer.get(url("status", batch.pk)).status_code == 200
    assert viewer.get(url("report", batch.pk, "checklist")).status_code == 200


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page() -> None:
    client = Client()
    upload_id = "0" * 32
    for target in (
        url("list"),
        url("upload"),
        url("upload_status", upload_id),
        url("mapping", upload_id),
        url("detail", 1),
        url("status", 1),
        url("report", 1, "summary"),
        url("error_report", 1),
    ):
        response = client.get(target)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={target}")
    for target in (
        url("upload_create"),
        url("upload_part", upload_id),
        url("upload_finish", upload_id),
        url("start", upload_id),
        url("replay", 1),
        url("cancel", 1),
        url("resume", 1),
    ):
        response = client.post(target)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={target}")
    assert not ImportRowError.objects.exists()
