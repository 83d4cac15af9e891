"""Compliance writes and the point-of-use decision.

* :func:`suppression_create` — an opt-out, internal DNC request, revocation or deceased notice
  (file, API, manual, disposition …), audited, effective at once (the person is rescrubbed in
  the same transaction: no 10-day grace).
* :func:`sms_reply_record` — an inbound SMS: opt-out keywords (whole message after trimming,
  case-folding and removing punctuation) suppress SMS at once; a free-text revocation is
  suppressed too and queued for review; ``START``/``UNSTOP``/``YES`` lift only an SMS STOP of
  that same number, logged.
* :func:`suppression_lift` and :func:`suppression_review_decide` — a person's decisions, audited.
* :func:`may_contact` — "may we contact person P on channel C at T, and if not, why": the
  scrubbed status of P's golden record, then the time rules (calling windows of every candidate
  zone and state, holidays, rolling frequency caps) — with every evaluation stored.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from phonenumbers import timezone as phone_timezones

from cmplatform.core.models import (
    Address,
    AuditLog,
    Channel,
    EmailAddress,
    Person,
    PhoneNumber,
    Touchpoint,
)
from cmplatform.core.services import Actor, acting_user, audit_record
from compliance import tags
from compliance.models import (
    AreaCode,
    CallingWindow,
    CampaignPolicy,
    ComplianceEvaluation,
    Consent,
    Holiday,
    Suppression,
    Tag,
)
from compliance.scrub import scrub_persons

OPT_OUT_WORDS = frozenset(
    {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "OPT OUT",
        "STOP ALL",
        "REMOVE",
    }
)
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Revocations in free text: suppressed at once and queued for a person (never lifted by code).
FREE_TEXT_REVOCATION = re.compile(
    r"\b(stop|quit|cease|unsubscribe|remove me|take me off|opt(?:ed)?[- ]?out|wrong number|"
    r"do ?n[o']?t (?:text|call|contact|message)|no more (?:texts|calls|messages)|leave me alone|"
    r"not interested)\b",
    re.IGNORECASE,
)
_PUNCTUATION = str.maketrans("", "", string.punctuation)


class ComplianceError(Exception):
    """A compliance request that cannot be carried out as asked."""


def normalize_reply(text: str) -> str:
    """Trim, case-fold and drop punctuation; collapse spaces (spec: whole-message match)."""
    return " ".join(text.translate(_PUNCTUATION).upper().split())


def phone_e164(raw: str) -> str:
    """``raw`` in E.164, or :class:`ComplianceError` when it is not a valid US number."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException as error:
        raise ComplianceError(f"{raw!r} is not a phone number: {error}") from None
    if not phonenumbers.is_valid_number(number):
        raise ComplianceError(f"{raw!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _persons_of(identifier_type: str, identifier: str) -> list[int]:
    """The persons holding a phone number, e-mail address or address key."""
    if identifier_type == Suppression.IdentifierType.PHONE:
        return list(PhoneNumber.objects.filter(e164=identifier).values_list("person_id", flat=True))
    if identifier_type == Suppression.IdentifierType.EMAIL:
        return list(
            EmailAddress.objects.filter(email=identifier).values_list("person_id", flat=True)
        )
    return list(Address.objects.filter(address_key=identifier).values_list("person_id", flat=True))


@transaction.atomic
def suppression_create(
    *,
    reason: str,
    channel: str,
    source: str,
    person: Person | None = None,
    phone: str = "",
    email: str = "",
    address_key: str = "",
    message: str = "",
    note: str = "",
    needs_review: bool = False,
    received_at: dt.datetime | None = None,
    by: Actor = None,
    origin: str = AuditLog.Origin.SYSTEM,
) -> Suppression:
    """Record one suppression and rescrub the persons it touches, in one transaction."""
    given = [value for value in (phone, email, address_key) if value]
    if len(given) > 1:
        raise ComplianceError(
            "A suppression covers one identifier: a phone, an e-mail or an address."
        )
    if not given and person is None:
        raise ComplianceError("A suppression needs a person or an identifier.")
    if reason not in Suppression.Reason.values:
        raise ComplianceError(f"Unknown suppression reason {reason!r}.")
    if channel not in ("all", *Channel.values):
        raise ComplianceError(f"Unknown channel {channel!r}.")
    if phone:
        kind, identifier = Suppression.IdentifierType.PHONE, phone_e164(phone)
    elif email:
        kind, identifier = Suppression.IdentifierType.EMAIL, email.strip().lower()
    elif address_key:
        kind, identifier = Suppression.IdentifierType.ADDRESS, address_key.strip().upper()
    else:
        kind, identifier = Suppression.IdentifierType.PERSON, ""
    suppression = Suppression.objects.create(
        person=person,
        identifier_type=kind,
        identifier=identifier,
        channel=channel,
        reason=reason,
        source=source,
        received_at=received_at or timezone.now(),
        message=message,
        note=note,
        review=Suppression.Review.PENDING if needs_review else Suppression.Review.NOT_NEEDED,
        created_by=acting_user(by),
    )
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.CREATE,
        obj=suppression,
        changes={"suppression": [None, str(suppression)], "source": [None, source]},
    )
    touched = [person.pk] if person is not None else []
    if identifier:
        touched.extend(_persons_of(kind, identifier))
    if touched:
        scrub_persons(person_ids=touched)
    return suppression


