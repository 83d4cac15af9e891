"""The scrub: compliance statuses of every phone and golden record, computed set-based.

Passes of ``UPDATE`` statements, each over a range of ids (``SCRUB_RANGE`` rows), driven by the
primary keys and the indexes of the list tables, so the database does the work:

1. **Phones** — ``phone_numbers.compliance_flags``: invalid, national DNC (not removed), state
   DNC of the number's area-code state or the person's state, registry data too old for the
   area code or an applicable state list, and opt-outs/revocations/internal DNC of the number;
   then the ``CALL_CLEAR``/``SMS_CLEAR`` bits of numbers nothing blocks. ``dnc_status`` mirrors
   the first DNC tag.
2. **Own flags** — ``persons.<channel>_flags`` of every person: the OR of the bits of their own
   phones, e-mails and addresses, plus their person-level suppressions (one correlated
   subquery per table, each on its person index).
3. **Clusters and statuses** — the duplicates' own flags are OR-ed into their golden record's
   (one grouped read and one join update through a staging table), then ``<channel>_status`` in
   rule order. So merging duplicates makes the most restrictive status win, and an unmerge (a
   rescrub of both) gives each its own back. A duplicate's status is blank.

Statuses assume the conservative default that a campaign is a solicitation; the point-of-use
check (:mod:`compliance.services`) lifts DNC tags for a campaign that is not, and adds the
time-dependent rules (calling hours, holidays, caps).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Exists,
    Expression,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable, CombinedExpression
from django.db.models.functions import Coalesce, Substr
from django.db.models.lookups import Exact, GreaterThan, In
from django.utils import timezone

from cmplatform.core.models import Address, Channel, EmailAddress, Person, PhoneNumber
from cmplatform.lib.bulk import (
    Column,
    ColumnType,
    staging_create,
    staging_drop,
    staging_load,
    update_from_staging,
)
from cmplatform.lib.expressions import BitOr
from cmplatform.lib.generation import PERSONS, PERSONS_BULK, data_generation_bump_on_commit
from compliance import tags
from compliance.models import (
    AreaCode,
    FederalDnc,
    RegistryCoverage,
    RegistryKind,
    StateDnc,
    Suppression,
    Tag,
)

# Rows per UPDATE statement: big enough that per-statement overhead vanishes, small enough
# that one statement's undo log and locks stay modest on 84M-row tables.
SCRUB_RANGE = 50_000
# Ids per incremental statement (an IN list).
SCRUB_IDS = 5_000
# Golden ids per look-up of their duplicates (below eq_range_index_dive_limit; _by_golden).
DIVE_LIMIT = 100
# From this many persons a full re-scrub (range scans over every person) is cheaper than
# rescrubbing their clusters by id lists.
INCREMENTAL_LIMIT = 2_000_000

ZERO = Value(0, output_field=BigIntegerField())
_PHONE = Suppression.IdentifierType.PHONE
_PERSON = Suppression.IdentifierType.PERSON
_REASON = Suppression.Reason


@dataclass
class ScrubResult:
    """What a scrub did."""

    phones: int = 0
    persons: int = 0
    seconds: float = 0.0
    data_version: str = ""
    phases: dict[str, float] = field(default_factory=dict)


def _bits(*cases: tuple[Q, int]) -> Case:
    return Case(
        *(When(condition, then=Value(bit)) for condition, bit in cases),
        default=ZERO,
        output_field=BigIntegerField(),
    )


def _stale_cutoff(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=settings.COMPLIANCE_REGISTRY_MAX_AGE_DAYS)


def _phone_suppression_bits() -> Coalesce:
    """OR of the bits of the active suppressions of the outer phone's number."""
    revoke_all = settings.COMPLIANCE_REVOKE_ALL
    call_out = Q(channel__in=["call", "all"]) | Q(channel="sms", reason=_REASON.REVOKED_CONSENT)
    sms_out = Q(channel__in=["sms", "all"]) | Q(channel="call", reason=_REASON.REVOKED_CONSENT)
    if revoke_all:
        call_out = sms_out = Q(channel__in=["call", "sms", "all"])
    bit = Case(
        When(reason=_REASON.DNC_INTERNAL, then=Value(tags.PHONE_INTERNAL)),
        When(
            Q(reason=_REASON.OPTED_OUT) & call_out & sms_out,
            then=Value(tags.CALL_OPTED_OUT | tags.SMS_OPTED_OUT),
        ),
        When(Q(reason=_REASON.OPTED_OUT) & call_out, then=Value(tags.CALL_OPTED_OUT)),
        When(Q(reason=_REASON.OPTED_OUT) & sms_out, then=Value(tags.SMS_OPTED_OUT)),
        When(
            Q(reason=_REASON.REVOKED_CONSENT) & call_out & sms_out,
            then=Value(tags.CALL_REVOKED | tags.SMS_REVOKED),
        ),
        When(Q(reason=_REASON.REVOKED_CONSENT) & call_out, then=Value(tags.CALL_REVOKED)),
        When(Q(reason=_REASON.REVOKED_CONSENT) & sms_out, then=Value(tags.SMS_REVOKED)),
        default=ZERO,
        output_field=BigIntegerField(),
    )
    rows = (
        Suppression.objects.filter(identifier_type=_PHONE, identifier=OuterRef("e164"))
        .filter(is_active=True)
        .values("identifier")
        .annotate(bits=BitOr(bit))
        .values("bits")
    )
    return Coalesce(Subquery(rows), ZERO)


