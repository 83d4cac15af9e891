"""Import pages: the list of imports, newest first, keyset-paginated."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmplatform.lib.replica import reads_from_replica
from dashboard.access import READ, page_requires
from ingestion.models import ImportBatch

PAGE_ROWS = 50


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
