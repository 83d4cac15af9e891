"""Celery tasks of the ingestion engine: thin shells over :mod:`ingestion.services`."""

from __future__ import annotations

from celery import shared_task

from ingestion.services import import_run


@shared_task(name="ingestion.import_run", acks_late=True, reject_on_worker_lost=True)
def import_run_task(batch_id: int) -> dict[str, object]:
    """Run or resume an import. A worker killed mid-chunk gets the task redelivered, and the
    import resumes after its last committed chunk."""
    batch = import_run(batch_id)
    return {"import_id": batch.pk, "status": batch.status, "rows_read": batch.rows_read}
