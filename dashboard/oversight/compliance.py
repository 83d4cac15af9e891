"""Reads of the compliance page: active suppressions per reason and channel, golden-record
statuses per channel (from the ``person_facets`` summary, never a GROUP BY over persons),
registry data age grouped by state, and the opt-out review queue grouped by request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Sum

from cmplatform.core.models import Channel, Person
from compliance.models import AreaCode, RegistryKind, Suppression, SuppressionChannel
from compliance.selectors import RegistryAge, registry_ages
from dashboard.models import PersonFacet

UNCHECKED = "UNCHECKED"
# The queue shows the oldest requests first; reviewers work from the top, so the page never
# needs more than a bounded slice of it (rows read, then requests shown).
QUEUE_ROWS = 300
QUEUE_REQUESTS = 50
# Counting the backlog stops here ("10,000+"), like the admin's capped counts.
QUEUE_COUNT_CAP = 10_000
STATE_ORDER = {"stale": 2, "warning": 1, "ok": 0}


@dataclass(frozen=True)
class SuppressionCounts:
    """Active suppressions: ``rows`` holds (reason, label, count per channel, total)."""

    channels: list[tuple[str, str]]
    rows: list[tuple[str, str, list[int], int]]
    channel_totals: list[int]
    total: int


def suppression_counts() -> SuppressionCounts:
    """Active suppressions per reason and channel: one GROUP BY that reads the
    ``suppressions_reason_idx`` index (is_active, reason, channel) alone."""
    found = {
        (reason, channel): n
        for reason, channel, n in Suppression.objects.filter(is_active=True)
        .values_list("reason", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    }
    channels = list(SuppressionChannel.choices)
    rows = []
    for reason, label in Suppression.Reason.choices:
        counts = [found.get((reason, channel), 0) for channel, _label in channels]
        rows.append((reason, label, counts, sum(counts)))
    totals = [sum(row[2][index] for row in rows) for index in range(len(channels))]
    return SuppressionCounts(channels, rows, totals, sum(totals))


@dataclass(frozen=True)
class ChannelStatuses:
    """Golden records per status of each channel, from the summary as of ``as_of`` (``None``
    while no summary has been built)."""

    statuses: dict[str, list[tuple[str, int]]]
    as_of: dt.datetime | None


STATUS_COLUMNS = tuple(f"{channel}_status" for channel in Channel)


def channel_statuses() -> ChannelStatuses:
    """Statuses per channel summed from ``person_facets`` (a few hundred thousand rows at 84M
    persons), cached for as long as that summary is the same build."""
    # Every row of one build carries the same refresh time: one row tells which build it is.
    latest = PersonFacet.objects.values_list("refreshed_at", "pk").first()
    if latest is None:
        return ChannelStatuses({str(channel): [] for channel in Channel}, None)
    key = f"oversight:statuses:{latest[0].isoformat()}:{latest[1]}"
    statuses = cache.get(key)
    if statuses is None:
        totals: dict[str, dict[str, int]] = {str(channel): {} for channel in Channel}
        rows = (
            PersonFacet.objects.values(*STATUS_COLUMNS).annotate(persons=Sum("persons")).order_by()
        )
        for row in rows:
            for channel in Channel:
                status = row[f"{channel}_status"] or UNCHECKED
                per_channel = totals[str(channel)]
                per_channel[status] = per_channel.get(status, 0) + int(row["persons"])
        statuses = {
            channel: sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            for channel, counts in totals.items()
        }
        cache.set(key, statuses, settings.DASHBOARD_CACHE_SECONDS)
    return ChannelStatuses(statuses, latest[0])


@dataclass
class RegistryGroup:
    """The registry data of one state: its area codes' national (and internal) coverage and
    its own state list."""

    state: str
    federal: list[RegistryAge] = field(default_factory=list)
    internal: list[RegistryAge] = field(default_factory=list)
    state_list: RegistryAge | None = None

    @property
    def ages(self) -> list[RegistryAge]:
        return [*self.federal, *self.internal, *([self.state_list] if self.state_list else [])]

    @property
    def worst(self) -> str:
        return max((age.state for age in self.ages), key=STATE_ORDER.__getitem__, default="ok")

    @property
    def oldest_federal(self) -> RegistryAge | None:
        return max(self.federal, key=lambda age: age.age_days, default=None)

    @property
    def oldest_internal(self) -> RegistryAge | None:
        return max(self.internal, key=lambda age: age.age_days, default=None)


@dataclass(frozen=True)
class RegistryOverview:
    """Every scope's data age: the ones needing attention (oldest first) and all of them
    grouped by state (about 300 area codes and a dozen state lists)."""

    attention: list[RegistryAge]
    groups: list[RegistryGroup]
    scopes: int
    warnings: int
    stale: int


def registry_overview(today: dt.date | None = None) -> RegistryOverview:
    """The registry coverage with the 25/31-day states applied, grouped by state (an area
    code's state from the area-code table; unknown ones under "—")."""
    ages = registry_ages(today)
    states_of = dict(
        AreaCode.objects.filter(
            npa__in=[age.scope for age in ages if age.kind != RegistryKind.STATE]
        ).values_list("npa", "state")
    )
    groups: dict[str, RegistryGroup] = {}
    for age in ages:
        is_state_list = age.kind == RegistryKind.STATE
        state = age.scope if is_state_list else (states_of.get(age.scope) or "—")
        group = groups.setdefault(state, RegistryGroup(state))
        if is_state_list:
            group.state_list = age
        elif age.kind == RegistryKind.INTERNAL:
            group.internal.append(age)
        else:
            group.federal.append(age)
    attention = sorted(
        (age for age in ages if age.state != "ok"),
        key=lambda age: (-age.age_days, age.kind, age.scope),
    )
    return RegistryOverview(
        attention=attention,
        groups=[groups[state] for state in sorted(groups)],
        scopes=len(ages),
        warnings=sum(age.state == "warning" for age in ages),
        stale=sum(age.state == "stale" for age in ages),
    )


@dataclass
class ReviewRequest:
    """One revocation request waiting for review: every suppression it made (the number and
    each person holding it), decided together."""

    key: str
    members: list[Suppression] = field(default_factory=list)
    holders: list[Person] = field(default_factory=list)

    @property
    def first(self) -> Suppression:
        return self.members[0]

    @property
    def identifiers(self) -> list[tuple[str, str]]:
        """(type, identifier) of the members that name a phone, e-mail or address."""
        return [
            (member.identifier_type, member.identifier)
            for member in self.members
            if member.identifier_type != Suppression.IdentifierType.PERSON
        ]

    @property
    def holder_ids(self) -> list[int]:
        return [
            member.person_id
            for member in self.members
            if member.identifier_type == Suppression.IdentifierType.PERSON and member.person_id
        ]


@dataclass(frozen=True)
class ReviewQueue:
    requests: list[ReviewRequest]
    pending: int
    is_capped: bool


def _request_key(suppression: Suppression) -> str:
    return suppression.request or f"suppression-{suppression.pk}"


def review_queue(
    *, rows: int = QUEUE_ROWS, requests: int = QUEUE_REQUESTS, count_cap: int = QUEUE_COUNT_CAP
) -> ReviewQueue:
    """The oldest revocations waiting for review, grouped by request, with the persons
    holding them; and how many suppressions wait in all (capped)."""
    pending = Suppression.objects.filter(review=Suppression.Review.PENDING)
    oldest = list(pending.order_by("received_at", "pk")[:rows])  # the review index
    grouped: dict[str, ReviewRequest] = {}
    for suppression in oldest:
        key = _request_key(suppression)
        if key not in grouped and len(grouped) >= requests:
            continue
        grouped.setdefault(key, ReviewRequest(key)).members.append(suppression)
    # A request cut by the row limit is completed, so a decision is never made half-seen.
    named = [key for key, request in grouped.items() if request.first.request]
    if named and len(oldest) >= rows:
        seen = {member.pk for request in grouped.values() for member in request.members}
        for suppression in pending.filter(request__in=named).order_by("received_at", "pk"):
            if suppression.pk not in seen:
                grouped[_request_key(suppression)].members.append(suppression)
    _attach_holders(grouped.values())
    counted = pending[: count_cap + 1].count()
    return ReviewQueue(list(grouped.values()), min(counted, count_cap), counted > count_cap)


def _attach_holders(queue: Iterable[ReviewRequest]) -> None:
    requests = list(queue)
    ids = {pk for request in requests for pk in request.holder_ids}
    persons = Person.objects.only("first_name", "middle_name", "last_name", "suffix", "state")
    by_id = persons.in_bulk(sorted(ids)) if ids else {}
    for request in requests:
        request.holders = [by_id[pk] for pk in request.holder_ids if pk in by_id]
