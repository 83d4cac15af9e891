"""Pagination that never counts a whole big table, and keyset iteration over big tables.

A ``COUNT(*)`` over 84M rows takes tens of seconds on MySQL. :class:`CappedCountPaginator`
counts at most ``count_cap + 1`` rows (``SELECT COUNT(*) FROM (SELECT ... LIMIT n)``), so a page
costs the same at 1k or 84M rows; past the cap it reports the cap and sets ``is_capped``
("10,000+" in the admin).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

DEFAULT_COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """A paginator whose ``count`` stops at ``count_cap``."""

    count_cap = DEFAULT_COUNT_CAP
    is_capped = False

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            counted = object_list[: self.count_cap + 1].count()
        else:
            counted = len(object_list)
        self.is_capped = counted > self.count_cap
        return min(counted, self.count_cap)


def keyset_pages(queryset: QuerySet[Any], *, page_rows: int) -> Iterator[list[Any]]:
    """``queryset`` in primary-key order, a page at a time (``WHERE pk > last ORDER BY pk
    LIMIT n``): each page is one index range scan however deep, so memory stays flat at any
    size, unlike ``OFFSET``. Rows are model instances, ``values_list`` tuples whose first value
    is the primary key, or the keys themselves (``values_list("pk", flat=True)``)."""
    ordered = queryset.order_by("pk")
    last: Any = None
    while True:
        page = list((ordered if last is None else ordered.filter(pk__gt=last))[:page_rows])
        if not page:
            return
        yield page
        tail = page[-1]
        last = tail[0] if isinstance(tail, tuple) else getattr(tail, "pk", tail)
