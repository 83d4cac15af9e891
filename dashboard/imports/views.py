"""Import pages: the list of imports, the upload (in resumable parts), the column-mapping step,
the tracker of one import (live progress, reconciliation, reports) and its actions.

Who may do what: every signed-in role reads the list, the tracker, the summary CSV and the
validation checklist (counts, no personal data). Uploading, starting, replaying, cancelling
and resuming need IMPORT. So does the error CSV: its rows carry the rejected values verbatim
(names, phones, e-mails), a bulk file of personal data for the people who fix and replay
imports. Of the downloads only the error CSV is audited (who took which personal data); every
action is (see ``services``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cmplatform.core.models import AuditLog
from cmplatform.core.services import audit_record
from cmplatform.lib.replica import reads_from_replica
from dashboard.access import IMPORT, READ, page_requires
from dashboard.imports import uploads
from dashboard.imports.forms import FIELD_CHOICES, FIELD_LABELS, MappingPage, mapping_page
from dashboard.imports.services import (
    import_cancel_request,
    import_replay_queue,
    import_resume_queue,
    staged_upload_import,
)
from dashboard.imports.uploads import StagedUpload, UploadError
from ingestion.landing import landing_storage
from ingestion.models import ImportBatch, ImportChunk, ImportRowError, SourceFile
from ingestion.services import ImportRequestError

PAGE_ROWS = 50
CHUNK_ROWS = 50
ERROR_SAMPLE_ROWS = 20
Status = ImportBatch.Status
# Downloads anyone who reads may take (no personal data in them); the error CSV needs IMPORT.
PUBLIC_REPORTS = {
    "summary": ("text/csv", "summary.csv"),
    "checklist": ("application/json", "checklist.json"),
}


@page_requires(READ)
@reads_from_replica
def import_list(request: HttpRequest) -> HttpResponse:
    """Imports, newest first; ``?before=<id>`` pages back (keyset on the primary key)."""
    batches = ImportBatch.objects.select_related("source_file", "created_by").order_by("-pk")
    before = request.GET.get("before", "")
    if before.isdigit():
        batches = batches.filter(pk__lt=int(before))
    rows = list(batches[: PAGE_ROWS + 1])
    return render(
        request,
        "dashboard/imports/list.html",
        {
            "batches": rows[:PAGE_ROWS],
            "next_before": rows[PAGE_ROWS - 1].pk if len(rows) > PAGE_ROWS else None,
        },
    )


# -- upload ----------------------------------------------------------------------------------


def _upload_urls(upload: StagedUpload) -> dict[str, str]:
    return {
        "status_url": reverse("dashboard:imports:upload_status", args=[upload.upload_id]),
        "part_url": reverse("dashboard:imports:upload_part", args=[upload.upload_id]),
        "finish_url": reverse("dashboard:imports:upload_finish", args=[upload.upload_id]),
        "mapping_url": reverse("dashboard:imports:mapping", args=[upload.upload_id]),
    }


def _upload_json(upload: StagedUpload) -> dict[str, Any]:
    return {
        "upload_id": upload.upload_id,
        "name": upload.name,
        "size": upload.size,
        "offset": upload.received,
        "complete": upload.is_complete,
        "sha256": upload.sha256,
        "part_bytes": uploads.PART_BYTES,
        **_upload_urls(upload),
    }


def _upload_error(error: UploadError) -> JsonResponse:
    body: dict[str, Any] = {"error": str(error), "code": error.code}
    if error.offset is not None:
        body["offset"] = error.offset
    return JsonResponse(body, status=error.status)


def _user_upload(request: HttpRequest, upload_id: str) -> StagedUpload:
    try:
        return uploads.upload_get(upload_id=upload_id, user=request.user)
    except UploadError as error:
        raise Http404(str(error)) from error


@page_requires(IMPORT)
def upload(request: HttpRequest) -> HttpResponse:
    """The upload page. The browser sends the file in parts (``imports.js``); without
    JavaScript the form posts the whole file here (spooled to disk by Django) instead."""
    if request.method == "POST":
        posted = request.FILES.get("file")
        if posted is None:
            messages.error(request, "Choose a file to upload.")
        else:
            try:
                staged = uploads.upload_from_file(user=request.user, uploaded=posted)
            except UploadError as error:
                messages.error(request, str(error))
            else:
                return redirect("dashboard:imports:mapping", upload_id=staged.upload_id)
    return render(
        request,
        "dashboard/imports/upload.html",
        {
            "uploads": uploads.uploads_of(request.user),
            "part_bytes": uploads.PART_BYTES,
            "max_bytes": uploads.FILE_MAX_BYTES,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@page_requires(IMPORT)
def upload_create(request: HttpRequest) -> JsonResponse:
    """Open an upload: ``name`` and ``size`` (bytes) of the file to come."""
    size = request.POST.get("size", "")
    if not size.isdigit():
        return JsonResponse({"error": "Give the file's size in bytes."}, status=400)
    try:
        staged = uploads.upload_create(
            user=request.user, name=request.POST.get("name", ""), size=int(size)
        )
    except UploadError as error:
        return _upload_error(error)
    return JsonResponse(_upload_json(staged), status=201)


@require_GET
@page_requires(IMPORT)
def upload_status(request: HttpRequest, upload_id: str) -> JsonResponse:
    """Where an upload stands: the offset a resumed upload continues from."""
    try:
        staged = uploads.upload_get(upload_id=upload_id, user=request.user)
    except UploadError as error:
        return _upload_error(error)
    return JsonResponse(_upload_json(staged))


@require_POST
@page_requires(IMPORT)
def upload_part(request: HttpRequest, upload_id: str) -> JsonResponse:
    """Append one part: the raw request body (``application/octet-stream``) belongs at byte
    ``?offset=``. Answers the bytes now held; 409 with the server's offset for a gap or
    bytes that differ from those received."""
    offset = request.GET.get("offset", "")
    length = request.META.get("CONTENT_LENGTH") or ""
    if not offset.isdigit() or not length.isdigit():
        return JsonResponse({"error": "Give ?offset= and a Content-Length."}, status=400)
    try:
        staged = uploads.upload_get(upload_id=upload_id, user=request.user)
        received = uploads.upload_append(
            upload=staged, offset=int(offset), length=int(length), stream=request
        )
    except UploadError as error:
        return _upload_error(error)
    return JsonResponse({"offset": received, "size": staged.size})


@require_POST
@page_requires(IMPORT)
def upload_finish(request: HttpRequest, upload_id: str) -> JsonResponse:
    """Complete an upload whose every byte is in; answers where to map it."""
    try:
        staged = uploads.upload_get(upload_id=upload_id, user=request.user)
        staged = uploads.upload_complete(upload=staged)
    except UploadError as error:
        return _upload_error(error)
    return JsonResponse(_upload_json(staged))


@require_POST
@page_requires(IMPORT)
def upload_discard(request: HttpRequest, upload_id: str) -> HttpResponse:
    """Throw an upload away (before its import starts)."""
    staged = _user_upload(request, upload_id)
    try:
        uploads.upload_discard(upload=staged)
    except UploadError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Upload of {staged.name} discarded.")
    return redirect("dashboard:imports:upload")


# -- mapping and start -----------------------------------------------------------------------


def _mapping_context(page: MappingPage) -> dict[str, Any]:
    upload_ = page.upload
    landed = SourceFile.objects.filter(sha256=upload_.sha256).first() if upload_.sha256 else None
    earlier = (
        landed.batches.filter(status__in=(Status.COMPLETE, Status.COMPLETE_WITH_ERRORS))
        .order_by("pk")
        .first()
        if landed
        else None
    )
    return {
        "page": page,
        "upload": upload_,
        "earlier_import": earlier,
        "field_choices": FIELD_CHOICES,
    }


def _complete_upload(request: HttpRequest, upload_id: str) -> StagedUpload | HttpResponse:
    staged = _user_upload(request, upload_id)
    if staged.batch_id is not None:
        return redirect("dashboard:imports:detail", batch_id=staged.batch_id)
    if not staged.is_complete:
        messages.error(request, f"The upload of {staged.name} is not complete; resume it here.")
        return redirect("dashboard:imports:upload")
    return staged


@require_GET
@page_requires(IMPORT)
def mapping(request: HttpRequest, upload_id: str) -> HttpResponse:
    """The column-mapping step: detected columns matched to canonical fields, the first rows
    judged as the import would judge them, the import's settings. Every change re-renders
    the mapping area (htmx)."""
    staged = _complete_upload(request, upload_id)
    if isinstance(staged, HttpResponse):
        return staged
    page = mapping_page(staged, request.GET if "source" in request.GET else None)
    template = (
        "dashboard/imports/_mapping_area.html"
        if getattr(request, "htmx", False)
        else "dashboard/imports/mapping.html"
    )
    return render(request, template, _mapping_context(page))


@require_POST
@page_requires(IMPORT)
def start(request: HttpRequest, upload_id: str) -> HttpResponse:
    """Create the import with the chosen mapping and enqueue its run."""
    staged = _complete_upload(request, upload_id)
    if isinstance(staged, HttpResponse):
        return staged
    page = mapping_page(staged, request.POST)
    if not page.form.is_valid() or not page.can_start:
        messages.error(request, "The import cannot start yet: see the problems below.")
        return render(request, "dashboard/imports/mapping.html", _mapping_context(page), status=400)
    try:
        batch = staged_upload_import(upload=staged, choices=page.choices(), by=request.user)
    except ImportRequestError as error:
        messages.error(request, str(error))
        return render(request, "dashboard/imports/mapping.html", _mapping_context(page), status=400)
    if batch.status == Status.DUPLICATE_FILE:
        messages.error(request, batch.message)
    elif batch.status == Status.FAILED and not batch.schema_version:
        messages.error(request, f"The import could not be created: {batch.message}")
    else:
        messages.success(request, f"Import {batch.pk} of {staged.name} started.")
    return redirect("dashboard:imports:detail", batch_id=batch.pk)


# -- tracker ---------------------------------------------------------------------------------


def _status(batch: ImportBatch) -> dict[str, Any]:
    """The live figures of an import from its row: the same keys the progress messages carry
    (``done``, ``total``, ``rate``, ``percent``, ``eta_seconds``, the outcome counts)."""
    now = dt.datetime.now(dt.UTC)
    seconds = batch.duration
    if seconds is None and batch.started_at is not None and batch.status == Status.RUNNING:
        seconds = (now - batch.started_at).total_seconds()
    rate = batch.rows_read / seconds if seconds and batch.rows_read else 0.0
    total = batch.rows_expected
    if batch.status in (Status.COMPLETE, Status.COMPLETE_WITH_ERRORS):
        percent: float | None = 100.0
    else:
        percent = min(round(100.0 * batch.rows_read / total, 1), 100.0) if total else None
    remaining = max(total - batch.rows_read, 0) if total else None
    running = batch.status == Status.RUNNING
    eta = round(remaining / rate, 1) if running and remaining is not None and rate > 0 else None
    return {
        "id": batch.pk,
        "topic": f"import.{batch.pk}",
        "status": batch.status,
        "status_display": batch.get_status_display(),
        "finished": batch.is_finished,
        "done": batch.rows_read,
        "total": total,
        "rate": round(rate, 1),
        "percent": percent,
        "eta_seconds": eta,
        "inserted": batch.inserted,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "duplicates": batch.duplicates,
        "errors": batch.errors,
        "chunks_done": batch.chunks_done,
        "cancel_requested": batch.cancel_requested,
        "message": batch.message,
    }


def duration_text(seconds: float | None) -> str:
    """``"1 h 02 min 05 s"``, ``"3.4 s"``; ``""`` for none."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


