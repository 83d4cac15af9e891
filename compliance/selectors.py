"""Compliance reads: suppression counts, registry data age, channel lists through the gate."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import Concat

from cmplatform.core.models import Address, Channel, EmailAddress, Person, PhoneNumber
from cmplatform.lib.pagination import keyset_pages
from cmplatform.lib.spreadsheet_safety import safe_cell
from compliance import tags
from compliance.models import RegistryCoverage, Suppression, Tag
from compliance.scrub import DIVE_LIMIT
from compliance.services import fresh_numbers


def status_counts(channel: str) -> dict[str, int]:
    """Golden records per status of ``channel`` (one GROUP BY on the status index)."""
    rows = Person.objects.golden().values(f"{channel}_status").annotate(n=Count("pk")).order_by()
    return {row[f"{channel}_status"] or "UNCHECKED": row["n"] for row in rows}


@dataclass
class RegistryAge:
    kind: str
    scope: str
    as_of: dt.date
    age_days: int
    state: str  # ok | warning | stale


def registry_ages(today: dt.date | None = None) -> list[RegistryAge]:
    """Each area code's and state list's data age, with the 25/31-day thresholds applied."""
    today = today or dt.date.today()
    ages = []
    for coverage in RegistryCoverage.objects.order_by("kind", "scope"):
        age = (today - coverage.as_of).days
        if age > settings.COMPLIANCE_REGISTRY_MAX_AGE_DAYS:
            state = "stale"
        elif age >= settings.COMPLIANCE_REGISTRY_WARN_DAYS:
            state = "warning"
        else:
            state = "ok"
        ages.append(RegistryAge(coverage.kind, coverage.scope, coverage.as_of, age, state))
    return ages


@dataclass
class ChannelList:
    """One channel list after the gate: how many were considered and exported, and the
    suppressed ones counted by status."""

    channel: str
    considered: int = 0
    exported: int = 0
    suppressed: Counter = field(default_factory=Counter)

    @property
    def suppressed_total(self) -> int:
        return self.considered - self.exported

    def summary(self) -> str:
        reasons = ", ".join(f"{n:,} {tag}" for tag, n in self.suppressed.most_common())
        return (
            f"{self.channel}: {self.exported:,} of {self.considered:,} exported, "
            f"{self.suppressed_total:,} suppressed" + (f": {reasons}" if reasons else "")
        )


def tag_counts(channel: str) -> dict[str, int]:
    """Golden records not CLEAR on ``channel`` per tag they hold (one GROUP BY over the flag
    sets, of which there are a few hundred at most, decoded here)."""
    flags_field = f"{channel}_flags"
    rows = (
        Person.objects.golden()
        .exclude(**{f"{channel}_status": Tag.CLEAR})
        .values(flags_field)
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, int] = {}
    for row in rows:
        for tag in tags.tags_of(row[flags_field] & ~tags.CLEAR_BIT[Channel(channel)]):
            counts[tag] = counts.get(tag, 0) + row["n"]
    return counts


def _clear_points(channel: str, golden_ids: list[int]) -> dict[int, list[str]]:
    """The contact points of ``channel`` that are clear, per golden record (its own and its
    duplicates'), for one page of golden records."""
    points: dict[int, list[str]] = {golden: [] for golden in golden_ids}
    rows: Iterable[tuple[int, Any]]
    members: dict[int, int] = {}
    for start in range(0, len(golden_ids), DIVE_LIMIT):  # index dives (see scrub._by_golden)
        part = golden_ids[start : start + DIVE_LIMIT]
        members.update(
            Person.objects.filter(merged_into_id__in=part).values_list("pk", "merged_into_id")
        )
    members.update({golden: golden for golden in golden_ids})
    if channel in (Channel.CALL, Channel.SMS):
        rows = (
            PhoneNumber.objects.filter(person_id__in=list(members), e164__isnull=False)
            # The clear bit, not merely no blocking bit: a number added since the last scrub
            # has neither and is not exported.
            .annotate(clear=F("compliance_flags").bitand(tags.CLEAR_BIT[Channel(channel)]))
            .filter(clear__gt=0)
            .order_by("-is_primary", "pk")
            .values_list("person_id", "e164")
        )
    elif channel == Channel.EMAIL:
        rows = (
            EmailAddress.objects.filter(
                person_id__in=list(members),
                is_valid=True,
                opt_out_status=EmailAddress.OptOutStatus.CLEAR,
            )
            .exclude(
                email__in=Suppression.objects.filter(
                    identifier_type=Suppression.IdentifierType.EMAIL,
                    is_active=True,
                    channel__in=["email", "all"],
                ).values("identifier")
            )
            .order_by("-is_primary", "pk")
            .values_list("person_id", "email")
        )
    else:
        rows = (
            Address.objects.filter(person_id__in=list(members))
            .exclude(street="")
            .exclude(
                address_key__in=Suppression.objects.filter(
                    identifier_type=Suppression.IdentifierType.ADDRESS,
                    is_active=True,
                    channel__in=["mail", "all"],
                ).values("identifier")
            )
            .order_by("-is_primary", "pk")
            .annotate(
                line=Concat("street", Value(", "), "city", Value(", "), "state", Value(" "), "zip5")
            )
            .values_list("person_id", "line")
        )
    for person_id, point in rows:
        found = points[members[person_id]]
        if point and point not in found:
            found.append(point)
    return points


EXPORT_HEADER = (
    "person_id",
    "first_name",
    "last_name",
    "state",
    "zip5",
    "contact_points",
    "score",
)


def golden_pages(persons: QuerySet[Person], *, page_rows: int = 5_000) -> Iterator[list[Person]]:
    """The golden records of ``persons`` in primary-key order, a keyset page at a time, with
    the columns :func:`channel_export` reads."""
    statuses = [f"{channel}_status" for channel in Channel]
    fields = ("pk", "first_name", "last_name", "state", "zip5", "score", *statuses)
    return keyset_pages(persons.filter(is_duplicate=False).only(*fields), page_rows=page_rows)


def channel_export(
    *,
    pages: Iterable[Sequence[Person]],
    result: ChannelList,
    writer: Any,
    limit: int | None = None,
) -> None:
    """Write the golden records of ``pages`` (in their order) who may be contacted on
    ``result.channel`` (status CLEAR) with their clear contact points to a csv ``writer``;
    count the others by status in ``result``. With ``limit``, stop once that many are
    written: the first ones of the list; the records after them are not considered. Every
    cell is spreadsheet-safe."""
    channel = result.channel
    status_field = f"{channel}_status"
    today = dt.date.today()
    writer.writerow(EXPORT_HEADER)
    for page in pages:
        clear = [p.pk for p in page if (getattr(p, status_field) or "UNCHECKED") == Tag.CLEAR]
        points = _clear_points(channel, clear)
        for person in page:
            if limit is not None and result.exported >= limit:
                return
            result.considered += 1
            status = getattr(person, status_field) or "UNCHECKED"
            if status != Tag.CLEAR:
                result.suppressed[status] += 1
                continue
            if channel in (Channel.CALL, Channel.SMS):
                # The 31-day rule holds on the day of the export, whenever the scrub ran.
                fresh, stale = fresh_numbers(points[person.pk], person.state, today)
                if stale and not fresh:
                    result.suppressed["DNC_DATA_STALE"] += 1
                    continue
                points[person.pk] = fresh
            if not points[person.pk]:
                # The status is older than a change of the contact points: never export it.
                result.suppressed["STALE_STATUS"] += 1
                continue
            result.exported += 1
            writer.writerow(
                [
                    safe_cell(value)
                    for value in (
                        person.pk,
                        person.first_name,
                        person.last_name,
                        person.state,
                        person.zip5,
                        "; ".join(points[person.pk]),
                        person.score,
                    )
                ]
            )
