"""Compliance facts and the statuses computed from them.

* Registries: :class:`FederalDnc` (the national Do-Not-Call registry, one row per number,
  deletions kept as ``removed_on``), :class:`StateDnc` (one row per number and state list) and
  :class:`RegistryCoverage` (how fresh each area code's or state's data is).
* :class:`AreaCode` — the state and time zones of each NANP area code (from ``phonenumbers``
  data), joined in bulk by the scrub.
* :class:`Suppression` — opt-outs, internal DNC requests, consent revocations and deceased
  notices, per person or per identifier (phone, e-mail, address) and per channel.
* :class:`Consent` — documented prior express (written) consent per person and channel.
* :class:`CallingWindow` and :class:`Holiday` — state calling hours and holiday bans as data.
* :class:`CampaignPolicy` — whether a campaign counts as a solicitation, automated, prerecorded.
* What the scrub computes lives on the canonical rows themselves, so that lists filter on one
  table: ``phone_numbers.compliance_flags`` and ``persons.<channel>_status``/``_flags`` (tag
  bit sets, see :mod:`compliance.tags`).
* :class:`ComplianceEvaluation` — every point-of-use decision, append-only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cmplatform.core.fields import ExactCharField
from cmplatform.core.models import AppendOnlyModel, Campaign, Channel, Person


class Tag(models.TextChoices):
    """Compliance tags (spec §10), in rule order: the first blocking tag is a status."""

    CLEAR = "CLEAR", "Clear"
    INVALID_NUMBER = "INVALID_NUMBER", "Invalid number"
    EMAIL_INVALID = "EMAIL_INVALID", "Invalid e-mail"
    UNDELIVERABLE_ADDRESS = "UNDELIVERABLE_ADDRESS", "Undeliverable address"
    DECEASED = "DECEASED", "Deceased"
    NO_CONTACT_POINT = "NO_CONTACT_POINT", "No contact point for the channel"
    OPTED_OUT = "OPTED_OUT", "Opted out"
    REVOKED_CONSENT = "REVOKED_CONSENT", "Consent revoked"
    DNC_INTERNAL = "DNC_INTERNAL", "Internal DNC"
    DNC_FEDERAL = "DNC_FEDERAL", "National DNC registry"
    DNC_DATA_STALE = "DNC_DATA_STALE", "Registry data too old"
    DNC_STATE = "DNC_STATE", "State DNC list"
    REASSIGNED_NUMBER = "REASSIGNED_NUMBER", "Reassigned number"
    WIRELESS_NO_CONSENT = "WIRELESS_NO_CONSENT", "No written consent for a wireless number"
    QUIET_HOURS = "QUIET_HOURS", "Outside calling hours"
    HOLIDAY_BLOCK = "HOLIDAY_BLOCK", "State holiday"
    FREQ_CAPPED = "FREQ_CAPPED", "Frequency cap reached"
    TZ_UNKNOWN = "TZ_UNKNOWN", "Time zone unknown"


class RegistryKind(models.TextChoices):
    FEDERAL = "federal", "National DNC registry"
    STATE = "state", "State DNC list"
    INTERNAL = "internal", "Internal DNC list"


class FederalDnc(models.Model):
    """A number on the national DNC registry. A change list's deletion sets ``removed_on``
    (the row stays: what the registry said on a date can be explained later)."""

    phone = models.CharField("E.164", max_length=16, primary_key=True)
    npa = models.CharField("area code", max_length=3)
    added_on = models.DateField()
    removed_on = models.DateField(null=True, blank=True)
    import_batch_id = models.BigIntegerField(null=True, blank=True)
    loaded_at = models.DateTimeField()

    class Meta:
        db_table = "dnc_federal"
        verbose_name = "national DNC number"
        indexes = [models.Index(fields=["npa", "removed_on"], name="dnc_federal_npa_idx")]

    def __str__(self) -> str:
        return self.phone


class StateDnc(models.Model):
    """A number on one state's DNC list, with that list's version date."""

    phone = models.CharField("E.164", max_length=16)
    state = models.CharField(max_length=2)
    list_version_date = models.DateField()
    removed_on = models.DateField(null=True, blank=True)
    import_batch_id = models.BigIntegerField(null=True, blank=True)
    loaded_at = models.DateTimeField()

    class Meta:
        db_table = "dnc_state"
        verbose_name = "state DNC number"
        constraints = [
            models.UniqueConstraint(fields=["phone", "state"], name="dnc_state_phone_uniq")
        ]
        indexes = [models.Index(fields=["state", "removed_on"], name="dnc_state_state_idx")]

    def __str__(self) -> str:
        return f"{self.phone} ({self.state})"


class RegistryCoverage(models.Model):
    """How fresh a registry's data is for one scope: an area code (federal) or a state (state
    lists). ``as_of`` is the date of the last full list or change list applied to it."""

    kind = models.CharField(max_length=8, choices=RegistryKind.choices)
    scope = models.CharField(max_length=3, help_text="Area code (federal) or state (state).")
    as_of = models.DateField()
    last_import_batch_id = models.BigIntegerField(null=True, blank=True)
    full_list_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dnc_registry_coverage"
        verbose_name_plural = "registry coverage"
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope"], name="dnc_coverage_scope_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.scope} as of {self.as_of}"


class AreaCode(models.Model):
    """A NANP area code, its state and its candidate time zones (``phonenumbers`` data)."""

    npa = models.CharField(max_length=3, primary_key=True)
    state = models.CharField(max_length=2, blank=True)
    time_zones = models.JSONField(default=list)
    is_toll_free = models.BooleanField(default=False)

    class Meta:
        db_table = "area_codes"

    def __str__(self) -> str:
        return f"{self.npa} {self.state}"


class SuppressionChannel(models.TextChoices):
    ALL = "all", "All channels"
    MAIL = Channel.MAIL.value, Channel.MAIL.label
    SMS = Channel.SMS.value, Channel.SMS.label
    CALL = Channel.CALL.value, Channel.CALL.label
    EMAIL = Channel.EMAIL.value, Channel.EMAIL.label


class Suppression(models.Model):
    """A reason not to contact: an opt-out, an internal DNC request, a consent revocation or a
    deceased notice. ``identifier_type`` ``person`` covers every number and address of the
    person (and of the persons merged with it); otherwise it covers one phone, e-mail or
    address (``identifier`` holds its E.164 form, lower-cased e-mail or address key).

    Suppressions are never deleted: lifting one (a logged re-opt-in) sets ``lifted_at``.
    Free-text revocations are active at once and wait in the review queue.
    """

    class IdentifierType(models.TextChoices):
        PERSON = "person", "Person (all contact points)"
        PHONE = "phone", "Phone number"
        EMAIL = "email", "E-mail address"
        ADDRESS = "address", "Postal address"

    class Reason(models.TextChoices):
        OPTED_OUT = Tag.OPTED_OUT.value, Tag.OPTED_OUT.label
        REVOKED_CONSENT = Tag.REVOKED_CONSENT.value, Tag.REVOKED_CONSENT.label
        DNC_INTERNAL = Tag.DNC_INTERNAL.value, Tag.DNC_INTERNAL.label
        DECEASED = Tag.DECEASED.value, Tag.DECEASED.label
        UNDELIVERABLE_ADDRESS = Tag.UNDELIVERABLE_ADDRESS.value, Tag.UNDELIVERABLE_ADDRESS.label

    class Source(models.TextChoices):
        FILE = "file", "List file"
        API = "api", "API"
        MANUAL = "manual", "Manual entry"
        SMS_REPLY = "sms_reply", "SMS reply"
        DISPOSITION = "disposition", "Call disposition"
        EMAIL_UNSUBSCRIBE = "email_unsub", "E-mail unsubscribe"
        RETURNED_MAIL = "returned_mail", "Returned mail"
        CRM = "crm", "CRM"
        LEGACY = "legacy", "Legacy lead status"

    class Review(models.TextChoices):
        NOT_NEEDED = "", "Not needed"
        PENDING = "pending", "Waiting for review"
        CONFIRMED = "confirmed", "Confirmed"
        RELEASED = "released", "Released by a reviewer"

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="suppressions"
    )
    identifier_type = models.CharField(max_length=8, choices=IdentifierType.choices)
    # Exact, like e-mail addresses and address keys (MySQL: utf8mb4_bin), so the scrub's
    # look-ups of an e-mail or address use this index.
    identifier = ExactCharField(max_length=254, blank=True)
    channel = models.CharField(max_length=8, choices=SuppressionChannel.choices)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    received_at = models.DateTimeField()
    message = models.TextField(blank=True, help_text="The words of the request, when it had any.")
    note = models.CharField(max_length=500, blank=True)
    import_batch_id = models.BigIntegerField(null=True, blank=True)
    review = models.CharField(max_length=10, choices=Review.choices, blank=True, default="")
    request = models.CharField(
        max_length=32, blank=True, help_text="Suppressions made from one request share it."
    )
    is_active = models.BooleanField(default=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "compliance_suppressions"
        indexes = [
            models.Index(
                fields=["identifier_type", "identifier", "is_active"],
                name="suppressions_identifier_idx",
            ),
            models.Index(fields=["person", "is_active"], name="suppressions_person_idx"),
            models.Index(fields=["review", "received_at"], name="suppressions_review_idx"),
            # The dashboard's counts per reason and channel read this index alone.
            models.Index(fields=["is_active", "reason", "channel"], name="suppressions_reason_idx"),
        ]

    def __str__(self) -> str:
        target = self.identifier or f"person {self.person_id}"
        return f"{self.reason} {self.channel} {target}"


class Consent(models.Model):
    """Documented prior express consent of a person for a channel (``is_written`` for
    telemarketing), optionally for one phone number. Revocation sets ``revoked_at``."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="consents")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    phone = models.CharField("E.164", max_length=16, blank=True)
    is_written = models.BooleanField(default=True)
    obtained_at = models.DateTimeField()
    evidence = models.CharField(max_length=500, help_text="Where the signed consent is kept.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "compliance_consents"
        indexes = [models.Index(fields=["person", "channel"], name="consents_person_idx")]

    def __str__(self) -> str:
        return f"{self.channel} consent of person {self.person_id}"


class CallingWindow(models.Model):
    """Allowed local calling hours of a state (``US`` is the federal rule) on some weekdays
    (0 = Monday … 6 = Sunday). A weekday a state lists no window for is closed all day."""

    state = models.CharField(max_length=2)
    weekdays = models.JSONField(help_text="Weekday numbers, 0 = Monday.")
    start = models.TimeField()
    end = models.TimeField()
    on_holidays = models.BooleanField(
        default=True, help_text="Whether calls are allowed on the state's listed holidays."
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "compliance_calling_windows"
        indexes = [models.Index(fields=["state"], name="calling_windows_state_idx")]

    def __str__(self) -> str:
        return f"{self.state} {self.weekdays} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    """A date on which a state bans solicitation calls (the yearly calendar, as data)."""

    state = models.CharField(max_length=2)
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        db_table = "compliance_holidays"
        constraints = [
            models.UniqueConstraint(fields=["state", "date"], name="holidays_state_date_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.date} {self.name}"


class CampaignPolicy(models.Model):
    """How the rules treat a campaign. Only admins change it, and every change is audited."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.PROTECT, primary_key=True, related_name="compliance_policy"
    )
    is_solicitation = models.BooleanField(
        default=True,
        help_text="Counts as a telephone solicitation (DNC rules apply). Counsel signs off.",
    )
    is_automated = models.BooleanField(default=False)
    is_prerecorded = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "compliance_campaign_policies"
        verbose_name_plural = "campaign policies"

    def __str__(self) -> str:
        return f"policy of {self.campaign}"


class ComplianceEvaluation(AppendOnlyModel):
    """One answer of the point-of-use check, kept (append-only) as the record of why a
    contact was allowed, deferred or blocked."""

    person_id = models.BigIntegerField()
    golden_id = models.BigIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    campaign_id = models.BigIntegerField(null=True, blank=True)
    planned_at = models.DateTimeField()
    decision = models.CharField(max_length=5)
    tags = models.JSONField(default=list)
    next_allowed_at = models.DateTimeField(null=True, blank=True)
    evidence = models.JSONField(default=dict)
    evaluated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "compliance_evaluations"
        indexes = [
            models.Index(fields=["golden_id", "evaluated_at"], name="evaluations_golden_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.decision} {self.channel} person {self.person_id}"
