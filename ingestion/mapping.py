"""Column mapping: which source column feeds which canonical field.

A source's headers are matched to canonical fields by synonyms (``Phone``, ``phone_number``,
``Cell``, ``mobile``, ``Tel`` → a phone), compared after folding case, spaces and punctuation
(``First Name`` ≡ ``first_name`` ≡ ``FirstName``). An explicit mapping (a JSON object, from a
file or a saved profile) overrides the automatic match column by column; ``null`` ignores a
column. Nothing is dropped: columns that feed no field are listed as *unmapped* and travel with
each row into its lineage.

Repeatable fields (phones, e-mails) take every matching column in header order. A full-name
column is used only when the source has neither a first- nor a last-name column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Canonical fields a source column can feed.
SOURCE_KEY = "source_key"
FULL_NAME = "full_name"
FIRST_NAME = "first_name"
MIDDLE_NAME = "middle_name"
LAST_NAME = "last_name"
SUFFIX = "suffix"
PHONE = "phone"
MOBILE_PHONE = "mobile_phone"
EMAIL = "email"
STREET = "street"
STREET2 = "street2"
CITY = "city"
STATE = "state"
ZIP = "zip"
ZIP4 = "zip4"
COUNTY = "county"
LEAD_STATUS = "lead_status"
SOURCE_UPDATED_AT = "source_updated_at"
SOURCE_CREATED_AT = "source_created_at"
TOUCHED_AT = "touched_at"

REPEATABLE_FIELDS = frozenset({PHONE, MOBILE_PHONE, EMAIL})

# Synonyms in folded form (see ``fold``). Order inside a list does not matter; a header must
# not appear under two fields (checked at import time below).
SYNONYMS: dict[str, tuple[str, ...]] = {
    SOURCE_KEY: (
        "recordid", "record", "id", "ownerid", "leadid", "contactid", "customerid", "key",
        "externalid", "sourceid", "uid", "leaduid",
    ),
    FULL_NAME: ("name", "fullname", "ownername", "contactname", "leadname", "mailingname"),
    FIRST_NAME: ("firstname", "first", "fname", "givenname", "forename", "ownerfirstname"),
    MIDDLE_NAME: ("middlename", "middle", "mname", "middleinitial", "mi"),
    LAST_NAME: ("lastname", "last", "lname", "surname", "familyname", "ownerlastname"),
    SUFFIX: ("suffix", "namesuffix", "generation"),
    PHONE: (
        "phone", "phonenumber", "phone1", "phone2", "phone3", "telephone", "tel", "homephone",
        "landline", "workphone", "primaryphone", "contactphone", "phoneno", "ownerphone",
    ),
    MOBILE_PHONE: ("cell", "cellphone", "mobile", "mobilephone", "cellular", "cellnumber"),
    EMAIL: ("email", "emailaddress", "mail", "email1", "email2", "emailaddr", "contactemail"),
    STREET: (
        "address", "street", "streetaddress", "address1", "addressline1", "mailingaddress",
        "mailaddr1", "mailaddress", "addr", "addr1", "mailingstreet",
    ),
    STREET2: ("address2", "addressline2", "street2", "mailaddr2", "addr2", "unit", "apt"),
    CITY: ("city", "town", "mailcity", "mailingcity", "municipality"),
    STATE: ("state", "st", "mailstate", "mailingstate", "province", "stateprovince"),
    ZIP: (
        "zip", "zipcode", "postalcode", "postcode", "mailzip", "mailingzip", "zip5", "postal",
    ),
    ZIP4: ("zip4", "plus4", "zipplus4"),
    COUNTY: ("county", "countyname", "parish", "mailcounty"),
    LEAD_STATUS: ("leadstatus", "status", "stage"),
    SOURCE_UPDATED_AT: (
        "updatedat", "lastmodified", "modified", "modifiedat", "dateupdated", "lastupdated",
        "updated", "sourcedate", "asof",
    ),
    SOURCE_CREATED_AT: ("createdat", "created", "datecreated", "dateadded", "addedon"),
    TOUCHED_AT: (
        "mailedon", "maileddate", "texted", "textedon", "lastcalled", "calledon", "calldate",
        "senton", "contactedon", "lasttouch",
    ),
}  # fmt: skip

_FOLD = re.compile(r"[^a-z0-9]")


def fold(header: str) -> str:
    """Case, spaces and punctuation folded away: ``"E-mail Address"`` → ``"emailaddress"``."""
    return _FOLD.sub("", header.lower())


_FIELD_BY_SYNONYM: dict[str, str] = {}
for _field, _synonyms in SYNONYMS.items():
    for _synonym in _synonyms:
        if _synonym in _FIELD_BY_SYNONYM:
            raise RuntimeError(f"Synonym {_synonym!r} listed for two fields.")
        _FIELD_BY_SYNONYM[_synonym] = _field

CANONICAL_FIELDS = tuple(SYNONYMS)


class MappingError(ValueError):
    """An explicit mapping that cannot be applied to the source's columns."""


