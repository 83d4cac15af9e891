"""Import bookkeeping and lineage: what came in, how it was read, where every row went.

* :class:`SourceFile` — one landed file per distinct SHA-256 (the landing zone's catalogue).
* :class:`ImportBatch` — one run of the engine over a source: options, the resolved mapping,
  status, counts, durations and the resume cursor (the last committed row).
* :class:`ImportChunk` — one committed chunk: its row range and counts (reconciliation).
* :class:`ImportRowError` — a row that was not accepted, kept verbatim with the reason.
* :class:`SourceRecord` — the natural key of a source row (``source``, ``source_key``) and the
  person it landed on, with the checksum of its facts: what makes re-imports idempotent.
* :class:`RecordVersion` — lineage: every row's outcome and the values it brought, append-only.
* :class:`MatchConflict` — a row whose match candidates were two different persons.
* :class:`MappingProfile` — a named, reusable column mapping per source.

Big, append-only tables (row errors, record versions, conflicts) carry plain integer
references with no foreign-key constraint: they are written set-based by ``LOAD DATA`` at the
engine's speed, and a constraint check per row would cost more than the row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cmplatform.core.fields import ExactCharField
from cmplatform.core.models import Person


class MappingProfile(models.Model):
    """A saved column mapping (source column → canonical field, ``null`` to ignore) and the
    required-field rules of a source, reused by name."""

    source = models.CharField(max_length=64)
    name = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict)
    required_fields = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "mapping_profiles"
        constraints = [
            models.UniqueConstraint(fields=["source", "name"], name="mapping_profiles_name_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.name}"


class SourceFile(models.Model):
    """A file in the landing zone. The same bytes land once (unique SHA-256)."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    storage_name = models.CharField(max_length=500, help_text="Path in the landing storage.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "source_files"

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class ImportBatch(models.Model):
    """One import of one source."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        RUNNING = "RUNNING", "Running"
        COMPLETE = "COMPLETE", "Complete"
        COMPLETE_WITH_ERRORS = "COMPLETE_WITH_ERRORS", "Complete with errors"
        FAILED = "FAILED", "Failed"
        CANCELLED = "CANCELLED", "Cancelled"
        DUPLICATE_FILE = "DUPLICATE_FILE", "Already imported"

    class Mode(models.TextChoices):
        FULL = "full", "Full"
        ERRORS_ONLY = "errors-only", "Errors only (replay)"

    FINISHED = (
        Status.COMPLETE,
        Status.COMPLETE_WITH_ERRORS,
        Status.FAILED,
        Status.CANCELLED,
        Status.DUPLICATE_FILE,
    )

    source = models.CharField(max_length=64, help_text="Namespace of the source's record keys.")
    source_type = models.CharField(max_length=16)
    source_file = models.ForeignKey(
        SourceFile, null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    location = models.CharField(
        max_length=1000, blank=True, help_text="A database source's URL, password removed."
    )
    options = models.JSONField(default=dict, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    required_fields = models.JSONField(default=list, blank=True)
    schema = models.JSONField(default=dict, blank=True, help_text="Columns and detected format.")
    schema_version = models.CharField(max_length=32, blank=True)
    channel = models.CharField(max_length=8, blank=True)
    campaign = models.ForeignKey(
        "core.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.FULL)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replays"
    )
    forced = models.BooleanField(default=False)
    chunk_rows = models.PositiveIntegerField(default=100_000)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)

    rows_read = models.BigIntegerField(default=0)
    inserted = models.BigIntegerField(default=0)
    updated = models.BigIntegerField(default=0)
    unchanged = models.BigIntegerField(default=0)
    duplicates = models.BigIntegerField(default=0)
    errors = models.BigIntegerField(default=0)
    conflicts = models.BigIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    last_row = models.BigIntegerField(default=0, help_text="Last row of the last committed chunk.")
    cursor_value = models.CharField(max_length=64, blank=True)
    rows_expected = models.BigIntegerField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds_reading = models.FloatField(default=0)
    seconds_writing = models.FloatField(default=0)
    reports = models.JSONField(default=dict, blank=True)
    checklist = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "import_batches"
        verbose_name = "import"
        indexes = [
            models.Index(fields=["source", "created_at"], name="import_batches_source_idx"),
            models.Index(fields=["status", "created_at"], name="import_batches_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(mode="full") | Q(replay_of__isnull=False),
                name="import_batches_replay_has_origin",
            )
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.source})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def accounted(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.duplicates + self.errors

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class ImportChunk(models.Model):
    """A committed chunk. Its counts add up to its rows; the batch's counts are their sum."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="chunks")
    index = models.PositiveIntegerField()
    first_row = models.BigIntegerField()
    last_row = models.BigIntegerField()
    rows_read = models.PositiveIntegerField()
    inserted = models.PositiveIntegerField()
    updated = models.PositiveIntegerField()
    unchanged = models.PositiveIntegerField()
    duplicates = models.PositiveIntegerField()
    errors = models.PositiveIntegerField()
    conflicts = models.PositiveIntegerField(default=0)
    issues = models.JSONField(default=dict, blank=True, help_text="Flagged values by kind.")
    seconds = models.FloatField()
    phase_seconds = models.JSONField(
        default=dict, blank=True, help_text="Seconds spent in each phase of the write."
    )
    committed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "import_chunks"
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="import_chunks_index_uniq"),
            models.CheckConstraint(
                condition=Q(
                    rows_read=models.F("inserted")
                    + models.F("updated")
                    + models.F("unchanged")
                    + models.F("duplicates")
                    + models.F("errors")
                ),
                name="import_chunks_reconciled",
            ),
        ]

    def __str__(self) -> str:
        return f"Chunk {self.index} of import {self.batch_id}"


