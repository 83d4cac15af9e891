"""Lead pages: search by e-mail, phone, id or name (always through an index)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from cmplatform.core.models import Person
from cmplatform.core.selectors import person_search
from cmplatform.lib.replica import reads_from_replica
from dashboard.access import READ, page_requires

RESULT_ROWS = 50


@page_requires(READ)
@reads_from_replica
def lead_search(request: HttpRequest) -> HttpResponse:
    """Persons matching what the operator typed, golden records first."""
    term = request.GET.get("q", "").strip()
    persons = (
        list(person_search(term=term).order_by("is_duplicate", "pk")[:RESULT_ROWS]) if term else []
    )
    return render(request, "dashboard/leads/search.html", {"term": term, "persons": persons})


@page_requires(READ)
@reads_from_replica
def lead_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """One person: the golden record's facts."""
    person = get_object_or_404(Person, pk=person_id)
    return render(request, "dashboard/leads/detail.html", {"person": person})
