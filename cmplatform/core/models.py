"""The canonical schema: the source of truth that every source is ingested into.

Sized for ~84M persons (see docs/schema.md for the arithmetic): BIGINT keys everywhere, short
``VARCHAR`` columns (InnoDB's DYNAMIC rows store only what a value uses), normalised match keys
in their own indexed columns, the few columns priority lists filter on denormalised onto
``persons`` so that a list is one index range scan, and no index that no query needs (each
secondary index on an 84M-row table costs gigabytes and slows every import).

Rows are linked, never deleted: foreign keys to persons are ``PROTECT``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cmplatform.core.fields import ExactCharField
from cmplatform.lib.normalize import email_key, name_key, phone_number_key


class Channel(models.TextChoices):
    """The four ways the company reaches a landowner."""

    MAIL = "mail", "Mail"
    SMS = "sms", "SMS"
    CALL = "call", "Call"
    EMAIL = "email", "Email"


class PersonQuerySet(models.QuerySet["Person"]):
    """Reusable filters for persons."""

    def golden(self) -> PersonQuerySet:
        """Golden records only: persons that are not a linked duplicate of another."""
        return self.filter(is_duplicate=False)

    def in_state(self, state: str) -> PersonQuerySet:
        return self.filter(state=state.upper())


class Person(models.Model):
    """A person/lead. Golden records have ``is_duplicate=False``; a duplicate points at its
    golden record through ``merged_into`` and keeps all its own data (link, don't delete).

    ``state``, ``county`` and ``zip5`` mirror the primary address so that priority lists filter
    and sort on one table; the service that changes a primary address keeps them in step.
    Fields named in ``manual_override_fields`` were set by a person and are never overwritten
    by an import or by survivorship.
    """

    class LeadStatus(models.TextChoices):
        NEW = "new", "New"
        ATTEMPTED = "attempted", "Attempted"
        CONTACTED = "contacted", "Contacted"
        INTERESTED = "interested", "Interested"
        OFFER_SENT = "offer_sent", "Offer sent"
        UNDER_CONTRACT = "under_contract", "Under contract"
        CLOSED_WON = "closed_won", "Closed (won)"
        CLOSED_LOST = "closed_lost", "Closed (lost)"
        NOT_INTERESTED = "not_interested", "Not interested"

    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    suffix = models.CharField(max_length=20, blank=True)
    first_name_key = models.CharField(max_length=100, blank=True, editable=False)
    last_name_key = models.CharField(max_length=100, blank=True, editable=False)

    state = models.CharField(max_length=2, blank=True)
    county = models.CharField(max_length=100, blank=True)
    zip5 = models.CharField("ZIP", max_length=5, blank=True)

    is_original = models.BooleanField(default=True)
    is_duplicate = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_duplicates",
    )
    is_manual_override = models.BooleanField(default=False)
    manual_override_fields = models.JSONField(default=list, blank=True)
    # Fields golden-record survivorship filled from another member of the cluster:
    # {field: [own value, value written]}; resolution compares own values and an unmerge
    # restores them.
    survivorship = models.JSONField(default=dict, blank=True)

    lead_status = models.CharField(
        max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    score = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(max_length=64, blank=True, help_text="Source that introduced it.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_imported_at = models.DateTimeField(null=True, blank=True)
    source_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Source timestamp of the newest values merged in."
    )
    # Compliance status of a golden record per channel, written only by the compliance scrub
    # (database defaults: the bulk paths insert persons without naming these columns):
    # the first blocking tag in rule order or CLEAR ('' until scrubbed), and every tag that
    # applies as a bit set (compliance.tags), computed over the person and its duplicates.
    call_status = models.CharField(max_length=24, blank=True, db_default="", editable=False)
    sms_status = models.CharField(max_length=24, blank=True, db_default="", editable=False)
    email_status = models.CharField(max_length=24, blank=True, db_default="", editable=False)
    mail_status = models.CharField(max_length=24, blank=True, db_default="", editable=False)
    call_flags = models.BigIntegerField(db_default=0, editable=False)
    sms_flags = models.BigIntegerField(db_default=0, editable=False)
    email_flags = models.BigIntegerField(db_default=0, editable=False)
    mail_flags = models.BigIntegerField(db_default=0, editable=False)
    compliance_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    compliance_version = models.CharField(max_length=64, blank=True, db_default="", editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        db_table = "persons"
        verbose_name = "person"
        permissions = [
            ("import_persons", "Can import lead files"),
            ("export_persons", "Can export person lists"),
            ("merge_persons", "Can merge and unmerge persons"),
        ]
        indexes = [
            # Match key first + last + ZIP; also serves last-name prefix search.
            models.Index(
                fields=["last_name_key", "first_name_key", "zip5"], name="persons_name_zip_idx"
            ),
            # Priority lists: equality filters first, the sort column last (InnoDB appends the
            # primary key, which gives the keyset tie-breaker for free).
            models.Index(fields=["state", "score"], name="persons_state_score_idx"),
            models.Index(fields=["state", "lead_status", "score"], name="persons_state_status_idx"),
            models.Index(fields=["state", "county", "score"], name="persons_state_county_idx"),
            models.Index(fields=["zip5", "score"], name="persons_zip_score_idx"),
            models.Index(fields=["lead_status", "score"], name="persons_status_score_idx"),
            # Unfiltered lists and filters no index leads with, in score order.
            models.Index(fields=["score"], name="persons_score_idx"),
            models.Index(fields=["updated_at"], name="persons_updated_idx"),
            models.Index(fields=["created_at"], name="persons_created_idx"),
            # Channel lists and exports: CLEAR persons of a channel in id (keyset) order.
            models.Index(fields=["call_status"], name="persons_call_status_idx"),
            models.Index(fields=["sms_status"], name="persons_sms_status_idx"),
            models.Index(fields=["email_status"], name="persons_email_status_idx"),
            models.Index(fields=["mail_status"], name="persons_mail_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="persons_score_range"),
            models.CheckConstraint(
                condition=Q(is_duplicate=False) | Q(merged_into__isnull=False),
                name="persons_duplicate_has_golden",
            ),
            models.CheckConstraint(
                condition=~(Q(is_duplicate=True) & Q(is_original=True)),
                name="persons_original_xor_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or f"Person {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Keys and codes must never drift from what they derive from, whoever saves (ORM
        # path; the bulk path computes them with the same functions).
        self.clean()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "first_name_key", "last_name_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.state = self.state.strip().upper()
        self.zip5 = self.zip5.strip()
        self.refresh_name_keys()

    @property
    def full_name(self) -> str:
        parts = (self.first_name, self.middle_name, self.last_name, self.suffix)
        return " ".join(part for part in parts if part)

    def refresh_name_keys(self) -> None:
        """Recompute the stored match keys from the names."""
        self.first_name_key = name_key(self.first_name)
        self.last_name_key = name_key(self.last_name)


class PersonDuplicate(models.Model):
    """A link between a golden record (``original``) and a record found to be the same person,
    with the score and the evidence of that decision."""

    original = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="duplicate_links")
    duplicate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="original_links")
    match_score = models.FloatField()
    match_reason = models.CharField(max_length=100)
    evidence = models.JSONField(default=dict, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "person_duplicates"
        verbose_name = "person duplicate"
        constraints = [
            models.UniqueConstraint(
                fields=["original", "duplicate"], name="person_duplicates_pair_uniq"
            ),
            models.CheckConstraint(
                condition=~Q(original=F("duplicate")), name="person_duplicates_distinct"
            ),
            models.CheckConstraint(
                condition=Q(match_score__gte=0) & Q(match_score__lte=1),
                name="person_duplicates_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.duplicate_id} → {self.original_id} ({self.match_score:.3f})"


class DncStatus(models.TextChoices):
    """Do-not-call state of one phone number, as last computed by the compliance engine."""

    UNCHECKED = "UNCHECKED", "Not yet scrubbed"
    CLEAR = "CLEAR", "Clear"
    DNC_FEDERAL = "DNC_FEDERAL", "National DNC registry"
    DNC_STATE = "DNC_STATE", "State DNC list"
    DNC_INTERNAL = "DNC_INTERNAL", "Internal DNC"
    DNC_DATA_STALE = "DNC_DATA_STALE", "Registry data too old"
    INVALID_NUMBER = "INVALID_NUMBER", "Invalid number"


class PhoneNumber(models.Model):
    """A phone number of a person. ``raw`` keeps what the source said; ``e164`` is set only
    when the number parsed as valid. ``number_key`` is the natural key per person."""

    class PhoneType(models.TextChoices):
        # What the number plan says (cmplatform.lib.hygiene.phones): US numbers are
        # "fixed or mobile" (ported numbers make any US number possibly wireless);
        # "landline" is only ever set by a person who knows.
        MOBILE = "mobile", "Mobile"
        FIXED_OR_MOBILE = "fixed_or_mobile", "Fixed line or mobile"
        LANDLINE = "landline", "Landline"
        VOIP = "voip", "VoIP"
        TOLL_FREE = "toll_free", "Toll-free"
        PREMIUM = "premium", "Premium rate"
        UNKNOWN = "unknown", "Unknown"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="phone_numbers")
    raw = models.CharField(max_length=64)
    # NULL, not "", when invalid: lookups and registry joins on e164 must never match blanks.
    e164 = models.CharField("E.164", max_length=16, null=True, blank=True)  # noqa: DJ001
    number_key = ExactCharField(max_length=64, editable=False)
    phone_type = models.CharField(
        max_length=16, choices=PhoneType.choices, default=PhoneType.UNKNOWN
    )
    is_primary = models.BooleanField(default=False)
    is_valid = models.BooleanField(default=False)
    dnc_status = models.CharField(
        max_length=16, choices=DncStatus.choices, default=DncStatus.UNCHECKED
    )
    dnc_checked_at = models.DateTimeField(null=True, blank=True)
    # Every tag the compliance scrub found for this number (compliance.tags bit set).
    compliance_flags = models.BigIntegerField(db_default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "phone_numbers"
        verbose_name = "phone number"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "number_key"], name="phone_numbers_person_uniq"
            )
        ]
        indexes = [models.Index(fields=["e164"], name="phone_numbers_e164_idx")]

    def __str__(self) -> str:
        return self.e164 or self.raw

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.number_key = phone_number_key(raw=self.raw, e164=self.e164)
        super().save(*args, **kwargs)


class EmailAddress(models.Model):
    """An e-mail address of a person, stored trimmed and lower-cased."""

    class OptOutStatus(models.TextChoices):
        CLEAR = "CLEAR", "Clear"
        OPTED_OUT = "OPTED_OUT", "Opted out"
        BOUNCED = "BOUNCED", "Bounced"
        COMPLAINED = "COMPLAINED", "Marked as spam"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="email_addresses")
    email = ExactCharField(max_length=254)
    is_primary = models.BooleanField(default=False)
    is_verified = models.BooleanField(default=False)
    is_valid = models.BooleanField(default=True)
    opt_out_status = models.CharField(
        max_length=12, choices=OptOutStatus.choices, default=OptOutStatus.CLEAR
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "email_addresses"
        verbose_name = "e-mail address"
        verbose_name_plural = "e-mail addresses"
        constraints = [
            models.UniqueConstraint(fields=["person", "email"], name="email_addresses_person_uniq")
        ]
        indexes = [models.Index(fields=["email"], name="email_addresses_email_idx")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = email_key(self.email)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.email = email_key(self.email)


class Address(models.Model):
    """A postal address of a person. ``address_key`` is its USPS-standardised form (upper case,
    standard abbreviations, with the ZIP), the natural key per person and the household key."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="addresses")
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip5 = models.CharField("ZIP", max_length=5, blank=True)
    zip4 = models.CharField("ZIP+4", max_length=4, blank=True)
    county = models.CharField(max_length=100, blank=True)
    address_key = ExactCharField(max_length=255)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "addresses"
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(fields=["person", "address_key"], name="addresses_person_uniq")
        ]
        # Everyone at one address: household look-alikes and address blocking.
        indexes = [models.Index(fields=["zip5", "address_key"], name="addresses_zip_key_idx")]

    def __str__(self) -> str:
        locality = " ".join(part for part in (self.state, self.zip5) if part)
        return ", ".join(part for part in (self.street, self.city, locality) if part)

    def clean(self) -> None:
        self.state = self.state.strip().upper()


