"""How many golden records a list holds, without an unbounded ``COUNT(*)``.

The facet columns (state, county, lead status, channel statuses) are counted from
``person_facets``, a summary rebuilt in the background after imports and scrubs. The other
criteria are estimated on a sample: the golden records of the facet criteria found first in
primary-key windows spread over the table (bounded range scans, a few thousand records) are
checked against the whole filter, and the share that passes scales the facet count. A facet
part smaller than :data:`SAMPLE_ROWS` is counted exactly. Every figure says whether it is
exact or an estimate, and how old its summary is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import CharField, Count, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Concat
from django.utils import timezone

from cmplatform.core.models import Person
from cmplatform.lib.generation import (
    PERSONS,
    PERSONS_BULK,
    data_generation,
    data_generation_settled,
)
from dashboard.lists.criteria import CHANNELS, ListQuery, filtered
from dashboard.models import PersonFacet

# Fewer golden records than this in the facet part: counted exactly (that many rows at most).
SAMPLE_ROWS = 2_000
# The estimate's sample: primary-key windows spread over the table (50k rows read at most),
# of which the first WINDOW_SAMPLE records of the facet part in each window are tested against
# the whole filter (2,000 at most: a sample of 2,000 puts a 10 % share within ±1.3 points 19
# times in 20, and each record costs a primary-key read of its summaries for look-up criteria).
WINDOWS = 10
WINDOW_IDS = 5_000
WINDOW_SAMPLE = 200
# A sample thinner than this falls back to the facet part's first rows.
MIN_SAMPLE = 100
FACETS = ("state", "county", "lead_status", *(f"{channel}_status" for channel in CHANNELS))
FACETS_GENERATION_KEY = "person-facets:generation"
FACETS_REFRESH_LOCK = "person-facets:refreshing"
# One rebuild at a time: a rebuild takes seconds at 10M persons, about a minute at 84M.
FACETS_REFRESH_LOCK_SECONDS = 600
# Rows per bulk insert of the summary (a few hundred thousand combinations at 84M persons).
FACET_INSERT_ROWS = 5_000


@dataclass(frozen=True)
class Estimate:
    """A list's size: ``exact`` or an estimate, from a summary as of ``as_of``."""

    value: int
    exact: bool
    as_of: dt.datetime | None
    below: bool = False  # the list is smaller than ``value`` (none in the sample)

    def label(self) -> str:
        if self.exact:
            return f"{self.value:,}"
        if self.below:
            return f"< {self.value:,}"
        for limit, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
            if self.value >= limit:
                return f"≈ {self.value / limit:.1f}{unit}"
        return f"≈ {self.value:,}"


def _facet_filter(query: ListQuery) -> dict[str, object]:
    data = query.data
    found: dict[str, object] = {}
    if data.get("state"):
        found["state__in"] = data["state"]
    if data.get("county"):
        found["county"] = data["county"]
    if data.get("lead_status"):
        found["lead_status__in"] = data["lead_status"]
    for channel in CHANNELS:
        status = data.get(f"{channel}_status")
        if status:
            found[f"{channel}_status"] = "" if status == "UNCHECKED" else status
    return found


def _has_other_criteria(query: ListQuery) -> bool:
    facet_keys = {"state", "county", "lead_status", *(f"{c}_status" for c in CHANNELS)}
    return any(
        value not in (None, "", [], ())
        for key, value in query.data.items()
        if key not in facet_keys
    )


def _cache_key(query: ListQuery) -> str:
    digest = hashlib.sha256(repr(sorted(query.data.items())).encode()).hexdigest()[:32]
    return f"list-count:{data_generation(PERSONS)}:{digest}"


def estimate(query: ListQuery) -> Estimate:
    """The size of the list ``query`` selects (cached until the persons change)."""
    key = _cache_key(query)
    cached = cache.get(key)
    if cached is not None:
        return Estimate(*cached)
    result = _estimate(query)
    if data_generation_settled(PERSONS):
        cached_value = (result.value, result.exact, result.as_of, result.below)
        cache.set(key, cached_value, settings.DASHBOARD_CACHE_SECONDS)
    return result


