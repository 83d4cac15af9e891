"""Reads behind the lead pages: a person's cluster, its contact points and where each value
came from, the lifecycle timeline, compliance per channel and the duplicates.

Every read is driven by an index that leads with the person (or the golden record) and is
bounded, so a page costs the same number of queries whatever the person's history: a cluster
is the golden record and at most :data:`CLUSTER_DUPLICATES` of its duplicates (IN-lists of at
most 100 ids, MariaDB's index-dive limit), and each timeline source contributes its newest
:data:`SOURCE_ROWS` rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cmplatform.core.models import (
    Address,
    AuditLog,
    Channel,
    EmailAddress,
    Person,
    PersonDuplicate,
    PhoneNumber,
    Touchpoint,
)
from cmplatform.lib.normalize import phone_number_key
from compliance import tags
from compliance.models import ComplianceEvaluation, Consent, Suppression, Tag
from dedupe.models import DedupeLog, ReviewPair
from dedupe.services.runs import SURVIVING_FIELDS
from ingestion.mapping import ColumnMapping
from ingestion.models import ImportBatch, RecordVersion, SourceRecord
from ingestion.records import NormalizedRecord, Rules, normalize_record
from ingestion.sources import SourceRow

# Duplicates read with their golden record: with it, 100 ids per IN-list.
CLUSTER_DUPLICATES = 99
# Newest rows read from each timeline source (and contact points of each kind).
SOURCE_ROWS = 200
# Identifiers (numbers, e-mails, address keys) looked up in the suppression list.
IDENTIFIERS = 100
# Persons the merge page compares with the golden record.
MERGE_PERSONS = 10

PERSON_TYPE = Person._meta.label_lower
CHANNELS = (Channel.CALL, Channel.SMS, Channel.EMAIL, Channel.MAIL)


@dataclass
class Cluster:
    """The person a page is about and the persons whose data it shows: a golden record with
    its duplicates, or a duplicate alone (its golden record is one link away)."""

    subject: Person
    golden: Person
    members: list[Person]
    more_members: bool = False

    @property
    def is_golden(self) -> bool:
        return self.subject.pk == self.golden.pk

    @property
    def ids(self) -> list[int]:
        return [member.pk for member in self.members]

    @property
    def duplicates(self) -> list[Person]:
        return [member for member in self.members if member.pk != self.subject.pk]


def lead_cluster(person: Person) -> Cluster:
    """``person`` with what its page shows: for a golden record, itself and its duplicates
    (oldest first, at most :data:`CLUSTER_DUPLICATES`); for a duplicate, itself, with its
    golden record."""
    if person.is_duplicate and person.merged_into_id is not None:
        golden = Person.objects.get(pk=person.merged_into_id)
        return Cluster(subject=person, golden=golden, members=[person])
    duplicates = list(
        Person.objects.filter(merged_into_id=person.pk, is_duplicate=True).order_by("pk")[
            : CLUSTER_DUPLICATES + 1
        ]
    )
    return Cluster(
        subject=person,
        golden=person,
        members=[person, *duplicates[:CLUSTER_DUPLICATES]],
        more_members=len(duplicates) > CLUSTER_DUPLICATES,
    )


def import_url(batch_id: int) -> str | None:
    """The dashboard page of an import, when the dashboard has one."""
    try:
        return reverse("dashboard:imports:detail", args=[batch_id])
    except NoReverseMatch:
        return None


# -- lineage ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """One accepted source row that brought a value (a row of ``record_versions``)."""

    version_id: int
    batch_id: int
    row_number: int
    source: str
    source_key: str
    person_id: int
    outcome: str
    recorded_at: dt.datetime
    batch_url: str | None


@dataclass
class Lineage:
    """The newest source rows of the cluster, what each brought (normalised as the import
    normalised it), and the current state of their source records."""

    versions: list[RecordVersion]
    batches: dict[int, ImportBatch]
    brought: dict[int, NormalizedRecord]
    source_records: list[SourceRecord]
    origins: dict[int, Origin]

    @property
    def rows(self) -> list[tuple[RecordVersion, Origin]]:
        return [(version, self.origins[version.pk]) for version in self.versions]

    def origins_of(self, match: Any) -> list[Origin]:
        """Origins of the rows for which ``match(version, record)`` holds, newest first."""
        return [
            self.origins[version.pk]
            for version in self.versions
            if version.pk in self.brought and match(version, self.brought[version.pk])
        ]


def _column_mapping(batch: ImportBatch | None) -> ColumnMapping | None:
    fields = (batch.mapping or {}).get("fields") if batch is not None else None
    if not isinstance(fields, dict):
        return None
    return ColumnMapping(
        fields={name: tuple(columns) for name, columns in fields.items()},
        unmapped=tuple(batch.mapping.get("unmapped") or ()) if batch is not None else (),
    )


def _normalized(version: RecordVersion, mapping: ColumnMapping) -> NormalizedRecord | None:
    """What a lineage row brought, normalised with its import's mapping (no required-field
    rules: the row was accepted)."""
    try:
        values = json.loads(version.values)
    except ValueError:
        return None
    if not isinstance(values, dict):
        return None
    row = SourceRow(number=version.row_number, location="", values=values)
    record = normalize_record(row, mapping, Rules(required=()))
    return record if isinstance(record, NormalizedRecord) else None


def lead_lineage(cluster: Cluster) -> Lineage:
    """The cluster's newest :data:`SOURCE_ROWS` lineage rows (``record_versions`` by person),
    their imports, and the source records they belong to."""
    versions = list(
        RecordVersion.objects.filter(person_id__in=cluster.ids).order_by("-pk")[:SOURCE_ROWS]
    )
    batches = ImportBatch.objects.only("pk", "source", "mapping", "created_at").in_bulk(
        {version.batch_id for version in versions}
    )
    brought: dict[int, NormalizedRecord] = {}
    mappings = {pk: _column_mapping(batch) for pk, batch in batches.items()}
    for version in versions:
        mapping = mappings.get(version.batch_id)
        record = _normalized(version, mapping) if mapping is not None else None
        if record is not None:
            brought[version.pk] = record
    keys: dict[str, set[str]] = defaultdict(set)
    for version in versions:
        keys[version.source].add(version.source_key)
    source_records: list[SourceRecord] = []
    if keys:
        # One range of the (source, source_key) unique index per source.
        condition = Q()
        for source, source_keys in keys.items():
            condition |= Q(source=source, source_key__in=sorted(source_keys))
        source_records = list(SourceRecord.objects.filter(condition).order_by("source", "pk"))
    urls = {batch_id: import_url(batch_id) for batch_id in {v.batch_id for v in versions}}
    origins = {
        version.pk: Origin(
            version_id=version.pk,
            batch_id=version.batch_id,
            row_number=version.row_number,
            source=version.source,
            source_key=version.source_key,
            person_id=version.person_id,
            outcome=version.get_outcome_display(),
            recorded_at=version.recorded_at,
            batch_url=urls[version.batch_id],
        )
        for version in versions
    }
    return Lineage(versions, batches, brought, source_records, origins)


def tag_label(tag: str) -> str:
    """A compliance tag's label ("DNC_FEDERAL" → "National DNC registry")."""
    try:
        return str(Tag(tag).label)
    except ValueError:
        return tag