@dataclass(frozen=True)
class _Freshness:
    """Which registry data is current today, read once per scrub (a few hundred rows), so the
    per-phone test is a constant list, not a subquery."""

    fresh_npas: list[str]
    stale_states: list[str]
    stale_state_npas: list[str]

    @classmethod
    def today(cls, today: dt.date) -> _Freshness:
        cutoff = _stale_cutoff(today)
        fresh = RegistryCoverage.objects.filter(as_of__gte=cutoff, full_list_on__isnull=False)
        fresh_states = set(fresh.filter(kind=RegistryKind.STATE).values_list("scope", flat=True))
        stale_states = sorted(set(settings.COMPLIANCE_STATE_LIST_STATES) - fresh_states)
        return cls(
            fresh_npas=sorted(
                fresh.filter(kind=RegistryKind.FEDERAL).values_list("scope", flat=True)
            ),
            stale_states=stale_states,
            stale_state_npas=sorted(
                AreaCode.objects.filter(state__in=stale_states).values_list("npa", flat=True)
            ),
        )


def _phone_flags(today: dt.date) -> Case:
    """The flags of the outer phone row, before the CLEAR bits."""
    freshness = _Freshness.today(today)
    npa = Substr("e164", 3, 3)
    # The states of the number's area code, its holder and the holder's golden record (a
    # duplicate may carry an older address): the list of each applies.
    area_state_is = Exists(
        AreaCode.objects.filter(
            npa=Substr(OuterRef(OuterRef("e164")), 3, 3), state=OuterRef("state")
        )
    )
    holder_state_is = Exists(
        Person.objects.filter(pk=OuterRef(OuterRef("person_id")), state=OuterRef("state"))
    )
    golden_state_is = Exists(
        Person.objects.filter(
            merged_duplicates__pk=OuterRef(OuterRef("person_id")), state=OuterRef("state")
        )
    )
    # The state conditions run only for a number found on some state list (a few percent).
    on_state_list = Exists(
        StateDnc.objects.filter(phone=OuterRef("e164"), removed_on__isnull=True).filter(
            area_state_is | holder_state_is | golden_state_is
        )
    )
    stale = Q(Value(True)) if not freshness.fresh_npas else ~Q(In(npa, freshness.fresh_npas))
    if freshness.stale_state_npas:
        stale |= Q(In(npa, freshness.stale_state_npas))
    if freshness.stale_states:
        stale |= Q(
            Exists(
                Person.objects.filter(pk=OuterRef("person_id"), state__in=freshness.stale_states)
            )
        ) | Q(
            Exists(
                Person.objects.filter(
                    merged_duplicates__pk=OuterRef("person_id"),
                    state__in=freshness.stale_states,
                )
            )
        )
    on_federal = Exists(FederalDnc.objects.filter(phone=OuterRef("e164"), removed_on__isnull=True))
    return Case(
        When(e164__isnull=True, then=Value(tags.INVALID_NUMBER)),
        default=(
            _bits((Q(on_federal), tags.DNC_FEDERAL))
            + _bits((Q(on_state_list), tags.DNC_STATE))
            + _bits((stale, tags.DNC_DATA_STALE))
            + _phone_suppression_bits()
        ),
        output_field=BigIntegerField(),
    )


