"""``manage.py scrub [--persons ID ...]``: refresh compliance statuses, set-based."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cmplatform.core.models import Channel
from compliance.scrub import scrub_all, scrub_persons
from compliance.selectors import status_counts


class Command(BaseCommand):
    help = (
        "Recompute the compliance status of every phone and golden record (or only of the "
        "given persons' clusters) against the DNC lists, suppressions and consents."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, nargs="+", metavar="ID", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        persons = options["persons"]
        result = scrub_persons(person_ids=persons) if persons else scrub_all()
        self.stdout.write(
            f"Scrubbed {result.phones:,} phones and {result.persons:,} golden records in "
            f"{result.seconds:.1f} s (data {result.data_version})."
        )
        for channel in Channel:
            counts = status_counts(channel)
            parts = ", ".join(f"{n:,} {status}" for status, n in sorted(counts.items()))
            self.stdout.write(f"  {channel.value}: {parts}")
