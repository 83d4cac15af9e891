"""How many golden records a list holds, without an unbounded ``COUNT(*)``.

The facet columns (state, county, lead status, channel statuses) are counted from
``person_facets``, a summary rebuilt in the background after imports and scrubs. The other
criteria are estimated on a sample: the first :data:`SAMPLE_ROWS` golden records of the facet
criteria (one bounded index range) are checked against the whole filter, and the share that
passes scales the facet count. A facet count within the sample is exact. Every figure says
whether it is exact or an estimate, and how old its summary is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from cmplatform.core.models import Person
from cmplatform.lib.generation import PERSONS, data_generation
from dashboard.lists.criteria import CHANNELS, ListQuery, filtered
from dashboard.models import PersonFacet

SAMPLE_ROWS = 2_000
FACETS = ("state", "county", "lead_status", *(f"{channel}_status" for channel in CHANNELS))
# Rows per bulk insert of the summary (a few hundred thousand combinations at 84M persons).
FACET_INSERT_ROWS = 5_000


@dataclass(frozen=True)
class Estimate:
    """A list's size: ``exact`` or an estimate, from a summary as of ``as_of``."""

    value: int
    exact: bool
    as_of: dt.datetime | None

    def label(self) -> str:
        if self.exact:
            return f"{self.value:,}"
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
    cache.set(key, (result.value, result.exact, result.as_of), settings.DASHBOARD_CACHE_SECONDS)
    return result


def _estimate(query: ListQuery) -> Estimate:
    facet_filter = _facet_filter(query)
    facets = PersonFacet.objects.filter(**facet_filter).aggregate(
        persons=Sum("persons"), as_of=Max("refreshed_at")
    )
    as_of = facets["as_of"]
    facet_persons = Person.objects.golden().filter(**facet_filter)
    sample = list(facet_persons.values_list("pk", flat=True)[:SAMPLE_ROWS])
    if len(sample) < SAMPLE_ROWS:
        # The facet criteria hold fewer golden records than a sample: count them exactly.
        matching = filtered(query).filter(pk__in=sample).count() if sample else 0
        return Estimate(matching, exact=True, as_of=None)
    if as_of is None:
        # No summary yet (it is being built): the sample is a floor.
        matching = filtered(query).filter(pk__in=sample).count()
        return Estimate(matching, exact=False, as_of=None)
    total = int(facets["persons"] or 0)
    if not _has_other_criteria(query):
        return Estimate(total, exact=False, as_of=as_of)
    share = filtered(query).filter(pk__in=sample).count() / len(sample)
    return Estimate(round(total * share), exact=False, as_of=as_of)


def person_facets_refresh() -> int:
    """Rebuild ``person_facets`` from the golden records (one GROUP BY over persons: seconds
    at 10M, run in the background); returns the number of combinations."""
    now = timezone.now()
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
    cache.set(FACETS_GENERATION_KEY, data_generation(PERSONS), None)
    return written


FACETS_GENERATION_KEY = "person-facets:generation"
FACETS_REFRESH_LOCK = "person-facets:refreshing"
# One rebuild at a time: a rebuild takes seconds at 10M persons, about a minute at 84M.
FACETS_REFRESH_LOCK_SECONDS = 600


def facets_are_current() -> bool:
    """Whether the summary was built after the last bulk change of persons."""
    return cache.get(FACETS_GENERATION_KEY) == data_generation(PERSONS)


def facets_refresh_if_behind() -> bool:
    """Whether the persons changed since the summary was built; if so, a background rebuild
    is queued (once while the lock lasts)."""
    if facets_are_current():
        return False
    if cache.add(FACETS_REFRESH_LOCK, 1, FACETS_REFRESH_LOCK_SECONDS):
        from dashboard.tasks import person_facets_refresh_task

        person_facets_refresh_task.delay()
    return True