@transaction.atomic
def suppression_lift(
    *, suppression: Suppression, reason: str, by: Actor = None, origin: str = AuditLog.Origin.SYSTEM
) -> Suppression:
    """Lift a suppression (a re-opt-in under the spec's rules), logged and audited. A free-text
    revocation waiting for review is never lifted this way: a reviewer releases it."""
    if not reason.strip():
        raise ComplianceError("Lifting a suppression needs a reason.")
    if suppression.review == Suppression.Review.PENDING:
        raise ComplianceError("This revocation waits for review; a reviewer decides on it.")
    if not suppression.is_active:
        return suppression
    before = {"is_active": True}
    suppression.is_active = False
    suppression.lifted_at = timezone.now()
    suppression.lifted_reason = reason[:500]
    suppression.save(update_fields=["is_active", "lifted_at", "lifted_reason"])
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.UPDATE,
        obj=suppression,
        changes={"is_active": [before["is_active"], False], "lifted_reason": ["", reason]},
    )
    scrub_persons(person_ids=_suppression_persons(suppression))
    return suppression


def _suppression_persons(suppression: Suppression) -> list[int]:
    persons = [suppression.person_id] if suppression.person_id else []
    if suppression.identifier:
        persons.extend(_persons_of(suppression.identifier_type, suppression.identifier))
    return persons


@transaction.atomic
def suppression_review_decide(
    *, suppression: Suppression, keep: bool, by: Actor, note: str = ""
) -> Suppression:
    """A reviewer's decision on a free-text revocation: keep it (confirmed) or release it."""
    if suppression.review != Suppression.Review.PENDING:
        raise ComplianceError("This suppression does not wait for review.")
    if acting_user(by) is None:
        raise ComplianceError("Only a signed-in reviewer decides on a revocation.")
    outcome = Suppression.Review.CONFIRMED if keep else Suppression.Review.RELEASED
    Suppression.objects.filter(pk=suppression.pk).update(review=outcome)
    suppression.review = outcome
    audit_record(
        actor=by,
        origin=AuditLog.Origin.ADMIN,
        action=AuditLog.Action.UPDATE,
        obj=suppression,
        changes={"review": [Suppression.Review.PENDING, outcome], "note": ["", note]},
    )
    if not keep:
        suppression_lift(suppression=suppression, reason=f"Released on review: {note}", by=by)
    return suppression


@dataclass(frozen=True)
class ReplyOutcome:
    """What an inbound SMS did: ``opt_out``, ``revocation_review``, ``opt_in``, ``help`` or
    ``none``, the suppression it made or lifted, and the auto-reply to send (if any)."""

    action: str
    suppression: Suppression | None = None
    auto_reply: str = ""