def _clear_bits() -> Combinable:
    flags = F("compliance_flags")
    return _bits(
        (Q(Exact(flags.bitand(tags.PHONE_BLOCKING[Channel.CALL]), 0)), tags.CALL_CLEAR)
    ) + _bits((Q(Exact(flags.bitand(tags.PHONE_BLOCKING[Channel.SMS]), 0)), tags.SMS_CLEAR))


def _dnc_status() -> Case:
    flags = F("compliance_flags")
    order = (
        (tags.INVALID_NUMBER, "INVALID_NUMBER"),
        (tags.PHONE_INTERNAL, "DNC_INTERNAL"),
        (tags.DNC_FEDERAL, "DNC_FEDERAL"),
        (tags.DNC_DATA_STALE, "DNC_DATA_STALE"),
        (tags.DNC_STATE, "DNC_STATE"),
    )
    return Case(
        *(When(GreaterThan(flags.bitand(bit), 0), then=Value(name)) for bit, name in order),
        default=Value("CLEAR"),
    )


def _scrub_phones(phones: QuerySet[PhoneNumber], now: dt.datetime) -> int:
    count = phones.update(compliance_flags=_phone_flags(now.date()))
    phones.update(
        compliance_flags=F("compliance_flags") + _clear_bits(),
        dnc_status=_dnc_status(),
        dnc_checked_at=now,
    )
    return count


def _or(left: Expression, right: Expression) -> CombinedExpression:
    return CombinedExpression(left, Combinable.BITOR, right, output_field=BigIntegerField())


def _own_or(model_rows: QuerySet, bits: Any) -> Coalesce:
    """OR of ``bits`` over the outer person's own rows (a correlated subquery driven by the
    rows' person index)."""
    own = (
        model_rows.filter(person=OuterRef("pk"))
        .values("person")
        .annotate(bits=BitOr(bits))
        .values("bits")
    )
    return Coalesce(Subquery(own), ZERO)


def _person_suppression_bits(channel: str) -> Case:
    """Bits of a person-level suppression row for ``channel``. With revoke-all, an opt-out
    from calls or texts stops both, and a revocation stops every channel."""
    applies = Q(channel__in=[channel, "all"])
    opt_out_applies = applies
    revocation_applies = applies
    if settings.COMPLIANCE_REVOKE_ALL:
        revocation_applies = Q(pk__isnull=False)
        if channel in (Channel.CALL, Channel.SMS):
            opt_out_applies = Q(channel__in=[Channel.CALL, Channel.SMS, "all"])
    cases = [
        When(Q(reason=_REASON.DNC_INTERNAL) & applies, then=Value(tags.DNC_INTERNAL)),
        When(Q(reason=_REASON.OPTED_OUT) & opt_out_applies, then=Value(tags.OPTED_OUT)),
        When(
            Q(reason=_REASON.REVOKED_CONSENT) & revocation_applies,
            then=Value(tags.REVOKED_CONSENT),
        ),
    ]
    if channel != Channel.EMAIL:
        cases.append(When(Q(reason=_REASON.DECEASED) & applies, then=Value(tags.DECEASED)))
    return Case(*cases, default=ZERO, output_field=BigIntegerField())


def _email_bits() -> Case:
    suppressed = Exists(
        Suppression.objects.filter(
            identifier_type=Suppression.IdentifierType.EMAIL,
            identifier=OuterRef("email"),
            is_active=True,
            channel__in=["email", "all"],
        )
    )
    status = EmailAddress.OptOutStatus
    return Case(
        When(
            Q(is_valid=False) | Q(opt_out_status__in=[status.BOUNCED, status.COMPLAINED]),
            then=Value(tags.EMAIL_INVALID),
        ),
        When(Q(opt_out_status=status.OPTED_OUT) | Q(suppressed), then=Value(tags.EMAIL_OPTED_OUT)),
        default=Value(tags.EMAIL_CLEAR),
        output_field=BigIntegerField(),
    )


