"""Read selectors of the canonical schema."""

from __future__ import annotations

import re

from cmplatform.core.models import EmailAddress, Person, PersonQuerySet, PhoneNumber
from cmplatform.lib.normalize import email_key, name_key, phone_to_e164

# "#1234567" or "id:1234567": a record id of any length, said explicitly.
_RECORD_ID = re.compile(r"(?:#|id:)\s*(\d+)", re.IGNORECASE)
_LARGEST_ID = 2**63 - 1  # BigAutoField


def person_search(*, term: str, queryset: PersonQuerySet | None = None) -> PersonQuerySet:
    """Persons matching what an operator types, always through an index:

    a record id written ``#1234567`` or ``id:1234567`` (any length), an e-mail address
    (exact), bare digits shorter than a phone number (a record id), a phone number in any
    format (exact E.164), ``"Last, First"``, ``"First Last"`` (first name exact, last name
    prefix) or a last-name prefix. Bare digits of phone length are a phone number: ids that
    long need the ``#`` or ``id:``.

    Name keys are upper case already; their prefixes are matched with ``istartswith``
    (``LIKE``), not ``startswith``: on MySQL that is ``LIKE BINARY``, which cannot use the name
    index under the columns' case-insensitive collation (a 25 s index scan at 10M persons).
    """
    persons = queryset if queryset is not None else Person.objects.all()
    term = term.strip()
    if not term:
        return persons
    explicit_id = _RECORD_ID.fullmatch(term)
    if explicit_id:
        pk = int(explicit_id.group(1))
        return persons.filter(pk=pk) if 0 < pk <= _LARGEST_ID else persons.none()
    if "@" in term:
        email_owners = EmailAddress.objects.filter(email=email_key(term)).values("person_id")
        return persons.filter(pk__in=email_owners)
    digits = "".join(character for character in term if character.isdigit())
    if digits and len(digits) == len(term.replace(" ", "")) and len(digits) < 7:
        return persons.filter(pk=int(digits))
    if len(digits) >= 7:
        e164 = phone_to_e164(term)
        if e164 is None:
            return persons.none()
        phone_owners = PhoneNumber.objects.filter(e164=e164).values("person_id")
        return persons.filter(pk__in=phone_owners)
    if "," in term:
        last, _, first = term.partition(",")
        return persons.filter(
            last_name_key=name_key(last), first_name_key__istartswith=name_key(first)
        )
    words = term.split()
    if len(words) >= 2:
        return persons.filter(
            first_name_key=name_key(words[0]), last_name_key__istartswith=name_key(words[-1])
        )
    return persons.filter(last_name_key__istartswith=name_key(term))