def tagged(flags: int) -> list[tuple[str, str]]:
    """Every tag a bit set holds (:func:`compliance.tags.tags_of`) with its label."""
    return [(tag, tag_label(tag)) for tag in tags.tags_of(flags)]


# -- contact points ---------------------------------------------------------------------------


@dataclass
class ContactPoint:
    """A phone number, e-mail address or postal address with its compliance reading and the
    source rows that brought it."""

    kind: str  # phone | email | address
    point: PhoneNumber | EmailAddress | Address
    tags: list[tuple[str, str]] = field(default_factory=list)
    clear_for: list[str] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)


@dataclass
class ContactPoints:
    phones: list[ContactPoint]
    emails: list[ContactPoint]
    addresses: list[ContactPoint]

    def identifiers(self) -> dict[str, list[str]]:
        """Suppression identifiers of the contact points (E.164, e-mail, address key)."""
        phones = [p.point.e164 for p in self.phones if isinstance(p.point, PhoneNumber)]
        return {
            Suppression.IdentifierType.PHONE: sorted({e164 for e164 in phones if e164}),
            Suppression.IdentifierType.EMAIL: sorted(
                {p.point.email for p in self.emails if isinstance(p.point, EmailAddress)}
            ),
            Suppression.IdentifierType.ADDRESS: sorted(
                {
                    p.point.address_key
                    for p in self.addresses
                    if isinstance(p.point, Address) and p.point.address_key
                }
            ),
        }


