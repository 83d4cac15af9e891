"""Stopping the embedded worker: through Celery's shutdown flag, on the worker's own thread."""

from __future__ import annotations

import threading

import pytest
from celery.worker import state as worker_state

from cmplatform.lib.embedded_worker import EmbeddedWorker


def test_a_worker_that_does_not_stop_is_reported_not_waited_on_forever():
    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    worker = EmbeddedWorker(controller=None, thread=thread)  # type: ignore[arg-type]
    try:
        with pytest.raises(RuntimeError, match=r"did not stop within 0\.2 s"):
            worker.stop(timeout=0.2)
        assert worker_state.should_stop == 0  # still asked to stop
    finally:
        release.set()
        thread.join(5)
    worker.stop(timeout=5)
    assert worker_state.should_stop is None  # the next worker starts unhindered
