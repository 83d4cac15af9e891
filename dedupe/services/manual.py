"""Manual golden-record actions: merge, unmerge, make golden and review decisions. Each is
audited, logged in ``dedupe_log`` and remembered as a manual decision every later run obeys."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cmplatform.core.golden_facts import golden_facts_refresh
from cmplatform.core.models import AuditLog, Person, PersonDuplicate
from cmplatform.core.services import Actor, acting_user, audit_record, person_update
from compliance.scrub import compliance_rescrub
from dedupe.models import DedupeLog, ManualDecision, ReviewPair
from dedupe.services.runs import SURVIVING_FIELDS, ResolutionError, golden_survivorship_refresh


def _decide(kind: str, a: int, b: int | None, by: Actor) -> None:
    low, high = (a, None) if b is None else (min(a, b), max(a, b))
    user = acting_user(by)
    ManualDecision.objects.create(
        kind=kind, person_low_id=low, person_high_id=high, decided_by=user
    )


def _link(person_id: int, golden: Person, *, score: float, reason: str, by: Actor) -> None:
    """Point person ``person_id`` and everyone linked to it at ``golden``, with link and log
    rows, in a few statements (a cluster is small, but no statement per member)."""
    user = acting_user(by)
    members = [
        (member_id, merged_into if is_duplicate else None)
        for member_id, is_duplicate, merged_into in Person.objects.filter(
            Q(pk=person_id) | Q(merged_into_id=person_id, is_duplicate=True)
        ).values_list("pk", "is_duplicate", "merged_into_id")
    ]
    ids = [member_id for member_id, _ in members]
    now = timezone.now()
    Person.objects.filter(pk__in=ids).update(
        is_duplicate=True, is_original=False, merged_into=golden, updated_at=now
    )
    PersonDuplicate.objects.filter(duplicate_id__in=ids).delete()
    PersonDuplicate.objects.bulk_create(
        PersonDuplicate(
            original=golden,
            duplicate_id=member_id,
            match_score=score,
            match_reason=reason,
            evidence={"decided_by": getattr(user, "username", "")},
            merged_at=now,
        )
        for member_id in ids
    )
    DedupeLog.objects.bulk_create(
        [
            DedupeLog(
                action=DedupeLog.Action.UNMERGE,
                golden_id=previous,
                person_id=member_id,
                reason=reason,
                actor=user,
            )
            for member_id, previous in members
            if previous is not None
        ]
        + [
            DedupeLog(
                action=DedupeLog.Action.MERGE,
                golden_id=golden.pk,
                person_id=member_id,
                score=score,
                reason=reason,
                actor=user,
            )
            for member_id in ids
        ]
    )


@transaction.atomic
def persons_merge(
    *,
    golden: Person,
    duplicates: Sequence[Person],
    values: dict[str, str] | None = None,
    by: Actor,
    origin: str = AuditLog.Origin.ADMIN,
) -> Person:
    """Merge ``duplicates`` into ``golden`` by a person's decision: links (never deletes) and
    remembers the decision for every later run, audited with before/after; the chosen
    surviving ``values`` are then a manual edit of the golden record (``person_update``:
    locked fields, audited as an override)."""
    golden = Person.objects.select_for_update().get(pk=golden.pk)
    if golden.is_duplicate:
        raise ResolutionError(
            f"Person {golden.pk} is a duplicate of {golden.merged_into_id}; "
            "merge into that golden record."
        )
    others = [p for p in duplicates if p.pk != golden.pk]
    if not others:
        raise ResolutionError("Choose at least one other person to merge.")
    unknown = set(values or {}) - set(SURVIVING_FIELDS)
    if unknown:
        raise ResolutionError(f"These fields cannot be chosen: {', '.join(sorted(unknown))}.")
    before = {name: getattr(golden, name) for name in SURVIVING_FIELDS}
    for person in others:
        _decide(ManualDecision.Kind.SAME, golden.pk, person.pk, by)
        _link(person.pk, golden, score=1.0, reason="manual merge", by=by)
    _decide(ManualDecision.Kind.GOLDEN, golden.pk, None, by)
    golden_survivorship_refresh([golden.pk], None, actor=by)
    golden.refresh_from_db()
    after = {name: getattr(golden, name) for name in SURVIVING_FIELDS}
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.MERGE,
        obj=golden,
        changes={"merged": [p.pk for p in others], "before": before, "after": after},
    )
    if values:
        golden = person_update(person=golden, changes=values, by=by, origin=origin)
    golden_facts_refresh(person_ids=[golden.pk, *(p.pk for p in others)])
    compliance_rescrub([golden.pk, *(p.pk for p in others)])
    return golden


@transaction.atomic
def person_unmerge(*, person: Person, by: Actor, origin: str = AuditLog.Origin.ADMIN) -> Person:
    """Undo a merge: ``person`` is its own golden record again, exactly as its own data says
    (its row was never changed), and the former golden record gets back its own values for
    every field survivorship had filled from the cluster. Later runs keep the two apart."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if not person.is_duplicate or person.merged_into_id is None:
        raise ResolutionError(f"Person {person.pk} is not merged into another person.")
    golden_id = person.merged_into_id
    user = acting_user(by)
    ManualDecision.objects.filter(
        kind=ManualDecision.Kind.SAME,
        is_active=True,
        person_low_id__in=(person.pk, golden_id),
        person_high_id__in=(person.pk, golden_id),
    ).update(is_active=False)
    _decide(ManualDecision.Kind.DIFFERENT, person.pk, golden_id, by)
    Person.objects.filter(pk=person.pk).update(
        is_duplicate=False, is_original=True, merged_into=None, updated_at=timezone.now()
    )
    PersonDuplicate.objects.filter(duplicate=person).delete()
    DedupeLog.objects.create(
        action=DedupeLog.Action.UNMERGE,
        golden_id=golden_id,
        person_id=person.pk,
        reason="manual unmerge",
        actor=user,
    )
    golden_survivorship_refresh([golden_id, person.pk], None, actor=by)
    person.refresh_from_db()
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.UNMERGE,
        obj=person,
        changes={"unmerged_from": golden_id},
    )
    golden_facts_refresh(person_ids=[golden_id, person.pk])
    compliance_rescrub([golden_id, person.pk])
    return person


