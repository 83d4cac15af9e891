"""From a source row to a normalised record: the CPU-bound stage of an import.

:func:`normalize_record` applies a resolved :class:`~ingestion.mapping.ColumnMapping` and the
hygiene normalisers to one :class:`~ingestion.sources.SourceRow`. It is pure (no database, no
Django models), so the engine runs it in worker processes on every core while the database
works on the previous chunk.

The result is either a :class:`NormalizedRecord` — what the row says about a person, with every
value it brought (mapped and unmapped, raw) kept for lineage and the non-fatal problems listed
as :class:`Issue` (an invalid phone is kept raw and flagged, never dropped) — or a
:class:`RejectedRecord` when the source's required-field rules are not met, carrying the row
verbatim for the error report and replay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from cmplatform.lib.hygiene.addresses import normalize_address
from cmplatform.lib.hygiene.dates import parse_date
from cmplatform.lib.hygiene.emails import normalize_email
from cmplatform.lib.hygiene.names import NameResult, normalize_name_parts, parse_full_name
from cmplatform.lib.hygiene.phones import normalize_phone
from cmplatform.lib.normalize import name_key
from cmplatform.lib.runtime import fast_pickle
from ingestion import mapping as canonical
from ingestion.mapping import ColumnMapping
from ingestion.sources import SourceRow

# Legacy lead statuses (folded: upper case, single spaces) → the platform's lead status.
# Statuses that are compliance facts rather than sales stages (DNC, DECEASED, BAD ADDRESS) map
# to no lead status; they travel as ``compliance_hints`` for the compliance engine.
LEAD_STATUS_MAP: dict[str, str] = {
    "NEW": "new",
    "LEAD": "new",
    "MAILED": "attempted",
    "ATTEMPTED": "attempted",
    "CONTACTED": "contacted",
    "INTERESTED": "interested",
    "NOT INTERESTED": "not_interested",
    "OFFER SENT": "offer_sent",
    "UNDER CONTRACT": "under_contract",
    "CLOSED": "closed_won",
    "CLOSED WON": "closed_won",
    "CLOSED LOST": "closed_lost",
}
COMPLIANCE_STATUSES: dict[str, str] = {
    "DNC": "DNC_INTERNAL",
    "DO NOT CALL": "DNC_INTERNAL",
    "DECEASED": "DECEASED",
    "BAD ADDRESS": "UNDELIVERABLE_ADDRESS",
}

# Rule names usable in ``Rules.required`` besides canonical field names.
REQUIRE_NAME = "name"  # a first or last name, or a full name
REQUIRE_CONTACT = "contact"  # a phone, an e-mail or a street


@fast_pickle
@dataclass(frozen=True, slots=True)
class Issue:
    """A non-fatal problem of one value: the row is accepted, the value kept as given."""

    field: str
    code: str
    value: str | None


@fast_pickle
@dataclass(frozen=True, slots=True)
class PhoneValue:
    """A phone number of a row: as given, its E.164 form when valid, and its kind."""

    raw: str
    e164: str | None
    is_valid: bool
    kind: str
    extension: str | None
    from_mobile_column: bool


@fast_pickle
@dataclass(frozen=True, slots=True)
class EmailValue:
    """An e-mail address of a row: as given, normalised when valid, and why not."""

    raw: str
    email: str | None
    is_valid: bool
    reason: str | None


@fast_pickle
@dataclass(frozen=True, slots=True)
class AddressValue:
    """The postal address of a row, USPS-standardised where possible."""

    street: str
    city: str
    state: str | None
    zip5: str | None
    zip4: str | None
    county: str
    address_key: str
    is_standardized: bool


@fast_pickle
@dataclass(frozen=True, slots=True)
class NormalizedRecord:
    """What one source row says about a person, normalised."""

    row_number: int
    location: str
    source_key: str
    has_own_key: bool
    checksum: str
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    qualifier: str
    is_entity: bool
    first_name_key: str
    last_name_key: str
    phones: tuple[PhoneValue, ...]
    emails: tuple[EmailValue, ...]
    address: AddressValue | None
    lead_status: str | None
    compliance_hints: tuple[str, ...]
    source_updated_at: dt.datetime | None
    source_created_at: dt.datetime | None
    touched_at: dt.datetime | None
    brought_json: str
    issues: tuple[Issue, ...]
    # Derived here, in the worker processes, so the importing process (the serial stage of an
    # import) only looks them up: lineage texts and the values matching compares.
    issues_json: str
    match_emails: tuple[str, ...]  # valid e-mails ("none@none.com" is on thousands of rows)
    match_phones: tuple[str, ...]  # E.164 numbers
    name_zip: tuple[str, str, str] | None  # (last-name key, first-name key, ZIP5)

    @property
    def brought(self) -> dict[str, str | None]:
        """Every value the row brought (mapped and unmapped, raw), by column."""
        values: dict[str, str | None] = json.loads(self.brought_json)
        return values


@fast_pickle
@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A row the source's rules reject: kept verbatim with the reason."""

    row_number: int
    location: str
    error_type: str
    field_name: str
    field_value: str | None
    message: str
    raw: dict[str, str | None]


