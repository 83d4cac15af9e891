"""``manage.py generate_demo_registry --out DIR``: demo DNC list files for the demo data."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from cmplatform.core.models import PhoneNumber
from compliance.models import AreaCode


class Command(BaseCommand):
    help = (
        "Write demo Do-Not-Call files covering the area codes of the persons in the database: "
        "a national full list (area code, number) holding a share of our numbers among "
        "strangers', a change list, one list per state that keeps its own, and an internal list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--listed", type=float, default=0.12, help="Share of our numbers.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        rng = random.Random(options["seed"])  # noqa: S311 (demo data, not a secret)
        ours = sorted(
            {
                number
                for number in PhoneNumber.objects.values_list("e164", flat=True)
                if number is not None
            }
        )
        npas = sorted({number[2:5] for number in ours})
        states = dict(AreaCode.objects.filter(npa__in=npas).values_list("npa", "state"))
        listed = [n for n in ours if rng.random() < options["listed"]]
        # Strangers' numbers in the same area codes: the registry is mostly other people.
        strangers = [
            f"+1{rng.choice(npas)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            for _ in range(len(ours) * 2 if npas else 0)
        ]
        full = sorted(set(listed) | set(strangers))
        with (out / "dnc_federal_full.txt").open("w") as handle:
            for number in full:
                handle.write(f"{number[2:5]},{number[5:]}\n")
        # The change list: a few of our numbers added, a few listed ones deleted.
        unlisted = [n for n in ours if n not in set(listed)]
        added = rng.sample(unlisted, min(len(unlisted), max(1, len(ours) // 100)))
        deleted = rng.sample(listed, min(len(listed), max(1, len(listed) // 20)))
        with (out / "dnc_federal_changes.txt").open("w") as handle:
            for number in added:
                handle.write(f"{number[2:5]},{number[5:]},A\n")
            for number in deleted:
                handle.write(f"{number[2:5]},{number[5:]},D\n")
        # One list per state that keeps its own (a list may be empty: its date still counts).
        state_listed = 0
        for state in settings.COMPLIANCE_STATE_LIST_STATES:
            numbers = [n for n in ours if states.get(n[2:5]) == state and rng.random() < 0.05]
            # Strangers' numbers too: a real state list is never empty.
            state_npas = sorted(AreaCode.objects.filter(state=state).values_list("npa", flat=True))
            numbers += [
                f"+1{rng.choice(state_npas)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
                for _ in range(20 if state_npas else 0)
            ]
            state_listed += len(numbers)
            with (out / f"dnc_state_{state.lower()}.txt").open("w") as handle:
                handle.writelines(f"{number[2:]}\n" for number in numbers)
        internal = rng.sample(ours, min(len(ours), max(1, len(ours) // 200)))
        with (out / "dnc_internal.txt").open("w") as handle:
            handle.writelines(f"{number[2:]}\n" for number in internal)
        today = dt.date.today()
        self.stdout.write(
            f"Wrote {len(full):,} national numbers over {len(npas)} area codes, a change list of "
            f"{len(added)} additions and {len(deleted)} deletions, {state_listed} numbers on "
            f"{len(settings.COMPLIANCE_STATE_LIST_STATES)} state lists and {len(internal)} "
            f"internal numbers to {out} (list date {today})."
        )
