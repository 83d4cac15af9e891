"""Lead pages: search (always through an index), the lead detail (contact points and their
lineage, the lifecycle timeline, compliance per channel, duplicates) and merge/unmerge."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from cmplatform.core.models import AuditLog, Person
from cmplatform.core.selectors import person_search
from cmplatform.lib.replica import reads_from_replica
from dashboard.access import MERGE, READ, page_requires
from dashboard.leads import selectors
from dedupe.services import ResolutionError, person_unmerge, persons_merge
from dedupe.services.runs import SURVIVING_FIELDS

RESULT_ROWS = 50
_IDS = re.compile(r"\d+")


@page_requires(READ)
@reads_from_replica
def lead_search(request: HttpRequest) -> HttpResponse:
    """Persons matching what the operator typed, golden records first; an htmx request gets
    the result table alone (live search)."""
    term = request.GET.get("q", "").strip()
    found: list[Person] = []
    if term:
        # The name index's order (as the API's search): a prefix search stops after the rows
        # it needs instead of sorting every match.
        ordered = person_search(term=term).order_by("last_name_key", "first_name_key", "zip5", "pk")
        found = list(ordered[: RESULT_ROWS + 1])
    # Golden records first among the rows shown (a stable sort keeps the name order).
    persons = sorted(found[:RESULT_ROWS], key=lambda person: person.is_duplicate)
    template = (
        "dashboard/leads/_results.html"
        if request.headers.get("HX-Request")
        else "dashboard/leads/search.html"
    )
    context = {
        "term": term,
        "persons": persons,
        "has_more": len(found) > RESULT_ROWS,
        "result_rows": RESULT_ROWS,
    }
    return render(request, template, context)


@page_requires(READ)
@reads_from_replica
def lead_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """One lead: the record, every contact point and where each value came from, the
    lifecycle timeline, compliance per channel, duplicates and open review pairs."""
    person = get_object_or_404(Person, pk=person_id)
    cluster = selectors.lead_cluster(person)
    lineage = selectors.lead_lineage(cluster)
    points = selectors.lead_contact_points(cluster, lineage)
    audit = selectors.lead_audit(cluster)
    compliance = selectors.lead_compliance(cluster, points)
    context = {
        "person": person,
        "cluster": cluster,
        "lineage": lineage,
        "points": points,
        "fields": selectors.lead_field_values(cluster, lineage, audit),
        "compliance": compliance,
        "timeline": selectors.lead_timeline(cluster, lineage, compliance, audit),
        "duplicates": selectors.lead_duplicates(cluster),
        "review_pairs": selectors.lead_review_pairs(cluster),
        "source_rows": selectors.SOURCE_ROWS,
    }
    return render(request, "dashboard/leads/detail.html", context)


def _ids(values: list[str]) -> list[int]:
    """Person ids typed or chosen ("#12, 34" → [12, 34])."""
    return [int(found) for value in values for found in _IDS.findall(value)]


def _chosen_values(request: HttpRequest, golden: Person, others: list[Person]) -> dict[str, str]:
    """The surviving value of each field the operator took from another person (a field left
    on the golden record's value is no change)."""
    by_id = {person.pk: person for person in (golden, *others)}
    values = {}
    for name in SURVIVING_FIELDS:
        chosen = request.POST.get(f"value_{name}", "")
        if chosen.isdigit() and int(chosen) in by_id:
            value = getattr(by_id[int(chosen)], name)
            if value != getattr(golden, name):
                values[name] = value
    return values


def _merge_problems(
    golden: Person, others: list[Person], missing: list[int], *, applying: bool
) -> list[str]:
    """What stands in the way of the merge asked for. When applying, the merge service itself
    answers for the golden record (a duplicate, no one to merge)."""
    problems = [f"There is no person #{pk}." for pk in missing]
    problems.extend(
        f"Person #{other.pk} is already merged into #{golden.pk}."
        for other in others
        if other.is_duplicate and other.merged_into_id == golden.pk
    )
    if applying:
        return problems
    if golden.is_duplicate:
        problems.append(
            f"Person {golden.pk} is a duplicate of {golden.merged_into_id}; "
            "merge into that golden record."
        )
    elif not others and not missing:
        problems.append("Choose at least one other person to merge.")
    return problems


@require_http_methods(["GET", "POST"])
@page_requires(MERGE)
def lead_merge(request: HttpRequest, person_id: int) -> HttpResponse:
    """Merge other persons into a golden record: their values side by side, a surviving value
    chosen per field; applying it links them (never deletes) and sets the chosen values as
    manual overrides, audited."""
    golden = get_object_or_404(Person, pk=person_id)
    data = request.POST if request.method == "POST" else request.GET
    others, missing = selectors.merge_others(golden, _ids(data.getlist("with")))
    applying = request.method == "POST"
    problems = _merge_problems(golden, others, missing, applying=applying)
    if applying and not problems:
        try:
            persons_merge(
                golden=golden,
                duplicates=others,
                values=_chosen_values(request, golden, others),
                by=request.user,
                origin=AuditLog.Origin.DASHBOARD,
            )
        except (ResolutionError, ValidationError, ValueError) as error:
            problems.append(_message_of(error))
        else:
            merged = ", ".join(f"#{other.pk}" for other in others)
            messages.success(request, f"Merged {merged} into #{golden.pk}.")
            return redirect("dashboard:leads:detail", person_id=golden.pk)
    context: dict[str, Any] = {
        "golden": golden,
        "others": others,
        "problems": problems,
        "rows": selectors.merge_rows(golden, others),
        "with_value": ", ".join(str(other.pk) for other in others),
        "may_apply": not problems,
    }
    status = 400 if applying else 200
    return render(request, "dashboard/leads/merge.html", context, status=status)


def _message_of(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


@require_POST
@page_requires(MERGE)
def lead_unmerge(request: HttpRequest, person_id: int) -> HttpResponse:
    """Undo a merge: the duplicate is its own golden record again, and its former golden record
    gets back its own values for what survivorship had filled from the cluster. Audited."""
    person = get_object_or_404(Person, pk=person_id)
    former = person.merged_into_id
    try:
        person_unmerge(person=person, by=request.user, origin=AuditLog.Origin.DASHBOARD)
    except ResolutionError as error:
        messages.error(request, str(error))
        return redirect("dashboard:leads:detail", person_id=person.pk)
    link = reverse("dashboard:leads:detail", args=[person.pk])
    messages.success(
        request,
        format_html(
            'Unmerged <a href="{}">#{}</a> from #{}; it is its own golden record again.',
            link,
            person.pk,
            former,
        ),
    )
    return redirect("dashboard:leads:detail", person_id=former or person.pk)
