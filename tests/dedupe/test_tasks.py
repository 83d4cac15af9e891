"""A full resolution runs as a Celery task on a real worker (file-based broker in the
embedded mode, Redis otherwise)."""

from __future__ import annotations

import pytest

from cmplatform.celery import app as celery_app
from cmplatform.lib.embedded_worker import embedded_worker_start
from dedupe.models import DedupeRun
from dedupe.tasks import dedupe_run_full_task
from tests.factories import email_create, person_create


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_full_resolution():
    robert = person_create(first_name="Robert", last_name="Quayle")
    bob = person_create(first_name="Bob", last_name="Quayle")
    for person in (robert, bob):
        email_create(person, "rquayle@ranchmail.com")

    worker = embedded_worker_start(celery_app)
    try:
        # The worker thread lives in this process: this wait is not a subtask.
        outcome = dedupe_run_full_task.delay().get(timeout=60, disable_sync_subtasks=False)
    finally:
        worker.stop()

    run = DedupeRun.objects.get()
    assert outcome == {"dedupe_run": run.pk, "status": "COMPLETE", "linked": run.linked}
    assert run.mode == "full"
    assert run.persons == 2
