"""Reads for golden-record resolution: persons as :class:`~dedupe.scoring.Features`, streamed
in id order a page at a time (each page one index range scan per table)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from django.db.models import QuerySet

from cmplatform.core.models import Address, EmailAddress, Person, PhoneNumber
from cmplatform.lib.normalize import name_key
from dedupe.models import DedupeLog
from dedupe.scoring import Features, suffix_token

# Persons per page: four range queries of this many ids cost ~0.1 s and a few MB.
FEATURE_PAGE_PERSONS = 20_000

_PERSON_COLUMNS = (
    "pk",
    "first_name",
    "first_name_key",
    "last_name",
    "middle_name",
    "last_name_key",
    "suffix",
    "state",
    "zip5",
    "source_updated_at",
    "updated_at",
    "is_manual_override",
    "survivorship",
    "is_duplicate",
    "merged_into_id",
)


def _own(row: dict[str, object], column: str) -> str:
    """A person's own value of ``column``: what it had before survivorship wrote another
    member's value into it (unless someone changed it since)."""
    value = str(row[column] or "")
    survived = row["survivorship"]
    if isinstance(survived, dict) and column in survived:
        own, written = survived[column]
        if value == (written or ""):
            return str(own or "")
    return value


def _features(
    row: dict[str, object],
    phones: Sequence[str],
    emails: Sequence[tuple[str, bool]],
    addresses: Sequence[str],
) -> Features:
    survived = row["survivorship"] if isinstance(row["survivorship"], dict) else {}
    first = _own(row, "first_name")
    first_key = name_key(first) if "first_name" in survived else str(row["first_name_key"])
    last_key = (
        name_key(_own(row, "last_name")) if "last_name" in survived else str(row["last_name_key"])
    )
    middle = _own(row, "middle_name")
    stamp = row["source_updated_at"] or row["updated_at"]
    own = [first_key, last_key, middle, _own(row, "suffix"), _own(row, "zip5")]
    return Features(
        person_id=int(row["pk"]),  # type: ignore[call-overload]
        first=first_key,
        last=last_key,
        middle=name_key(middle)[:1],
        suffix=suffix_token(_own(row, "suffix")),
        zip5=_own(row, "zip5"),
        state=_own(row, "state"),
        phones=tuple(phones),
        emails=tuple(email for email, _ in emails),
        addresses=tuple(addresses),
        updated=stamp.timestamp() if stamp else 0.0,  # type: ignore[attr-defined]
        completeness=sum(1 for value in own if value) + len(phones) + len(emails) + len(addresses),
        is_manual=bool(row["is_manual_override"]),
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
    last_id = 0
    while True:
        bounds = list(
            persons.filter(pk__gt=last_id).values_list("pk", flat=True)[:FEATURE_PAGE_PERSONS]
        )
        if not bounds:
            return
        yield from _page(
            persons.filter(pk__gte=bounds[0], pk__lte=bounds[-1]), bounds[0], bounds[-1]
        )
        last_id = bounds[-1]


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
    for row in persons.values(*_PERSON_COLUMNS):
        person_id = int(row["pk"])
        features = _features(row, phones[person_id], emails[person_id], addresses[person_id])
        golden = row["merged_into_id"] if row["is_duplicate"] else None
        yield features, golden


def merge_history(person_id: int) -> QuerySet[DedupeLog]:
    """Every membership change of a person, as golden record or as member, oldest first."""
    return (
        DedupeLog.objects.filter(golden_id=person_id)
        .union(DedupeLog.objects.filter(person_id=person_id))
        .order_by("created_at", "id")
    )
