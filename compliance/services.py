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
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import Q
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
    RegistryCoverage,
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
# Err on catching too much: a person reviews every match, and a miss is a violation.
FREE_TEXT_REVOCATION = re.compile(
    r"\b(stop|quit|cease|end|cancel|revoke|unsubscribe|remove|delete|take me off|"
    r"opt(?:ed)?[- ]?(?:me )?out|wrong (?:number|person)|"
    r"do ?n[o']?t (?:text|call|contact|message|send)|"
    r"no more (?:texts?|texting|calls?|calling|messages?)|leave me alone|not interested|"
    r"lose my number|harass)",
    re.IGNORECASE,
)
WRONG_NUMBER = re.compile(r"\bwrong (?:number|person)\b", re.IGNORECASE)
# Which identifier may carry which reason (the scrub reads exactly these).
ALLOWED_REASONS = {
    Suppression.IdentifierType.PERSON: {"OPTED_OUT", "REVOKED_CONSENT", "DNC_INTERNAL", "DECEASED"},
    Suppression.IdentifierType.PHONE: {"OPTED_OUT", "REVOKED_CONSENT", "DNC_INTERNAL"},
    Suppression.IdentifierType.EMAIL: {"OPTED_OUT", "REVOKED_CONSENT", "DNC_INTERNAL"},
    Suppression.IdentifierType.ADDRESS: {
        "OPTED_OUT",
        "REVOKED_CONSENT",
        "DNC_INTERNAL",
        "UNDELIVERABLE_ADDRESS",
    },
}
_PUNCTUATION = str.maketrans("", "", string.punctuation)


class ComplianceError(Exception):
    """A compliance request that cannot be carried out as asked."""


def _plain(text: str) -> str:
    # Full-width letters and curly apostrophes (phones type them) read as plain ones.
    return unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")


def normalize_reply(text: str) -> str:
    """Trim, case-fold and drop punctuation; collapse spaces (spec: whole-message match)."""
    return " ".join(_plain(text).translate(_PUNCTUATION).upper().split())


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
    request: str = "",
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
    if reason not in ALLOWED_REASONS[kind]:
        raise ComplianceError(
            f"{kind.capitalize()}-level suppressions cannot be {reason}: allowed are "
            f"{', '.join(sorted(ALLOWED_REASONS[kind]))}."
        )
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
        request=request,
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
    *,
    suppression: Suppression,
    keep: bool,
    by: Actor,
    note: str = "",
    origin: str = AuditLog.Origin.ADMIN,
) -> Suppression:
    """A reviewer's decision on a free-text revocation: keep it (confirmed) or release it,
    for every suppression the same request made (the number and each person holding it)."""
    if suppression.review != Suppression.Review.PENDING:
        raise ComplianceError("This suppression does not wait for review.")
    if acting_user(by) is None:
        raise ComplianceError("Only a signed-in reviewer decides on a revocation.")
    outcome = Suppression.Review.CONFIRMED if keep else Suppression.Review.RELEASED
    group = Suppression.objects.filter(pk=suppression.pk)
    if suppression.request:
        group = Suppression.objects.filter(
            request=suppression.request, review=Suppression.Review.PENDING
        )
    for member in group.select_for_update():
        Suppression.objects.filter(pk=member.pk).update(review=outcome)
        member.review = outcome
        audit_record(
            actor=by,
            origin=origin,
            action=AuditLog.Action.UPDATE,
            obj=member,
            changes={"review": [Suppression.Review.PENDING, outcome], "note": ["", note]},
        )
        if not keep:
            suppression_lift(
                suppression=member, reason=f"Released on review: {note}", by=by, origin=origin
            )
    suppression.refresh_from_db()
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
    if FREE_TEXT_REVOCATION.search(_plain(body)):
        # Suppressed at once, every channel, for the number and (unless it says the number
        # is not theirs) for each person holding it; a reviewer decides on all of them.
        request = uuid.uuid4().hex
        common = {
            "reason": Suppression.Reason.REVOKED_CONSENT,
            "channel": "all",
            "source": Suppression.Source.SMS_REPLY,
            "message": body,
            "needs_review": True,
            "request": request,
            "received_at": received_at,
            "by": by,
        }
        suppression = suppression_create(phone=number, **common)  # type: ignore[arg-type]
        if not WRONG_NUMBER.search(body):
            for holder in Person.objects.filter(pk__in=persons):
                suppression_create(person=holder, **common)  # type: ignore[arg-type]
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
# the yearly calendar) and registry coverage once a day; each process rereads them at most
# this often instead of per check (a list loaded in the meantime can only make data fresher).
REFERENCE_TTL_SECONDS = 60.0