class Campaign(models.Model):
    """A mail drop, SMS blast, call day or e-mail send."""

    name = models.CharField(max_length=200, unique=True)
    campaign_type = models.CharField(max_length=8, choices=Channel.choices)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "campaigns"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="campaigns_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Touchpoint(models.Model):
    """One contact attempt or event with a person: a letter mailed, an SMS sent or received,
    a call placed. The largest table; caps and timelines read it by (person, channel, time)."""

    class Status(models.TextChoices):
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        RETURNED = "returned", "Returned"
        ANSWERED = "answered", "Answered"
        NO_ANSWER = "no_answer", "No answer"
        VOICEMAIL = "voicemail", "Voicemail"
        REPLIED = "replied", "Replied"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="touchpoints", db_index=False
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="touchpoints"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices)
    metadata = models.JSONField(default=dict, blank=True)
    source = ExactCharField(max_length=64, blank=True)
    # NULL for hand-made rows: NULLs never collide in the (source, external_id) unique key.
    external_id = ExactCharField(max_length=128, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "touchpoints"
        indexes = [
            # Leading person column also backs the foreign key (hence db_index=False above).
            models.Index(
                fields=["person", "channel", "occurred_at"], name="touchpoints_person_idx"
            ),
        ]
        constraints = [
            # Idempotent ingestion of external events (a call id, a message id).
            models.UniqueConstraint(
                fields=["source", "external_id"], name="touchpoints_external_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} {self.occurred_at:%Y-%m-%d}"


class GoldenFacts(models.Model):
    """What priority lists ask of a golden record's cluster (the record and its duplicates):
    how many phones, e-mails and addresses it holds and, per channel, how many touches and
    when the last. One row per golden record that has any, read by primary key while a list
    walks its sort index (no row: nothing). Derived data, rebuilt by
    ``golden_facts_refresh`` wherever contact points, touches or cluster links change."""

    person = models.OneToOneField(
        Person, primary_key=True, on_delete=models.CASCADE, related_name="facts"
    )
    phones = models.PositiveIntegerField(default=0)
    emails = models.PositiveIntegerField(default=0)
    addresses = models.PositiveIntegerField(default=0)
    mail_touches = models.PositiveIntegerField(default=0)
    mail_last_at = models.DateTimeField(null=True)
    sms_touches = models.PositiveIntegerField(default=0)
    sms_last_at = models.DateTimeField(null=True)
    call_touches = models.PositiveIntegerField(default=0)
    call_last_at = models.DateTimeField(null=True)
    email_touches = models.PositiveIntegerField(default=0)
    email_last_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "golden_facts"
        verbose_name = "golden-record facts"
        verbose_name_plural = "golden-record facts"

    def __str__(self) -> str:
        return f"Facts of person {self.person_id}"


class GoldenCampaign(models.Model):
    """A campaign a golden record's cluster was touched in: the primary key ``(person,
    campaign)`` answers "is this record in campaign C" with one look-up. Derived data, kept
    with :class:`GoldenFacts`."""

    pk = models.CompositePrimaryKey("person_id", "campaign_id")
    # The primary key leads with the person: no index of its own.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="golden_campaigns", db_index=False
    )
    # The membership index leads with the campaign: no index of its own.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The golden record's ``persons.score``, copied so that a campaign's members can be read in
    # score order from one index (a campaign-only list walks it instead of every record).
    score = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "golden_campaigns"
        verbose_name = "golden-record campaign"
        indexes = [
            models.Index(fields=["campaign", "score", "person"], name="golden_campaigns_score_idx")
        ]

    def __str__(self) -> str:
        return f"Person {self.person_id} in campaign {self.campaign_id}"


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """For append-only tables (the audit log, the merge log): bulk updates and deletes are
    refused."""

    def _refuse(self) -> PermissionError:
        return PermissionError(f"{self.model._meta.verbose_name_plural} rows are append-only.")

    def update(self, **kwargs: Any) -> int:
        raise self._refuse()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise self._refuse()


class AppendOnlyModel(models.Model):
    """A row is saved once and never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None or kwargs.get("force_update"):
            raise PermissionError(f"{self._meta.verbose_name_plural} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self._meta.verbose_name_plural} rows are append-only.")


class AuditLog(AppendOnlyModel):
    """Who changed what and when (UTC), with the values before and after. Append-only: written
    only by :func:`cmplatform.core.services.audit_record`."""

    class Action(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        DELETE = "delete", "Delete"
        MERGE = "merge", "Merge"
        UNMERGE = "unmerge", "Unmerge"
        OVERRIDE = "override", "Manual override"
        ROLE = "role", "Role change"
        EXPORT = "export", "Export"

    class Origin(models.TextChoices):
        ADMIN = "admin", "Admin"
        DASHBOARD = "dashboard", "Dashboard"
        API = "api", "API"
        COMMAND = "command", "Command"
        SYSTEM = "system", "System"

    occurred_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_username = models.CharField(max_length=150, blank=True)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_log"
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(
                fields=["object_type", "object_id", "occurred_at"], name="audit_log_object_idx"
            ),
            models.Index(fields=["actor", "occurred_at"], name="audit_log_actor_idx"),
            models.Index(fields=["occurred_at"], name="audit_log_time_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.actor_username or 'system'} {self.action} {self.object_type}#{self.object_id}"
        )
