"""Each test starts with the calling rules and registry coverage reread from its database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from compliance.services import reference_reload


@pytest.fixture(autouse=True)
def fresh_reference_cache() -> Iterator[None]:
    reference_reload()
    yield
    reference_reload()
