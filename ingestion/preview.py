"""A preview of a source before it is imported: its columns, the mapping the engine would use,
and its first rows as the engine would judge them.

:func:`import_preview` reads only the head of a file (constant cost at any size), resolves the
mapping with :func:`~ingestion.mapping.resolve_mapping` and runs every previewed row through
the engine's own :func:`~ingestion.records.normalize_record`, so what the preview calls an
invalid phone, e-mail, ZIP or date is exactly what the import will flag, and a row it calls
rejected is a row the import will reject. Each flagged value is traced back to the column it
came from, for a per-column view.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ingestion import mapping as canonical
from ingestion.mapping import ColumnMapping, resolve_mapping
from ingestion.records import (
    REQUIRE_CONTACT,
    REQUIRE_NAME,
    Issue,
    NormalizedRecord,
    RejectedRecord,
    Rules,
    normalize_record,
)
from ingestion.sources import RowError, SourceRow, open_source

PREVIEW_ROWS = 20
# Canonical fields whose single value is the first non-empty of their columns.
_FIRST_OF = (
    canonical.LEAD_STATUS,
    canonical.SOURCE_UPDATED_AT,
    canonical.SOURCE_CREATED_AT,
    canonical.TOUCHED_AT,
)
_NAME_FIELDS = (
    canonical.FIRST_NAME,
    canonical.MIDDLE_NAME,
    canonical.LAST_NAME,
    canonical.SUFFIX,
    canonical.FULL_NAME,
)
# The fields a rule of ingestion.records.Rules speaks of (a canonical field speaks of itself).
_RULE_FIELDS = {
    REQUIRE_NAME: (canonical.FIRST_NAME, canonical.LAST_NAME, canonical.FULL_NAME),
    REQUIRE_CONTACT: (
        canonical.PHONE,
        canonical.MOBILE_PHONE,
        canonical.EMAIL,
        canonical.STREET,
    ),
}


@dataclass(frozen=True)
class PreviewRow:
    """One previewed row: its values in column order, the problems of each column's value,
    and the row-level outcome (``rejected``: the reason the import would reject it;
    ``unreadable``: the reader could not read it)."""

    number: int
    location: str
    values: tuple[str | None, ...]
    problems: tuple[tuple[str, ...], ...]
    rejected: str = ""
    unreadable: str = ""


@dataclass(frozen=True)
class Preview:
    """The head of a source as the import would see it."""

    kind: str
    columns: tuple[str, ...]
    description: dict[str, Any]
    mapping: ColumnMapping
    required: tuple[str, ...]
    rows: tuple[PreviewRow, ...]
    problems_by_column: dict[str, int] = field(default_factory=dict)

    def field_of(self, column: str) -> str:
        """The canonical field ``column`` feeds, ``""`` when it feeds none."""
        for name, columns in self.mapping.fields.items():
            if column in columns:
                return name
        return ""


def _first_filled(values: Mapping[str, str | None], columns: tuple[str, ...]) -> str | None:
    for column in columns:
        value = values.get(column)
        if value is not None and value.strip():
            return column
    return None


def _columns_of_issue(issue: Issue, row: SourceRow, mapping: ColumnMapping) -> tuple[str, ...]:
    """The column(s) an engine issue is about (the engine names the field, not the column)."""
    values = row.values
    if issue.field in canonical.REPEATABLE_FIELDS:
        return tuple(c for c in mapping.columns_of(issue.field) if values.get(c) == issue.value)
    if issue.field in _FIRST_OF:
        column = _first_filled(values, mapping.columns_of(issue.field))
        return (column,) if column else ()
    if issue.field == canonical.STREET:
        # An address issue is the street's or, prefixed "zip:", the ZIP's (see
        # cmplatform.lib.hygiene.addresses.normalize_address).
        parts = issue.code.split("; ")
        fields: tuple[str, ...] = ()
        if any(not part.startswith("zip:") for part in parts):
            fields += (canonical.STREET, canonical.STREET2)
        if any(part.startswith("zip:") for part in parts):
            fields += (canonical.ZIP,)
        found = [_first_filled(values, mapping.columns_of(name)) for name in fields]
        return tuple(column for column in found if column)
    if issue.field == canonical.FULL_NAME:
        return tuple(
            c for name in _NAME_FIELDS for c in mapping.columns_of(name) if (values.get(c) or "")
        )
    return ()


def _problem_text(issue: Issue) -> str:
    return f"{issue.field.replace('_', ' ')}: {issue.code.replace('_', ' ')}"


def import_preview(
    path: str | os.PathLike[str],
    *,
    options: Mapping[str, str | None] | None = None,
    explicit: Mapping[str, str | None] | None = None,
    required: tuple[str, ...] | None = None,
    rows: int = PREVIEW_ROWS,
) -> Preview:
    """The first ``rows`` rows of the file at ``path`` read with ``options`` (``sheet``,
    ``table``, ``encoding``...) and mapped with ``explicit`` over the automatic match, as the
    engine would normalise them under ``required`` (default: the engine's rules).

    Raises :class:`~ingestion.sources.SourceError` for a source that cannot be read and
    :class:`~ingestion.mapping.MappingError` for a mapping that cannot be applied.
    """
    options = {key: value for key, value in (options or {}).items() if value not in (None, "")}
    rules = Rules(required=tuple(required)) if required else Rules()
    with open_source(path, **options) as reader:
        columns = tuple(reader.columns)
        mapping = resolve_mapping(columns, explicit)
        previewed: list[PreviewRow] = []
        counts: Counter[str] = Counter()
        for item in itertools.islice(reader, rows):
            if isinstance(item, RowError):
                previewed.append(
                    PreviewRow(
                        number=item.number,
                        location=item.location,
                        values=(),
                        problems=(),
                        unreadable=f"{item.error_type.replace('_', ' ')}: {item.message}",
                    )
                )
                continue
            outcome = normalize_record(item, mapping, rules)
            by_column: dict[str, list[str]] = {}
            rejected = ""
            if isinstance(outcome, RejectedRecord):
                rejected = outcome.message
                fields = _RULE_FIELDS.get(outcome.field_name, (outcome.field_name,))
                for column in (c for name in fields for c in mapping.columns_of(name)):
                    by_column.setdefault(column, []).append(outcome.error_type.replace("_", " "))
                # A rejected row's flagged values are still worth seeing: judge them apart.
                judged = normalize_record(item, mapping, Rules(required=()))
                issues = judged.issues if isinstance(judged, NormalizedRecord) else ()
            else:
                issues = outcome.issues
            for issue in issues:
                for column in _columns_of_issue(issue, item, mapping):
                    by_column.setdefault(column, []).append(_problem_text(issue))
            for column in by_column:
                counts[column] += 1
            previewed.append(
                PreviewRow(
                    number=item.number,
                    location=item.location,
                    values=tuple(item.values.get(column) for column in columns),
                    problems=tuple(tuple(by_column.get(column, ())) for column in columns),
                    rejected=rejected,
                )
            )
        return Preview(
            kind=reader.kind,
            columns=columns,
            description=dict(reader.description),
            mapping=mapping,
            required=rules.required,
            rows=tuple(previewed),
            problems_by_column=dict(counts),
        )
