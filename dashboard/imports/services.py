"""What an operator does to imports from the dashboard: start an uploaded file's import with
the mapping they chose, replay, cancel or resume an import. Each is audited (origin
DASHBOARD) in the transaction that enqueues the run, and the run is enqueued only once that
transaction commits.

**Why an upload is landed at start, not at upload time.** The engine fixes an import's mapping,
required fields, channel and campaign when the import is created (:func:`import_file` takes
them in its :class:`~ingestion.services.ImportRequest`), so that a resumed or replayed run
reads exactly as the first. The operator chooses them *after* the upload, on the mapping page.
So the finished upload waits in the staging area (:mod:`dashboard.imports.uploads`), the
mapping page previews it from there (:mod:`ingestion.preview`), and only "Start" hands it to
:func:`import_file` with the final request: the file is landed once (hard-linked into a
local landing zone under the SHA-256 computed when its last part arrived: no second read of a
multi-gigabyte file in the request), and the batch is created by the engine's own path —
duplicate-file detection, the resume of an unfinished import of the same bytes, profile
saving, channel and campaign checks — with no batch ever created and then rewritten behind the
engine's back. The row estimate for progress is taken by the run, in the worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from cmplatform.core.models import AuditLog
from cmplatform.core.services import audit_record
from dashboard.imports.uploads import StagedUpload, upload_locked, upload_mark_imported
from ingestion.models import ImportBatch
from ingestion.services import (
    ImportRequest,
    ImportRequestError,
    import_cancel,
    import_file,
    import_replay,
)

Status = ImportBatch.Status


@dataclass(frozen=True)
class ImportChoices:
    """What the operator chose on the mapping page (see :class:`ImportRequest`)."""

    source: str
    mapping: Mapping[str, str | None]
    profile: str = ""
    save_profile: str = ""
    channel: str = ""
    campaign: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    force: bool = False

    def request(self) -> ImportRequest:
        return ImportRequest(
            source=self.source,
            mapping=dict(self.mapping),
            profile=self.profile or None,
            save_profile=self.save_profile or None,
            channel=self.channel or None,
            campaign=self.campaign or None,
            options=dict(self.options),
            force=self.force,
        )


def _enqueue_run(batch_id: int) -> None:
    from ingestion.tasks import import_run_task

    transaction.on_commit(lambda: import_run_task.delay(batch_id))


def _is_runnable(batch: ImportBatch) -> bool:
    """Pending, or failed after its source was read (a run resumes it)."""
    return bool(batch.schema_version) and batch.status in (Status.PENDING, Status.FAILED)


def staged_upload_import(*, upload: StagedUpload, choices: ImportChoices, by: Any) -> ImportBatch:
    """Create the import of a complete upload with the operator's choices and enqueue its run.

    Returns the new batch: PENDING (its run enqueued), DUPLICATE_FILE (these bytes were imported
    before; nothing runs) or FAILED (the file cannot be read). When an unfinished import of the
    same bytes and settings exists, the engine returns that one and it is resumed. A repeated
    start of the same upload returns the import it already became. Raises
    :class:`ImportRequestError` (the upload is kept, for another try) when the engine refuses.
    """
    with upload_locked(upload) as current:
        if current.batch_id is not None:
            return ImportBatch.objects.get(pk=current.batch_id)
        if not current.is_complete:
            raise ImportRequestError("The upload is not complete yet.")
        began = dt.datetime.now(dt.UTC)
        batch = import_file(
            path=current.data_path,
            name=current.name,
            sha256=current.sha256,
            request=choices.request(),
            user=by,
        )
        is_new = batch.created_at >= began
        with transaction.atomic():
            if is_new:
                audit_record(
                    actor=by,
                    origin=AuditLog.Origin.DASHBOARD,
                    action=AuditLog.Action.CREATE,
                    obj=batch,
                    changes={
                        name: [None, value]
                        for name, value in {
                            "source": batch.source,
                            "file": current.name,
                            "sha256": current.sha256,
                            "size": current.size,
                            "mapping": dict(choices.mapping),
                            "profile": choices.profile,
                            "save_profile": choices.save_profile,
                            "channel": batch.channel,
                            "campaign": choices.campaign,
                            "options": dict(choices.options),
                            "forced": choices.force,
                            "status": batch.status,
                        }.items()
                        if value not in ("", None, {}, False)
                    },
                )
            elif _is_runnable(batch):
                audit_record(
                    actor=by,
                    origin=AuditLog.Origin.DASHBOARD,
                    action=AuditLog.Action.UPDATE,
                    obj=batch,
                    changes={"resumed_after_row": [None, batch.last_row]},
                )
            if _is_runnable(batch):
                _enqueue_run(batch.pk)
            upload_mark_imported(upload=current, batch_id=batch.pk)
        return batch


def import_replay_queue(*, batch: ImportBatch, mode: str, by: Any) -> ImportBatch:
    """Replay ``batch`` (``full`` or ``errors-only``) as a new import, audited, and enqueue
    its run. Raises :class:`ImportRequestError` when the engine refuses (still running, read
    nothing...)."""
    with transaction.atomic():
        replay = import_replay(batch.pk, mode=mode, user=by)
        audit_record(
            actor=by,
            origin=AuditLog.Origin.DASHBOARD,
            action=AuditLog.Action.CREATE,
            obj=replay,
            changes={"replay_of": [None, batch.pk], "mode": [None, replay.mode]},
        )
        _enqueue_run(replay.pk)
    return replay


def import_cancel_request(*, batch: ImportBatch, by: Any) -> ImportBatch:
    """Ask ``batch`` to stop (a pending one stops at once, a running one after its current
    chunk); audited when it changed anything. A finished import is left as it is."""
    with transaction.atomic():
        before = {"cancel_requested": batch.cancel_requested, "status": batch.status}
        cancelled = import_cancel(batch.pk)
        after = {"cancel_requested": cancelled.cancel_requested, "status": cancelled.status}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changes:
            audit_record(
                actor=by,
                origin=AuditLog.Origin.DASHBOARD,
                action=AuditLog.Action.UPDATE,
                obj=cancelled,
                changes=changes,
            )
    return cancelled


def import_resume_queue(*, batch: ImportBatch, by: Any) -> ImportBatch:
    """Enqueue the run of a FAILED import after its last committed chunk (it ends in the
    state an uninterrupted run would have), audited. Raises :class:`ImportRequestError` for
    an import that cannot be resumed."""
    with transaction.atomic():
        current = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if current.status != Status.FAILED or not current.schema_version:
            raise ImportRequestError(
                f"Import {current.pk} is {current.get_status_display().lower()}; only an import "
                "that failed after reading its source can be resumed."
            )
        audit_record(
            actor=by,
            origin=AuditLog.Origin.DASHBOARD,
            action=AuditLog.Action.UPDATE,
            obj=current,
            changes={"resumed_after_row": [None, current.last_row]},
        )
        _enqueue_run(current.pk)
    return current
