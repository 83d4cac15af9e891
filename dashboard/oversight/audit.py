"""Audit-log reads: filters, keyset pages newest first, the changes made readable, and the
filtered log as CSV rows.

``audit_log`` grows with every change anybody makes (tens of millions of rows), so each page
is an index range scan on (occurred_at, id), read backwards from a cursor, on the index that
fits the filter: the object index (object_type, object_id, occurred_at) when an object is
named, else the actor index (actor, occurred_at) when a user is, else the time index. Filters
no index serves (action, origin, an object type alone) are checked within a bounded window of
that index: a page examines at most ``scan_rows`` entries, so a filter matching nothing never
reads the whole table; the page then offers to search on from where it stopped.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from cmplatform.core.models import AuditLog, Person
from cmplatform.lib.replica import replica_reads
from cmplatform.lib.spreadsheet_safety import safe_cell

PAGE_ROWS = 50
MAX_PAGE_ROWS = 500
# Index entries one page may examine for filters no index serves: a range scan of the
# (occurred_at, id) keys plus the row look-ups, some tens of milliseconds.
SCAN_ROWS = 10_000
EXPORT_PAGE_ROWS = 2_000
EXPORT_SCAN_ROWS = 50_000
# An export stops after this many entries (the newest); narrower filters reach older ones.
EXPORT_MAX_ROWS = 1_000_000
# Windows an export searches through in vain (for filters no index serves) before it stops:
# a million index entries at most, some seconds, not the whole table for a rare match.
EXPORT_MAX_WINDOWS = 20

OBJECT_INDEX = "audit_log_object_idx"
ACTOR_INDEX = "audit_log_actor_idx"
TIME_INDEX = "audit_log_time_idx"

PERSON_TYPE = Person._meta.label_lower


class AuditCursorError(ValueError):
    """A page cursor that cannot be read; the message says what to do."""


def object_types() -> list[str]:
    """Every model label an entry can name (``core.person``, ``compliance.suppression`` …)."""
    return sorted(model._meta.label_lower for model in apps.get_models())


class AuditFilterForm(forms.Form):
    """The audit log's filters (all optional). Times are in the display time zone."""

    user = forms.CharField(required=False, max_length=150, label="User")
    object_type = forms.CharField(
        required=False,
        max_length=100,
        label="Object type",
        widget=forms.TextInput(attrs={"list": "audit-object-types", "placeholder": "core.person"}),
    )
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action"), *AuditLog.Action.choices]
    )
    origin = forms.ChoiceField(
        required=False, choices=[("", "Any origin"), *AuditLog.Origin.choices]
    )
    since = forms.DateTimeField(
        required=False,
        label="From",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    before = forms.DateTimeField(
        required=False,
        label="Before",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    rows = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_ROWS)

    def clean_user(self) -> str:
        return self.cleaned_data["user"].strip()

    def clean_object_type(self) -> str:
        return self.cleaned_data["object_type"].strip().lower()

    def clean_object_id(self) -> str:
        return self.cleaned_data["object_id"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_type", "Choose the object type of this id.")
        since, before = data.get("since"), data.get("before")
        if since and before and since >= before:
            self.add_error("before", "Choose a time after the start.")
        return data


@dataclass(frozen=True)
class AuditQuery:
    """What to show: ``user_id`` is ``None`` when no user is asked for; a user name that
    matches nobody sets ``no_match``."""

    user_id: int | None = None
    no_match: bool = False
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    origin: str = ""
    since: dt.datetime | None = None
    before: dt.datetime | None = None

    @classmethod
    def from_form(cls, data: dict[str, Any]) -> AuditQuery:
        user_id, no_match = None, False
        if data.get("user"):
            found = (
                get_user_model()
                .objects.filter(username=data["user"])
                .values_list("pk", flat=True)
                .first()
            )
            user_id, no_match = found, found is None
        return cls(
            user_id=user_id,
            no_match=no_match,
            object_type=data.get("object_type") or "",
            object_id=data.get("object_id") or "",
            action=data.get("action") or "",
            origin=data.get("origin") or "",
            since=data.get("since"),
            before=data.get("before"),
        )


def audit_queryset(query: AuditQuery) -> tuple[QuerySet[AuditLog], Q, str]:
    """The index-served part of ``query`` (equality filters and the time range, on the index
    it names), and the filters to check within a bounded window of that index."""
    entries = AuditLog.objects.all()
    post = Q()
    if query.no_match:
        return entries.none(), post, TIME_INDEX
    if query.object_type and query.object_id:
        entries = entries.filter(object_type=query.object_type, object_id=query.object_id)
        index = OBJECT_INDEX
        if query.user_id is not None:
            post &= Q(actor_id=query.user_id)
    elif query.user_id is not None:
        entries = entries.filter(actor_id=query.user_id)
        index = ACTOR_INDEX
    else:
        index = TIME_INDEX
    if query.object_type and not query.object_id:
        post &= Q(object_type=query.object_type)
    if query.action:
        post &= Q(action=query.action)
    if query.origin:
        post &= Q(origin=query.origin)
    if query.since is not None:
        entries = entries.filter(occurred_at__gte=query.since)
    if query.before is not None:
        entries = entries.filter(occurred_at__lt=query.before)
    return entries, post, index


Key = tuple[dt.datetime, int]


def cursor_encode(key: Key) -> str:
    raw = json.dumps([key[0].isoformat(), key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> Key:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, pk = json.loads(raw)
        when = dt.datetime.fromisoformat(moment)
        if not isinstance(pk, int) or when.tzinfo is None:
            raise ValueError
        return when, pk
    except (ValueError, TypeError, json.JSONDecodeError):
        raise AuditCursorError(
            "The page cursor is not valid; start again from the newest entries."
        ) from None


def _older_than(key: Key) -> Q:
    # The plain range on occurred_at first, so every backend reads it as an index range.
    moment, pk = key
    return Q(occurred_at__lte=moment) & (Q(occurred_at__lt=moment) | Q(pk__lt=pk))


def _not_older_than(key: Key) -> Q:
    moment, pk = key
    return Q(occurred_at__gte=moment) & (Q(occurred_at__gt=moment) | Q(pk__gte=pk))


@dataclass
class AuditPage:
    """Entries newest first; ``next_cursor`` continues after them (``None``: no more).
    ``searched_to`` is set when the page stopped at its scan window before filling up."""

    entries: list[AuditLog]
    next_cursor: str | None
    index: str
    searched_to: dt.datetime | None = None


def page_queryset(
    query: AuditQuery, *, after: Key | None = None
) -> tuple[QuerySet[AuditLog], Q, str]:
    """The entries of ``query`` older than ``after``, newest first, on the index it names, and
    the filters to check within a bounded window of it."""
    entries, post, index = audit_queryset(query)
    if after is not None:
        entries = entries.filter(_older_than(after))
    return entries.order_by("-occurred_at", "-pk"), post, index


def audit_page(
    query: AuditQuery,
    *,
    cursor: str | None = None,
    rows: int = PAGE_ROWS,
    scan_rows: int = SCAN_ROWS,
) -> AuditPage:
    """One page of ``query``, newest first, after ``cursor``."""
    ordered, post, index = page_queryset(query, after=cursor_decode(cursor) if cursor else None)
    boundary: Key | None = None
    if post:
        # The last key of the window this page may examine (the index alone, keys only):
        # a bounded slice of the range being read, not a page offset.
        window = list(ordered.values_list("occurred_at", "pk")[scan_rows - 1 : scan_rows + 1])
        if len(window) == 2:
            boundary = window[0]
            ordered = ordered.filter(_not_older_than(boundary))
        ordered = ordered.filter(post)
    found = list(ordered[: rows + 1])
    if len(found) > rows:
        found = found[:rows]
        last = found[-1]
        return AuditPage(found, cursor_encode((last.occurred_at, last.pk)), index)
    if boundary is not None:
        return AuditPage(found, cursor_encode(boundary), index, searched_to=boundary[0])
    return AuditPage(found, None, index)


@dataclass
class AuditExport:
    """Every entry of ``query``, newest first, a keyset page at a time (iterate over it; memory
    stays flat), at most ``max_rows``. Each page is read from the replica when there is one;
    no context is held across pages, so the pages may be asked for from different threads.

    For filters no index serves, the export stops once ``max_windows`` scan windows in all
    were searched without filling a page, as the audit page stops at one; ``searched_to`` then
    says how far back it searched (older entries were not looked at).
    """

    query: AuditQuery
    page_rows: int = EXPORT_PAGE_ROWS
    scan_rows: int = EXPORT_SCAN_ROWS
    max_rows: int = EXPORT_MAX_ROWS
    max_windows: int = EXPORT_MAX_WINDOWS
    searched_to: dt.datetime | None = None

    def __iter__(self) -> Iterator[list[AuditLog]]:
        cursor: str | None = None
        left, windows = self.max_rows, 0
        while left > 0:
            with replica_reads():
                page = audit_page(
                    self.query,
                    cursor=cursor,
                    rows=min(self.page_rows, left),
                    scan_rows=self.scan_rows,
                )
            if page.entries:
                left -= len(page.entries)
                yield page.entries
            if page.next_cursor is None:
                return
            if page.searched_to is not None:
                windows += 1
                if windows >= self.max_windows:
                    self.searched_to = page.searched_to
                    return
            cursor = page.next_cursor


def export_stop_note(searched_to: dt.datetime) -> str:
    """The export's last line when it stopped searching at ``searched_to`` (UTC, as the rows)."""
    return (
        f"# searched back to {searched_to.astimezone(dt.UTC).isoformat()}; "
        "narrow the time range to export older entries"
    )


EXPORT_HEADER = (
    "occurred_at",
    "id",
    "user",
    "origin",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
)


def export_row(entry: AuditLog) -> list[Any]:
    """One CSV row of an entry (UTC time, the changes as compact JSON), spreadsheet-safe."""
    values = (
        entry.occurred_at.astimezone(dt.UTC).isoformat(),
        entry.pk,
        entry.actor_username,
        entry.origin,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        json.dumps(entry.changes, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
    )
    return [safe_cell(value) for value in values]


@dataclass(frozen=True)
class ChangesView:
    """An entry's changes for reading: ``{field: [before, after]}`` pairs as table rows
    (a merge's ``before``/``after`` objects too), anything else pretty-printed."""

    rows: list[tuple[str, str, str]]
    other: str


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def changes_view(changes: Any) -> ChangesView:
    """How to show ``changes``: a table of before/after pairs when the entry is a diff (every
    value a two-item list) or carries ``before``/``after`` objects; the rest as JSON."""
    if not isinstance(changes, dict) or not changes:
        return ChangesView([], "" if changes in ({}, None) else _pretty(changes))
    if all(_is_pair(value) for value in changes.values()):
        rows = [(name, _shown(pair[0]), _shown(pair[1])) for name, pair in changes.items()]
        return ChangesView(rows, "")
    before, after = changes.get("before"), changes.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        rows = [
            (name, _shown(before.get(name)), _shown(after.get(name)))
            for name in sorted(set(before) | set(after))
        ]
        rest = {k: v for k, v in changes.items() if k not in ("before", "after")}
        return ChangesView(rows, _pretty(rest) if rest else "")
    return ChangesView([], _pretty(changes))


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
