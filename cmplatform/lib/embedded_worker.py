"""A Celery worker running on a thread of the current process.

In the embedded mode the channel layer lives in memory, so live progress reaches a browser only
when the task runs in the web server's own process. ``manage.py serve`` therefore starts one
worker thread (solo pool: one task at a time, as on a single small machine) that consumes the
same file-based queue any other process publishes to.
"""

from __future__ import annotations

import socket
import threading

from celery import Celery
from celery.worker import WorkController


def embedded_worker_start(app: Celery, *, concurrency: int = 1) -> WorkController:
    """Start a worker thread for ``app`` and return its controller (``.stop()`` ends it)."""
    app.finalize()
    worker = app.WorkController(
        app=app,
        pool="solo",
        concurrency=concurrency,
        hostname=f"embedded@{socket.gethostname()}",
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    thread = threading.Thread(target=worker.start, name="celery-embedded-worker", daemon=True)
    thread.start()
    return worker
