"""Priority-list exports: queued by an operator, written in the background through the
compliance gate of one channel (``compliance.selectors.channel_export``: only CLEAR golden
records with their clear, current contact points; every other record counted by reason),
formula-safe cells, stored under ``exports/`` in the landing storage, audited."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook

from cmplatform.core.models import AuditLog, Channel
from cmplatform.core.services import audit_record
from compliance.selectors import ChannelList, channel_export
from dashboard.lists.criteria import CriteriaError, parse
from dashboard.models import ListExport, SavedFilter
from ingestion.landing import landing_storage


class ExportRequestError(ValueError):
    """An export that cannot be queued as asked; the message says why."""


class _SheetWriter:
    """``csv.writer``'s ``writerow`` for a streamed (write-only) XLSX sheet."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet

    def writerow(self, row: Any) -> None:
        self.sheet.append(list(row))


def _query_dict(query: str) -> QueryDict:
    return QueryDict(query)


@transaction.atomic
def list_export_create(
    *,
    query: str,
    channel: str,
    file_format: str,
    by: Any,
    saved_filter: SavedFilter | None = None,
    origin: str = AuditLog.Origin.DASHBOARD,
) -> ListExport:
    """Queue an export of the list ``query`` (a list page's query string) for ``channel``."""
    parsed, form = parse(_query_dict(query))
    if parsed is None:
        raise ExportRequestError(f"The list's criteria are not valid: {form.errors.as_text()}")
    if channel not in Channel.values:
        raise ExportRequestError(f"Unknown channel {channel!r}.")
    if file_format not in ListExport.Format.values:
        raise ExportRequestError(f"Unknown format {file_format!r}; use csv or xlsx.")
    export = ListExport.objects.create(
        query=query,
        channel=channel,
        file_format=file_format,
        saved_filter=saved_filter,
        requested_by=by,
    )
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.EXPORT,
        obj=export,
        changes={"query": query, "channel": channel, "format": file_format},
    )
    from dashboard.tasks import list_export_run_task

    transaction.on_commit(lambda: list_export_run_task.delay(export.pk))
    return export


def list_export_run(*, export_id: int) -> ListExport:
    """Write a queued export. Claimed with a conditional update, so a redelivered task does
    nothing; a failure is recorded on the export and nothing is stored."""
    claimed = ListExport.objects.filter(pk=export_id, status=ListExport.Status.QUEUED).update(
        status=ListExport.Status.RUNNING, started_at=timezone.now()
    )
    export = ListExport.objects.get(pk=export_id)
    if not claimed:
        return export
    try:
        parsed, form = parse(_query_dict(export.query))
        if parsed is None:
            raise CriteriaError(form.errors.as_text())
        from dashboard.lists.criteria import filtered

        result = ChannelList(channel=export.channel)
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / f"export_{export.pk}.{export.file_format}"
            if export.file_format == ListExport.Format.XLSX:
                book = Workbook(write_only=True)
                sheet = book.create_sheet(f"{export.channel} list")
                channel_export(persons=filtered(parsed), result=result, writer=_SheetWriter(sheet))
                book.save(path)
            else:
                with path.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    channel_export(persons=filtered(parsed), result=result, writer=writer)
            day = timezone.now()
            with path.open("rb") as handle:
                stored = landing_storage().save(
                    f"exports/{day:%Y/%m/%d}/list_{export.pk}_{export.channel}.{export.file_format}",
                    File(handle),
                )
    except Exception as error:
        ListExport.objects.filter(pk=export.pk).update(
            status=ListExport.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:5000],
            finished_at=timezone.now(),
        )
        raise
    ListExport.objects.filter(pk=export.pk).update(
        status=ListExport.Status.COMPLETE,
        considered=result.considered,
        exported=result.exported,
        suppressed=dict(result.suppressed.most_common()),
        storage_name=stored,
        finished_at=timezone.now(),
    )
    export.refresh_from_db()
    return export
