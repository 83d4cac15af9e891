"""``manage.py ingest PATH_OR_URL ...``: the bulk migration through the ingestion engine."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.engine import ChunkCounts
from ingestion.models import ImportBatch
from ingestion.reconciliation import reconciliation_text
from ingestion.services import (
    ImportRequest,
    ImportRequestError,
    import_database,
    import_file,
    import_resolve,
    import_run,
)
from ingestion.sources import SOURCE_TYPES


class Command(BaseCommand):
    help = (
        "Import a file (CSV/TSV, XLSX/XLS, SQLite, MySQL .sql dump; plain or compressed) or a "
        "live MySQL database (mysql://user:password@host:port/db) into the source of truth, "
        "chunk by chunk, then print the import's reconciliation. Running it again on an "
        "interrupted import resumes it; a file already imported changes nothing unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source_path", metavar="PATH_OR_URL")
        parser.add_argument("--source-type", choices=list(SOURCE_TYPES))
        parser.add_argument(
            "--source", help="source name (record-key namespace); default from the file/table name"
        )
        parser.add_argument(
            "--mapping", type=Path, help="JSON file: {source column: canonical field or null}"
        )
        parser.add_argument("--mapping-json", help="the same mapping inline")
        parser.add_argument("--profile", help="use the saved mapping profile of this name")
        parser.add_argument("--save-profile", help="save the mapping under this profile name")
        parser.add_argument(
            "--required",
            nargs="+",
            metavar="FIELD",
            help="required fields (canonical names, 'name', 'contact')",
        )
        parser.add_argument("--table")
        parser.add_argument("--query")
        parser.add_argument("--sheet")
        parser.add_argument("--member", help="member of a zip archive")
        parser.add_argument("--encoding")
        parser.add_argument("--delimiter")
        parser.add_argument("--cursor-column", help="MySQL: incremental cursor column")
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="MySQL: only rows past the last completed import's cursor",
        )
        parser.add_argument("--channel", help="channel of a campaign file's touchpoints")
        parser.add_argument("--campaign", help="campaign the touchpoints belong to")
        parser.add_argument("--chunk-rows", type=int)
        parser.add_argument("--workers", type=int, help="normalising processes (0: in process)")
        parser.add_argument("--force", action="store_true", help="re-read a file already imported")
        parser.add_argument("--resume", type=int, metavar="IMPORT_ID", help="resume this import")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--no-dedupe",
            action="store_true",
            help="do not resolve the import's persons against the golden records afterwards",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the mapping file: {error}") from error
        elif options["mapping_json"]:
            try:
                mapping = json.loads(options["mapping_json"])
            except ValueError as error:
                raise CommandError(f"The mapping is not JSON: {error}") from error
        if mapping is not None and not isinstance(mapping, dict):
            raise CommandError("A mapping is a JSON object {source column: canonical field}.")
        target = options["source_path"]
        is_url = target.startswith("mysql://")
        names = (
            ("table", "query", "cursor_column")
            if is_url
            else ("table", "query", "sheet", "member", "encoding", "delimiter")
        )
        request = ImportRequest(
            source=options["source"],
            source_type=options["source_type"],
            mapping=mapping,
            profile=options["profile"],
            save_profile=options["save_profile"],
            required=tuple(options["required"]) if options["required"] else None,
            channel=options["channel"],
            campaign=options["campaign"],
            options={name: options[name] for name in names},
            force=options["force"],
            chunk_rows=options["chunk_rows"],
        )
        try:
            if options["resume"]:
                batch = ImportBatch.objects.get(pk=options["resume"])
            elif is_url:
                batch = import_database(target, request=request, incremental=options["incremental"])
            else:
                batch = import_file(target, request=request)
        except ImportBatch.DoesNotExist as error:
            raise CommandError(f"No import {options['resume']}.") from error
        except (ImportRequestError, FileNotFoundError) as error:
            raise CommandError(str(error)) from error
        resumable = not batch.is_finished or (
            batch.status == ImportBatch.Status.FAILED and bool(batch.schema_version)
        )
        if resumable and batch.started_at is not None:
            self.stderr.write(f"Resuming import {batch.pk} after row {batch.last_row:,}.")
        if resumable:
            batch = import_run(
                batch.pk,
                url=target if is_url else None,
                workers=options["workers"],
                on_progress=_ProgressLine(self, batch, quiet=options["verbosity"] < 1),
            )
        resolve = (
            resumable
            and not options["no_dedupe"]
            and batch.status
            in (
                ImportBatch.Status.COMPLETE,
                ImportBatch.Status.COMPLETE_WITH_ERRORS,
            )
        )
        run = import_resolve(batch_ids=[batch.pk]) if resolve else None
        if options["json"]:
            summary = _summary(batch)
            if run is not None:
                summary["dedupe"] = {
                    "run": run.pk,
                    "linked": run.linked,
                    "review": run.review_pairs,
                }
            self.stdout.write(json.dumps(summary, indent=2, default=str))
        else:
            self.stdout.write(reconciliation_text(batch))
            if run is not None:
                self.stdout.write(
                    f"Golden records: {run.persons:,} persons, {run.linked:,} of this import's "
                    f"persons linked to a golden record, {run.review_pairs:,} pairs to review "
                    f"(dedupe run {run.pk})"
                )
        if batch.status == ImportBatch.Status.FAILED:
            raise CommandError(f"Import {batch.pk} failed: {batch.message}")


def _summary(batch: ImportBatch) -> dict[str, Any]:
    return {
        "import_id": batch.pk,
        "status": batch.status,
        "source": batch.source,
        "rows_read": batch.rows_read,
        "inserted": batch.inserted,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "duplicates": batch.duplicates,
        "errors": batch.errors,
        "conflicts": batch.conflicts,
        "seconds": batch.duration,
        "reports": batch.reports,
        "message": batch.message,
    }


class _ProgressLine:
    """One status line on stderr per chunk: rows, rows/s, ETA and the counts so far."""

    def __init__(self, command: BaseCommand, batch: ImportBatch, *, quiet: bool) -> None:
        self.command = command
        self.quiet = quiet
        self.started = time.monotonic()
        self.rows_at_start = batch.rows_read
        self.tty = sys.stderr.isatty()

    def __call__(self, batch: ImportBatch, counts: ChunkCounts | None) -> None:
        if self.quiet:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (batch.rows_read - self.rows_at_start) / elapsed
        total = batch.rows_expected
        eta = ""
        if total and rate > 0 and total > batch.rows_read:
            eta = f" ETA {int((total - batch.rows_read) / rate)}s"
        percent = f" {100 * batch.rows_read / total:5.1f}%" if total else ""
        line = (
            f"import {batch.pk}:{percent} {batch.rows_read:,} rows, {rate:,.0f} rows/s{eta} | "
            f"ins {batch.inserted:,} upd {batch.updated:,} same {batch.unchanged:,} "
            f"dup {batch.duplicates:,} err {batch.errors:,}"
        )
        self.command.stderr.write(
            ("\r" + line) if self.tty else line, ending="" if self.tty else "\n"
        )
