"""Pagination that never counts a whole big table.

A ``COUNT(*)`` over 84M rows takes tens of seconds on MySQL. :class:`CappedCountPaginator`
counts at most ``count_cap + 1`` rows (``SELECT COUNT(*) FROM (SELECT ... LIMIT n)``), so a page
costs the same at 1k or 84M rows; past the cap it reports the cap and sets ``is_capped``
("10,000+" in the admin).
"""

from __future__ import annotations

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
