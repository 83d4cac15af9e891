"""Priority-list criteria: a query string → a validated form → an index-driven queryset.

A list is golden records only, filtered on columns of ``persons`` (each equality filter a
prefix of an index that ends in the sort column) and on what a golden record's cluster (the
record and its duplicates) holds — contact points, touches per channel, campaigns — read by
primary key from the summaries ``golden_facts`` and ``golden_campaigns`` (look-ups, see
:mod:`cmplatform.core.golden_facts`). Pages are keyset pages on ``(sort column, id)``: page
1,000 costs what page 1 costs; a page of rare look-up matches searches a bounded window
(:func:`page`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone

from cmplatform.core.models import Campaign, Channel, GoldenCampaign, Person
from cmplatform.lib.time_limit import TimeLimitExceeded, read_time_limit
from compliance.models import Tag

PAGE_ROWS = 50
MAX_PAGE_ROWS = 500
CRITERIA_YEARS = range(1900, 3000)

# Sort keys offered: each is the last column of an index the usual filters lead into.
SORTS = {
    "-score": ("score", True),
    "score": ("score", False),
    "-updated_at": ("updated_at", True),
    "updated_at": ("updated_at", False),
    "-created_at": ("created_at", True),
    "created_at": ("created_at", False),
    "-id": ("id", True),
    "id": ("id", False),
}
SORT_LABELS = {
    "-score": "Score, highest first",
    "score": "Score, lowest first",
    "-updated_at": "Recently updated",
    "updated_at": "Least recently updated",
    "-created_at": "Newest",
    "created_at": "Oldest",
    "-id": "Record id, descending",
    "id": "Record id, ascending",
}
CHANNELS = [str(channel) for channel in Channel]
STATUS_CHOICES = (
    [("", "any")] + [(tag.value, tag.label) for tag in Tag] + [("UNCHECKED", "Not yet scrubbed")]
)
YES_NO = [("", "any"), ("yes", "yes"), ("no", "no")]


class CriteriaError(ValueError):
    """A cursor or criterion that cannot be used; the message says why."""


def _upper_list(value: str) -> list[str]:
    return [part.strip().upper() for part in value.replace(";", ",").split(",") if part.strip()]


class ListCriteriaForm(forms.Form):
    """Every criterion operators combine; all optional, all AND-ed."""

    state = forms.CharField(required=False, help_text="Two-letter codes, comma-separated.")
    county = forms.CharField(required=False, max_length=100)
    zip5 = forms.CharField(
        required=False, label="ZIP", help_text="Five-digit ZIPs, comma-separated."
    )
    lead_status = forms.MultipleChoiceField(
        required=False, choices=Person.LeadStatus.choices, label="Lead status"
    )
    score_min = forms.IntegerField(required=False, min_value=0, max_value=100, label="Score from")
    score_max = forms.IntegerField(required=False, min_value=0, max_value=100, label="Score to")
    source = forms.CharField(required=False, max_length=64)
    campaign = forms.ModelChoiceField(
        required=False, queryset=Campaign.objects.order_by("name"), label="In campaign"
    )
    has_phone = forms.ChoiceField(required=False, choices=YES_NO, label="Has phone")
    has_email = forms.ChoiceField(required=False, choices=YES_NO, label="Has e-mail")
    has_address = forms.ChoiceField(required=False, choices=YES_NO, label="Has address")
    created_from = forms.DateField(required=False, label="Created from")
    created_to = forms.DateField(required=False, label="Created to")
    updated_from = forms.DateField(required=False, label="Updated from")
    updated_to = forms.DateField(required=False, label="Updated to")
    sort = forms.ChoiceField(required=False, choices=list(SORT_LABELS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per channel: compliance status, touch count range, last-touch date range.
        for channel in CHANNELS:
            self.fields[f"{channel}_status"] = forms.ChoiceField(
                required=False, choices=STATUS_CHOICES, label=f"{channel.upper()} status"
            )
            self.fields[f"{channel}_touches_min"] = forms.IntegerField(
                required=False, min_value=0, label=f"{channel} touches from"
            )
            self.fields[f"{channel}_touches_max"] = forms.IntegerField(
                required=False, min_value=0, label=f"{channel} touches to"
            )
            self.fields[f"{channel}_last_touch_before"] = forms.DateField(
                required=False, label=f"No {channel} touch since"
            )
            self.fields[f"{channel}_last_touch_after"] = forms.DateField(
                required=False, label=f"{channel} touch since"
            )

    def clean_state(self) -> list[str]:
        states = _upper_list(self.cleaned_data["state"])
        bad = [state for state in states if len(state) != 2 or not state.isalpha()]
        if bad:
            raise forms.ValidationError(f"Not a two-letter state code: {', '.join(bad)}.")
        return states

    def clean_zip5(self) -> list[str]:
        zips = _upper_list(self.cleaned_data["zip5"])
        bad = [code for code in zips if len(code) != 5 or not code.isdigit()]
        if bad:
            raise forms.ValidationError(f"Not a five-digit ZIP: {', '.join(bad)}.")
        return zips

    def clean_county(self) -> str:
        return self.cleaned_data["county"].strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A day at the end of the calendar has no next day to end its range with.
        for name, value in list(data.items()):
            if isinstance(value, dt.date) and value.year not in CRITERIA_YEARS:
                self.add_error(
                    name, f"Give a date from {CRITERIA_YEARS.start} to {CRITERIA_YEARS.stop - 1}."
                )
        if data.get("county") and len(data.get("state") or []) != 1:
            self.add_error("county", "Choose exactly one state to filter on a county.")
        pairs = [("score_min", "score_max"), ("created_from", "created_to")]
        pairs += [("updated_from", "updated_to")]
        pairs += [(f"{c}_touches_min", f"{c}_touches_max") for c in CHANNELS]
        for low, high in pairs:
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, "The upper bound is below the lower bound.")
        return data


@dataclass(frozen=True)
class ListQuery:
    """Validated criteria ready to run."""

    data: dict[str, Any]
    sort: str

    @property
    def is_empty(self) -> bool:
        return not any(value not in (None, "", [], ()) for value in self.data.values())


def parse(params: QueryDict | dict[str, Any]) -> tuple[ListQuery | None, ListCriteriaForm]:
    """Validate query-string criteria; ``(None, form)`` when the form has errors."""
    form = ListCriteriaForm(params)
    if not form.is_valid():
        return None, form
    data = {k: v for k, v in form.cleaned_data.items() if k != "sort"}
    return ListQuery(data=data, sort=form.cleaned_data.get("sort") or "-score"), form


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def filtered(query: ListQuery) -> QuerySet[Person]:
    """The golden records ``query`` selects, unordered."""
    return _with_look_ups(query, _on_columns(query))


def _on_columns(
    query: ListQuery, *, after_cursor: bool = False, golden: bool = True
) -> QuerySet[Person]:
    """The golden records (all records: ``golden=False``) the criteria on columns of
    ``persons`` select (index ranges).

    ``after_cursor``: the page continues after a cursor. A single value of an index's leading
    column (state, county, ZIP, lead status) is then written as a closed range: as an
    equality MariaDB reads the index by that prefix (``ref``) and tests the keyset bound row by
    row (page 200 of one state, inside a 15,000-record tie at one score, read 14,900 rows at
    10M persons); as a range the bound is part of the index range and the scan starts at the
    cursor."""
    data = query.data
    persons = Person.objects.golden() if golden else Person.objects.all()
    for field in ("state", "county", "zip5", "lead_status"):
        value = data.get(field)
        if not value:
            continue
        values = [value] if isinstance(value, str) else list(value)
        if after_cursor and len(values) == 1:
            persons = persons.filter(**{f"{field}__gte": values[0], f"{field}__lte": values[0]})
        else:
            persons = persons.filter(**{f"{field}__in": values})
    persons = persons.filter(_score_range(data, "score"))
    if data.get("source"):
        persons = persons.filter(source=data["source"])
    for name, field in (("created", "created_at"), ("updated", "updated_at")):
        if data.get(f"{name}_from"):
            persons = persons.filter(**{f"{field}__gte": _day_start(data[f"{name}_from"])})
        if data.get(f"{name}_to"):
            end = _day_start(data[f"{name}_to"] + dt.timedelta(days=1))
            persons = persons.filter(**{f"{field}__lt": end})
    for channel in CHANNELS:
        status = data.get(f"{channel}_status")
        if status:
            persons = persons.filter(
                **{f"{channel}_status": "" if status == "UNCHECKED" else status}
            )
    return persons


def _score_range(data: dict[str, Any], field: str) -> Q:
    """The criteria's score range on ``field`` (persons' score or a member's copy of it)."""
    bounds = Q()
    if data.get("score_min") is not None:
        bounds &= Q(**{f"{field}__gte": data["score_min"]})
    if data.get("score_max") is not None:
        bounds &= Q(**{f"{field}__lte": data["score_max"]})
    return bounds