def _address_bits() -> Case:
    def suppressed(reason: str) -> Exists:
        return Exists(
            Suppression.objects.filter(
                identifier_type=Suppression.IdentifierType.ADDRESS,
                identifier=OuterRef("address_key"),
                is_active=True,
                channel__in=["mail", "all"],
                reason=reason,
            )
        )

    return Case(
        When(street="", then=Value(tags.UNDELIVERABLE_ADDRESS)),
        When(Q(suppressed(_REASON.UNDELIVERABLE_ADDRESS)), then=Value(tags.UNDELIVERABLE_ADDRESS)),
        When(
            Q(suppressed(_REASON.OPTED_OUT))
            | Q(suppressed(_REASON.DNC_INTERNAL))
            | Q(suppressed(_REASON.REVOKED_CONSENT)),
            then=Value(tags.MAIL_OPTED_OUT),
        ),
        default=Value(tags.MAIL_CLEAR),
        output_field=BigIntegerField(),
    )


def _own_flags(channel: str) -> CombinedExpression:
    """A person's own bits for ``channel``: their contact points and person-level
    suppressions (a golden record's duplicates are OR-ed in afterwards)."""
    person_level = _own_or(
        Suppression.objects.filter(identifier_type=_PERSON, is_active=True),
        _person_suppression_bits(channel),
    )
    points: Coalesce
    if channel in (Channel.CALL, Channel.SMS):
        points = _own_or(
            PhoneNumber.objects.all(),
            F("compliance_flags").bitand(tags.PHONE_BITS[Channel(channel)]),
        )
    elif channel == Channel.EMAIL:
        points = _own_or(EmailAddress.objects.all(), _email_bits())
    else:
        points = _own_or(Address.objects.all(), _address_bits())
    return _or(person_level, points)


def _status_case(channel: str) -> Case:
    flags = F(f"{channel}_flags")
    return Case(
        *(
            When(GreaterThan(flags.bitand(mask), 0), then=Value(status))
            for mask, status in tags.status_cases(channel)
        ),
        default=Value(Tag.NO_CONTACT_POINT.value),
    )


_FLAG_COLUMNS = [f"{channel}_flags" for channel in Channel]
_STAGING = "cmp_cluster_flags"


def _own_pass(persons: QuerySet[Person]) -> int:
    """Every person's own flags (golden records and duplicates alike)."""
    return persons.update(**{f"{channel}_flags": _own_flags(channel) for channel in Channel})


def _by_golden(ids: Sequence[int]) -> Iterable[Q]:
    """``merged_into_id IN (...)`` in lists short enough for MySQL to dive into the index per
    value (from ``eq_range_index_dive_limit``, 200 values, it estimates from the index
    statistics, which a column that is mostly NULL makes useless, and scans persons)."""
    for start in range(0, len(ids), DIVE_LIMIT):
        yield Q(merged_into_id__in=ids[start : start + DIVE_LIMIT])


