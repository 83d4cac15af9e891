"""Priority-list pages: the filter builder with keyset pages, the count, saved filters and
exports."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cmplatform.core.models import AuditLog, Channel
from cmplatform.core.services import acting_user, audit_record
from cmplatform.lib.replica import reads_from_replica
from dashboard.access import EXPORT, READ, SAVE_FILTER, page_requires
from dashboard.lists import criteria
from dashboard.lists.cached import cached_page
from dashboard.lists.counts import estimate, facets_refresh_if_behind
from dashboard.lists.exports import ExportRequestError, list_export_create
from dashboard.models import ListExport, SavedFilter
from ingestion.landing import landing_storage


def _list_query(request: HttpRequest) -> str:
    """The criteria part of the query string (no cursor), in a stable order."""
    params = request.GET.copy()
    params.pop("cursor", None)
    kept = [(key, value) for key in sorted(params) for value in params.getlist(key) if value]
    return urlencode(kept)


@page_requires(READ)
@reads_from_replica
def builder(request: HttpRequest) -> HttpResponse:
    """The filter form and one keyset page of matching golden records."""
    query, form = criteria.parse(request.GET)
    list_query = _list_query(request)
    context: dict[str, object] = {
        "form": form,
        "list_query": list_query,
        "channels": [str(channel) for channel in Channel],
        "saved_filters": [
            (saved, _may_manage(request.user, saved))
            for saved in SavedFilter.objects.select_related("created_by").order_by("name")
        ],
        "formats": ListExport.Format.choices,
    }
    if query is not None:
        cursor = request.GET.get("cursor") or None
        try:
            result = cached_page(query, cursor=cursor)
        except criteria.CriteriaError as error:
            form.add_error(None, str(error))
        else:
            context["page"] = result
            context["first_page"] = cursor is None
            if result.next_cursor:
                params = [(k, v) for k, vs in QueryDict(list_query).lists() for v in vs]
                context["next_url"] = "?" + urlencode([*params, ("cursor", result.next_cursor)])
    return render(request, "dashboard/lists/builder.html", context)


@page_requires(READ)
@reads_from_replica
def count(request: HttpRequest) -> HttpResponse:
    """The list's size (an htmx fragment of the builder); asks for a fresh summary when the
    persons changed since the last one."""
    query, _form = criteria.parse(request.GET)
    if query is None:
        return HttpResponse("", status=400)
    facets_refresh_if_behind()
    return render(request, "dashboard/lists/count.html", {"estimate": estimate(query)})


@require_POST
@page_requires(SAVE_FILTER)
def save(request: HttpRequest) -> HttpResponse:
    """Save the current criteria under a name (a name in use is refused, not overwritten)."""
    name = request.POST.get("name", "").strip()
    query = request.POST.get("query", "")
    parsed, _form = criteria.parse(QueryDict(query))
    builder_url = reverse("dashboard:lists:builder") + ("?" + query if query else "")
    if not name:
        messages.error(request, "Give the filter a name.")
        return redirect(builder_url)
    if parsed is None:
        messages.error(request, "Fix the criteria before saving them.")
        return redirect(builder_url)
    try:
        with transaction.atomic():
            saved = SavedFilter.objects.create(
                name=name[:120], query=query, created_by=acting_user(request.user)
            )
            audit_record(
                actor=request.user,
                origin=AuditLog.Origin.DASHBOARD,
                action=AuditLog.Action.CREATE,
                obj=saved,
                changes={"name": saved.name, "query": query},
            )
    except IntegrityError:
        messages.error(request, f'A filter named "{name}" exists already; choose another name.')
        return redirect(builder_url)
    messages.success(request, f'Saved as "{saved.name}". Share it with this page\'s address.')
    return redirect(reverse("dashboard:lists:saved", args=[saved.pk]))


@page_requires(READ)
def saved(request: HttpRequest, filter_id: int) -> HttpResponse:
    """A saved filter's shareable address: opens the builder with its criteria."""
    saved_filter = get_object_or_404(SavedFilter, pk=filter_id)
    return redirect(reverse("dashboard:lists:builder") + "?" + saved_filter.query)


def _may_manage(user: Any, saved: SavedFilter) -> bool:
    """Whether ``user`` may rename or delete ``saved``: its author (an operator saving filters)
    or a user holding the model's change and delete permissions (an admin)."""
    if user.has_perms(("dashboard.change_savedfilter", "dashboard.delete_savedfilter")):
        return True
    return bool(user.has_perm(SAVE_FILTER) and saved.created_by_id == user.pk)


