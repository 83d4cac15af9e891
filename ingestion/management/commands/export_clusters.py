"""``manage.py export_clusters --out FILE.csv``: which golden record every source record is."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ingestion.selectors import source_record_clusters

COLUMNS = ("source", "source_key", "person_id", "golden_id")


class Command(BaseCommand):
    help = (
        "Write one line per source record: source, source_key, person_id, golden_id "
        "(for evaluating golden-record resolution against a ground truth)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="CSV file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(f"Directory {out.parent} does not exist.")
        # Written under a private name and renamed: a reader never sees half a file.
        partial = out.with_name(f".{out.name}.part")
        count = 0
        with open(partial, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in source_record_clusters():
                writer.writerow(row)
                count += 1
        os.replace(partial, out)
        self.stdout.write(f"Wrote {count:,} source records to {out}")
