"""The dashboard's home page: what needs attention today."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmplatform.lib.replica import reads_from_replica
from compliance.models import Suppression
from compliance.selectors import registry_ages
from dashboard.access import READ, page_requires
from dashboard.models import SavedFilter
from ingestion.models import ImportBatch

RECENT_IMPORTS = 8
# The home page counts the review queue up to this and shows "1,000+" beyond.
REVIEW_COUNT_CAP = 1_000


@page_requires(READ)
@reads_from_replica
def home(request: HttpRequest) -> HttpResponse:
    """Recent imports, registries near or past the 31-day limit, the opt-out review queue and
    the saved priority lists."""
    ages = registry_ages()
    return render(
        request,
        "dashboard/home.html",
        {
            "imports": ImportBatch.objects.select_related("source_file").order_by("-pk")[
                :RECENT_IMPORTS
            ],
            "registry_warnings": [age for age in ages if age.state != "ok"],
            "registries": len(ages),
            "review_queue": Suppression.objects.filter(review=Suppression.Review.PENDING)
            .values("pk")[: REVIEW_COUNT_CAP + 1]
            .count(),
            "review_cap": REVIEW_COUNT_CAP,
            "saved_filters": SavedFilter.objects.order_by("name")[:20],
        },
    )
