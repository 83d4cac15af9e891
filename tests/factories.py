"""Test data builders (plain functions: the canonical models need nothing more)."""

from __future__ import annotations

from itertools import count
from typing import Any

from cmplatform.core.models import EmailAddress, Person, PhoneNumber
from cmplatform.core.services import user_assign_role

_sequence = count(1)


def person_create(**fields: Any) -> Person:
    defaults: dict[str, Any] = {
        "first_name": "John",
        "last_name": f"Smith{next(_sequence)}",
        "state": "TX",
        "county": "Reeves",
        "zip5": "79772",
    }
    defaults.update(fields)
    return Person.objects.create(**defaults)


def phone_create(person: Person, raw: str, e164: str | None, **fields: Any) -> PhoneNumber:
    return PhoneNumber.objects.create(
        person=person, raw=raw, e164=e164, is_valid=e164 is not None, **fields
    )


def email_create(person: Person, email: str, **fields: Any) -> EmailAddress:
    return EmailAddress.objects.create(person=person, email=email, **fields)


def user_create(username: str, role: str, password: str = "correct-Horse-battery-9") -> Any:
    user, _ = user_assign_role(username=username, role=role, password=password)
    return user
