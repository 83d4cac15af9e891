"""Celery tasks of the dashboard: thin shells over its services."""

from __future__ import annotations

from celery import shared_task

from dashboard.lists.counts import person_facets_refresh
from dashboard.lists.exports import list_export_run


@shared_task(name="dashboard.list_export_run", acks_late=True, time_limit=6 * 3600)
def list_export_run_task(export_id: int) -> dict[str, object]:
    """Write one queued priority-list export."""
    export = list_export_run(export_id=export_id)
    return {"export_id": export.pk, "status": export.status, "exported": export.exported}


@shared_task(name="dashboard.person_facets_refresh", acks_late=True, time_limit=3600)
def person_facets_refresh_task() -> dict[str, object]:
    """Rebuild the list-count summary."""
    return {"combinations": person_facets_refresh()}