def _outcome_context(request: HttpRequest, batch: ImportBatch) -> dict[str, Any]:
    after = request.GET.get("chunks_after", "")
    chunks = ImportChunk.objects.filter(batch=batch).order_by("index")
    if after.isdigit():
        chunks = chunks.filter(index__gt=int(after))
    chunk_rows = list(chunks[: CHUNK_ROWS + 1])
    sample = ImportRowError.objects.filter(batch_id=batch.pk).order_by("row_number")
    return {
        "batch": batch,
        "status": _status(batch),
        "chunks": chunk_rows[:CHUNK_ROWS],
        "chunks_after": chunk_rows[CHUNK_ROWS - 1].index if len(chunk_rows) > CHUNK_ROWS else None,
        "chunks_paged": after.isdigit(),
        "row_errors": list(
            sample.values("row_number", "location", "error_type", "field_name", "message")[
                :ERROR_SAMPLE_ROWS
            ]
        ),
        "replays": list(batch.replays.order_by("-pk")[:20]),
        "reconciled": batch.rows_read == batch.accounted,
        "is_runnable_again": batch.status == Status.FAILED and bool(batch.schema_version),
        "may_replay": bool(batch.schema_version)
        and (batch.is_finished and batch.status != Status.DUPLICATE_FILE),
        "has_reports": bool(batch.reports),
        "mapped": [
            (FIELD_LABELS.get(name, name), ", ".join(columns))
            for name, columns in batch.mapping.get("fields", {}).items()
        ],
        "unmapped": batch.mapping.get("unmapped", []),
        "duration": duration_text(batch.duration),
        "reading": duration_text(batch.seconds_reading) if batch.seconds_reading else "",
        "writing": duration_text(batch.seconds_writing) if batch.seconds_writing else "",
    }


