"""Priority-list pages cached until the persons change: the same criteria, sort, cursor and
page size within ``DASHBOARD_CACHE_SECONDS`` give the same ids without a query of the list.
An import, a scrub, a merge or an edit starts a new data generation
(``cmplatform.lib.generation``), which makes every cached page unreachable at once."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from cmplatform.lib.generation import PERSONS, data_generation, data_generation_settled
from dashboard.lists import criteria


def cached_page(
    query: criteria.ListQuery, *, cursor: str | None = None, rows: int = criteria.PAGE_ROWS
) -> criteria.Page:
    """:func:`criteria.page`, cached: the page's ids, next cursor and searched window are
    kept; the rows are read again by primary key (a record deleted since is left out)."""
    digest = hashlib.sha256(
        repr((sorted(query.data.items()), query.sort, cursor, rows)).encode()
    ).hexdigest()[:32]
    key = f"list-page:{data_generation(PERSONS)}:{digest}"
    ids = cache.get(key)
    if ids is not None:
        found_ids, next_cursor, searched = ids
        by_id = criteria.Person.objects.in_bulk(found_ids)
        return criteria.Page([by_id[pk] for pk in found_ids if pk in by_id], next_cursor, searched)
    result = criteria.page(query, cursor=cursor, rows=rows)
    if data_generation_settled(PERSONS):
        cached = ([p.pk for p in result.rows], result.next_cursor, result.searched)
        cache.set(key, cached, settings.DASHBOARD_CACHE_SECONDS)
    return result
