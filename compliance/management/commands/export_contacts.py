"""``manage.py export_contacts --channel call --out FILE``: a channel list through the gate."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cmplatform.core.models import Channel, Person
from compliance.selectors import ChannelList, channel_export, golden_pages


class Command(BaseCommand):
    help = (
        "Write the golden records that may be contacted on a channel (status CLEAR) with their "
        "clear contact points, and report how many were suppressed and why."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, choices=Channel.values)
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--state", default="", help="Only persons in this state.")

    def handle(self, *args: Any, **options: Any) -> None:
        persons = Person.objects.all()
        if options["state"]:
            persons = persons.in_state(options["state"])
        out: Path = options["out"]
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent} is not a folder.")
        result = ChannelList(options["channel"])
        with out.open("w", newline="", encoding="utf-8") as handle:
            channel_export(pages=golden_pages(persons), result=result, writer=csv.writer(handle))
        self.stdout.write(result.summary())
