"""Golden-record resolution's own tables: runs, the merge log, the review queue and the manual
decisions that every later run obeys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cmplatform.core.models import AppendOnlyModel, Person


class DedupeRun(models.Model):
    """One resolution run (full, incremental after an import, or a manual action's re-cluster)
    with what it measured and the match model it used."""

    class Mode(models.TextChoices):
        FULL = "full", "Full"
        INCREMENTAL = "incremental", "Incremental"

    class Status(models.TextChoices):
        RUNNING = "RUNNING", "Running"
        FINISHING = "FINISHING", "Clustering the shards' pairs"
        COMPLETE = "COMPLETE", "Complete"
        FAILED = "FAILED", "Failed"

    mode = models.CharField(max_length=12, choices=Mode.choices)
    shards = models.PositiveSmallIntegerField(
        default=0, help_text="Celery tasks the blocking and comparison were split into (0: none)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    import_batch_id = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    persons = models.BigIntegerField(default=0, help_text="Persons compared.")
    pairs = models.BigIntegerField(default=0, help_text="Candidate pairs after blocking.")
    guarded_pairs = models.BigIntegerField(default=0)
    capped_blocks = models.BigIntegerField(default=0)
    linked = models.BigIntegerField(default=0, help_text="Persons linked as duplicates.")
    unlinked = models.BigIntegerField(default=0, help_text="Duplicates no longer linked.")
    review_pairs = models.BigIntegerField(default=0)
    clusters = models.BigIntegerField(default=0, help_text="Clusters of two or more.")
    duplicate_rate = models.FloatField(default=0.0)
    model = models.JSONField(default=dict, blank=True, help_text="m, u and prior used.")
    blocking = models.JSONField(
        default=dict, blank=True, help_text="Blocks, skipped blocks and pairs per rule."
    )
    phase_seconds = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "dedupe_runs"
        indexes = [models.Index(fields=["mode", "status", "started_at"], name="dedupe_runs_idx")]

    def __str__(self) -> str:
        return f"Dedupe run {self.pk} ({self.mode}, {self.status})"


class DedupeShard(models.Model):
    """One task of a split full run: the blocks whose key hashes to ``index``. Its compared
    pairs wait in the landing storage (``file``) until the run's last shard is done."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(DedupeRun, on_delete=models.PROTECT, related_name="shard_tasks")
    index = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    pairs = models.BigIntegerField(default=0)
    file = models.CharField(max_length=255, blank=True)
    seconds = models.FloatField(default=0.0)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "dedupe_shards"
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="dedupe_shards_run_index_uniq")
        ]

    def __str__(self) -> str:
        return f"Run {self.run_id} shard {self.index} ({self.state})"


class DedupeLog(AppendOnlyModel):
    """Every change of a golden record's membership: a person linked to (merge) or unlinked
    from (unmerge) a golden record, or made golden, with the fields survivorship changed
    (``{field: [before, after]}``), the score and reason, and who did it (none: a run)."""

    class Action(models.TextChoices):
        MERGE = "merge", "Merge"
        UNMERGE = "unmerge", "Unmerge"
        GOLDEN = "golden", "Made golden"
        SURVIVORSHIP = "survivorship", "Survivorship"

    run = models.ForeignKey(
        DedupeRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    golden_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    score = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=100, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "dedupe_log"
        verbose_name = "dedupe log entry"
        verbose_name_plural = "dedupe log"
        indexes = [
            models.Index(fields=["golden_id", "created_at"], name="dedupe_log_golden_idx"),
            models.Index(fields=["person_id", "created_at"], name="dedupe_log_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.person_id} → {self.golden_id}"


class ReviewPair(models.Model):
    """A pair scored between the reject and the auto-merge thresholds, waiting for a person."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MERGED = "merged", "Merged"
        REJECTED = "rejected", "Not the same person"
        SUPERSEDED = "superseded", "Decided by a later run"

    person_low = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    person_high = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    probability = models.FloatField()
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    run = models.ForeignKey(
        DedupeRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "dedupe_review_pairs"
        verbose_name = "pair to review"
        constraints = [
            models.UniqueConstraint(
                fields=["person_low", "person_high"], name="dedupe_review_pair_uniq"
            ),
            models.CheckConstraint(
                condition=Q(person_low__lt=F("person_high")), name="dedupe_review_pair_order"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "probability"], name="dedupe_review_open_idx"),
            # A person's pairs where it is the higher id (the pair key leads with the lower).
            models.Index(fields=["person_high", "status"], name="dedupe_review_high_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person_low_id} ~ {self.person_high_id} ({self.probability:.2f})"


class ManualDecision(models.Model):
    """A person's decision, which every later run obeys: two persons are the same, are
    different, or one is the golden record of its cluster (``person_high`` empty)."""

    class Kind(models.TextChoices):
        SAME = "same", "Same person"
        DIFFERENT = "different", "Different persons"
        GOLDEN = "golden", "Golden record"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    person_low = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    person_high = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    is_active = models.BooleanField(default=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "dedupe_manual_decisions"
        indexes = [models.Index(fields=["is_active", "kind"], name="dedupe_manual_active_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.person_low_id} {self.person_high_id or ''}".strip()


class GoldenRecord(Person):
    """Persons as the golden-record console shows them (merge, unmerge, make golden)."""

    class Meta:
        proxy = True
        verbose_name = "golden record"