def _window_bounds() -> tuple[int, list[tuple[int, int]]]:
    """The persons' primary-key span and :data:`WINDOWS` half-open windows of
    :data:`WINDOW_IDS` ids spread evenly over it (one window when the table is smaller): a
    sample no index order biases (first rows by score or by date would be)."""
    bounds = Person.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"] or 0, bounds["high"] or 0
    span = high - low + 1
    if span <= WINDOWS * WINDOW_IDS:
        return span, [(low, high + 1)]
    starts = (low + (span - WINDOW_IDS) * index // (WINDOWS - 1) for index in range(WINDOWS))
    return span, [(start, start + WINDOW_IDS) for start in starts]


def _in_windows_only(query: ListQuery) -> QuerySet[Person]:
    """The facet part, its criteria compared on copies of the columns (``CONCAT(col, '')``) so
    that the primary key is the only index left to read a window by: on a single-column facet
    index MariaDB reads a value's entries from the lowest id up to the window (2.4 s for
    ``sms_status = 'CLEAR'``, 6.4M entries, at 10M persons)."""
    criteria: dict[str, object] = {}
    copies: dict[str, Any] = {}
    for key, value in _facet_filter(query).items():
        column, _, lookup = key.partition("__")
        copies[f"window_{column}"] = Concat(column, Value(""), output_field=CharField())
        criteria[f"window_{column}" + (f"__{lookup}" if lookup else "")] = value
    return Person.objects.golden().alias(**copies).filter(**criteria)


def _window_sample(facet_persons: QuerySet[Person], windows: list[tuple[int, int]]) -> list[int]:
    """The first :data:`WINDOW_SAMPLE` ids of the facet part in each window (primary-key range
    scans that stop there), the records the whole filter is then tested on."""
    found: list[int] = []
    for start, end in windows:
        in_window = facet_persons.filter(pk__gte=start, pk__lt=end).order_by("pk")
        found += in_window.values_list("pk", flat=True)[:WINDOW_SAMPLE]
    return found


def _any_window(windows: list[tuple[int, int]]) -> Q:
    return reduce(operator.or_, (Q(pk__gte=start, pk__lt=end) for start, end in windows))


def _sampled_share(
    query: ListQuery, windows: list[tuple[int, int]], first: list[int]
) -> tuple[int, int]:
    """(matching, sampled): how many of a sample of the facet part pass the whole filter."""
    sample = _window_sample(_in_windows_only(query), windows)
    if len(sample) < MIN_SAMPLE:
        # The windows hold too few of a rare facet part: its first rows in index order instead.
        sample = first
    return filtered(query).filter(pk__in=sample).count(), len(sample)


def _estimate(query: ListQuery) -> Estimate:
    facet_filter = _facet_filter(query)
    facets = PersonFacet.objects.filter(**facet_filter).aggregate(
        persons=Sum("persons"), as_of=Max("refreshed_at")
    )
    as_of = facets["as_of"]
    facet_persons = Person.objects.golden().filter(**facet_filter)
    first = list(facet_persons.values_list("pk", flat=True)[:SAMPLE_ROWS])
    if len(first) < SAMPLE_ROWS:
        # The facet criteria hold fewer golden records than a sample: count them exactly.
        matching = filtered(query).filter(pk__in=first).count() if first else 0
        return Estimate(matching, exact=True, as_of=None)
    others = _has_other_criteria(query)
    if as_of is not None and not others:
        return Estimate(int(facets["persons"] or 0), exact=False, as_of=as_of)
    span, windows = _window_bounds()
    if as_of is not None:
        total = int(facets["persons"] or 0)
    else:
        # No summary yet (it is being built): scale the windows' share of the persons.
        in_windows = facet_persons.filter(_any_window(windows)).count()
        read = sum(end - start for start, end in windows)
        total = max(len(first), round(in_windows * span / read))
        if not others:
            return Estimate(total, exact=False, as_of=None)
    matching, sampled = _sampled_share(query, windows, first)
    if matching == 0:
        # None in the sample: the list is smaller than one sampled record's share.
        return Estimate(max(1, round(total / sampled)), exact=False, as_of=as_of, below=True)
    return Estimate(round(total * matching / sampled), exact=False, as_of=as_of)


def person_facets_refresh() -> int:
    """Rebuild ``person_facets`` from the golden records (one GROUP BY over persons: seconds
    at 10M, run in the background); returns the number of combinations. The summary is
    stamped with the bulk generation read *before* the scan: a change that lands during the
    rebuild leaves it behind, to be rebuilt again."""
    now = timezone.now()
    generation = data_generation(PERSONS_BULK)
    rows = (
        Person.objects.golden()
        .values(*FACETS)
        .annotate(persons=Count("pk"))
        .order_by()
        .iterator(chunk_size=FACET_INSERT_ROWS)
    )
    with transaction.atomic():
        PersonFacet.objects.all().delete()
        batch: list[PersonFacet] = []
        written = 0
        for row in rows:
            batch.append(PersonFacet(**row, refreshed_at=now))
            if len(batch) >= FACET_INSERT_ROWS:
                PersonFacet.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        PersonFacet.objects.bulk_create(batch)
        written += len(batch)
    cache.set(FACETS_GENERATION_KEY, generation, None)
    cache.delete(FACETS_REFRESH_LOCK)
    return written


def facets_are_current() -> bool:
    """Whether the summary was built after the last bulk change of persons (an import or a
    full scrub; a merge's few changed counts do not call for a rebuild)."""
    return cache.get(FACETS_GENERATION_KEY) == data_generation(PERSONS_BULK)


def facets_refresh_if_behind() -> bool:
    """Whether the persons changed since the summary was built; if so, a background rebuild
    is queued (once while the lock lasts)."""
    if facets_are_current():
        return False
    if cache.add(FACETS_REFRESH_LOCK, 1, FACETS_REFRESH_LOCK_SECONDS):
        from dashboard.tasks import person_facets_refresh_task

        person_facets_refresh_task.delay()
    return True
