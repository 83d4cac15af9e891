"""US name pools, frequency weighted, from Faker's en_US person provider (derived from US
Census / SSA frequency tables). Faker is pinned in requirements.txt, so the pools, and with
them every generated file, are the same on every machine.

Weights are integers (parts per billion) so that sampling never depends on float rounding.
"""

from __future__ import annotations

from collections.abc import Mapping

from faker.providers.person.en_US import Provider

PARTS_PER_BILLION = 1_000_000_000


def _pool(weighted: Mapping[str, float]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Split Faker's ``{name: share}`` mapping into names and integer weights (ppb)."""
    return tuple(weighted), tuple(round(weight * PARTS_PER_BILLION) for weight in weighted.values())


FEMALE_FIRST, FEMALE_FIRST_WEIGHTS = _pool(Provider.first_names_female)
MALE_FIRST, MALE_FIRST_WEIGHTS = _pool(Provider.first_names_male)
LAST_NAMES, LAST_NAME_WEIGHTS = _pool(Provider.last_names)