def _cluster_pass(golden: Q | Sequence[int]) -> None:
    """OR the duplicates' own flags into those of their golden records: ``golden`` is a
    condition on ``merged_into_id`` (an id range) or a list of golden ids. Set-based: grouped
    reads and one join update through a staging table (clusters are a small share of
    persons)."""
    conditions = [golden] if isinstance(golden, Q) else list(_by_golden(golden))
    duplicates = {
        row["merged_into_id"]: row
        for condition in conditions
        for row in Person.objects.filter(condition, is_duplicate=True)
        .values("merged_into_id")
        .annotate(**{f"d_{column}": BitOr(column) for column in _FLAG_COLUMNS})
        .order_by()
    }
    if not duplicates:
        return
    golden_ids = sorted(duplicates)
    own = [
        row
        for start in range(0, len(golden_ids), SCRUB_IDS)
        for row in Person.objects.filter(pk__in=golden_ids[start : start + SCRUB_IDS]).values_list(
            "pk", *_FLAG_COLUMNS
        )
    ]
    rows = [
        (
            pk,
            *(
                flags | (duplicates[pk][f"d_{column}"] or 0)
                for flags, column in zip(values, _FLAG_COLUMNS, strict=True)
            ),
        )
        for pk, *values in own
    ]
    columns = [Column("id", ColumnType.BIGINT)] + [
        Column(column, ColumnType.BIGINT) for column in _FLAG_COLUMNS
    ]
    staging_create(connection, name=_STAGING, columns=columns, index=["id"])
    staging_load(connection, name=_STAGING, columns=columns, rows=rows)
    update_from_staging(
        connection,
        target=Person._meta.db_table,
        staging=_STAGING,
        key="id",
        columns={column: column for column in _FLAG_COLUMNS},
    )
    staging_drop(connection, name=_STAGING)


def _status_pass(golden: QuerySet[Person], now: dt.datetime, version: str) -> int:
    return golden.update(
        **{f"{channel}_status": _status_case(channel) for channel in Channel},
        compliance_checked_at=now,
        compliance_version=version,
    )


def _duplicates_pass(persons: QuerySet[Person], now: dt.datetime, version: str) -> None:
    # A duplicate answers through its golden record: blank status (its flags stay its own).
    persons.filter(is_duplicate=True).exclude(call_status="").update(
        **{f"{channel}_status": "" for channel in Channel},
        compliance_checked_at=now,
        compliance_version=version,
    )


def data_version() -> str:
    """Which registry data and suppressions a status was computed from."""
    coverage = RegistryCoverage.objects.values("kind").annotate(newest=Max("as_of"))
    newest = {row["kind"]: row["newest"] for row in coverage}
    last_suppression = Suppression.objects.aggregate(last=Max("pk"))["last"] or 0
    federal = newest.get(RegistryKind.FEDERAL)
    state = newest.get(RegistryKind.STATE)
    return f"fed:{federal or '-'} state:{state or '-'} sup:{last_suppression}"


def _id_ranges(queryset: QuerySet, size: int) -> Iterable[tuple[int, int]]:
    bounds = queryset.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if low is None:
        return
    for start in range(low, high + 1, size):
        yield start, start + size


def _in_parallel(work: Callable[[int, int], int], ranges: list[tuple[int, int]]) -> int:
    """Run ``work(low, high)`` over disjoint id ranges, each in its own transaction, on
    ``COMPLIANCE_SCRUB_WORKERS`` threads with a connection each (MySQL runs one statement on one
    core). Sequential on SQLite (one writer at a time) and inside an outer transaction (other
    connections would not see its uncommitted rows)."""

    def one(bounds: tuple[int, int]) -> int:
        with transaction.atomic():
            return work(*bounds)

    workers = settings.COMPLIANCE_SCRUB_WORKERS
    if workers <= 1 or connection.vendor != "mysql" or connection.in_atomic_block:
        return sum(one(bounds) for bounds in ranges)

    def threaded(bounds: tuple[int, int]) -> int:
        try:
            return one(bounds)
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(threaded, ranges))


def scrub_all(*, now: dt.datetime | None = None) -> ScrubResult:
    """Recompute every phone's and every golden record's status (a full re-scrub): the phones,
    then every person's own flags, then clusters and statuses; each pass over id ranges."""
    now = now or timezone.now()
    result = ScrubResult(data_version=data_version())
    started = time.perf_counter()

    def phones(low: int, high: int) -> int:
        return _scrub_phones(PhoneNumber.objects.filter(pk__gte=low, pk__lt=high), now)

    def own(low: int, high: int) -> int:
        return _own_pass(Person.objects.filter(pk__gte=low, pk__lt=high))

    def statuses(low: int, high: int) -> int:
        persons = Person.objects.filter(pk__gte=low, pk__lt=high)
        _cluster_pass(Q(merged_into_id__gte=low, merged_into_id__lt=high))
        count = _status_pass(persons.filter(is_duplicate=False), now, result.data_version)
        _duplicates_pass(persons, now, result.data_version)
        return count

    result.phones = _in_parallel(phones, list(_id_ranges(PhoneNumber.objects.all(), SCRUB_RANGE)))
    result.phases["phones"] = time.perf_counter() - started
    mark = time.perf_counter()
    ranges = list(_id_ranges(Person.objects.all(), SCRUB_RANGE))
    _in_parallel(own, ranges)
    result.phases["persons_own"] = time.perf_counter() - mark
    mark = time.perf_counter()
    result.persons = _in_parallel(statuses, ranges)
    result.phases["persons_status"] = time.perf_counter() - mark
    result.seconds = time.perf_counter() - started
    data_generation_bump_on_commit(PERSONS, PERSONS_BULK)
    return result


