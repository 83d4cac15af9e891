"""Read selectors of the canonical schema."""

from __future__ import annotations

from cmplatform.core.models import EmailAddress, Person, PersonQuerySet, PhoneNumber
from cmplatform.lib.normalize import email_key, name_key, phone_to_e164


def person_search(*, term: str, queryset: PersonQuerySet | None = None) -> PersonQuerySet:
    """Persons matching what an operator types, always through an index:

    an e-mail address (exact), a phone number in any format (exact E.164), a record id
    (digits, shorter than a phone number), ``"Last, First"``, ``"First Last"`` (first name
    exact, last name prefix) or a last-name prefix.
    """
    persons = queryset if queryset is not None else Person.objects.all()
    term = term.strip()
    if not term:
        return persons
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
            last_name_key=name_key(last), first_name_key__startswith=name_key(first)
        )
    words = term.split()
    if len(words) >= 2:
        return persons.filter(
            first_name_key=name_key(words[0]), last_name_key__startswith=name_key(words[-1])
        )
    return persons.filter(last_name_key__startswith=name_key(term))
