"""``manage.py load_registry FILE --kind federal|state|internal --list-date YYYY-MM-DD``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.registries import Layout, RegistryFile, registry_import
from ingestion.services import ImportRequestError


class Command(BaseCommand):
    help = (
        "Load a Do-Not-Call list file (national registry full or change list, a state list, or "
        "the internal list) through the landing zone, then rescrub what it changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--kind", required=True, choices=["federal", "state", "internal"])
        parser.add_argument("--list-date", required=True, help="Date the list is current as of.")
        parser.add_argument("--change-list", action="store_true", help="Additions and deletions.")
        parser.add_argument("--state", default="", help="The state of a state list.")
        parser.add_argument("--layout", default="", help="Column layout as JSON (see docs).")
        parser.add_argument(
            "--area-codes", default="", help="Comma-separated area codes the file covers."
        )
        parser.add_argument("--force", action="store_true", help="Reload a file loaded before.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            list_date = dt.date.fromisoformat(options["list_date"])
        except ValueError:
            raise CommandError(f"--list-date {options['list_date']!r} is not YYYY-MM-DD.") from None
        try:
            spec = RegistryFile(
                path=options["path"],
                kind=options["kind"],
                list_date=list_date,
                change_list=options["change_list"],
                state=options["state"].strip().upper(),
                layout=Layout.from_json(options["layout"], change_list=options["change_list"]),
                area_codes=tuple(a.strip() for a in options["area_codes"].split(",") if a.strip()),
                force=options["force"],
            )
            batch = registry_import(spec)
        except (ImportRequestError, FileNotFoundError) as error:
            raise CommandError(str(error)) from None
        summary = {
            "import_id": batch.pk,
            "status": batch.status,
            "rows_read": batch.rows_read,
            "inserted": batch.inserted,
            "updated": batch.updated,
            "unchanged": batch.unchanged,
            "duplicates": batch.duplicates,
            "errors": batch.errors,
            "message": batch.message,
        }
        self.stdout.write(json.dumps(summary))
        if batch.status == "FAILED":
            raise CommandError(batch.message)
