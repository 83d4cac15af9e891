"""Recompute the golden-record summaries priority lists read (after a restore, or after rows
were changed in bulk outside the platform's write paths)."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from cmplatform.core.golden_facts import golden_facts_rebuild


class Command(BaseCommand):
    help = (
        "Recompute golden_facts and golden_campaigns from the contact points, touchpoints and "
        "cluster links, a range of persons per transaction."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        written = golden_facts_rebuild()
        self.stdout.write(
            f"{written:,} golden records summarised in {time.perf_counter() - started:.1f} s"
        )
