"""``manage.py replay_import IMPORT_ID --mode full|errors-only``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.models import ImportBatch
from ingestion.reconciliation import reconciliation_text
from ingestion.services import ImportRequest, ImportRequestError, import_replay, import_run


class Command(BaseCommand):
    help = (
        "Replay an import: 'full' re-reads its whole source (rows already in come out "
        "unchanged); 'errors-only' re-reads only the rows it rejected, optionally with a new "
        "mapping or required fields."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("import_id", type=int)
        parser.add_argument("--mode", choices=ImportBatch.Mode.values, default="full")
        parser.add_argument("--mapping-json", help="a corrected mapping for the replay")
        parser.add_argument("--required", nargs="+", metavar="FIELD")
        parser.add_argument("--workers", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = None
        if options["mapping_json"]:
            try:
                mapping = json.loads(options["mapping_json"])
            except ValueError as error:
                raise CommandError(f"The mapping is not JSON: {error}") from error
            if not isinstance(mapping, dict):
                raise CommandError("A mapping is a JSON object {source column: canonical field}.")
        request = ImportRequest(
            mapping=mapping, required=tuple(options["required"]) if options["required"] else None
        )
        try:
            replay = import_replay(options["import_id"], mode=options["mode"], request=request)
        except ImportBatch.DoesNotExist as error:
            raise CommandError(f"No import {options['import_id']}.") from error
        except ImportRequestError as error:
            raise CommandError(str(error)) from error
        replay = import_run(replay.pk, workers=options["workers"])
        self.stdout.write(reconciliation_text(replay))
        if replay.status == ImportBatch.Status.FAILED:
            raise CommandError(f"Replay {replay.pk} failed: {replay.message}")