def _phone_clear_channels(flags: int) -> list[str]:
    return [
        str(channel.label)
        for channel in (Channel.CALL, Channel.SMS)
        if flags & tags.CLEAR_BIT[channel]
    ]


def lead_contact_points(cluster: Cluster, lineage: Lineage) -> ContactPoints:
    """Every phone, e-mail and address of the cluster (primary first), each with the tags the
    compliance scrub found and the source rows that brought it."""
    ids = cluster.ids
    phones = PhoneNumber.objects.filter(person_id__in=ids).order_by("-is_primary", "pk")
    emails = EmailAddress.objects.filter(person_id__in=ids).order_by("-is_primary", "pk")
    addresses = Address.objects.filter(person_id__in=ids).order_by("-is_primary", "pk")

    def phone_match(phone: PhoneNumber) -> Any:
        return lambda version, record: (
            version.person_id == phone.person_id
            and any(
                phone_number_key(raw=value.raw, e164=value.e164) == phone.number_key
                for value in record.phones
            )
        )

    def email_match(email: EmailAddress) -> Any:
        return lambda version, record: (
            version.person_id == email.person_id
            and any(
                (value.email or value.raw.strip().lower()) == email.email for value in record.emails
            )
        )

    def address_match(address: Address) -> Any:
        return lambda version, record: (
            version.person_id == address.person_id
            and record.address is not None
            and record.address.address_key == address.address_key
        )

    return ContactPoints(
        phones=[
            ContactPoint(
                "phone",
                phone,
                tags=tagged(phone.compliance_flags),
                clear_for=_phone_clear_channels(phone.compliance_flags),
                origins=lineage.origins_of(phone_match(phone)),
            )
            for phone in phones[:SOURCE_ROWS]
        ],
        emails=[
            ContactPoint("email", email, origins=lineage.origins_of(email_match(email)))
            for email in emails[:SOURCE_ROWS]
        ],
        addresses=[
            ContactPoint("address", address, origins=lineage.origins_of(address_match(address)))
            for address in addresses[:SOURCE_ROWS]
        ],
    )


# -- field values: lineage, survivorship, overrides -------------------------------------------


@dataclass
class FieldValue:
    """One golden-record field: its value and why it holds it."""

    name: str
    value: str
    how: str  # own | survivorship | override
    own_value: str = ""
    donors: list[Person] = field(default_factory=list)
    override_by: str = ""
    override_at: dt.datetime | None = None
    origins: list[Origin] = field(default_factory=list)


def _brought_value(record: NormalizedRecord, name: str) -> str:
    if name in ("state", "county", "zip5"):
        if record.address is None:
            return ""
        return str(getattr(record.address, name) or "")
    return str(getattr(record, name) or "")


def _stamp(person: Person) -> float:
    moment = person.source_updated_at or person.updated_at
    return moment.timestamp() if moment else 0.0