@dataclass(frozen=True)
class Rules:
    """Per-source validation rules: which fields a row must have (canonical field names or
    :data:`REQUIRE_NAME` / :data:`REQUIRE_CONTACT`)."""

    required: tuple[str, ...] = (REQUIRE_NAME, REQUIRE_CONTACT)
    extra_status_map: Mapping[str, str] = field(default_factory=dict)


def _first(values: Mapping[str, str | None], columns: tuple[str, ...]) -> str:
    for column in columns:
        value = values.get(column)
        if value is not None and value.strip():
            return value
    return ""


def _as_datetime(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _parse_moment(
    values: Mapping[str, str | None], mapping: ColumnMapping, name: str, issues: list[Issue]
) -> dt.datetime | None:
    raw = _first(values, mapping.columns_of(name))
    if not raw:
        return None
    parsed = parse_date(raw)
    if parsed.value is None:
        issues.append(Issue(name, parsed.reason or "invalid_date", raw))
    return _as_datetime(parsed.value)


def _names(values: Mapping[str, str | None], mapping: ColumnMapping) -> NameResult | None:
    first = _first(values, mapping.columns_of(canonical.FIRST_NAME))
    last = _first(values, mapping.columns_of(canonical.LAST_NAME))
    middle = _first(values, mapping.columns_of(canonical.MIDDLE_NAME))
    suffix = _first(values, mapping.columns_of(canonical.SUFFIX))
    if first or last:
        return normalize_name_parts(first, middle, last, suffix)
    full = _first(values, mapping.columns_of(canonical.FULL_NAME))
    if full:
        return parse_full_name(full)
    return None


def _checksum(facts: Mapping[str, object]) -> str:
    """A digest of every normalised value of a row (not its position or raw text), so the
    same facts in another file or layout give the same checksum, and any changed fact — a
    qualifier such as DECEASED, a ZIP+4, an extension — gives another one."""
    # repr of tuples/dataclasses/datetimes is deterministic; 128 bits of blake2b (C-fast)
    # keep collisions out of reach at billions of rows.
    text = repr(sorted(facts.items()))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


# Longest value each canonical column holds (cmplatform/core/models.py); a longer value
# rejects its row (kept verbatim) instead of failing the whole chunk in the database.
MAX_LENGTHS = {
    "first_name": 100,
    "middle_name": 100,
    "last_name": 100,
    "suffix": 20,
    "phone": 64,
    "email": 254,
    "street": 200,
    "city": 100,
    "county": 100,
    "address_key": 255,
    # a row's own record key; touchpoints.external_id is the narrowest column it lands in
    "source_key": 128,
}


def _too_long(
    row: SourceRow,
    source_key: str,
    first: str,
    middle: str,
    last: str,
    suffix: str,
    phones: list[PhoneValue],
    emails: list[EmailValue],
    address: AddressValue | None,
    county: str,
) -> RejectedRecord | None:
    candidates: list[tuple[str, str]] = [
        ("source_key", source_key),
        ("first_name", first),
        ("middle_name", middle),
        ("last_name", last),
        ("suffix", suffix),
        ("county", county),
        *(("phone", phone.raw) for phone in phones),
        *(("email", email.email or email.raw) for email in emails),
    ]
    if address is not None:
        candidates += [
            ("street", address.street),
            ("city", address.city),
            ("address_key", address.address_key),
        ]
    for field_name, value in candidates:
        if len(value) > MAX_LENGTHS[field_name]:
            return RejectedRecord(
                row_number=row.number,
                location=row.location,
                error_type="value_too_long",
                field_name=field_name,
                field_value=value,
                message=(
                    f"The {field_name.replace('_', ' ')} has {len(value)} characters; "
                    f"at most {MAX_LENGTHS[field_name]} are kept."
                ),
                raw=dict(row.values),
            )
    return None


def normalize_record(
    row: SourceRow, mapping: ColumnMapping, rules: Rules | None = None
) -> NormalizedRecord | RejectedRecord:
    """Normalise one row under ``mapping`` and ``rules`` (see the module docstring)."""
    rules = rules or Rules()
    values = row.values
    issues: list[Issue] = []

    name = _names(values, mapping)
    if name is not None and name.reason:
        issues.append(Issue(canonical.FULL_NAME, name.reason, None))

    phones: list[PhoneValue] = []
    seen_numbers: set[str] = set()
    for phone_field, is_mobile in ((canonical.MOBILE_PHONE, True), (canonical.PHONE, False)):
        for column in mapping.columns_of(phone_field):
            raw = values.get(column)
            if raw is None or not raw.strip():
                continue
            result = normalize_phone(raw)
            # The same number in two columns is one phone (a "Mobile" repeating "Phone").
            identity = result.e164 or raw.strip()
            if identity in seen_numbers:
                continue
            seen_numbers.add(identity)
            if not result.is_valid:
                issues.append(Issue(phone_field, result.reason or "invalid_phone", raw))
            phones.append(
                PhoneValue(
                    raw, result.e164, result.is_valid, result.kind, result.extension, is_mobile
                )
            )

    emails: list[EmailValue] = []
    for column in mapping.columns_of(canonical.EMAIL):
        raw = values.get(column)
        if raw is None or not raw.strip():
            continue
        email = normalize_email(raw)
        if not email.is_valid:
            issues.append(Issue(canonical.EMAIL, email.reason or "invalid_email", raw))
        if all(existing.email != email.email or email.email is None for existing in emails):
            emails.append(EmailValue(raw, email.email, email.is_valid, email.reason))

    street = _first(values, mapping.columns_of(canonical.STREET))
    street2 = _first(values, mapping.columns_of(canonical.STREET2))
    city = _first(values, mapping.columns_of(canonical.CITY))
    state = _first(values, mapping.columns_of(canonical.STATE))
    zip_code = _first(values, mapping.columns_of(canonical.ZIP))
    zip4 = _first(values, mapping.columns_of(canonical.ZIP4))
    county = _first(values, mapping.columns_of(canonical.COUNTY)).strip()
    address = None
    if street or city or state or zip_code:
        line = f"{street} {street2}".strip() if street2 else street
        full_zip = f"{zip_code}-{zip4}" if zip_code and zip4 else zip_code
        standardized = normalize_address(line, city, state, full_zip)
        if standardized.reason:
            issues.append(Issue(canonical.STREET, standardized.reason, line or None))
        address = AddressValue(
            standardized.street,
            standardized.city,
            standardized.state,
            standardized.zip5,
            standardized.zip4,
            county,
            standardized.address_key,
            standardized.is_standardized,
        )

    lead_status = None
    compliance_hints: tuple[str, ...] = ()
    raw_status = _first(values, mapping.columns_of(canonical.LEAD_STATUS))
    if raw_status:
        folded = " ".join(raw_status.upper().replace("_", " ").split())
        status_map = {**LEAD_STATUS_MAP, **rules.extra_status_map}
        if folded in status_map:
            lead_status = status_map[folded]
        elif folded in COMPLIANCE_STATUSES:
            compliance_hints = (COMPLIANCE_STATUSES[folded],)
        else:
            issues.append(Issue(canonical.LEAD_STATUS, "unknown_lead_status", raw_status))

    updated_at = _parse_moment(values, mapping, canonical.SOURCE_UPDATED_AT, issues)
    created_at = _parse_moment(values, mapping, canonical.SOURCE_CREATED_AT, issues)
    touched_at = _parse_moment(values, mapping, canonical.TOUCHED_AT, issues)

    rejection = _check_required(row, mapping, rules, name, phones, emails, address)
    if rejection is not None:
        return rejection

    first = name.first if name else ""
    middle = name.middle if name else ""
    last = name.last if name else ""
    suffix = name.suffix if name else ""
    own_key = _first(values, mapping.columns_of(canonical.SOURCE_KEY)).strip()
    too_long = _too_long(row, own_key, first, middle, last, suffix, phones, emails, address, county)
    if too_long is not None:
        return too_long
    # Everything the record asserts, in one place: the checksum must cover each of these.
    facts: dict[str, object] = {
        "first_name": first,
        "middle_name": middle,
        "last_name": last,
        "suffix": suffix,
        "qualifier": name.qualifier if name else "",
        "is_entity": name.is_entity if name else False,
        # Normalised forms only: the same number written another way is the same fact.
        "phones": [(p.e164 or p.raw.strip(), p.is_valid, p.kind, p.extension) for p in phones],
        "emails": [(e.email or e.raw.strip(), e.is_valid) for e in emails],
        "address": address,
        "lead_status": lead_status,
        "compliance_hints": compliance_hints,
        "source_updated_at": updated_at,
        "source_created_at": created_at,
        "touched_at": touched_at,
    }
    checksum = _checksum(facts)
    first_key, last_key = name_key(first), name_key(last)
    zip5 = address.zip5 if address else None
    lineage_issues: list[list[object]] = [[i.field, i.code, i.value] for i in issues]
    lineage_issues.extend(["lead_status", hint, None] for hint in compliance_hints)
    return NormalizedRecord(
        row_number=row.number,
        location=row.location,
        source_key=own_key or f"h:{checksum}",
        has_own_key=bool(own_key),
        checksum=checksum,
        first_name=first,
        middle_name=middle,
        last_name=last,
        suffix=suffix,
        qualifier=name.qualifier if name else "",
        is_entity=name.is_entity if name else False,
        first_name_key=first_key,
        last_name_key=last_key,
        phones=tuple(phones),
        emails=tuple(emails),
        address=address,
        lead_status=lead_status,
        compliance_hints=compliance_hints,
        source_updated_at=updated_at,
        source_created_at=created_at,
        touched_at=touched_at,
        brought_json=json.dumps(values, ensure_ascii=False),
        issues=tuple(issues),
        issues_json=json.dumps(lineage_issues, ensure_ascii=False) if lineage_issues else "",
        match_emails=tuple(e.email for e in emails if e.email and e.is_valid),
        match_phones=tuple(p.e164 for p in phones if p.e164),
        name_zip=(last_key, first_key, zip5) if first_key and last_key and zip5 else None,
    )


def _check_required(
    row: SourceRow,
    mapping: ColumnMapping,
    rules: Rules,
    name: NameResult | None,
    phones: list[PhoneValue],
    emails: list[EmailValue],
    address: AddressValue | None,
) -> RejectedRecord | None:
    for requirement in rules.required:
        if requirement == REQUIRE_NAME:
            satisfied = name is not None and bool(name.first or name.last)
            field_name = "name"
        elif requirement == REQUIRE_CONTACT:
            satisfied = bool(phones or emails or (address and address.street))
            field_name = "contact"
        else:
            satisfied = bool(_first(row.values, mapping.columns_of(requirement)))
            field_name = requirement
        if not satisfied:
            messages = {
                "name": "The row has no first, last or full name.",
                "contact": "The row has no phone, e-mail or street address.",
            }
            return RejectedRecord(
                row_number=row.number,
                location=row.location,
                error_type="required_field_missing",
                field_name=field_name,
                field_value=None,
                message=messages.get(field_name, f"The required field {field_name} is empty."),
                raw=dict(row.values),
            )
    return None
