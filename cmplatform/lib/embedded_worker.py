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
from celery.worker import state as worker_state

STOP_SECONDS = 30.0


class EmbeddedWorker:
    """A worker thread and its controller. :meth:`stop` asks the thread to shut down and
    waits for it: the worker closes its own broker connection on its own thread (closing it
    from another thread while the worker waits on it can block forever on Redis)."""

    def __init__(self, controller: WorkController, thread: threading.Thread) -> None:
        self.controller = controller
        self.thread = thread

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        # The flag the worker's event loop checks on every turn (a warm shutdown).
        worker_state.should_stop = 0
        try:
            self.thread.join(timeout)
        finally:
            if not self.thread.is_alive():
                worker_state.should_stop = None
        if self.thread.is_alive():
            raise RuntimeError(f"The embedded Celery worker did not stop within {timeout:g} s.")


def embedded_worker_start(app: Celery, *, concurrency: int = 1) -> EmbeddedWorker:
    """Start a worker thread for ``app`` (``.stop()`` ends it)."""
    app.finalize()
    worker_state.should_stop = None
    controller = app.WorkController(
        app=app,
        pool="solo",
        concurrency=concurrency,
        hostname=f"embedded@{socket.gethostname()}",
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
    )
    thread = threading.Thread(target=controller.start, name="celery-embedded-worker", daemon=True)
    thread.start()
    return EmbeddedWorker(controller, thread)
