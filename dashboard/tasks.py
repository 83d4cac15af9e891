"""Celery tasks of the dashboard: thin shells over its services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from dashboard.lists.counts import person_facets_refresh
from dashboard.lists.exports import EXPORT_LEASE, list_export_run


@shared_task(
    bind=True,
    name="dashboard.list_export_run",
    acks_late=True,
    reject_on_worker_lost=True,
    # Below the broker's 4 h visibility timeout: a live run is never delivered twice.
    time_limit=int(EXPORT_LEASE.total_seconds()),
)
def list_export_run_task(self: Any, export_id: int) -> dict[str, object]:
    """Write one queued priority-list export (a redelivery after a lost worker takes the
    interrupted run over)."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    export = list_export_run(export_id=export_id, takeover=redelivered)
    return {"export_id": export.pk, "status": export.status, "exported": export.exported}


@shared_task(name="dashboard.person_facets_refresh", acks_late=True, time_limit=3600)
def person_facets_refresh_task() -> dict[str, object]:
    """Rebuild the list-count summary."""
    return {"combinations": person_facets_refresh()}
