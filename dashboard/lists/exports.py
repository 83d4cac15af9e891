"""Priority-list exports: queued by an operator, written in the background through the
compliance gate of one channel (``compliance.selectors.channel_export``: only CLEAR golden
records with their clear, current contact points; every other record counted by reason),
formula-safe cells, stored under ``exports/`` in the landing storage, audited.

Records are written in the list's own order (its sort, keyset page by keyset page, as the
list shows them), so "the best 5,000 of Texas by score" is an export of a list sorted by
score with ``max_records`` 5,000. The walk reads one snapshot of the database
(:func:`~cmplatform.lib.snapshot.consistent_reads`): an import rescoring records meanwhile
cannot make the export write a record twice or skip it."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook

from cmplatform.core.models import AuditLog, Channel
from cmplatform.core.services import audit_record
from cmplatform.lib.snapshot import consistent_reads
from compliance.selectors import ChannelList, channel_export
from dashboard.lists.criteria import CriteriaError, all_pages, parse
from dashboard.models import ListExport, SavedFilter
from ingestion.landing import landing_storage


class ExportRequestError(ValueError):
    """An export that cannot be queued as asked; the message says why."""


# Excel opens at most 1,048,576 rows per sheet: the header and this many records.
XLSX_SHEET_ROWS = 1_048_575
# The most records one export may be limited to (a limit above it is a typing slip).
MAX_RECORDS = 100_000_000
# A run older than this is dead (the task's hard time limit, below the broker's visibility
# timeout of 4 h, is shorter): another delivery may take the export over.
EXPORT_LEASE = dt.timedelta(hours=3, minutes=30)


class _SheetWriter:
    """``csv.writer``'s ``writerow`` for a streamed (write-only) workbook: a new sheet, with
    the header again, every :data:`XLSX_SHEET_ROWS` records."""

    def __init__(self, book: Any, title: str, sheet_rows: int = XLSX_SHEET_ROWS) -> None:
        self.book, self.title, self.sheet_rows = book, title, sheet_rows
        self.header: list[Any] | None = None
        self.sheet: Any = None
        self.rows = 0
        self.sheets = 0

    def _new_sheet(self) -> None:
        self.sheets += 1
        name = self.title if self.sheets == 1 else f"{self.title} ({self.sheets})"
        self.sheet = self.book.create_sheet(name[:31])
        self.sheet.append(self.header)
        self.rows = 0

    def writerow(self, row: Any) -> None:
        if self.header is None:
            self.header = list(row)
            self._new_sheet()
            return
        if self.rows >= self.sheet_rows:
            self._new_sheet()
        self.sheet.append(list(row))
        self.rows += 1


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
    max_records: int | None = None,
    origin: str = AuditLog.Origin.DASHBOARD,
) -> ListExport:
    """Queue an export of the list ``query`` (a list page's query string) for ``channel``:
    every record it may contact, or the first ``max_records`` of them in the list's order."""
    parsed, form = parse(_query_dict(query))
    if parsed is None:
        raise ExportRequestError(f"The list's criteria are not valid: {form.errors.as_text()}")
    if channel not in Channel.values:
        raise ExportRequestError(f"Unknown channel {channel!r}.")
    if file_format not in ListExport.Format.values:
        raise ExportRequestError(f"Unknown format {file_format!r}; use csv or xlsx.")
    if max_records is not None and not 0 < max_records <= MAX_RECORDS:
        raise ExportRequestError(
            f"The number of records must be between 1 and {MAX_RECORDS:,}, or left empty for all."
        )
    export = ListExport.objects.create(
        query=query,
        channel=channel,
        file_format=file_format,
        max_records=max_records,
        saved_filter=saved_filter,
        requested_by=by,
    )
    changes: dict[str, Any] = {"query": query, "channel": channel, "format": file_format}
    if max_records is not None:
        changes["max_records"] = max_records
    audit_record(
        actor=by, origin=origin, action=AuditLog.Action.EXPORT, obj=export, changes=changes
    )
    from dashboard.tasks import list_export_run_task

    transaction.on_commit(lambda: list_export_run_task.delay(export.pk))
    return export


def list_export_run(*, export_id: int, takeover: bool = False) -> ListExport:
    """Write a queued export. Claimed with a conditional update, so a second delivery of the
    task while the first runs does nothing; a redelivery after its worker died
    (``takeover``), or any delivery once a run is older than :data:`EXPORT_LEASE`, takes a
    RUNNING export over. A failure is recorded on the export and nothing is stored."""
    now = timezone.now()
    claimable = Q(status=ListExport.Status.QUEUED) | Q(
        status=ListExport.Status.RUNNING, started_at__lt=now - EXPORT_LEASE
    )
    if takeover:
        claimable |= Q(status=ListExport.Status.RUNNING)
    claimed = ListExport.objects.filter(claimable, pk=export_id).update(
        status=ListExport.Status.RUNNING, started_at=now
    )
    export = ListExport.objects.get(pk=export_id)
    if not claimed:
        return export
    try:
        parsed, form = parse(_query_dict(export.query))
        if parsed is None:
            raise CriteriaError(form.errors.as_text())
        result = ChannelList(channel=export.channel)

        def write(writer: Any) -> None:
            with consistent_reads():
                channel_export(
                    pages=all_pages(parsed), result=result, writer=writer, limit=export.max_records
                )

        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / f"export_{export.pk}.{export.file_format}"
            if export.file_format == ListExport.Format.XLSX:
                book = Workbook(write_only=True)
                write(_SheetWriter(book, f"{export.channel} list"))
                book.save(path)
            else:
                with path.open("w", newline="", encoding="utf-8") as text:
                    write(csv.writer(text))
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
