"""Reads for golden-record resolution: persons as :class:`~dedupe.scoring.Features`, streamed
in id order a page at a time (each page one index range scan per table)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from cmplatform.core.models import Address, EmailAddress, Person, PhoneNumber
from cmplatform.lib.normalize import name_key
from cmplatform.lib.pagination import keyset_pages
from dedupe.scoring import Features, suffix_token

# Persons per page: four range queries of this many ids cost ~0.1 s and a few MB.
FEATURE_PAGE_PERSONS = 20_000

_PERSON_COLUMNS = (
    "pk",
    "first_name_key",
    "last_name_key",
    "middle_name",
    "suffix",
    "state",
    "zip5",
    "stamp",
    "is_manual_override",
    "is_duplicate",
    "merged_into_id",
)


def own_values(values: dict[str, str], survived: dict[str, Any]) -> dict[str, str]:
    """A person's own values: what each field had before survivorship wrote another member's
    value into it (unless someone changed it since)."""
    own = dict(values)
    for column, entry in survived.items():
        if column in own and isinstance(entry, list) and own[column] == (entry[1] or ""):
            own[column] = entry[0] or ""
    return own


def _features(
    row: tuple[Any, ...],
    survived: dict[str, Any] | None,
    phones: Sequence[str],
    emails: Sequence[tuple[str, bool]],
    addresses: Sequence[str],
) -> Features:
    pk, first_key, last_key, middle, suffix, state, zip5, stamp, is_manual = row[:9]
    middle, suffix, state, zip5 = middle or "", suffix or "", state or "", zip5 or ""
    if survived:
        # the few golden records survivorship filled: compare what they brought themselves
        own = own_values(
            {"middle_name": middle, "suffix": suffix, "state": state, "zip5": zip5},
            survived,
        )
        middle, suffix, state, zip5 = own["middle_name"], own["suffix"], own["state"], own["zip5"]
        names = own_values(survived["_names"], survived)
        if names["first_name"] != survived["_names"]["first_name"]:
            first_key = name_key(names["first_name"])
        if names["last_name"] != survived["_names"]["last_name"]:
            last_key = name_key(names["last_name"])
    filled = sum(1 for value in (first_key, last_key, middle, suffix, zip5) if value)
    return Features(
        person_id=pk,
        first=first_key or "",
        last=last_key or "",
        middle=name_key(middle)[:1],
        suffix=suffix_token(suffix),
        zip5=zip5,
        state=state,
        phones=tuple(phones),
        emails=tuple(email for email, _ in emails),
        addresses=tuple(addresses),
        updated=stamp.timestamp() if stamp else 0.0,
        completeness=filled + len(phones) + len(emails) + len(addresses),
        is_manual=bool(is_manual),
        has_verified_email=any(verified for _, verified in emails),
        has_verified_phone=bool(phones),
    )


def person_features(
    ids: Sequence[int] | None = None,
) -> Iterator[tuple[Features, int | None]]:
    """``(features, golden id or None)`` of every person (or of ``ids``), in id order."""
    persons: QuerySet[Person] = Person.objects.order_by("pk")
    if ids is not None:
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), FEATURE_PAGE_PERSONS):
            page_ids = ordered[start : start + FEATURE_PAGE_PERSONS]
            yield from _page(persons.filter(pk__in=page_ids), page_ids[0], page_ids[-1])
        return
    for bounds in keyset_pages(
        persons.values_list("pk", flat=True), page_rows=FEATURE_PAGE_PERSONS
    ):
        yield from _page(
            persons.filter(pk__gte=bounds[0], pk__lte=bounds[-1]), bounds[0], bounds[-1]
        )


def _page(persons: QuerySet[Person], low: int, high: int) -> Iterator[tuple[Features, int | None]]:
    phones: dict[int, list[str]] = defaultdict(list)
    for person_id, e164 in (
        PhoneNumber.objects.filter(person_id__gte=low, person_id__lte=high, e164__isnull=False)
        .order_by("person_id", "pk")
        .values_list("person_id", "e164")
    ):
        phones[person_id].append(e164 or "")
    emails: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for person_id, email, verified in (
        EmailAddress.objects.filter(person_id__gte=low, person_id__lte=high, is_valid=True)
        .order_by("person_id", "pk")
        .values_list("person_id", "email", "is_verified")
    ):
        emails[person_id].append((email, verified))
    addresses: dict[int, list[str]] = defaultdict(list)
    for person_id, address_key in (
        Address.objects.filter(person_id__gte=low, person_id__lte=high)
        .exclude(street="")
        .order_by("person_id", "pk")
        .values_list("person_id", "address_key")
    ):
        addresses[person_id].append(address_key)
    # The few golden records survivorship filled, with their current names to tell whether
    # a filled name is still the one survivorship wrote.
    survived = {
        pk: {
            **value,
            "_names": {"first_name": first or "", "last_name": last or ""},
        }
        for pk, value, first, last in persons.exclude(survivorship={}).values_list(
            "pk", "survivorship", "first_name", "last_name"
        )
    }
    rows = persons.annotate(stamp=Coalesce("source_updated_at", "updated_at")).values_list(
        *_PERSON_COLUMNS
    )
    for row in rows:
        person_id = row[0]
        features = _features(
            row,
            survived.get(person_id),
            phones[person_id],
            emails[person_id],
            addresses[person_id],
        )
        yield features, row[10] if row[9] else None
