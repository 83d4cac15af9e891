"""``manage.py compliance_report``: statuses per channel, tags, registry data age."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cmplatform.core.models import Channel
from compliance.models import Holiday, Suppression
from compliance.selectors import registry_ages, status_counts, tag_counts


class Command(BaseCommand):
    help = "Summarise compliance: golden records per status and tag per channel, data age."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        report: dict[str, Any] = {
            "channels": {
                channel.value: {"statuses": status_counts(channel), "tags": tag_counts(channel)}
                for channel in Channel
            },
            "registry": [
                {
                    "kind": a.kind,
                    "scope": a.scope,
                    "as_of": a.as_of.isoformat(),
                    "age_days": a.age_days,
                    "state": a.state,
                }
                for a in registry_ages()
            ],
            "suppressions_active": Suppression.objects.filter(is_active=True).count(),
            "holiday_years": sorted(
                {d.year for d in Holiday.objects.values_list("date", flat=True)}
            ),
            "reviews_pending": Suppression.objects.filter(
                review=Suppression.Review.PENDING
            ).count(),
        }
        if options["json"]:
            self.stdout.write(json.dumps(report))
            return
        for channel, data in report["channels"].items():
            statuses = ", ".join(f"{n:,} {s}" for s, n in sorted(data["statuses"].items()))
            self.stdout.write(f"{channel}: {statuses}")
        stale = [a for a in report["registry"] if a["state"] != "ok"]
        self.stdout.write(
            f"Registry: {len(report['registry'])} area codes/state lists loaded, "
            f"{sum(a['state'] == 'warning' for a in stale)} nearing 31 days, "
            f"{sum(a['state'] == 'stale' for a in stale)} stale."
        )
        years = report["holiday_years"]
        this_year = dt.date.today().year
        calendar = ", ".join(map(str, years)) or "none"
        self.stdout.write(
            f"Holiday calendar: {calendar}"
            + ("" if this_year + 1 in years else f" (load the {this_year + 1} calendar)")
        )
        self.stdout.write(
            f"Suppressions: {report['suppressions_active']:,} active, "
            f"{report['reviews_pending']:,} waiting for review."
        )
