"""``manage.py import_report IMPORT_ID``: an import's reconciliation and checklist."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.models import ImportBatch
from ingestion.reconciliation import reconciliation_text


class Command(BaseCommand):
    help = "Print an import's reconciliation (rows read = outcomes) and validation checklist."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("import_id", type=int)
        parser.add_argument("--checklist", action="store_true", help="also print the checklist")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            batch = ImportBatch.objects.select_related("source_file").get(pk=options["import_id"])
        except ImportBatch.DoesNotExist as error:
            raise CommandError(f"No import {options['import_id']}.") from error
        self.stdout.write(reconciliation_text(batch))
        if options["checklist"]:
            self.stdout.write(json.dumps(batch.checklist, indent=2, default=str))
