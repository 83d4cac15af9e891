"""``manage.py dedupe --full``: resolve golden records over every person."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dedupe.services import dedupe_run


class Command(BaseCommand):
    help = (
        "Resolve golden records. --full recomputes every cluster deterministically; "
        "--persons ID... decides only those persons against everyone else."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--full", action="store_true", help="recompute every cluster")
        group.add_argument("--persons", type=int, nargs="+", metavar="ID")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = dedupe_run(person_ids=None if options["full"] else options["persons"])
        except Exception as error:
            raise CommandError(f"Golden-record resolution failed: {error}") from error
        seconds = sum(run.phase_seconds.values())
        self.stdout.write(
            f"Dedupe run {run.pk} ({run.mode}): {run.persons:,} persons, {run.pairs:,} candidate "
            f"pairs ({run.guarded_pairs:,} kept apart by household rules, {run.capped_blocks:,} "
            f"oversized blocks skipped), {run.clusters:,} clusters; linked {run.linked:,}, "
            f"unlinked {run.unlinked:,}, {run.review_pairs:,} pairs queued for review; "
            f"duplicate rate {run.duplicate_rate:.1%} ({seconds:.1f} s)"
        )
