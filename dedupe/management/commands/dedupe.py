"""``manage.py dedupe --full``: resolve golden records over every person."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dedupe.models import DedupeRun
from dedupe.services import dedupe_run
from dedupe.services.sharded import dedupe_run_split
from dedupe.tasks import enqueue_shard


class Command(BaseCommand):
    help = (
        "Resolve golden records. --full recomputes every cluster deterministically; "
        "--persons ID... decides only those persons against everyone else."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--full", action="store_true", help="recompute every cluster")
        group.add_argument("--persons", type=int, nargs="+", metavar="ID")
        parser.add_argument(
            "--tasks",
            type=int,
            metavar="N",
            help="with --full: split blocking and comparison into N Celery tasks (needs workers)",
        )
        parser.add_argument(
            "--wait",
            type=float,
            metavar="SECONDS",
            help="with --tasks: wait this long for the workers to finish the run",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["tasks"]:
            if not options["full"]:
                raise CommandError("--tasks splits a full run: use it with --full.")
            run = self._split(options["tasks"], options["wait"])
        else:
            try:
                run = dedupe_run(person_ids=None if options["full"] else options["persons"])
            except Exception as error:
                raise CommandError(f"Golden-record resolution failed: {error}") from error
        seconds = sum(v for k, v in run.phase_seconds.items() if k != "shards")
        self.stdout.write(
            f"Dedupe run {run.pk} ({run.mode}): {run.persons:,} persons, {run.pairs:,} candidate "
            f"pairs ({run.guarded_pairs:,} kept apart by household rules, {run.capped_blocks:,} "
            f"oversized blocks skipped), {run.clusters:,} clusters; linked {run.linked:,}, "
            f"unlinked {run.unlinked:,}, {run.review_pairs:,} pairs queued for review; "
            f"duplicate rate {run.duplicate_rate:.1%} ({seconds:.1f} s)"
        )

    def _split(self, shards: int, wait: float | None) -> DedupeRun:
        try:
            run = dedupe_run_split(shards=shards, enqueue=enqueue_shard)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Dedupe run {run.pk} queued as {shards} tasks.")
        deadline = time.monotonic() + (wait or 0)
        while True:
            run.refresh_from_db()
            if run.status in (DedupeRun.Status.COMPLETE, DedupeRun.Status.FAILED):
                break
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"Dedupe run {run.pk} is {run.status} (workers finish it; see admin)."
                    if wait
                    else f"Dedupe run {run.pk} is queued; workers finish it (see admin)."
                )
            time.sleep(0.5)
        if run.status == DedupeRun.Status.FAILED:
            raise CommandError(f"Dedupe run {run.pk} failed: {run.error}")
        return run