def sms_reply_record(
    *, phone: str, body: str, received_at: dt.datetime | None = None, by: Actor = None
) -> ReplyOutcome:
    """Classify an inbound SMS and act on it at once (see the module docstring)."""
    number = phone_e164(phone)
    words = normalize_reply(body)
    persons = _persons_of(Suppression.IdentifierType.PHONE, number)
    person = Person.objects.filter(pk=persons[0]).first() if persons else None
    identity = settings.COMPLIANCE_SENDER_IDENTITY
    if words in OPT_OUT_WORDS:
        suppression = suppression_create(
            reason=Suppression.Reason.OPTED_OUT,
            channel=Channel.SMS,
            source=Suppression.Source.SMS_REPLY,
            person=None,
            phone=number,
            message=body,
            received_at=received_at,
            by=by,
        )
        reply = f"{identity}: you are unsubscribed and will receive no more messages."
        return ReplyOutcome("opt_out", suppression, reply)
    if words in OPT_IN_WORDS:
        stop = (
            Suppression.objects.filter(
                identifier_type=Suppression.IdentifierType.PHONE,
                identifier=number,
                source=Suppression.Source.SMS_REPLY,
                reason=Suppression.Reason.OPTED_OUT,
                is_active=True,
                review=Suppression.Review.NOT_NEEDED,
            )
            .order_by("-received_at")
            .first()
        )
        if stop is None:
            return ReplyOutcome("none")
        lifted = suppression_lift(
            suppression=stop, reason=f"Re-opt-in by SMS reply {body.strip()[:50]!r}", by=by
        )
        return ReplyOutcome("opt_in", lifted, f"{identity}: you are subscribed again.")
    if words in HELP_WORDS:
        return ReplyOutcome("help", None, f"{identity}. Reply STOP to unsubscribe.")
    if FREE_TEXT_REVOCATION.search(body):
        suppression = suppression_create(
            reason=Suppression.Reason.REVOKED_CONSENT,
            channel="all",
            source=Suppression.Source.SMS_REPLY,
            person=person,
            phone=number,
            message=body,
            needs_review=True,
            received_at=received_at,
            by=by,
        )
        return ReplyOutcome("revocation_review", suppression)
    return ReplyOutcome("none")


# --- The point-of-use decision ---------------------------------------------------------------


@dataclass
class Decision:
    """``ALLOW``, ``BLOCK`` or ``DEFER`` (try again at ``next_allowed_at``), with every tag
    that applies and the evidence (list versions, rules, contact points)."""

    decision: str
    tags: list[str]
    next_allowed_at: dt.datetime | None = None
    evidence: dict = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.decision == "ALLOW"


@lru_cache(maxsize=4096)
def _zones_of_number(e164: str) -> tuple[str, ...]:
    zones = phone_timezones.time_zones_for_number(phonenumbers.parse(e164))
    return tuple(zone for zone in zones if zone != "Etc/Unknown")


@lru_cache(maxsize=1)
def _state_zones() -> dict[str, tuple[str, ...]]:
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).parent / "data" / "state_time_zones.json").read_text())
    return {state: tuple(zones) for state, zones in data.items()}


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


# The calling windows, holidays and area-code states change a few times a year (admin edits,
# the yearly calendar); each process rereads them at most this often instead of per check.
REFERENCE_TTL_SECONDS = 60.0


@dataclass
class _Reference:
    windows: dict[str, list[CallingWindow]]
    holidays: set[tuple[str, dt.date]]
    area_states: dict[str, str]
    loaded: float


_reference: _Reference | None = None


def _rules() -> _Reference:
    global _reference
    now = time.monotonic()
    if _reference is None or now - _reference.loaded > REFERENCE_TTL_SECONDS:
        windows: dict[str, list[CallingWindow]] = {}
        for window in CallingWindow.objects.all():
            windows.setdefault(window.state, []).append(window)
        _reference = _Reference(
            windows=windows,
            holidays=set(Holiday.objects.values_list("state", "date")),
            area_states=dict(AreaCode.objects.exclude(state="").values_list("npa", "state")),
            loaded=now,
        )
    return _reference


def reference_reload() -> None:
    """Forget the cached calling rules (after loading a new calendar)."""
    global _reference
    _reference = None