# Criteria checked by a look-up per record (:func:`_with_look_ups`).
LOOK_UP_KEYS = (
    "campaign",
    "has_phone",
    "has_email",
    "has_address",
    *(
        f"{channel}_{fact}"
        for channel in CHANNELS
        for fact in ("last_touch_before", "last_touch_after", "touches_min", "touches_max")
    ),
)


def has_look_ups(query: ListQuery, *, besides: tuple[str, ...] = ()) -> bool:
    """Whether ``query`` has criteria checked by a look-up per record (campaign, contact
    points, touches), other than ``besides``: a page of them walks the records in sort order
    until it fills."""
    return any(query.data.get(key) not in (None, "") for key in LOOK_UP_KEYS if key not in besides)


# Contact-point criteria and the ``golden_facts`` count each reads.
POINT_COUNTS = {"has_phone": "phones", "has_email": "emails", "has_address": "addresses"}


def _with_look_ups(
    query: ListQuery,
    persons: QuerySet[Person],
    *,
    by_campaign: bool = False,
    member: Q | None = None,
) -> QuerySet[Person]:
    """``persons`` narrowed by the criteria on their clusters' contact points, touches and
    campaigns, read from the maintained summaries by primary key: ``golden_facts`` and
    ``golden_campaigns`` (on its ``(person, campaign)`` key) through left joins, each
    criterion on ``COALESCE(column, default)``. That keeps the joins outer: an inner join, or a
    condition MariaDB sees rejects NULLs, lets it start from a campaign's members and sort them
    (110 ms at 1M persons), and a correlated sub-query made the same 890-record campaign walk
    at 1M cost 10-14 ms against 3.6-9 ms for the join.

    ``by_campaign``: the page reads the campaign's members in score order (:func:`_by_campaign`);
    the campaign is then an inner join, aliased ``member``, that the page orders by, and
    ``member`` holds the page's conditions on it (its keyset). They go into the one ``filter``
    that names the join: Django joins a multi-valued relation again for each ``filter``."""
    data = query.data
    if data.get("campaign") and by_campaign:
        campaign_id = data["campaign"].pk
        # the score range as a range of the membership index too
        member = _score_range(data, "member__score") & (Q() if member is None else member)
        persons = persons.alias(
            member=FilteredRelation(
                "golden_campaigns", condition=Q(golden_campaigns__campaign_id=campaign_id)
            )
        ).filter(Q(member__campaign_id=campaign_id) & member)
    elif data.get("campaign"):
        campaign_id = data["campaign"].pk
        member = Q(golden_campaigns__campaign_id=campaign_id)
        persons = persons.alias(
            campaign_member=FilteredRelation("golden_campaigns", condition=member),
            in_campaign=Coalesce("campaign_member__campaign_id", 0),
        ).filter(in_campaign=campaign_id)
    for name, column in POINT_COUNTS.items():
        if data.get(name) in ("yes", "no"):
            persons = persons.alias(**{f"facts_{column}": Coalesce(f"facts__{column}", 0)})
            lookup = f"facts_{column}__gt" if data[name] == "yes" else f"facts_{column}"
            persons = persons.filter(**{lookup: 0})
    for channel in CHANNELS:
        before = data.get(f"{channel}_last_touch_before")
        after = data.get(f"{channel}_last_touch_after")
        if before or after:
            last = f"facts_{channel}_last_at"
            persons = persons.alias(**{last: F(f"facts__{channel}_last_at")})
            if before:
                persons = persons.filter(
                    Q(**{f"{last}__isnull": True}) | Q(**{f"{last}__lt": _day_start(before)})
                )
            if after:
                persons = persons.filter(**{f"{last}__gte": _day_start(after)})
        low, high = data.get(f"{channel}_touches_min"), data.get(f"{channel}_touches_max")
        if low is not None or high is not None:
            touches = f"facts_{channel}_touches"
            persons = persons.alias(**{touches: Coalesce(f"facts__{channel}_touches", 0)})
            if low is not None:
                persons = persons.filter(**{f"{touches}__gte": low})
            if high is not None:
                persons = persons.filter(**{f"{touches}__lte": high})
    return persons


