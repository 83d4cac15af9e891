"""Dashboard state: saved priority-list filters, export jobs and the count summary.

* :class:`SavedFilter` — a named priority-list filter (its criteria as a query string), shared
  with everyone by its URL.
* :class:`ListExport` — one export of a priority list to CSV/XLSX, run in the background with
  the compliance gate of its channel; what was suppressed, and why, is kept with it.
* :class:`PersonFacet` — golden records counted per state, county, lead status and channel
  statuses; rebuilt by a background job after imports and scrubs, so list counts never run an
  unbounded ``COUNT(*)`` over persons.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cmplatform.core.models import Channel


class SavedFilter(models.Model):
    """A named priority-list filter. ``query`` is the list page's query string (criteria and
    sort), so the saved filter, the list URL and the API run exactly the same thing."""

    name = models.CharField(max_length=120, unique=True)
    query = models.TextField()
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "saved_filters"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ListExport(models.Model):
    """A priority-list export: queued by an operator, written by a Celery task page by page,
    downloaded from the landing storage's ``exports/`` folder."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Running"
        COMPLETE = "COMPLETE", "Complete"
        FAILED = "FAILED", "Failed"

    query = models.TextField()
    saved_filter = models.ForeignKey(
        SavedFilter, null=True, blank=True, on_delete=models.SET_NULL, related_name="exports"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    file_format = models.CharField(max_length=4, choices=Format.choices, default=Format.CSV)
    max_records = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Export at most this many records: the first of the list in its order.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    considered = models.BigIntegerField(default=0)
    exported = models.BigIntegerField(default=0)
    suppressed = models.JSONField(default=dict, blank=True, help_text="Suppressed per reason.")
    storage_name = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "list_exports"
        indexes = [
            models.Index(fields=["requested_by", "created_at"], name="list_exports_user_idx")
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.channel}, {self.status})"

    @property
    def suppressed_total(self) -> int:
        return self.considered - self.exported


class PersonFacet(models.Model):
    """Golden records with one combination of the facet columns, as of ``refreshed_at``."""

    state = models.CharField(max_length=2, blank=True)
    county = models.CharField(max_length=100, blank=True)
    lead_status = models.CharField(max_length=20)
    call_status = models.CharField(max_length=24, blank=True)
    sms_status = models.CharField(max_length=24, blank=True)
    email_status = models.CharField(max_length=24, blank=True)
    mail_status = models.CharField(max_length=24, blank=True)
    persons = models.BigIntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        db_table = "person_facets"
        indexes = [
            models.Index(fields=["state", "county"], name="person_facets_place_idx"),
            models.Index(fields=["lead_status"], name="person_facets_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.state}/{self.county}/{self.lead_status}: {self.persons}"