def lead_field_values(
    cluster: Cluster, lineage: Lineage, audit: Sequence[AuditLog]
) -> list[FieldValue]:
    """The subject's surviving fields: each value with the source rows that brought it, the
    cluster member survivorship took it from, or who set it by hand (from the audit log)."""
    subject = cluster.subject
    survived = subject.survivorship or {}
    locked = set(subject.manual_override_fields or ())
    newest_first = sorted(
        (member for member in cluster.members if member.pk != subject.pk),
        key=lambda member: (-_stamp(member), member.pk),
    )
    values = []
    for name in SURVIVING_FIELDS:
        value = str(getattr(subject, name) or "")
        item = FieldValue(name=name, value=value, how="own")
        entry = survived.get(name)
        if name in locked:
            item.how = "override"
            entry_audit = next(
                (
                    row
                    for row in audit
                    if row.object_id == str(subject.pk)
                    and row.action in (AuditLog.Action.OVERRIDE, AuditLog.Action.UPDATE)
                    and name in (row.changes or {})
                ),
                None,
            )
            if entry_audit is not None:
                item.override_by = entry_audit.actor_username or "system"
                item.override_at = entry_audit.occurred_at
        elif isinstance(entry, list) and len(entry) == 2 and (entry[1] or "") == value:
            item.how = "survivorship"
            item.own_value = entry[0] or ""
            item.donors = [m for m in newest_first if (getattr(m, name) or "") == value][:1]
        if value:
            folded = value.casefold()
            item.origins = lineage.origins_of(
                lambda version, record, name=name, folded=folded: (
                    _brought_value(record, name).casefold() == folded
                )
            )
        values.append(item)
    return values


# -- compliance -------------------------------------------------------------------------------


@dataclass
class ChannelCompliance:
    channel: str
    label: str
    status: str
    status_label: str
    tags: list[tuple[str, str]]
    has_clear_point: bool


@dataclass
class ComplianceReading:
    """The golden record's status per channel with every tag, the suppressions touching the
    cluster (its persons or their numbers, e-mails and addresses) and its consents."""

    channels: list[ChannelCompliance]
    checked_at: dt.datetime | None
    suppressions: list[Suppression]
    consents: list[Consent]

    @property
    def suppressions_in_force(self) -> list[Suppression]:
        return [suppression for suppression in self.suppressions if suppression.is_active]


def lead_compliance(cluster: Cluster, points: ContactPoints) -> ComplianceReading:
    """Compliance of the cluster's golden record (statuses live on golden records)."""
    golden = cluster.golden
    channels = []
    for channel in CHANNELS:
        flags = getattr(golden, f"{channel.value}_flags") or 0
        status = getattr(golden, f"{channel.value}_status") or ""
        channels.append(
            ChannelCompliance(
                channel=channel.value,
                label=str(channel.label),
                status=status,
                status_label=tag_label(status) if status else "Not yet scrubbed",
                tags=tagged(flags),
                has_clear_point=bool(flags & tags.CLEAR_BIT[channel]),
            )
        )
    by_person = Suppression.objects.filter(person_id__in=cluster.ids)
    suppressions = {s.pk: s for s in by_person.order_by("-pk")[:SOURCE_ROWS]}
    condition = Q()
    for kind, identifiers in points.identifiers().items():
        if identifiers:
            condition |= Q(identifier_type=kind, identifier__in=identifiers[:IDENTIFIERS])
    if condition:
        # Ranges of one index, (identifier_type, identifier, is_active).
        for suppression in Suppression.objects.filter(condition).order_by("-pk")[:SOURCE_ROWS]:
            suppressions.setdefault(suppression.pk, suppression)
    consents = list(Consent.objects.filter(person_id__in=cluster.ids).order_by("-pk")[:SOURCE_ROWS])
    return ComplianceReading(
        channels=channels,
        checked_at=golden.compliance_checked_at,
        suppressions=sorted(suppressions.values(), key=lambda s: s.pk, reverse=True),
        consents=consents,
    )


# -- duplicates and review pairs --------------------------------------------------------------


@dataclass
class DuplicateLink:
    person: Person
    link: PersonDuplicate | None


@dataclass
class ReviewCandidate:
    pair: ReviewPair
    other: Person

    @property
    def merge_target(self) -> int:
        """The id to merge with: the other person's golden record."""
        return self.other.merged_into_id or self.other.pk


