"""The reconciliation of an import as text (``manage.py ingest`` and ``import_report``)."""

from __future__ import annotations

from ingestion.models import ImportBatch


def reconciliation_text(batch: ImportBatch) -> str:
    rows = [
        ("inserted", batch.inserted),
        ("updated", batch.updated),
        ("unchanged", batch.unchanged),
        ("duplicate in batch", batch.duplicates),
        ("error", batch.errors),
    ]
    seconds = batch.duration
    rate = f", {batch.rows_read / seconds:,.0f} rows/s" if seconds and batch.rows_read else ""
    origin = batch.source_file.original_name if batch.source_file else batch.location
    lines = [
        f"Import {batch.pk} [{batch.status}] {batch.source} ← {origin}",
    ]
    if batch.source_file is not None:
        lines.append(f"  sha256 {batch.source_file.sha256}, {batch.source_file.size:,} bytes")
    if batch.replay_of_id:
        lines.append(f"  replay ({batch.mode}) of import {batch.replay_of_id}")
    lines.append(
        f"  rows read {batch.rows_read:>12,}" + (f" in {seconds:,.1f} s{rate}" if seconds else "")
    )
    for label, value in rows:
        lines.append(f"  {label:<19}{value:>12,}")
    balanced = batch.rows_read == batch.accounted
    lines.append(
        f"  {'= accounted':<19}{batch.accounted:>12,}  "
        + ("reconciled" if balanced else "DOES NOT RECONCILE")
    )
    if batch.conflicts:
        lines.append(f"  match conflicts {batch.conflicts:,} (left for golden-record resolution)")
    if batch.message:
        lines.append(f"  {batch.message}")
    for kind, name in sorted(batch.reports.items()):
        lines.append(f"  report {kind}: {name}")
    return "\n".join(lines)
