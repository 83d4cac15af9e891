"""The three reports of an import, written to the landing storage when it ends:

* ``summary.csv`` — one line per committed chunk and a total line: rows read and each outcome;
* ``errors.csv`` — ``row_number, error_type, field_name, field_value, error_message`` for every
  row not accepted (streamed from the database by keyset, any size);
* ``checklist.json`` — the validation checklist: file readable, schema matches, required fields
  present, row count matches, duplicates in batch, invalid e-mails/phones, data types valid,
  overall status.

Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first)
are prefixed with ``'`` in the CSV reports; the database keeps every value verbatim.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import Counter
from typing import Any

from django.core.files import File
from django.db.models import Count

from cmplatform.lib.pagination import keyset_pages
from ingestion.landing import landing_storage, report_name
from ingestion.models import ImportBatch, ImportRowError

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ERROR_COLUMNS = ("row_number", "error_type", "field_name", "field_value", "error_message")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet will show as text, never evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def checklist(batch: ImportBatch) -> dict[str, Any]:
    issues: Counter[str] = Counter()
    for chunk_issues in batch.chunks.values_list("issues", flat=True):
        issues.update(chunk_issues or {})
    error_types = Counter(_error_type_counts(batch))
    invalid_emails = sum(n for key, n in issues.items() if key.startswith("email:"))
    invalid_phones = sum(
        n for key, n in issues.items() if key.startswith(("phone:", "mobile_phone:"))
    )
    invalid_dates = sum(n for key, n in issues.items() if key.split(":")[0].endswith("_at"))
    mapped = set(batch.mapping.get("fields", {}))
    required_unmapped = [
        name
        for name in batch.required_fields
        if name not in ("name", "contact") and name not in mapped
    ]
    readable = (
        batch.status != ImportBatch.Status.FAILED
        or batch.chunks_done > 0
        or bool(batch.schema.get("columns"))
    )
    expected = batch.rows_expected
    result = {
        "import_id": batch.pk,
        "file_readable": readable,
        "schema_matches": bool(mapped) and not required_unmapped,
        "required_fields_unmapped": required_unmapped,
        "required_fields_present": error_types.get("required_field_missing", 0) == 0,
        "rows_missing_required_fields": error_types.get("required_field_missing", 0),
        "row_count_matches": batch.rows_read == batch.accounted
        and (batch.mode != ImportBatch.Mode.FULL or batch.last_row == batch.rows_read),
        "rows_read": batch.rows_read,
        "rows_expected_estimate": expected,
        "duplicates_in_batch": batch.duplicates,
        "invalid_emails": invalid_emails,
        "invalid_phones": invalid_phones,
        "invalid_dates": invalid_dates,
        "data_types_valid": invalid_dates == 0 and error_types.get("value_too_long", 0) == 0,
        "unreadable_rows": sum(
            n
            for kind, n in error_types.items()
            if kind not in ("required_field_missing", "value_too_long")
        ),
        "errors_by_type": dict(error_types),
        "flagged_values": dict(issues),
        "match_conflicts": batch.conflicts,
        "overall_status": batch.status,
    }
    if batch.message:
        result["message"] = batch.message
    return result


def _error_type_counts(batch: ImportBatch) -> dict[str, int]:
    rows = (
        ImportRowError.objects.filter(batch_id=batch.pk)
        .values("error_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["error_type"]: row["n"] for row in rows}


def _summary_csv(batch: ImportBatch) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = ("rows_read", "inserted", "updated", "unchanged", "duplicates", "errors", "conflicts")
    writer.writerow(("chunk", "first_row", "last_row", *columns, "seconds"))
    for chunk in batch.chunks.order_by("index"):
        writer.writerow(
            (
                chunk.index,
                chunk.first_row,
                chunk.last_row,
                *(getattr(chunk, c) for c in columns),
                round(chunk.seconds, 3),
            )
        )
    writer.writerow(
        (
            "total",
            "",
            batch.last_row,
            *(getattr(batch, c) for c in columns),
            round(batch.duration or 0.0, 3),
        )
    )
    return buffer.getvalue().encode("utf-8")


def write_errors_csv(batch_id: int, handle: Any) -> int:
    """Stream the error CSV of an import into a binary handle; return the rows written."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(ERROR_COLUMNS)
    written = 0
    rows = ImportRowError.objects.filter(batch_id=batch_id).values_list(
        "id", "row_number", "error_type", "field_name", "field_value", "message"
    )
    for page in keyset_pages(rows, page_rows=5000):
        for _, *values in page:
            writer.writerow([safe_cell(value) for value in values])
            written += 1
    text.flush()
    text.detach()
    return written


def write_reports(batch: ImportBatch) -> dict[str, str]:
    """Write (or rewrite) the three reports of ``batch``; store and return their locations."""
    storage = landing_storage()
    names = {}
    for kind, file_name in (
        ("summary", "summary.csv"),
        ("errors", "errors.csv"),
        ("checklist", "checklist.json"),
    ):
        name = report_name(batch.pk, file_name)
        if storage.exists(name):
            storage.delete(name)
        with tempfile.TemporaryFile() as handle:
            if kind == "summary":
                handle.write(_summary_csv(batch))
            elif kind == "errors":
                write_errors_csv(batch.pk, handle)
            else:
                batch.checklist = checklist(batch)
                handle.write(json.dumps(batch.checklist, indent=2, default=str).encode())
            handle.seek(0)
            names[kind] = storage.save(name, File(handle, name=file_name))
    ImportBatch.objects.filter(pk=batch.pk).update(reports=names, checklist=batch.checklist)
    batch.reports = names
    return names
