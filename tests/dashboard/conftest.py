"""Dashboard test fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Cached list pages, counts and data generations never leak from one test to the next
    (the test database starts empty each time, the cache does not)."""
    cache.clear()
    yield
    cache.clear()
