"""Data generations: a counter per kind of data, bumped when that data changes in bulk.

Cached reads put the generation in their cache key, so one bump (an import finished, a
scrub ran, a merge) makes every cached list page and count of the old data unreachable at
once, with no scan of the cache. Kept in the default cache (Redis in production, shared by
every process); a lost counter only means a cache miss.

With a read replica, a read made just after a bump may still see the old data: such reads are
not cached (:func:`data_generation_settled`) until the replica's maximum lag has passed.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from cmplatform.lib.replica import replica_configured

# Any change of persons (cached list pages and counts).
PERSONS = "persons"
# Bulk changes only: an import, a full scrub (the count summary is rebuilt after these; a
# merge or one person's rescrub changes a few counts, which the summary's "as of" covers).
PERSONS_BULK = "persons-bulk"


def _key(name: str) -> str:
    return f"generation:{name}"


def data_generation(name: str = PERSONS) -> int:
    """The current generation of ``name`` (0 until the first bump)."""
    return int(cache.get(_key(name)) or 0)


def data_generation_settled(name: str = PERSONS) -> bool:
    """Whether a read made now may be cached under the current generation of ``name``: always
    without a replica; with one, once its maximum lag has passed since the last bump."""
    if not replica_configured():
        return True
    key = _key(name) + ":at"
    bumped_at = cache.get(key)
    if bumped_at is None:
        # lost (evicted, a flushed cache): a change may have just happened; wait out the lag
        cache.add(key, time.time(), timeout=None)
        return False
    return time.time() - float(bumped_at) >= settings.REPLICA_MAX_LAG_SECONDS


def data_generation_bump(name: str = PERSONS) -> int:
    """Start a new generation of ``name``: cached reads of the previous one are never used."""
    key = _key(name)
    cache.set(key + ":at", time.time(), timeout=None)
    cache.add(key, 0, timeout=None)
    try:
        return int(cache.incr(key))
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=None)
        return 1


def data_generation_bump_on_commit(*names: str) -> None:
    """Bump ``names`` once the current transaction commits (at once outside one): a reader
    must never cache the old data under the new generation."""

    def bump() -> None:
        for name in names:
            data_generation_bump(name)

    transaction.on_commit(bump)