@dataclass
class _Reference:
    windows: dict[str, list[CallingWindow]]
    holidays: set[tuple[str, dt.date]]
    area_states: dict[str, str]
    #: (kind, scope) → the date the data is current as of, for scopes with a full list
    coverage: dict[tuple[str, str], dt.date]
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
            coverage={
                (kind, scope): as_of
                for kind, scope, as_of in RegistryCoverage.objects.filter(
                    full_list_on__isnull=False
                ).values_list("kind", "scope", "as_of")
            },
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
    if timezone.is_naive(at):
        raise ComplianceError("The planned time needs a time zone (times are UTC).")
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
    # The scrubbed status is the authority (a full scrub rewrites the flags in passes; the
    # status changes only once a record's cluster is complete).
    flags = getattr(golden, f"{channel}_flags")
    status = getattr(golden, f"{channel}_status")
    cluster = _cluster(golden.pk)
    solicitation, automated = _policy(campaign_id)
    evidence: dict = {"data_version": golden.compliance_version, "golden_id": golden.pk}
    by_phone = channel in (Channel.CALL, Channel.SMS)
    if by_phone and not solicitation:
        # DNC lists do not reach a campaign that is not a solicitation: re-derive the status
        # from the contact points without their DNC bits.
        flags = _without_dnc(cluster, channel, flags)
        status = tags.status_of(flags, channel)
        evidence["solicitation"] = False
    found = tags.tags_of(flags & ~tags.CLEAR_BIT[Channel(channel)])
    if status != Tag.CLEAR:
        return Decision("BLOCK", [status, *[t for t in found if t != status]], None, evidence)
    if not by_phone:
        return Decision("ALLOW", [Tag.CLEAR.value], None, evidence)
    numbers = _clear_numbers(cluster, channel, solicitation)
    if solicitation:
        # The 31-day rule holds at the moment of the call, whenever the scrub last ran.
        numbers, stale = fresh_numbers(numbers, golden.state, at.date())
        if stale:
            evidence["stale_registry_data"] = stale
        if not numbers and stale:
            return Decision("BLOCK", [Tag.DNC_DATA_STALE.value], None, evidence)
    if not numbers:
        # Scrubbed CLEAR, but no number is clear now (changed since): never guess.
        return Decision("BLOCK", [Tag.NO_CONTACT_POINT.value], None, evidence)
    if channel == Channel.SMS or automated:
        numbers = _consented_numbers(cluster, channel, numbers, at)
        if not numbers:
            return Decision("BLOCK", [Tag.WIRELESS_NO_CONSENT.value], None, evidence)
    evidence["numbers"] = numbers
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


def fresh_numbers(
    numbers: Sequence[str], person_state: str, today: dt.date
) -> tuple[list[str], list[str]]:
    """The numbers whose registry data is current today (their area code's national data and
    every applicable state list on top of a full list, within the 31-day rule), and the stale
    scopes found."""
    rules = _rules()
    cutoff = today - dt.timedelta(days=settings.COMPLIANCE_REGISTRY_MAX_AGE_DAYS)
    listed = set(settings.COMPLIANCE_STATE_LIST_STATES)

    def fresh(kind: str, scope: str) -> bool:
        as_of = rules.coverage.get((kind, scope))
        return as_of is not None and as_of >= cutoff

    stale: list[str] = []
    if person_state in listed and not fresh("state", person_state):
        stale.append(f"state:{person_state}")
    usable = []
    for number in numbers:
        npa = number[2:5]
        area_state = rules.area_states.get(npa, "")
        scopes = [("federal", npa)]
        if area_state in listed:
            scopes.append(("state", area_state))
        missing = [f"{kind}:{scope}" for kind, scope in scopes if not fresh(kind, scope)]
        stale.extend(m for m in missing if m not in stale)
        if not missing and not (person_state in listed and not fresh("state", person_state)):
            usable.append(number)
    return usable, stale


def _cluster(golden_id: int) -> list[int]:
    """The golden record and the persons merged into it."""
    return [
        golden_id,
        *Person.objects.filter(merged_into_id=golden_id).values_list("pk", flat=True),
    ]


def _clear_numbers(cluster: list[int], channel: str, solicitation: bool) -> list[str]:
    """The cluster's numbers the scrub found clear for ``channel`` (a number added since the
    last scrub has no clear bit yet and is not used)."""
    clear_bit = tags.CLEAR_BIT[Channel(channel)]
    blocking = tags.PHONE_BLOCKING[Channel(channel)]
    rows = PhoneNumber.objects.filter(person_id__in=cluster, e164__isnull=False)
    found = set()
    for e164, flags in rows.values_list("e164", "compliance_flags"):
        if not e164:
            continue
        if solicitation and flags & clear_bit:
            found.add(e164)
        elif not solicitation and flags and not flags & blocking & ~tags.DNC_BITS:
            # Scrubbed (some bit set) and blocked by nothing but the DNC lists.
            found.add(e164)
    return sorted(found)


def _without_dnc(cluster: list[int], channel: str, flags: int) -> int:
    person_level = flags & tags.PERSON_BLOCKING
    if _clear_numbers(cluster, channel, solicitation=False):
        return person_level | tags.CLEAR_BIT[Channel(channel)]
    return flags & ~tags.DNC_BITS


def _consented_numbers(
    cluster: list[int], channel: str, numbers: list[str], at: dt.datetime
) -> list[str]:
    """The numbers covered by documented written consent in force at ``at``: a consent for
    the channel without a number covers them all, one with a number covers that number."""
    consents = Consent.objects.filter(
        person_id__in=cluster,
        channel=channel,
        is_written=True,
        obtained_at__lte=at,
    ).filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
    phones = set(consents.values_list("phone", flat=True))
    if "" in phones:
        return numbers
    return [number for number in numbers if number in phones]


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
