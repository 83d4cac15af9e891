"""Reads over ingestion's tables."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F
from django.db.models.functions import Coalesce

from cmplatform.lib.pagination import keyset_pages
from ingestion.models import SourceRecord

# Rows fetched per keyset page: one page is a few MB whatever the table's size.
EXPORT_PAGE_ROWS = 20_000


def source_record_clusters() -> Iterator[tuple[str, str, int, int]]:
    """``(source, source_key, person_id, golden_id)`` for every source record, in id order,
    keyset-paginated with the person joined; ``golden_id`` is the person's golden record
    (itself unless it is a linked duplicate)."""
    rows = SourceRecord.objects.annotate(
        golden_id=Coalesce(F("person__merged_into_id"), F("person_id"))
    ).values_list("pk", "source", "source_key", "person_id", "golden_id")
    for page in keyset_pages(rows, page_rows=EXPORT_PAGE_ROWS):
        for _, source, source_key, person_id, golden_id in page:
            yield source, source_key, person_id, golden_id