def lead_duplicates(cluster: Cluster) -> list[DuplicateLink]:
    """The duplicates linked to the golden record with their match evidence; for a duplicate's
    page, its own link to its golden record."""
    if not cluster.is_golden:
        links = PersonDuplicate.objects.filter(duplicate=cluster.subject).order_by("-pk")[:1]
        return [DuplicateLink(cluster.subject, next(iter(links), None))]
    by_duplicate = {
        link.duplicate_id: link
        for link in PersonDuplicate.objects.filter(
            original=cluster.golden, duplicate_id__in=[m.pk for m in cluster.duplicates]
        )
    }
    return [DuplicateLink(member, by_duplicate.get(member.pk)) for member in cluster.duplicates]


def lead_review_pairs(cluster: Cluster) -> list[ReviewCandidate]:
    """Open pairs of the review queue involving a person of the cluster (two index look-ups:
    the pair key leads with the lower id, another index with the higher)."""
    ids = cluster.ids
    open_pairs = ReviewPair.objects.filter(status=ReviewPair.Status.OPEN).select_related(
        "person_low", "person_high"
    )
    pairs = {
        pair.pk: pair
        for pair in [
            *open_pairs.filter(person_low_id__in=ids).order_by("-probability")[:SOURCE_ROWS],
            *open_pairs.filter(person_high_id__in=ids).order_by("-probability")[:SOURCE_ROWS],
        ]
    }
    members = set(ids)
    candidates = [
        ReviewCandidate(
            pair, pair.person_high if pair.person_low_id in members else pair.person_low
        )
        for pair in pairs.values()
    ]
    return sorted(candidates, key=lambda c: (-c.pair.probability, c.pair.pk))


# -- timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One event of a lead's life."""

    at: dt.datetime
    kind: str  # touchpoint | import | merge | compliance | audit
    title: str
    detail: str = ""
    person_id: int | None = None
    actor: str = ""
    url: str | None = None


@dataclass
class Timeline:
    items: list[TimelineItem]
    # Sources whose newest SOURCE_ROWS rows were all read (older ones exist).
    truncated: list[str]


def lead_audit(cluster: Cluster) -> list[AuditLog]:
    """The newest audit entries of the cluster's persons (``audit_log`` object index)."""
    return list(
        AuditLog.objects.filter(
            object_type=PERSON_TYPE, object_id__in=[str(pk) for pk in cluster.ids]
        ).order_by("-occurred_at", "-pk")[:SOURCE_ROWS]
    )


def _changes_text(changes: dict[str, Any]) -> str:
    """An audit entry's changes in one line: ``field: before → after``; a merge's persons and
    the fields it changed."""
    changes = dict(changes or {})
    parts = []
    if "merged" in changes:
        merged = changes.pop("merged") or []
        parts.append("merged " + ", ".join(f"#{pk}" for pk in merged))
    before, after = changes.pop("before", None), changes.pop("after", None)
    if isinstance(before, dict) and isinstance(after, dict):
        changes.update(
            {
                name: [before.get(name), after.get(name)]
                for name in after
                if before.get(name) != after.get(name)
            }
        )
    for name, change in sorted(changes.items()):
        if isinstance(change, list) and len(change) == 2:
            parts.append(f"{name}: {change[0] or '—'} → {change[1] or '—'}")
        else:
            parts.append(f"{name}: {change}")
    return "; ".join(parts)


def _touchpoints(cluster: Cluster) -> tuple[list[Touchpoint], bool]:
    """The newest touchpoints of each channel: one read of the (person, channel, occurred_at)
    index per channel, newest first."""
    found: list[Touchpoint] = []
    truncated = False
    for channel in CHANNELS:
        rows = list(
            Touchpoint.objects.filter(person_id__in=cluster.ids, channel=channel)
            .select_related("campaign")
            .order_by("-occurred_at", "-pk")[:SOURCE_ROWS]
        )
        truncated = truncated or len(rows) == SOURCE_ROWS
        found.extend(rows)
    found.sort(key=lambda touchpoint: (touchpoint.occurred_at, touchpoint.pk), reverse=True)
    return found[:SOURCE_ROWS], truncated or len(found) > SOURCE_ROWS


