"""Celery tasks of the ingestion engine: thin shells over :mod:`ingestion.services`."""

from __future__ import annotations

from celery import shared_task

from ingestion.models import ImportBatch
from ingestion.services import import_resolve, import_run


@shared_task(name="ingestion.import_run", acks_late=True, reject_on_worker_lost=True)
def import_run_task(batch_id: int) -> dict[str, object]:
    """Run or resume an import, then resolve its persons against the golden records. A worker
    killed mid-chunk gets the task redelivered, and the import resumes after its last
    committed chunk (a finished import is not re-run; its resolution is repeated, which
    changes nothing the second time)."""
    batch = import_run(batch_id)
    outcome: dict[str, object] = {
        "import_id": batch.pk,
        "status": batch.status,
        "rows_read": batch.rows_read,
    }
    if batch.status in (ImportBatch.Status.COMPLETE, ImportBatch.Status.COMPLETE_WITH_ERRORS):
        outcome["dedupe_run"] = import_resolve(batch_ids=[batch.pk]).pk
    return outcome
