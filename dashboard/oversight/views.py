"""Oversight pages: the compliance view (suppressions, statuses per channel, registry data age,
the opt-out review queue) and the audit log with its CSV export."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cmplatform.core.models import AuditLog
from cmplatform.core.services import audit_record
from cmplatform.lib.replica import reads_from_replica, replica_reads
from compliance.models import Suppression
from compliance.services import ComplianceError, suppression_review_decide
from dashboard.access import EXPORT, READ, REVIEW, page_requires
from dashboard.lists.counts import facets_refresh_if_behind
from dashboard.oversight import audit
from dashboard.oversight.compliance import (
    channel_statuses,
    registry_overview,
    review_queue,
    suppression_counts,
)

AUDIT = "core.view_auditlog"
NOTE_MAX = 300


def _facets_behind() -> bool:
    """Whether the persons changed since the status summary was built (a rebuild is then
    queued, as for the priority lists' count)."""
    return facets_refresh_if_behind()


@page_requires(READ)
def compliance_overview(request: HttpRequest) -> HttpResponse:
    """Active suppressions per reason and channel, golden records per status and channel (as
    of the summary), registry data age per state and area code, and the review queue."""
    with replica_reads():
        counts = suppression_counts()
        statuses = channel_statuses()
        registry = registry_overview()
    # The queue is read from the primary: a reviewer sees their own decision at once.
    queue = review_queue()
    return render(
        request,
        "dashboard/oversight/compliance.html",
        {
            "counts": counts,
            "statuses": statuses,
            "statuses_behind": _facets_behind(),
            "registry": registry,
            "queue": queue,
            "note_max": NOTE_MAX,
        },
    )


@require_POST
@page_requires(REVIEW)
def review_decide(request: HttpRequest, suppression_id: int) -> HttpResponse:
    """Confirm (keep suppressed) or release one revocation request: every suppression the
    request made is decided together, audited by the service."""
    suppression = get_object_or_404(Suppression, pk=suppression_id)
    decision = request.POST.get("decision", "")
    back = reverse("dashboard:oversight:compliance") + "#review-queue"
    if decision not in ("confirm", "release"):
        messages.error(request, "Choose to confirm or to release the revocation.")
        return redirect(back)
    note = request.POST.get("note", "").strip()[:NOTE_MAX]
    try:
        suppression_review_decide(
            suppression=suppression,
            keep=decision == "confirm",
            by=request.user,
            note=note,
            origin=AuditLog.Origin.DASHBOARD,
        )
    except ComplianceError as error:
        messages.error(request, str(error))
        return redirect(back)
    received = timezone.localtime(suppression.received_at).strftime("%Y-%m-%d %H:%M")
    if decision == "confirm":
        messages.success(request, f"Revocation of {received} confirmed: it stays suppressed.")
    else:
        messages.success(request, f"Revocation of {received} released: the suppression is lifted.")
    return redirect(back)


@dataclass(frozen=True)
class AuditRow:
    entry: AuditLog
    changes: audit.ChangesView
    person_id: int | None


def _filter_params(request: HttpRequest, *, keep_rows: bool) -> list[tuple[str, str]]:
    """The filter part of the query string (no cursor), in a stable order."""
    skipped = {"cursor"} if keep_rows else {"cursor", "rows"}
    return [
        (key, value)
        for key in sorted(request.GET)
        if key not in skipped
        for value in request.GET.getlist(key)
        if value
    ]


@page_requires(AUDIT)
@reads_from_replica
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit log newest first, filtered, one keyset page at a time."""
    form = audit.AuditFilterForm(request.GET)
    context: dict[str, Any] = {
        "form": form,
        "object_types": audit.object_types(),
        "export_max": audit.EXPORT_MAX_ROWS,
    }
    if form.is_valid():
        query = audit.AuditQuery.from_form(form.cleaned_data)
        cursor = request.GET.get("cursor") or None
        try:
            page = audit.audit_page(
                query, cursor=cursor, rows=form.cleaned_data.get("rows") or audit.PAGE_ROWS
            )
        except audit.AuditCursorError as error:
            form.add_error(None, str(error))
        else:
            context["page"] = page
            context["rows"] = [
                AuditRow(
                    entry,
                    audit.changes_view(entry.changes),
                    int(entry.object_id)
                    if entry.object_type == audit.PERSON_TYPE and entry.object_id.isdigit()
                    else None,
                )
                for entry in page.entries
            ]
            context["no_such_user"] = query.no_match
            context["first_page"] = cursor is None
            params = _filter_params(request, keep_rows=True)
            context["first_url"] = "?" + urlencode(params)
            if page.next_cursor:
                context["next_url"] = "?" + urlencode([*params, ("cursor", page.next_cursor)])
            if request.user.has_perm(EXPORT):
                context["export_url"] = (
                    reverse("dashboard:oversight:audit-export")
                    + "?"
                    + urlencode(_filter_params(request, keep_rows=False))
                )
    return render(request, "dashboard/oversight/audit.html", context)


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def _csv_chunks(query: audit.AuditQuery) -> Iterator[str]:
    """The CSV text of the export, one chunk per keyset page; a last line says how far back
    it searched when it stopped before the end of the log."""
    writer = csv.writer(_Line())
    yield writer.writerow(audit.EXPORT_HEADER)
    export = audit.AuditExport(query)
    for page in export:
        yield "".join(writer.writerow(audit.export_row(entry)) for entry in page)
    if export.searched_to is not None:
        yield writer.writerow([audit.export_stop_note(export.searched_to)])


async def _async_chunks(query: audit.AuditQuery) -> AsyncIterator[str]:
    """The same chunks for an ASGI server (which would otherwise read a synchronous
    iterator whole into memory): each page is fetched on the sync thread."""
    chunks = _csv_chunks(query)

    def take() -> str | None:
        return next(chunks, None)

    while (chunk := await sync_to_async(take, thread_sensitive=True)()) is not None:
        yield chunk


@page_requires(AUDIT, EXPORT)
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered audit log as CSV (an export: operators and admins), newest first,
    streamed a keyset page at a time (at most :data:`audit.EXPORT_MAX_ROWS` entries); cells
    are spreadsheet-safe. The download is audited (who exported which part of the log), on
    the user: there is no other object."""
    form = audit.AuditFilterForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(
            f"{name}: {' '.join(str(error) for error in errs)}"
            for name, errs in form.errors.items()
        )
        return HttpResponse(
            f"The filters are not valid: {errors}", status=400, content_type="text/plain"
        )
    with replica_reads():
        query = audit.AuditQuery.from_form(form.cleaned_data)
    filters = {
        key: value for key, value in _filter_params(request, keep_rows=False) if key in form.fields
    }
    audit_record(
        actor=request.user,
        origin=AuditLog.Origin.DASHBOARD,
        action=AuditLog.Action.EXPORT,
        obj=cast(Model, request.user),
        changes={"downloaded": "audit_log", "filters": filters},
    )
    content: Iterator[str] | AsyncIterator[str] = (
        _async_chunks(query) if isinstance(request, ASGIRequest) else _csv_chunks(query)
    )
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit_log_{stamp}.csv"'
    return response
