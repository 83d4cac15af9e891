"""``manage.py resolve_import ID [ID ...]``: resolve imports' persons against the golden records."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.models import ImportBatch
from ingestion.services import import_resolve


class Command(BaseCommand):
    help = (
        "Resolve the persons the given imports inserted or updated against the golden records "
        "(an incremental run; `ingest` does this itself unless --no-dedupe)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("import_ids", type=int, nargs="+", metavar="IMPORT_ID")

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[int] = options["import_ids"]
        missing = sorted(
            set(ids) - set(ImportBatch.objects.filter(pk__in=ids).values_list("pk", flat=True))
        )
        if missing:
            raise CommandError(f"No import {', '.join(map(str, missing))}.")
        run = import_resolve(batch_ids=ids)
        self.stdout.write(
            f"Dedupe run {run.pk} (incremental): {run.persons:,} persons, {run.pairs:,} "
            f"candidate pairs, linked {run.linked:,}, unlinked {run.unlinked:,}, "
            f"{run.review_pairs:,} pairs queued for review "
            f"({sum(run.phase_seconds.values()):.1f} s)"
        )