def _encode_cursor(value: Any, pk: int) -> str:
    if isinstance(value, dt.datetime):
        value = {"t": value.isoformat()}
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, column: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if isinstance(value, dict):
            value = dt.datetime.fromisoformat(value["t"])
        expected = int if column in ("score", "id") else dt.datetime
        if not isinstance(pk, int) or not isinstance(value, expected) or isinstance(value, bool):
            raise ValueError
        return value, pk
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        raise CriteriaError(
            "The page cursor is not valid; start again from the first page."
        ) from None


@dataclass
class Page:
    """One keyset page: the rows and the cursor of the next page (``None`` on the last).

    ``searched`` is set when the page stopped at the end of a search window without filling
    up: that many records in sort order were searched after the cursor, ``rows`` are all the
    matches among them and ``next_cursor`` continues after the window."""

    rows: list[Person]
    next_cursor: str | None
    searched: int | None = None


def _after(value: Any, pk: int, column: str, descending: bool, key: str = "pk") -> Q:
    """The records after ``(value, pk)`` in the order of ``(column, key)``."""
    if column == "id":
        return Q(pk__lt=pk) if descending else Q(pk__gt=pk)
    if descending:
        return Q(**{f"{column}__lt": value}) | Q(**{column: value, f"{key}__lt": pk})
    return Q(**{f"{column}__gt": value}) | Q(**{column: value, f"{key}__gt": pk})


