"""An upload's import runs as a Celery task on a real worker (file-based broker in the embedded
mode, Redis otherwise), chunk by chunk, publishing progress to the import's Channels group."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from cmplatform.celery import app as celery_app
from cmplatform.core.models import Person
from cmplatform.lib.embedded_worker import embedded_worker_start
from cmplatform.lib.progress import progress_group
from dedupe.models import DedupeRun
from ingestion.models import ImportBatch, ImportChunk
from ingestion.services import ImportRequest, import_file
from ingestion.tasks import import_run_task


def _write_leads(path: Path, rows: int) -> Path:
    lines = ["lead_id,First Name,Last Name,Phone,Email"]
    lines += [
        f"L{n},Ann{chr(65 + n % 26)},Lee{n},(405) 235-{7000 + n:04d},ann{n}@example.com"
        for n in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _drain(layer: Any, channel: str) -> list[dict[str, Any]]:
    messages = []
    while True:
        try:
            messages.append(await asyncio.wait_for(layer.receive(channel), timeout=2))
        except TimeoutError:
            return messages


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_the_import_task_and_publishes_progress_per_chunk(tmp_path: Path) -> None:
    batch = import_file(
        _write_leads(tmp_path / "upload.csv", 25), request=ImportRequest(chunk_rows=10)
    )
    assert batch.status == ImportBatch.Status.PENDING
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(progress_group(f"import.{batch.pk}"), channel)

    worker = embedded_worker_start(celery_app)
    try:
        result = import_run_task.delay(batch.pk)
        # The worker thread lives in this process: this wait is not a subtask.
        outcome = result.get(timeout=60, disable_sync_subtasks=False)
    finally:
        worker.stop()

    run = DedupeRun.objects.get()
    assert outcome == {
        "import_id": batch.pk,
        "status": "COMPLETE",
        "rows_read": 25,
        "dedupe_run": run.pk,
    }
    assert (run.mode, run.import_batch_id, run.persons) == ("incremental", batch.pk, 25)
    batch.refresh_from_db()
    assert (batch.inserted, batch.errors, batch.chunks_done) == (25, 0, 3)
    assert Person.objects.count() == 25
    assert list(ImportChunk.objects.filter(batch=batch).values_list("first_row", "last_row")) == [
        (1, 10),
        (11, 20),
        (21, 25),
    ]

    messages = async_to_sync(_drain)(layer, channel)
    done = [message["done"] for message in messages]
    # One message per committed chunk, then the final one; progress never goes backwards.
    assert done == [10, 20, 25, 25]
    assert all(message["total"] == 25 for message in messages)
    assert messages[-1]["status"] == "COMPLETE"
    assert messages[-1]["inserted"] == 25
    assert messages[1]["percent"] == 80.0