@require_GET
@page_requires(READ)
def detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One import: live progress (WebSocket, polling when it drops), the reconciliation per
    chunk and in total, checksum, file, who and when, durations, reports and actions. Read
    from the primary: the page follows a running import and opens right after its start.
    ``?part=outcome`` (htmx) re-renders the reconciliation, reports and actions only."""
    batch = get_object_or_404(
        ImportBatch.objects.select_related(
            "source_file", "source_file__uploaded_by", "created_by", "campaign", "replay_of"
        ),
        pk=batch_id,
    )
    context = _outcome_context(request, batch)
    if getattr(request, "htmx", False) and request.GET.get("part") == "outcome":
        return render(request, "dashboard/imports/_outcome.html", context)
    context.update(
        {
            "ws_path": f"/ws/progress/import.{batch.pk}/",
            "status_labels": dict(Status.choices),
            "finished_statuses": list(ImportBatch.FINISHED),
        }
    )
    return render(request, "dashboard/imports/detail.html", context)


@require_GET
@page_requires(READ)
def status(request: HttpRequest, batch_id: int) -> JsonResponse:
    """The import's live figures as JSON (what the tracker polls when its socket is down),
    from the primary: a lagging replica would show figures older than the socket's."""
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    return JsonResponse(_status(batch))


