"""Celery tasks of golden-record resolution: thin shells over :mod:`dedupe.services`."""

from __future__ import annotations

from celery import shared_task

from dedupe.services import dedupe_run
from dedupe.services.sharded import dedupe_run_finish, dedupe_shard_compare


@shared_task(name="dedupe.run_full", acks_late=True, reject_on_worker_lost=True)
def dedupe_run_full_task() -> dict[str, object]:
    """A full, deterministic resolution over every person (e.g. nightly from Celery beat). A
    redelivered task runs again and changes nothing: the same input gives the same clusters."""
    run = dedupe_run()
    return {"dedupe_run": run.pk, "status": run.status, "linked": run.linked}


@shared_task(name="dedupe.compare_shard", acks_late=True, reject_on_worker_lost=True)
def dedupe_compare_shard_task(run_id: int, index: int) -> dict[str, object]:
    """One shard of a split full run: block and compare its keys; the last shard enqueues the
    finish. A redelivered task finds its shard claimed and does nothing."""
    done = dedupe_shard_compare(
        run_id=run_id, index=index, enqueue_finish=dedupe_finish_run_task.delay
    )
    return {"dedupe_run": run_id, "shard": index, "ran": done}


@shared_task(name="dedupe.finish_run", acks_late=True, reject_on_worker_lost=True)
def dedupe_finish_run_task(run_id: int) -> dict[str, object]:
    """Merge a split run's shards, cluster and write."""
    run = dedupe_run_finish(run_id=run_id)
    return {"dedupe_run": run.pk, "status": run.status, "linked": run.linked}


def enqueue_shard(run_id: int, index: int) -> None:
    """How a split run sends its shard tasks (passed to :func:`dedupe_run_split`)."""
    dedupe_compare_shard_task.delay(run_id, index)
