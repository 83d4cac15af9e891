"""Celery tasks of the core app."""

from celery import shared_task
from django.db import connection


@shared_task(name="core.ping", acks_late=True, time_limit=30, soft_time_limit=20)
def ping() -> dict[str, str]:
    """Smoke task: proves a worker consumes from the broker and reaches the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"pong": "ok" if one == 1 else "bad", "database": connection.vendor}
