"""Oversight pages: compliance statuses per channel and the audit log."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmplatform.core.models import AuditLog, Channel
from cmplatform.lib.replica import reads_from_replica
from compliance.selectors import registry_ages, status_counts
from dashboard.access import READ, page_requires

AUDIT_ROWS = 100


@page_requires(READ)
@reads_from_replica
def compliance_overview(request: HttpRequest) -> HttpResponse:
    """Golden records per compliance status and channel, and registry data age."""
    statuses = {str(channel): status_counts(str(channel)) for channel in Channel}
    return render(
        request,
        "dashboard/oversight/compliance.html",
        {"statuses": statuses, "registries": registry_ages()},
    )


@page_requires("core.view_auditlog")
@reads_from_replica
def audit_log(request: HttpRequest) -> HttpResponse:
    """The newest audit entries first (time index), keyset-paginated by id."""
    entries = AuditLog.objects.order_by("-occurred_at", "-pk")
    return render(request, "dashboard/oversight/audit.html", {"entries": entries[:AUDIT_ROWS]})
