"""Tag bit sets: how the scrub stores every tag that applies in one integer column.

A phone number's ``compliance_flags`` and a person's ``<channel>_compliance_flags`` use the same
bits, so a person's flags are the bitwise OR of their phones' flags (for calls and SMS) plus the
person-level bits. Opt-outs and revocations of one number are kept per channel at phone level
(an SMS STOP must not block calls) and read as ``OPTED_OUT``/``REVOKED_CONSENT`` of that
channel. ``*_CLEAR`` bits mean "at least one contact point of this channel is clear".
"""

from __future__ import annotations

from cmplatform.core.models import Channel
from compliance.models import Tag

# Contact point clear for the channel (set on a phone, e-mail or address; OR-ed per person).
CALL_CLEAR = 1 << 0
SMS_CLEAR = 1 << 1
EMAIL_CLEAR = 1 << 2
MAIL_CLEAR = 1 << 3

INVALID_NUMBER = 1 << 4
EMAIL_INVALID = 1 << 5
UNDELIVERABLE_ADDRESS = 1 << 6
DECEASED = 1 << 7
NO_CONTACT_POINT = 1 << 8
OPTED_OUT = 1 << 9
REVOKED_CONSENT = 1 << 10
DNC_INTERNAL = 1 << 11
DNC_FEDERAL = 1 << 12
DNC_DATA_STALE = 1 << 13
DNC_STATE = 1 << 14
# Per-channel opt-outs and revocations of one phone number.
CALL_OPTED_OUT = 1 << 15
SMS_OPTED_OUT = 1 << 16
CALL_REVOKED = 1 << 17
SMS_REVOKED = 1 << 18
# A number on the internal DNC list (the person-level request is DNC_INTERNAL).
PHONE_INTERNAL = 1 << 19
# An opted-out e-mail address or postal address (one of the person's, not all of them).
EMAIL_OPTED_OUT = 1 << 20
MAIL_OPTED_OUT = 1 << 21

CLEAR_BIT = {
    Channel.CALL: CALL_CLEAR,
    Channel.SMS: SMS_CLEAR,
    Channel.EMAIL: EMAIL_CLEAR,
    Channel.MAIL: MAIL_CLEAR,
}

# Bit → tag, in rule order (spec §10): the first blocking bit set is the status.
_ORDER: tuple[tuple[int, Tag], ...] = (
    (INVALID_NUMBER, Tag.INVALID_NUMBER),
    (EMAIL_INVALID, Tag.EMAIL_INVALID),
    (UNDELIVERABLE_ADDRESS, Tag.UNDELIVERABLE_ADDRESS),
    (DECEASED, Tag.DECEASED),
    (NO_CONTACT_POINT, Tag.NO_CONTACT_POINT),
    (OPTED_OUT, Tag.OPTED_OUT),
    (CALL_OPTED_OUT, Tag.OPTED_OUT),
    (SMS_OPTED_OUT, Tag.OPTED_OUT),
    (EMAIL_OPTED_OUT, Tag.OPTED_OUT),
    (MAIL_OPTED_OUT, Tag.OPTED_OUT),
    (REVOKED_CONSENT, Tag.REVOKED_CONSENT),
    (CALL_REVOKED, Tag.REVOKED_CONSENT),
    (SMS_REVOKED, Tag.REVOKED_CONSENT),
    (DNC_INTERNAL, Tag.DNC_INTERNAL),
    (PHONE_INTERNAL, Tag.DNC_INTERNAL),
    (DNC_FEDERAL, Tag.DNC_FEDERAL),
    (DNC_DATA_STALE, Tag.DNC_DATA_STALE),
    (DNC_STATE, Tag.DNC_STATE),
)

# Bits that block a contact point of the channel. The DNC bits block calls and SMS only when
# the campaign counts as a solicitation; the scrub's statuses assume it does (the default).
PHONE_BLOCKING = {
    Channel.CALL: INVALID_NUMBER
    | PHONE_INTERNAL
    | DNC_FEDERAL
    | DNC_DATA_STALE
    | DNC_STATE
    | CALL_OPTED_OUT
    | CALL_REVOKED,
    Channel.SMS: INVALID_NUMBER
    | PHONE_INTERNAL
    | DNC_FEDERAL
    | DNC_DATA_STALE
    | DNC_STATE
    | SMS_OPTED_OUT
    | SMS_REVOKED,
}
# Bits a phone's flags contribute to a person's flags of the channel.
PHONE_BITS = {
    Channel.CALL: PHONE_BLOCKING[Channel.CALL] | CALL_CLEAR,
    Channel.SMS: PHONE_BLOCKING[Channel.SMS] | SMS_CLEAR,
}
# Person-level bits that block the channel whatever the contact points say.
PERSON_BLOCKING = DECEASED | OPTED_OUT | REVOKED_CONSENT | DNC_INTERNAL
DNC_BITS = DNC_FEDERAL | DNC_STATE | DNC_DATA_STALE


def tags_of(flags: int) -> list[str]:
    """Every tag a bit set holds, in rule order, without repeats."""
    tags: list[str] = []
    for bit, tag in _ORDER:
        if flags & bit and tag.value not in tags:
            tags.append(tag.value)
    return tags


def status_of(flags: int, channel: str) -> str:
    """The status a person's flags of ``channel`` give: a person-level block first, then
    ``CLEAR`` when a contact point is clear, then the first tag of the blocked points."""
    person_level = flags & PERSON_BLOCKING
    if person_level:
        return tags_of(person_level)[0]
    if flags & CLEAR_BIT[Channel(channel)]:
        return Tag.CLEAR.value
    tags = tags_of(flags)
    return tags[0] if tags else Tag.NO_CONTACT_POINT.value


def status_cases(channel: str) -> list[tuple[int, str]]:
    """``(mask, status)`` pairs in evaluation order for computing :func:`status_of` in SQL:
    the first pair whose mask meets the flags gives the status; none gives NO_CONTACT_POINT."""
    cases = [(bit, tag.value) for bit, tag in _ORDER if bit & PERSON_BLOCKING]
    cases.append((CLEAR_BIT[Channel(channel)], Tag.CLEAR.value))
    cases.extend((bit, tag.value) for bit, tag in _ORDER if not bit & PERSON_BLOCKING)
    return cases