def golden_ids_of(person_ids: Iterable[int]) -> set[int]:
    """The golden records of ``person_ids`` (a duplicate's golden, else itself)."""
    ids = sorted(set(person_ids))
    golden: set[int] = set()
    for start in range(0, len(ids), SCRUB_IDS):
        rows = Person.objects.filter(pk__in=ids[start : start + SCRUB_IDS]).values_list(
            "pk", "merged_into_id"
        )
        golden.update(merged or pk for pk, merged in rows)
    return golden


def scrub_persons(*, person_ids: Iterable[int], now: dt.datetime | None = None) -> ScrubResult:
    """Recompute the statuses of the clusters of ``person_ids`` (their golden records, the
    duplicates and every phone of them): the incremental scrub after a change. Clusters go in
    parts of ``SCRUB_IDS`` golden records, each part one transaction (on parallel connections
    like the full scrub)."""
    now = now or timezone.now()
    result = ScrubResult(data_version=data_version())
    started = time.perf_counter()
    golden = sorted(golden_ids_of(person_ids))
    phones: list[int] = []  # appended from the worker threads

    def part_scrub(start: int, end: int) -> int:
        part = golden[start:end]
        # Index look-ups only (an OR of the two conditions would scan persons on MySQL).
        members = sorted(
            {
                *part,
                *(
                    pk
                    for condition in _by_golden(part)
                    for pk in Person.objects.filter(condition).values_list("pk", flat=True)
                ),
            }
        )
        for offset in range(0, len(members), SCRUB_IDS):
            chunk = members[offset : offset + SCRUB_IDS]
            phones.append(_scrub_phones(PhoneNumber.objects.filter(person_id__in=chunk), now))
            _own_pass(Person.objects.filter(pk__in=chunk))
        _cluster_pass(part)
        count = _status_pass(
            Person.objects.filter(pk__in=part, is_duplicate=False), now, result.data_version
        )
        for offset in range(0, len(members), SCRUB_IDS):
            chunk = members[offset : offset + SCRUB_IDS]
            _duplicates_pass(Person.objects.filter(pk__in=chunk), now, result.data_version)
        return count

    parts = [(start, start + SCRUB_IDS) for start in range(0, len(golden), SCRUB_IDS)]
    result.persons = _in_parallel(part_scrub, parts)
    result.phones = sum(phones)
    result.seconds = time.perf_counter() - started
    data_generation_bump_on_commit(PERSONS)
    return result


def compliance_rescrub(person_ids: Iterable[int]) -> ScrubResult | None:
    """Rescrub after persons changed (a merge, an unmerge, a golden-record run): the clusters
    of ``person_ids`` — or everything, when that is most of the table."""
    ids = set(person_ids)
    if not ids:
        return None
    if len(ids) > INCREMENTAL_LIMIT:
        return scrub_all()
    return scrub_persons(person_ids=ids)


def persons_with_numbers(numbers: Sequence[str]) -> set[int]:
    """Ids of the persons holding any of the E.164 ``numbers`` (index on phone_numbers.e164)."""
    found: set[int] = set()
    for start in range(0, len(numbers), SCRUB_IDS):
        found.update(
            PhoneNumber.objects.filter(e164__in=numbers[start : start + SCRUB_IDS]).values_list(
                "person_id", flat=True
            )
        )
    return found