def _allowed_at(
    moment: dt.datetime,
    zones: Sequence[str],
    states: Sequence[str],
    windows: dict[str, list[CallingWindow]],
    holidays: set[tuple[str, dt.date]],
) -> str | None:
    """``None`` if ``moment`` is inside the window of every candidate zone and state; else the
    tag that closes it (QUIET_HOURS or HOLIDAY_BLOCK)."""
    for zone in zones:
        local = moment.astimezone(_zone(zone))
        for state in ("US", *states):
            state_windows = windows.get(state, [])
            # A listed holiday bans calls unless the state's windows say holidays are open.
            is_holiday = (state, local.date()) in holidays
            if is_holiday and not any(w.on_holidays for w in state_windows):
                return Tag.HOLIDAY_BLOCK.value
            if not state_windows:
                continue  # no stricter rule for this state
            today = [w for w in state_windows if local.weekday() in w.weekdays]
            if not any(w.start <= local.time() < w.end for w in today):
                return Tag.QUIET_HOURS.value
    return None


def _next_allowed(
    start: dt.datetime, zones: Sequence[str], states: Sequence[str], windows, holidays
) -> dt.datetime | None:
    # Quarter-hour steps over 8 days find the next open slot of the intersection of windows.
    moment = start.replace(second=0, microsecond=0)
    moment += dt.timedelta(minutes=15 - moment.minute % 15)
    for _ in range(8 * 24 * 4):
        if _allowed_at(moment, zones, states, windows, holidays) is None:
            return moment
        moment += dt.timedelta(minutes=15)
    return None


def _policy(campaign_id: int | None) -> tuple[bool, bool]:
    """(is solicitation, is automated or prerecorded) for a campaign."""
    solicitation = settings.COMPLIANCE_TREAT_PURCHASE_OFFERS_AS_SOLICITATION
    if campaign_id is None:
        return solicitation, False
    policy = CampaignPolicy.objects.filter(pk=campaign_id).first()
    if policy is None:
        return solicitation, False
    return policy.is_solicitation, policy.is_automated or policy.is_prerecorded


def _cap(channel: str, states: Sequence[str]) -> tuple[int, int]:
    """(max per 24 h, max per 30 days; 0 = none) for a person in ``states``."""
    if channel == Channel.CALL:
        caps = [settings.COMPLIANCE_MAX_CALLS_24H] if settings.COMPLIANCE_MAX_CALLS_24H else []
        caps += [
            settings.COMPLIANCE_STATE_CALL_CAPS_24H[s]
            for s in states
            if s in settings.COMPLIANCE_STATE_CALL_CAPS_24H
        ]
        return (min(caps) if caps else 0), settings.COMPLIANCE_MAX_CALLS_30D
    if channel == Channel.SMS:
        return settings.COMPLIANCE_MAX_SMS_24H, 0
    return 0, 0


def may_contact(
    *,
    person_id: int,
    channel: str,
    at: dt.datetime | None = None,
    campaign_id: int | None = None,
    record: bool = True,
) -> Decision:
    """Whether person ``person_id`` may be contacted on ``channel`` at ``at`` (now), and if not,
    why. The one gate every export, list, API answer and CRM sync for a channel goes through."""
    if channel not in Channel.values:
        raise ComplianceError(f"Unknown channel {channel!r}.")
    at = at or timezone.now()
    fields = ("pk", "state", "merged_into_id", f"{channel}_status", f"{channel}_flags")
    golden = Person.objects.only(*fields, "compliance_version").filter(pk=person_id).first()
    if golden is None:
        raise ComplianceError(f"No person {person_id}.")
    if golden.merged_into_id is not None:
        golden = Person.objects.only(*fields, "compliance_version").get(pk=golden.merged_into_id)
    golden_id = golden.pk
    if not getattr(golden, f"{channel}_status"):
        scrub_persons(person_ids=[golden_id], now=at)
        golden.refresh_from_db()
    decision = _decide(golden, channel, at, campaign_id)
    if record:
        ComplianceEvaluation.objects.create(
            person_id=person_id,
            golden_id=golden_id,
            channel=channel,
            campaign_id=campaign_id,
            planned_at=at,
            decision=decision.decision,
            tags=decision.tags,
            next_allowed_at=decision.next_allowed_at,
            evidence=decision.evidence,
        )
    return decision