def _dedupe_log(cluster: Cluster) -> list[DedupeLog]:
    """Membership changes of the cluster's persons, as golden record or as member (one index
    each: an OR of the two columns would scan)."""
    ids = cluster.ids
    rows = {
        row.pk: row
        for query in (
            DedupeLog.objects.filter(golden_id__in=ids),
            DedupeLog.objects.filter(person_id__in=ids),
        )
        for row in query.select_related("actor").order_by("-created_at", "-pk")[:SOURCE_ROWS]
    }
    return sorted(rows.values(), key=lambda row: (row.created_at, row.pk), reverse=True)


def _items_of_touchpoints(touchpoints: Iterable[Touchpoint]) -> Iterable[TimelineItem]:
    for touchpoint in touchpoints:
        campaign = touchpoint.campaign.name if touchpoint.campaign else "no campaign"
        yield TimelineItem(
            at=touchpoint.occurred_at,
            kind="touchpoint",
            title=f"{touchpoint.get_channel_display()}: {touchpoint.get_status_display()}",
            detail=f"{campaign}" + (f" · {touchpoint.source}" if touchpoint.source else ""),
            person_id=touchpoint.person_id,
        )


def _items_of_imports(lineage: Lineage) -> Iterable[TimelineItem]:
    for version in lineage.versions:
        origin = lineage.origins[version.pk]
        yield TimelineItem(
            at=version.recorded_at,
            kind="import",
            title=f"Import {version.batch_id} ({version.source}): {origin.outcome.lower()}",
            detail=f"row {version.row_number}, key {version.source_key}, "
            f"matched by {version.match_rule or '—'}",
            person_id=version.person_id,
            url=origin.batch_url,
        )


_DEDUPE_TITLES: dict[str, str] = {
    DedupeLog.Action.MERGE: "Linked #{person} to golden record #{golden}",
    DedupeLog.Action.UNMERGE: "Unlinked #{person} from golden record #{golden}",
    DedupeLog.Action.GOLDEN: "#{person} made the golden record",
    DedupeLog.Action.SURVIVORSHIP: "Survivorship changed golden record #{golden}",
}


def _items_of_dedupe(rows: Iterable[DedupeLog]) -> Iterable[TimelineItem]:
    for row in rows:
        title = _DEDUPE_TITLES.get(row.action, row.action).format(
            person=row.person_id, golden=row.golden_id
        )
        detail = [row.reason] if row.reason else []
        if row.score is not None:
            detail.append(f"score {row.score:.3f}")
        if row.fields:
            detail.append(_changes_text(row.fields))
        if row.run_id:
            detail.append(f"run {row.run_id}")
        yield TimelineItem(
            at=row.created_at,
            kind="merge",
            title=title,
            detail=" · ".join(detail),
            person_id=row.person_id,
            actor=row.actor.get_username() if row.actor else "",
        )


def _items_of_compliance(reading: ComplianceReading) -> Iterable[TimelineItem]:
    for suppression in reading.suppressions:
        target = suppression.identifier or f"person #{suppression.person_id}"
        what = f"{suppression.get_reason_display()} ({suppression.get_channel_display()})"
        yield TimelineItem(
            at=suppression.created_at,
            kind="compliance",
            title=f"Suppression recorded: {what}",
            detail=f"{target} · {suppression.get_source_display()} · received "
            f"{timezone.localtime(suppression.received_at):%Y-%m-%d %H:%M}"
            + (f" · {suppression.note}" if suppression.note else ""),
            person_id=suppression.person_id,
        )
        if suppression.lifted_at is not None:
            yield TimelineItem(
                at=suppression.lifted_at,
                kind="compliance",
                title=f"Suppression lifted: {what}",
                detail=f"{target} · {suppression.lifted_reason}",
                person_id=suppression.person_id,
            )
    for consent in reading.consents:
        kind = "written consent" if consent.is_written else "consent"
        yield TimelineItem(
            at=consent.obtained_at,
            kind="compliance",
            title=f"{consent.get_channel_display()} {kind} obtained",
            detail=" · ".join(part for part in (consent.phone, consent.evidence) if part),
            person_id=consent.person_id,
        )
        if consent.revoked_at is not None:
            yield TimelineItem(
                at=consent.revoked_at,
                kind="compliance",
                title=f"{consent.get_channel_display()} {kind} revoked",
                detail=consent.phone,
                person_id=consent.person_id,
            )