@transaction.atomic
def person_make_golden(*, person: Person, by: Actor, origin: str = AuditLog.Origin.ADMIN) -> Person:
    """Make ``person`` the golden record of its cluster (a manual verification, which every
    later run keeps)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _decide(ManualDecision.Kind.GOLDEN, person.pk, None, by)
    former = person.merged_into_id if person.is_duplicate else None
    if former is not None:
        Person.objects.filter(pk=person.pk).update(
            is_duplicate=False, is_original=True, merged_into=None
        )
        PersonDuplicate.objects.filter(duplicate=person).delete()
        person.refresh_from_db()
        _link(former, person, score=1.0, reason="manual golden", by=by)
        golden_survivorship_refresh([former, person.pk], None, actor=by)
        golden_facts_refresh(person_ids=[former, person.pk])
        compliance_rescrub([former, person.pk])
    Person.objects.filter(pk=person.pk).update(is_manual_override=True)
    person.refresh_from_db()
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.OVERRIDE,
        obj=person,
        changes={"golden": True, "replaced_golden": former},
    )
    return person


@transaction.atomic
def review_pair_decide(
    *, pair: ReviewPair, same_person: bool, by: Actor, origin: str = AuditLog.Origin.ADMIN
) -> ReviewPair:
    """A person's verdict on a pair from the review queue: the same person (merged into the
    golden record of the first, remembered for every later run) or different persons (kept
    apart by every later run). Audited."""
    pair = ReviewPair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != ReviewPair.Status.OPEN:
        raise ResolutionError(f"Pair {pair.pk} was already decided ({pair.get_status_display()}).")
    low = Person.objects.get(pk=pair.person_low_id)
    high = Person.objects.get(pk=pair.person_high_id)
    if same_person:
        golden = low.merged_into if low.is_duplicate and low.merged_into else low
        other = high.merged_into if high.is_duplicate and high.merged_into else high
        if golden.pk != other.pk:
            persons_merge(golden=golden, duplicates=[other], by=by, origin=origin)
        pair.status = ReviewPair.Status.MERGED
    else:
        _decide(ManualDecision.Kind.DIFFERENT, low.pk, high.pk, by)
        pair.status = ReviewPair.Status.REJECTED
    pair.decided_by = acting_user(by)
    pair.decided_at = timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.UPDATE,
        obj=pair,
        changes={"status": [ReviewPair.Status.OPEN, pair.status]},
    )
    return pair
