"""Rebuild the phone normaliser's NPA-NXX verdict table (after upgrading phonenumbers)."""

import time
from typing import Any

import phonenumbers
from django.core.management.base import BaseCommand

from cmplatform.lib.hygiene import phones


class Command(BaseCommand):
    help = (
        "Ask phonenumbers about all 800,000 NANP prefixes and write the verdict table the phone "
        "fast path ships with (run it, and commit the file, after upgrading phonenumbers)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--processes", type=int, default=None, help="default: every core")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        distinct = phones.build_prefix_table(processes=options["processes"])
        self.stdout.write(
            f"{phones.PREFIX_TABLE.name}: {distinct} distinct verdicts for phonenumbers "
            f"{phonenumbers.__version__}, {phones.PREFIX_TABLE.stat().st_size:,} bytes, "
            f"in {time.perf_counter() - started:.0f} s"
        )
