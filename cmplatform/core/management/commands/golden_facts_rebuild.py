"""Recompute the golden-record summaries priority lists read (after a restore, or after rows
were changed in bulk outside the platform's write paths)."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from cmplatform.core.golden_facts import golden_facts_rebuild, golden_scores_sync


class Command(BaseCommand):
    help = (
        "Recompute golden_facts and golden_campaigns from the contact points, touchpoints and "
        "cluster links, a range of persons per transaction; with --scores, only copy the "
        "golden records' scores into golden_campaigns (after a bulk score update)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--scores",
            action="store_true",
            help="only bring golden_campaigns.score in step with persons.score",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if options["scores"]:
            changed = golden_scores_sync()
            self.stdout.write(
                f"{changed:,} campaign memberships re-scored in "
                f"{time.perf_counter() - started:.1f} s"
            )
            return
        written = golden_facts_rebuild()
        self.stdout.write(
            f"{written:,} golden records summarised in {time.perf_counter() - started:.1f} s"
        )