def _up_to(value: Any, pk: int, column: str, descending: bool, key: str = "pk") -> Q:
    """The records at or before ``(value, pk)`` in the order of ``(column, key)``."""
    if column == "id":
        return Q(pk__gte=pk) if descending else Q(pk__lte=pk)
    if descending:
        return Q(**{f"{column}__gt": value}) | Q(**{column: value, f"{key}__gte": pk})
    return Q(**{f"{column}__lt": value}) | Q(**{column: value, f"{key}__lte": pk})


# Criteria on the leading column of an index of persons.
LEADING_KEYS = ("state", "county", "zip5", "lead_status")


def _by_campaign(query: ListQuery, column: str) -> bool:
    """Whether a page reads the campaign's members in score order from
    ``golden_campaigns_score_idx`` rather than walking an index of persons: a campaign list
    sorted by score with no criterion that leads an index of persons. Walking the score index
    for such a list reads every record until 50 members turn up (8,300 records at 10M persons
    for a campaign of older records, past the walk's budget); the members' index reads 50."""
    data = query.data
    return (
        bool(data.get("campaign"))
        and column == "score"
        and not any(data.get(key) for key in LEADING_KEYS)
    )


def page(query: ListQuery, *, cursor: str | None = None, rows: int = PAGE_ROWS) -> Page:
    """One page of the list in ``query.sort`` order, after ``cursor``.

    Criteria on columns are index ranges; look-up criteria (campaign, contact points,
    touches) are checked record by record while the sort index is walked, so a rare
    combination could walk a whole index. A campaign list by score with no criterion leading
    an index of persons reads the campaign's members in score order instead
    (:func:`_by_campaign`). A page with look-ups gets ``DASHBOARD_LIST_WALK_MS`` to fill up (a
    limit the database enforces); past that it searches the next
    ``DASHBOARD_LIST_WINDOW_ROWS`` records in sort order only and says so
    (:attr:`Page.searched`), its cursor continuing after them."""
    column, descending = SORTS[query.sort]
    by_campaign = _by_campaign(query, column)
    # The sort: persons' (column, id), or the members' copy of the score and their person.
    value, key = ("member__score", "member__person_id") if by_campaign else (column, "pk")
    position = _decode_cursor(cursor, column) if cursor else None
    after = Q() if position is None else _after(*position, value, descending, key)
    order = [f"-{value}", f"-{key}"] if descending else [value, key]
    if column == "id":
        order = order[:1]
    limit = max(1, min(rows, MAX_PAGE_ROWS))
    # Look-ups that only golden records pass: the walk reads persons' index alone.
    golden = not _only_golden_pass(query)
    on_columns = _on_columns(query, after_cursor=position is not None, golden=golden)
    if by_campaign:
        persons = _with_look_ups(query, on_columns, by_campaign=True, member=after)
        persons = persons.annotate(list_score=F("member__score"))
    else:
        persons = _with_look_ups(query, on_columns.filter(after))
    persons = persons.order_by(*order)
    shown = "list_score" if by_campaign else column
    # Read from the members' index, the campaign is a range of it, not a look-up per record.
    if not has_look_ups(query, besides=("campaign",) if by_campaign else ()):
        return _page_of(_fetch(persons, limit + 1, golden, shown), limit, shown)
    budget = settings.DASHBOARD_LIST_WALK_MS / 1000
    if budget > 0:
        try:
            with read_time_limit(persons.db, budget):
                return _page_of(_fetch(persons, limit + 1, golden, shown), limit, shown)
        except TimeLimitExceeded:
            pass
    window = settings.DASHBOARD_LIST_WINDOW_ROWS
    end = _window_end(query, column, descending, position, by_campaign, window)
    if end is None:
        # Fewer records than a window are left in sort order: searched to the end.
        return _page_of(_fetch(persons, limit + 1, golden, shown), limit, shown)
    end_value, end_pk = end
    # The window's span of the sort column, stated as a plain range besides the keyset
    # conditions: MariaDB then reads (state, score) from the cursor to the window's end and
    # stops there, matches or not (on the keyset conditions alone it read the state's index
    # by its prefix past the window's end, or the score index across every state).
    window_keys = after & _up_to(end_value, end_pk, value, descending, key)
    if column != "id":
        window_keys &= Q(**{f"{value}__gte" if descending else f"{value}__lte": end_value})
        if position is not None:
            window_keys &= Q(**{f"{value}__lte" if descending else f"{value}__gte": position[0]})
    if by_campaign:
        bounded = _on_columns(query, golden=golden)
        bounded = _with_look_ups(query, bounded, by_campaign=True, member=window_keys)
        bounded = bounded.annotate(list_score=F("member__score"))
    else:
        bounded = _with_look_ups(query, _on_columns(query, golden=golden).filter(window_keys))
    found = _fetch(bounded.order_by(*order), limit + 1, golden, shown)
    if len(found) > limit:
        return _page_of(found, limit, shown)
    return Page(rows=found, next_cursor=_encode_cursor(end_value, end_pk), searched=window)