def _report_response(batch: ImportBatch, kind: str, content_type: str, file_name: str) -> Any:
    name = batch.reports.get(kind)
    storage = landing_storage()
    if not name or not storage.exists(name):
        raise Http404("The reports are written when the import ends.")
    return FileResponse(
        storage.open(name, "rb"),
        as_attachment=True,
        filename=f"import_{batch.pk}_{file_name}",
        content_type=content_type,
    )


@require_GET
@page_requires(READ)
def report(request: HttpRequest, batch_id: int, kind: str) -> Any:
    """The summary CSV (per chunk and total) or the validation checklist JSON."""
    if kind not in PUBLIC_REPORTS:
        raise Http404("No such report.")
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    return _report_response(batch, kind, *PUBLIC_REPORTS[kind])


@require_GET
@page_requires(IMPORT)
def error_report(request: HttpRequest, batch_id: int) -> Any:
    """The error CSV: every rejected row with its values (personal data: IMPORT only; each
    download is audited)."""
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    response = _report_response(batch, "errors", "text/csv", "errors.csv")
    audit_record(
        actor=request.user,
        origin=AuditLog.Origin.DASHBOARD,
        action=AuditLog.Action.EXPORT,
        obj=batch,
        changes={"downloaded": batch.reports["errors"], "report": "errors"},
    )
    return response


# -- actions ---------------------------------------------------------------------------------


def _back_to(batch: ImportBatch) -> HttpResponseRedirect:
    return redirect("dashboard:imports:detail", batch_id=batch.pk)


@require_POST
@page_requires(IMPORT)
def replay(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Replay an import as a new one: ``mode=full`` re-reads the file (rows already in come
    out unchanged), ``mode=errors-only`` re-reads only the rows it rejected."""
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    mode = request.POST.get("mode", "")
    if mode not in ImportBatch.Mode.values:
        messages.error(request, "Choose a replay mode: full or errors-only.")
        return _back_to(batch)
    try:
        new = import_replay_queue(batch=batch, mode=mode, by=request.user)
    except ImportRequestError as error:
        messages.error(request, str(error))
        return _back_to(batch)
    messages.success(request, f"Import {new.pk} replays import {batch.pk} ({new.mode}).")
    return _back_to(new)


@require_POST
@page_requires(IMPORT)
def cancel(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Stop an import: a pending one at once, a running one after its current chunk."""
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    cancelled = import_cancel_request(batch=batch, by=request.user)
    if batch.is_finished:
        messages.error(request, f"Import {batch.pk} had already ended.")
    elif cancelled.status == Status.CANCELLED:
        messages.success(request, f"Import {batch.pk} cancelled.")
    else:
        messages.success(request, f"Import {batch.pk} stops after its current chunk.")
    return _back_to(batch)


@require_POST
@page_requires(IMPORT)
def resume(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Run a failed import again from its last committed chunk."""
    batch = get_object_or_404(ImportBatch, pk=batch_id)
    try:
        import_resume_queue(batch=batch, by=request.user)
    except ImportRequestError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Import {batch.pk} resumes after row {batch.last_row:,}.")
    return _back_to(batch)