class ImportRowError(models.Model):
    """A row that was not accepted: unreadable, or failing the source's rules. ``raw`` is the
    row verbatim (a JSON object of its columns, or the raw text of an unreadable row)."""

    batch_id = models.BigIntegerField()
    row_number = models.BigIntegerField()
    location = models.CharField(max_length=100, blank=True)
    error_type = models.CharField(max_length=40)
    field_name = models.CharField(max_length=100, blank=True)
    field_value = models.TextField(blank=True)
    message = models.TextField()
    raw = models.TextField()

    class Meta:
        db_table = "import_row_errors"
        indexes = [models.Index(fields=["batch_id", "row_number"], name="import_row_errors_idx")]

    def __str__(self) -> str:
        return f"Import {self.batch_id} row {self.row_number}: {self.error_type}"


class SourceRecord(models.Model):
    """The current state of one source record: which person it is, and the checksum of the
    facts it last brought. ``last_batch_id``/``last_row`` recognise a key seen twice in one
    import (duplicate-in-batch)."""

    source = ExactCharField(max_length=64)
    source_key = ExactCharField(max_length=191)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    checksum = ExactCharField(max_length=32)
    last_batch_id = models.BigIntegerField()
    last_row = models.BigIntegerField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "source_records"
        constraints = [
            models.UniqueConstraint(fields=["source", "source_key"], name="source_records_key_uniq")
        ]
        # The same facts under another key (another file of the same rows) are "unchanged".
        indexes = [models.Index(fields=["checksum"], name="source_records_checksum_idx")]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_key}"


class RecordVersion(models.Model):
    """Lineage: one row per accepted source row — its outcome, the person it landed on, the
    match rule, its checksum and every value it brought (mapped and unmapped, verbatim)."""

    class Outcome(models.TextChoices):
        INSERTED = "inserted", "Inserted"
        UPDATED = "updated", "Updated"
        UNCHANGED = "unchanged", "Unchanged"
        DUPLICATE = "duplicate", "Duplicate in batch"

    batch_id = models.BigIntegerField()
    row_number = models.BigIntegerField()
    source = models.CharField(max_length=64)
    source_key = models.CharField(max_length=191)
    person_id = models.BigIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    match_rule = models.CharField(max_length=12)
    checksum = models.CharField(max_length=32)
    source_updated_at = models.DateTimeField(null=True)
    values = models.TextField(help_text="JSON object of the row's columns, verbatim.")
    issues = models.TextField(blank=True, help_text="JSON list of flagged values.")
    recorded_at = models.DateTimeField()

    class Meta:
        db_table = "record_versions"
        indexes = [
            models.Index(fields=["person_id"], name="record_versions_person_idx"),
            models.Index(fields=["batch_id", "row_number"], name="record_versions_batch_idx"),
        ]

    def __str__(self) -> str:
        return f"Import {self.batch_id} row {self.row_number} → person {self.person_id}"


class MatchConflict(models.Model):
    """A row whose candidates were different persons. The row landed on ``chosen_person_id``
    (the highest-precedence candidate); the others are listed for golden-record resolution,
    never merged by ingestion."""

    batch_id = models.BigIntegerField()
    row_number = models.BigIntegerField()
    source_key = models.CharField(max_length=191)
    chosen_person_id = models.BigIntegerField()
    candidates = models.TextField(help_text='JSON list of {"person_id", "rule"}.')
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "match_conflicts"
        indexes = [
            models.Index(fields=["batch_id", "row_number"], name="match_conflicts_batch_idx"),
            models.Index(fields=["resolved", "created_at"], name="match_conflicts_open_idx"),
        ]

    def __str__(self) -> str:
        return f"Conflict at import {self.batch_id} row {self.row_number}"