@dataclass(frozen=True)
class ColumnMapping:
    """The resolved mapping of one source: canonical field → source columns (in header order),
    the columns that feed nothing, and how each field was decided (``auto`` or ``explicit``)."""

    fields: dict[str, tuple[str, ...]]
    unmapped: tuple[str, ...]
    decided_by: dict[str, str] = field(default_factory=dict)

    def columns_of(self, canonical_field: str) -> tuple[str, ...]:
        return self.fields.get(canonical_field, ())

    def as_json(self) -> dict[str, object]:
        """A JSON-safe form, stored on the import batch."""
        return {
            "fields": {name: list(columns) for name, columns in self.fields.items()},
            "unmapped": list(self.unmapped),
            "decided_by": dict(self.decided_by),
        }


def resolve_mapping(
    columns: Sequence[str], explicit: Mapping[str, str | None] | None = None
) -> ColumnMapping:
    """Match ``columns`` to canonical fields; ``explicit`` (source column → field or ``None``)
    wins over the synonyms. Raises :class:`MappingError` for an explicit mapping naming a
    column the source lacks, a field that does not exist, or a single-valued field fed twice.
    """
    explicit = dict(explicit or {})
    # a mapping from a JSON file may hold anything: a number or a list is not a field name
    not_names = sorted(
        column
        for column, target in explicit.items()
        if target is not None and not isinstance(target, str)
    )
    if not_names:
        raise MappingError(
            "A mapping gives each column a canonical field name or null; not so for: "
            f"{', '.join(not_names)}."
        )
    unknown_columns = sorted(set(explicit) - set(columns))
    if unknown_columns:
        raise MappingError(
            f"The mapping names columns the source does not have: {', '.join(unknown_columns)}. "
            f"The source's columns are: {', '.join(columns)}."
        )
    unknown_fields = sorted({f for f in explicit.values() if f is not None} - set(SYNONYMS))
    if unknown_fields:
        raise MappingError(
            f"Unknown canonical fields in the mapping: {', '.join(unknown_fields)}. "
            f"Known fields: {', '.join(CANONICAL_FIELDS)}."
        )
    assigned: dict[str, list[str]] = {}
    decided_by: dict[str, str] = {}
    unmapped: list[str] = []
    for column in columns:
        if column in explicit:
            target = explicit[column]
            how = "explicit"
        else:
            target = _FIELD_BY_SYNONYM.get(fold(column))
            how = "auto"
        if target is None:
            unmapped.append(column)
            continue
        if target not in REPEATABLE_FIELDS and target in assigned:
            if how == "explicit" and decided_by.get(target) == "auto":
                # An explicit choice displaces an automatic one; the displaced column is kept.
                unmapped.extend(assigned.pop(target))
            elif how == "auto":
                unmapped.append(column)
                continue
            else:
                raise MappingError(
                    f"Field {target!r} is mapped from two columns: "
                    f"{assigned[target][0]!r} and {column!r}."
                )
        assigned.setdefault(target, []).append(column)
        decided_by[target] = how if decided_by.get(target) != "explicit" else "explicit"
    # A full-name column only speaks when the source has no split name columns.
    has_split_names = FIRST_NAME in assigned or LAST_NAME in assigned
    if FULL_NAME in assigned and has_split_names and decided_by.get(FULL_NAME) == "auto":
        unmapped.extend(assigned.pop(FULL_NAME))
        decided_by.pop(FULL_NAME)
    ordered_unmapped = tuple(column for column in columns if column in set(unmapped))
    return ColumnMapping(
        fields={name: tuple(values) for name, values in assigned.items()},
        unmapped=ordered_unmapped,
        decided_by=decided_by,
    )
