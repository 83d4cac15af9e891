"""Test data builders (plain functions). Like the platform's own write paths, each keeps the
golden-record summaries of the person it touches up to date."""

from __future__ import annotations

import datetime as dt
from itertools import count
from typing import Any

from cmplatform.core.golden_facts import golden_facts_refresh
from cmplatform.core.models import Address, Campaign, EmailAddress, Person, PhoneNumber, Touchpoint
from cmplatform.core.services import user_assign_role

_sequence = count(1)
# The demo sources a golden-record run links across, in the order they are ingested.
DEMO_FILES = (
    "legacy_owners.sql",
    "legacy_contacts.sqlite",
    "campaign_mail_2024.csv",
    "campaign_sms_2025.txt",
    "campaign_calls_2025.csv",
)


def person_create(**fields: Any) -> Person:
    defaults: dict[str, Any] = {
        "first_name": "John",
        "last_name": f"Smith{next(_sequence)}",
        "state": "TX",
        "county": "Reeves",
        "zip5": "79772",
    }
    defaults.update(fields)
    person = Person.objects.create(**defaults)
    if person.is_duplicate:
        golden_facts_refresh(person_ids=[person.pk])
    return person


def phone_create(person: Person, raw: str, e164: str | None, **fields: Any) -> PhoneNumber:
    phone = PhoneNumber.objects.create(
        person=person, raw=raw, e164=e164, is_valid=e164 is not None, **fields
    )
    golden_facts_refresh(person_ids=[person.pk])
    return phone


def email_create(person: Person, email: str, **fields: Any) -> EmailAddress:
    address = EmailAddress.objects.create(person=person, email=email, **fields)
    golden_facts_refresh(person_ids=[person.pk])
    return address


def address_create(person: Person, **fields: Any) -> Address:
    defaults: dict[str, Any] = {"street": "1 Main St", "state": "TX", "zip5": "79772"}
    defaults.update(fields)
    defaults.setdefault("address_key", f"{defaults['street']}|{defaults['zip5']}".upper())
    address = Address.objects.create(person=person, **defaults)
    golden_facts_refresh(person_ids=[person.pk])
    return address


def touch_create(
    person: Person, channel: str, occurred_at: dt.datetime, campaign: Campaign | None = None
) -> Touchpoint:
    touchpoint = Touchpoint.objects.create(
        person=person,
        channel=channel,
        occurred_at=occurred_at,
        status=Touchpoint.Status.SENT,
        campaign=campaign,
    )
    golden_facts_refresh(person_ids=[person.pk])
    return touchpoint


def user_create(username: str, role: str, password: str = "correct-Horse-battery-9") -> Any:
    user, _ = user_assign_role(username=username, role=role, password=password)
    return user
