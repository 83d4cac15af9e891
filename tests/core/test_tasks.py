"""A real Celery worker consumes the smoke task from the configured broker: the file-based
queue in the embedded mode, Redis when REDIS_URL is set."""

import pytest
from django.conf import settings

from cmplatform.celery import app as celery_app
from cmplatform.core.tasks import ping
from cmplatform.lib.embedded_worker import embedded_worker_start


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_smoke_task_through_the_broker():
    expected_transport = "redis" if settings.REDIS_URL else "filesystem"
    with celery_app.connection_for_write() as connection:
        assert connection.transport.driver_type == expected_transport
    worker = embedded_worker_start(celery_app)
    try:
        result = ping.delay()
        # The worker thread lives in this process, so tell Celery this wait is not a subtask.
        assert result.get(timeout=30, disable_sync_subtasks=False) == {
            "pong": "ok",
            "database": settings.DATABASE_VENDOR,
        }
    finally:
        worker.stop()
    if not settings.REDIS_URL:
        # The file-based broker keeps all its state under the var directory, nowhere else.
        assert (settings.VAR_DIR / "celery" / "control" / "celery.exchange").is_file()