def _decide(golden: Person, channel: str, at: dt.datetime, campaign_id: int | None) -> Decision:
    flags = getattr(golden, f"{channel}_flags")
    cluster = _cluster(golden.pk)
    solicitation, automated = _policy(campaign_id)
    evidence: dict = {"data_version": golden.compliance_version, "golden_id": golden.pk}
    if channel in (Channel.CALL, Channel.SMS) and not solicitation:
        # DNC lists do not reach a campaign that is not a solicitation: re-derive the status
        # from the contact points without their DNC bits.
        flags = _without_dnc(cluster, channel, flags)
        evidence["solicitation"] = False
    status = tags.status_of(flags, channel)
    found = tags.tags_of(flags & ~tags.CLEAR_BIT[Channel(channel)])
    if status != Tag.CLEAR:
        return Decision("BLOCK", [status, *[t for t in found if t != status]], None, evidence)
    if channel not in (Channel.CALL, Channel.SMS):
        return Decision("ALLOW", [Tag.CLEAR.value], None, evidence)
    numbers = _clear_numbers(cluster, channel, solicitation)
    evidence["numbers"] = numbers
    if (channel == Channel.SMS or automated) and not _has_written_consent(cluster, channel):
        return Decision("BLOCK", [Tag.WIRELESS_NO_CONSENT.value], None, evidence)
    zones, states = _candidates(golden, numbers)
    result_tags: list[str] = []
    if not zones:
        result_tags.append(Tag.TZ_UNKNOWN.value)
        zones = ["America/New_York", "Pacific/Honolulu"]  # most restrictive: both ends of the US
    rules = _rules()
    windows, holidays = rules.windows, rules.holidays
    closed = _allowed_at(at, zones, states, windows, holidays)
    evidence.update({"zones": list(zones), "states": list(states)})
    if closed:
        next_at = _next_allowed(at, zones, states, windows, holidays)
        return Decision("DEFER", [closed, *result_tags], next_at, evidence)
    capped_until = _frequency_cap(cluster, channel, states, at)
    if capped_until is not None:
        return Decision("DEFER", [Tag.FREQ_CAPPED.value, *result_tags], capped_until, evidence)
    return Decision("ALLOW", [Tag.CLEAR.value, *result_tags], None, evidence)


def _cluster(golden_id: int) -> list[int]:
    """The golden record and the persons merged into it."""
    return [
        golden_id,
        *Person.objects.filter(merged_into_id=golden_id).values_list("pk", flat=True),
    ]


def _clear_numbers(cluster: list[int], channel: str, solicitation: bool) -> list[str]:
    blocking = tags.PHONE_BLOCKING[Channel(channel)]
    if not solicitation:
        blocking &= ~tags.DNC_BITS
    rows = PhoneNumber.objects.filter(person_id__in=cluster, e164__isnull=False)
    return sorted(
        {
            e164
            for e164, flags in rows.values_list("e164", "compliance_flags")
            if e164 and not flags & blocking
        }
    )


def _without_dnc(cluster: list[int], channel: str, flags: int) -> int:
    person_level = flags & tags.PERSON_BLOCKING
    if _clear_numbers(cluster, channel, solicitation=False):
        return person_level | tags.CLEAR_BIT[Channel(channel)]
    return flags & ~tags.DNC_BITS


def _has_written_consent(cluster: list[int], channel: str) -> bool:
    return Consent.objects.filter(
        person_id__in=cluster, channel=channel, is_written=True, revoked_at__isnull=True
    ).exists()


def _candidates(golden: Person, numbers: Sequence[str]) -> tuple[list[str], list[str]]:
    """Candidate time zones (every number's zones and the address state's zones) and applicable
    states (every number's area-code state and the address state)."""
    zones: set[str] = set()
    states: set[str] = set()
    area_states = _rules().area_states
    states.update(area_states[n[2:5]] for n in numbers if n[2:5] in area_states)
    for number in numbers:
        zones.update(_zones_of_number(number))
    if golden.state:
        states.add(golden.state)
        zones.update(_state_zones().get(golden.state, ()))
    return sorted(zones), sorted(states)


def _frequency_cap(
    cluster: list[int], channel: str, states: Sequence[str], at: dt.datetime
) -> dt.datetime | None:
    """When the rolling window frees a slot, if the person's attempts fill the cap now."""
    per_day, per_month = _cap(channel, states)
    for limit, span in ((per_day, dt.timedelta(hours=24)), (per_month, dt.timedelta(days=30))):
        if not limit:
            continue
        recent = list(
            Touchpoint.objects.filter(
                person_id__in=cluster,
                channel=channel,
                occurred_at__gt=at - span,
                occurred_at__lte=at,
            )
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            return recent[-1] + span
    return None