def all_pages(query: ListQuery, *, rows: int = MAX_PAGE_ROWS) -> Iterator[list[Person]]:
    """Every record of the list, in its order, a keyset page at a time (an export's walk):
    the pages :func:`page` gives, windowed ones included, each record exactly once."""
    cursor: str | None = None
    while True:
        found = page(query, cursor=cursor, rows=rows)
        if found.rows:
            yield found.rows
        if found.next_cursor is None:
            return
        cursor = found.next_cursor


def _only_golden_pass(query: ListQuery) -> bool:
    """Whether a look-up of ``query`` needs a summary row, which only golden records have
    (a record linked as a duplicate loses its rows in the same transaction): a campaign, a
    contact point or a touch required. The page then need not read each walked record's row
    for its golden-record flag: the walk reads the sort index alone (at 1M persons a state's
    336k records walked in 1.3 s, against 3.25 s reading each row), and the page's rows are
    read by primary key afterwards."""
    data = query.data
    required = [data.get("campaign"), *(data.get(name) == "yes" for name in POINT_COUNTS)]
    for channel in CHANNELS:
        low = data.get(f"{channel}_touches_min")
        required += [low is not None and low > 0, data.get(f"{channel}_last_touch_after")]
    return any(required)


def _fetch(persons: QuerySet[Person], count: int, golden: bool, shown: str) -> list[Person]:
    """The first ``count`` rows of ``persons``; unless ``golden`` (the golden-record flag
    filtered in the walk), their ids and sort values first and the rows by primary key
    after, so that the walk reads no row it does not keep."""
    if golden:
        return list(persons[:count])
    if shown == "list_score":
        found = list(persons.values_list("pk", F("list_score"))[:count])
    else:
        found = [(pk, None) for pk in persons.values_list("pk", flat=True)[:count]]
    by_id = Person.objects.using(persons.db).in_bulk([pk for pk, _ in found])
    rows = []
    for pk, list_score in found:
        person = by_id.get(pk)
        if person is not None:  # gone since: skipped, as a later read would
            if list_score is not None:
                person.list_score = list_score  # type: ignore[attr-defined]
            rows.append(person)
    return rows


