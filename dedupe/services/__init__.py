"""Write services of golden-record resolution (design: ``docs/golden-records.md``).

* :mod:`dedupe.services.runs` — full and incremental runs in one process;
* :mod:`dedupe.services.sharded` — a full run split into Celery tasks by block;
* :mod:`dedupe.services.manual` — merge, unmerge, make golden, review decisions.
"""

from dedupe.services.manual import (
    person_make_golden,
    person_unmerge,
    persons_merge,
    review_pair_decide,
)
from dedupe.services.runs import ResolutionError, dedupe_run, mark_household_phones

__all__ = [
    "ResolutionError",
    "dedupe_run",
    "mark_household_phones",
    "person_make_golden",
    "person_unmerge",
    "persons_merge",
    "review_pair_decide",
]
