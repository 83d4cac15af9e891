"""``manage.py refresh_list_counts``: rebuild the priority lists' count summary now."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from dashboard.lists.counts import person_facets_refresh


class Command(BaseCommand):
    help = (
        "Rebuild person_facets, the summary list counts are read from (the dashboard also "
        "rebuilds it in the background after imports and scrubs)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        combinations = person_facets_refresh()
        self.stdout.write(
            f"List-count summary rebuilt: {combinations:,} combinations of state, county, "
            f"lead status and channel statuses in {time.perf_counter() - started:.1f} s."
        )