def _managed_filter(request: HttpRequest, filter_id: int) -> SavedFilter:
    saved = get_object_or_404(SavedFilter, pk=filter_id)
    if not _may_manage(request.user, saved):
        raise PermissionDenied("Only its author or an admin may change a saved filter.")
    return saved


@require_POST
@page_requires(SAVE_FILTER)
def rename_saved(request: HttpRequest, filter_id: int) -> HttpResponse:
    """Rename a saved filter (its address, and so every shared link, stays the same)."""
    saved = _managed_filter(request, filter_id)
    name = request.POST.get("name", "").strip()[:120]
    if not name:
        messages.error(request, "Give the filter a name.")
        return redirect("dashboard:lists:builder")
    before = saved.name
    try:
        with transaction.atomic():
            SavedFilter.objects.filter(pk=saved.pk).update(name=name)
            audit_record(
                actor=request.user,
                origin=AuditLog.Origin.DASHBOARD,
                action=AuditLog.Action.UPDATE,
                obj=saved,
                changes={"name": [before, name]},
            )
    except IntegrityError:
        messages.error(request, f'A filter named "{name}" exists already; choose another name.')
    else:
        messages.success(request, f'"{before}" is now called "{name}".')
    return redirect("dashboard:lists:builder")


@require_POST
@page_requires(SAVE_FILTER)
def delete_saved(request: HttpRequest, filter_id: int) -> HttpResponse:
    """Delete a saved filter; its exports stay (they keep the query they ran)."""
    saved = _managed_filter(request, filter_id)
    with transaction.atomic():
        audit_record(
            actor=request.user,
            origin=AuditLog.Origin.DASHBOARD,
            action=AuditLog.Action.DELETE,
            obj=saved,
            changes={"name": saved.name, "query": saved.query},
        )
        saved.delete()
    messages.success(request, f'Saved filter "{saved.name}" deleted.')
    return redirect("dashboard:lists:builder")


@require_POST
@page_requires(EXPORT)
def export(request: HttpRequest) -> HttpResponse:
    """Queue an export of the current list for one channel."""
    query = request.POST.get("query", "")
    try:
        limit = request.POST.get("max_records", "").replace(",", "").strip()
        if limit and not (limit.isascii() and limit.isdigit()):
            raise ExportRequestError(
                f"The number of records must be a whole number, not {limit!r}."
            )
        created = list_export_create(
            query=query,
            channel=request.POST.get("channel", ""),
            file_format=request.POST.get("file_format", "csv"),
            max_records=int(limit) if limit else None,
            by=request.user,
        )
    except ExportRequestError as error:
        messages.error(request, str(error))
        return redirect(reverse("dashboard:lists:builder") + ("?" + query if query else ""))
    messages.success(request, f"Export {created.pk} queued; this page shows when it is ready.")
    return redirect("dashboard:lists:export_detail", export_id=created.pk)


@page_requires(EXPORT)
@reads_from_replica
def export_list(request: HttpRequest) -> HttpResponse:
    """Exports, newest first."""
    exports = ListExport.objects.select_related("requested_by").order_by("-pk")[:100]
    return render(request, "dashboard/lists/exports.html", {"exports": exports})


@page_requires(EXPORT)
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    """An export's status, its suppression report and the download link (the status part
    refreshes itself with htmx until the export finishes)."""
    found = get_object_or_404(ListExport.objects.select_related("requested_by"), pk=export_id)
    template = (
        "dashboard/lists/export_status.html"
        if getattr(request, "htmx", False)
        else "dashboard/lists/export.html"
    )
    return render(request, template, {"export": found})


@page_requires(EXPORT)
def export_download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """The export's file (audited: who downloaded which list)."""
    found = get_object_or_404(ListExport, pk=export_id, status=ListExport.Status.COMPLETE)
    storage = landing_storage()
    if not found.storage_name or not storage.exists(found.storage_name):
        raise Http404("The export file is no longer stored.")
    audit_record(
        actor=request.user,
        origin=AuditLog.Origin.DASHBOARD,
        action=AuditLog.Action.EXPORT,
        obj=found,
        changes={"downloaded": found.storage_name, "rows": found.exported},
    )
    return FileResponse(
        storage.open(found.storage_name, "rb"),
        as_attachment=True,
        filename=f"list_{found.pk}_{found.channel}.{found.file_format}",
    )