def _items_of_evaluations(rows: Iterable[ComplianceEvaluation]) -> Iterable[TimelineItem]:
    for row in rows:
        found = ", ".join(row.tags) if row.tags else "no tags"
        yield TimelineItem(
            at=row.evaluated_at,
            kind="compliance",
            title=f"Contact check {row.get_channel_display()}: {row.decision}",
            detail=found + (f" · campaign {row.campaign_id}" if row.campaign_id else ""),
            person_id=row.person_id,
        )


def _items_of_audit(rows: Iterable[AuditLog]) -> Iterable[TimelineItem]:
    for row in rows:
        yield TimelineItem(
            at=row.occurred_at,
            kind="audit",
            title=f"{row.get_action_display()} ({row.get_origin_display()})",
            detail=_changes_text(row.changes),
            person_id=int(row.object_id) if row.object_id.isdigit() else None,
            actor=row.actor_username or "system",
        )


def lead_timeline(
    cluster: Cluster, lineage: Lineage, compliance: ComplianceReading, audit: list[AuditLog]
) -> Timeline:
    """The lead's life, newest first: touchpoints, imports that touched its persons, merges and
    unmerges, compliance changes and checks, and audit entries; each source its newest
    :data:`SOURCE_ROWS` rows."""
    touchpoints, touchpoints_truncated = _touchpoints(cluster)
    dedupe_rows = _dedupe_log(cluster)
    # Point-of-use checks are stored under the golden record (golden_id index).
    evaluations = (
        list(
            ComplianceEvaluation.objects.filter(golden_id=cluster.golden.pk).order_by(
                "-evaluated_at", "-pk"
            )[:SOURCE_ROWS]
        )
        if cluster.is_golden
        else []
    )
    items = [
        *_items_of_touchpoints(touchpoints),
        *_items_of_imports(lineage),
        *_items_of_dedupe(dedupe_rows),
        *_items_of_compliance(compliance),
        *_items_of_evaluations(evaluations),
        *_items_of_audit(audit),
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    truncated = [
        name
        for name, full in (
            ("touchpoints", touchpoints_truncated),
            ("imports", len(lineage.versions) == SOURCE_ROWS),
            ("merges", len(dedupe_rows) >= SOURCE_ROWS),
            ("contact checks", len(evaluations) == SOURCE_ROWS),
            ("audit entries", len(audit) == SOURCE_ROWS),
        )
        if full
    ]
    return Timeline(items=items, truncated=truncated)


# -- merge ------------------------------------------------------------------------------------


@dataclass
class MergeRow:
    """One surviving field on the merge page: each person's value, the golden record's
    checked."""

    name: str
    choices: list[tuple[int, str, bool]]

    @property
    def differs(self) -> bool:
        return len({value for _, value, _ in self.choices}) > 1


def merge_others(golden: Person, other_ids: Sequence[int]) -> tuple[list[Person], list[int]]:
    """The persons to merge into ``golden`` in the order asked, and the ids that name nobody."""
    wanted = [pk for pk in dict.fromkeys(other_ids) if pk != golden.pk][:MERGE_PERSONS]
    found = Person.objects.in_bulk(wanted)
    return [found[pk] for pk in wanted if pk in found], [pk for pk in wanted if pk not in found]


def merge_rows(golden: Person, others: Sequence[Person]) -> list[MergeRow]:
    """The side-by-side values of every surviving field."""
    persons = [golden, *others]
    return [
        MergeRow(
            name=name,
            choices=[
                (person.pk, str(getattr(person, name) or ""), person.pk == golden.pk)
                for person in persons
            ],
        )
        for name in SURVIVING_FIELDS
    ]
