"""Write a realistic, seeded set of the customer's legacy sources for demos, tests, benchmarks."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from cmplatform.demo import KINDS, generate_demo_sources


class Command(BaseCommand):
    help = (
        "Generate demo legacy sources (MySQL dump, SQLite file, campaign CSV/TSV files, XLSX) "
        "with realistic noise, ~12% duplicates and look-alike households, plus the ground "
        "truth (ground_truth.csv) and a manifest (manifest.json)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, required=True, help="records over all sources")
        parser.add_argument("--out", type=Path, required=True, help="directory to write into")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--sources",
            nargs="+",
            choices=KINDS,
            metavar="KIND",
            help=f"write only these kinds ({', '.join(KINDS)}); default: all",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rows"] < 1:
            raise CommandError("--rows must be at least 1.")
        out_dir: Path = options["out"].resolve()
        started = time.perf_counter()
        with tqdm(total=options["rows"], unit="rows", disable=options["verbosity"] < 1) as bar:
            generate_demo_sources(
                rows=options["rows"],
                out_dir=out_dir,
                seed=options["seed"],
                kinds=options["sources"],
                progress=bar.update,
            )
        elapsed = time.perf_counter() - started
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
        for source in manifest["sources"]:
            self.stdout.write(f"  {source['file']:<28} {source['rows']:>10,} rows")
        self.stdout.write(
            f"Wrote {manifest['rows']:,} records of {manifest['entities']:,} people "
            f"(duplicate rate {manifest['duplicate_rate']:.1%}) to {out_dir} in {elapsed:.1f} s"
        )