def _window_end(
    query: ListQuery,
    column: str,
    descending: bool,
    position: tuple[Any, int] | None,
    by_campaign: bool,
    window: int,
) -> tuple[Any, int] | None:
    """The ``window``-th record after ``position`` in sort order, read from the sort index
    alone (duplicates count among a window's records: the golden-record flag is not in the
    index; so do a campaign's members that other criteria on persons leave out)."""
    order = [f"-{column}", "-pk"] if descending else [column, "pk"]
    if column == "id":
        order = order[:1]
    if by_campaign:
        data = query.data
        members = GoldenCampaign.objects.filter(
            _score_range(data, "score"), campaign_id=data["campaign"].pk
        )
        if position is not None:
            members = members.filter(_after(*position, "score", descending, "person_id"))
        ordered = members.order_by(*[o.replace("pk", "person_id") for o in order])
        return next(iter(ordered.values_list("score", "person_id")[window - 1 : window]), None)
    records = _on_columns(query, after_cursor=position is not None, golden=False)
    if position is not None:
        records = records.filter(_after(*position, column, descending))
    ends = records.order_by(*order).values_list(column, "pk")
    return next(iter(ends[window - 1 : window]), None)


def _page_of(found: list[Person], limit: int, shown: str) -> Page:
    """The page of ``found`` (``limit`` + 1 rows read); ``shown`` is the attribute holding
    each row's sort value."""
    more = len(found) > limit
    found = found[:limit]
    next_cursor = None
    if more and found:
        last = found[-1]
        next_cursor = _encode_cursor(getattr(last, shown) if shown != "id" else last.pk, last.pk)
    return Page(rows=found, next_cursor=next_cursor)
