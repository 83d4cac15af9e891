"""Explicit shapes of every request and response of the REST API (``/api/``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cmplatform.core.models import Address, Campaign, Channel, EmailAddress, Person, PhoneNumber
from compliance import tags as compliance_tags
from compliance.models import Tag
from dashboard.lists.criteria import MAX_PAGE_ROWS, PAGE_ROWS
from dashboard.models import SavedFilter
from ingestion.mapping import CANONICAL_FIELDS
from ingestion.models import ImportBatch

CHANNELS = [str(channel) for channel in Channel]
REPORT_KINDS = ("summary", "errors", "checklist")
PLANNED_YEARS = range(2000, 2100)

# --- Errors -----------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """An error without field details (401, 403, 404, 405, 429)."""

    detail = serializers.CharField()


# A refused request: field name (``non_field_errors`` for the request as a whole) → messages;
# a body that cannot be parsed at all: ``detail``.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"channel": ['"fax" is not a valid choice.']},
}


# --- Persons ----------------------------------------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    """A person as lists and searches show it: golden-record status and channel statuses
    (``""`` until the compliance scrub has seen the record; duplicates carry their golden
    record's statuses only once merged)."""

    is_golden = serializers.SerializerMethodField()
    golden_id = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id", "url", "first_name", "middle_name", "last_name", "suffix", "state", "county",
            "zip5", "lead_status", "score", "source", "is_golden", "golden_id", "is_duplicate",
            "merged_into", "call_status", "sms_status", "email_status", "mail_status",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_is_golden(self, person: Person) -> bool:
        return not person.is_duplicate

    def get_golden_id(self, person: Person) -> int:
        """The golden record this person belongs to (itself when it is one)."""
        return int(person.merged_into_id if person.is_duplicate else person.pk)  # type: ignore[arg-type]

    def get_url(self, person: Person) -> str:
        return reverse("api-person", args=[person.pk])


class PhoneSerializer(serializers.ModelSerializer):
    compliance_tags = serializers.SerializerMethodField()

    class Meta:
        model = PhoneNumber
        fields = [
            "id", "raw", "e164", "phone_type", "is_primary", "is_valid", "dnc_status",
            "dnc_checked_at", "compliance_tags", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_compliance_tags(self, phone: PhoneNumber) -> list[str]:
        """Every tag the scrub found for this number, in rule order."""
        return compliance_tags.tags_of(phone.compliance_flags)


class EmailSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmailAddress
        fields = ["id", "email", "is_primary", "is_verified", "is_valid", "opt_out_status"]
        read_only_fields = fields


class AddressSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "street", "city", "state", "zip5", "zip4", "county", "is_primary"]
        read_only_fields = fields


class ChannelTagsSerializer(serializers.Serializer):
    """Every compliance tag of a golden record, per channel, in rule order."""

    call = serializers.ListField(child=serializers.ChoiceField(choices=Tag.choices))
    sms = serializers.ListField(child=serializers.ChoiceField(choices=Tag.choices))
    email = serializers.ListField(child=serializers.ChoiceField(choices=Tag.choices))
    mail = serializers.ListField(child=serializers.ChoiceField(choices=Tag.choices))


class PersonDetailSerializer(PersonSerializer):
    """A person with its contact points, the tags behind its channel statuses and the
    duplicates linked to it."""

    phones = PhoneSerializer(many=True, source="phone_numbers")
    emails = EmailSerializer(many=True, source="email_addresses")
    addresses = AddressSerializer(many=True)
    compliance_tags = serializers.SerializerMethodField()
    duplicate_ids = serializers.SerializerMethodField()

    class Meta(PersonSerializer.Meta):
        fields = [
            *PersonSerializer.Meta.fields,
            "created_at", "last_imported_at", "source_updated_at", "manual_override_fields",
            "compliance_checked_at", "compliance_tags", "phones", "emails", "addresses",
            "duplicate_ids",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ChannelTagsSerializer)
    def get_compliance_tags(self, person: Person) -> dict[str, list[str]]:
        return {
            channel: compliance_tags.tags_of(getattr(person, f"{channel}_flags"))
            for channel in CHANNELS
        }

    def get_duplicate_ids(self, person: Person) -> list[int]:
        """Records linked to this golden record (the first ``DUPLICATE_IDS``, by id)."""
        return list(self.context.get("duplicate_ids", []))


class PersonSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200,
        help_text="An e-mail address, a phone number in any format, a record id (#1234567), "
        '"Last, First", "First Last" or the start of a last name.',
    )


class PersonSearchSerializer(serializers.Serializer):
    results = PersonSerializer(many=True)
    has_more = serializers.BooleanField(help_text="More persons match than are shown.")


# --- Imports ----------------------------------------------------------------------------------


class MappingField(serializers.CharField):
    """A JSON object ``{"source column": "canonical field" or null}`` sent as a form field."""

    def to_internal_value(self, data: Any) -> dict[str, str | None]:
        text = super().to_internal_value(data)
        try:
            mapping = json.loads(text)
        except json.JSONDecodeError:
            raise serializers.ValidationError(
                'Give a JSON object: {"source column": "canonical field" or null}.'
            ) from None
        if not isinstance(mapping, dict) or not all(
            value is None or isinstance(value, str) for value in mapping.values()
        ):
            raise serializers.ValidationError(
                'Give a JSON object: {"source column": "canonical field" or null}.'
            )
        unknown = sorted({value for value in mapping.values() if value} - set(CANONICAL_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown canonical fields: {', '.join(unknown)}. "
                f"Known fields: {', '.join(CANONICAL_FIELDS)}."
            )
        return mapping


class ImportCreateSerializer(serializers.Serializer):
    """An upload (``multipart/form-data``) and how to read it. A blank optional field counts
    as not given, as in an HTML form."""

    file = serializers.FileField(
        help_text="CSV/TSV/TXT, XLSX/XLS, a SQLite file, a mysqldump .sql, or a ZIP of one."
    )
    source = serializers.RegexField(
        r"^[a-z0-9_.:-]*$",
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Namespace of the file's record keys (default: from the file name).",
    )
    mapping = MappingField(
        required=False,
        allow_blank=True,
        max_length=20_000,
        help_text='JSON object {"source column": "canonical field" or null to ignore it}; '
        "wins over the profile and the automatic header matching.",
    )
    profile = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A saved mapping profile of this source.",
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        allow_blank=True,
        help_text="The channel of a campaign file's touches (inferred from its headers).",
    )
    campaign = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Campaign name (created when new).",
    )
    sheet = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The worksheet of a spreadsheet.",
    )
    force = serializers.BooleanField(
        required=False, default=False, help_text="Read the file again even if already imported."
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        # Blank means not given: drop it, so that the request names only real choices.
        data = {key: value for key, value in data.items() if value not in ("", None)}
        data.setdefault("force", False)
        if data.get("campaign") and not data.get("channel"):
            raise serializers.ValidationError({"channel": ["A campaign needs a channel."]})
        return data


class SourceFileSerializer(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    sha256 = serializers.CharField(help_text="SHA-256 of the file's bytes.")
    size = serializers.IntegerField(help_text="Bytes.")
    uploaded_at = serializers.DateTimeField()


class ImportCountsSerializer(serializers.Serializer):
    rows_read = serializers.IntegerField()
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="Duplicates within the file.")
    errors = serializers.IntegerField()
    conflicts = serializers.IntegerField(help_text="Rows whose match candidates disagreed.")
    chunks_done = serializers.IntegerField()
    last_row = serializers.IntegerField(help_text="Last row of the last committed chunk.")
    rows_expected = serializers.IntegerField(allow_null=True, help_text="Estimate.")


class ImportSummarySerializer(serializers.Serializer):
    """An import as the list shows it."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    source = serializers.CharField()
    source_type = serializers.CharField()
    mode = serializers.ChoiceField(choices=ImportBatch.Mode.choices)
    status = serializers.ChoiceField(choices=ImportBatch.Status.choices)
    message = serializers.CharField()
    file = SourceFileSerializer(source="source_file", allow_null=True)
    counts = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, batch: ImportBatch) -> str:
        return reverse("api-import", args=[batch.pk])

    @extend_schema_field(ImportCountsSerializer)
    def get_counts(self, batch: ImportBatch) -> dict[str, Any]:
        return ImportCountsSerializer(batch).data

    def get_created_by(self, batch: ImportBatch) -> str | None:
        return batch.created_by.get_username() if batch.created_by else None


class ImportPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page.")
    previous = serializers.URLField(allow_null=True)
    results = ImportSummarySerializer(many=True)


class ReconciliationSerializer(serializers.Serializer):
    """Every row read ends in exactly one outcome, per chunk and for the whole import."""

    rows_read = serializers.IntegerField()
    accounted = serializers.IntegerField(
        help_text="inserted + updated + unchanged + duplicates + errors"
    )
    is_reconciled = serializers.BooleanField(
        help_text="The outcomes add up to the rows read, and the chunks add up to the import."
    )
    chunks = serializers.IntegerField()
    chunk_rows_read = serializers.IntegerField(help_text="Rows read, summed over the chunks.")


class ImportReportsSerializer(serializers.Serializer):
    summary = serializers.CharField(allow_null=True, help_text="Download URL (CSV).")
    errors = serializers.CharField(allow_null=True, help_text="Download URL (CSV).")
    checklist = serializers.CharField(allow_null=True, help_text="Download URL (JSON).")


class ImportDetailSerializer(ImportSummarySerializer):
    """An import's status: counts, reconciliation, the file's checksum and its reports."""

    location = serializers.CharField()
    channel = serializers.CharField()
    campaign = serializers.SerializerMethodField()
    replay_of = serializers.IntegerField(source="replay_of_id", allow_null=True)
    forced = serializers.BooleanField()
    cancel_requested = serializers.BooleanField()
    chunk_rows = serializers.IntegerField()
    mapping = serializers.SerializerMethodField()
    required_fields = serializers.ListField(child=serializers.CharField())
    duration_seconds = serializers.FloatField(source="duration", allow_null=True)
    reconciliation = serializers.SerializerMethodField()
    checklist = serializers.JSONField(help_text="The validation checklist (when it ended).")
    reports = serializers.SerializerMethodField()

    def get_campaign(self, batch: ImportBatch) -> str | None:
        return batch.campaign.name if batch.campaign_id else None  # type: ignore[union-attr]

    def get_mapping(self, batch: ImportBatch) -> dict[str, list[str]]:
        """Canonical field → the source columns read into it."""
        return dict(batch.mapping.get("fields", {}))

    @extend_schema_field(ReconciliationSerializer)
    def get_reconciliation(self, batch: ImportBatch) -> dict[str, Any]:
        chunks = self.context["chunk_totals"]
        chunk_rows = int(chunks["rows_read"] or 0)
        chunk_accounted = int(chunks["accounted"] or 0)
        return {
            "rows_read": batch.rows_read,
            "accounted": batch.accounted,
            "is_reconciled": batch.rows_read == batch.accounted
            and chunk_rows == batch.rows_read
            and chunk_accounted == batch.accounted,
            "chunks": int(chunks["chunks"] or 0),
            "chunk_rows_read": chunk_rows,
        }

    @extend_schema_field(ImportReportsSerializer)
    def get_reports(self, batch: ImportBatch) -> dict[str, str | None]:
        return {
            kind: reverse("api-import-report", args=[batch.pk, kind])
            if kind in batch.reports
            else None
            for kind in REPORT_KINDS
        }


# --- Priority lists ---------------------------------------------------------------------------


class SavedFilterSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    run_url = serializers.SerializerMethodField()

    class Meta:
        model = SavedFilter
        fields = [
            "id", "name", "description", "query", "created_by", "created_at", "updated_at",
            "run_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_created_by(self, saved: SavedFilter) -> str | None:
        return saved.created_by.get_username() if saved.created_by else None

    def get_run_url(self, saved: SavedFilter) -> str:
        return reverse("api-saved-filter-run", args=[saved.pk])


class SavedFilterPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SavedFilterSerializer(many=True)


class ListPageQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, max_length=500, help_text="``next_cursor`` of the previous page."
    )
    rows = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_ROWS, default=PAGE_ROWS
    )


class EstimateSerializer(serializers.Serializer):
    """The list's size: exact, or estimated from the facet summary as of ``as_of``."""

    value = serializers.IntegerField()
    exact = serializers.BooleanField()
    as_of = serializers.DateTimeField(allow_null=True)
    label = serializers.CharField()


class ListPageSerializer(serializers.Serializer):
    """One keyset page of a priority list (golden records only)."""

    query = serializers.CharField(help_text="The list's criteria and sort as a query string.")
    sort = serializers.CharField()
    estimate = EstimateSerializer()
    results = PersonSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="null on the last page.")
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    searched = serializers.IntegerField(
        allow_null=True,
        help_text="Set when the criteria match few records: the page searched this many "
        "records in sort order after the cursor without filling up; `results` are every match "
        "among them and `next` searches further. null on a full page or the last.",
    )


# --- Compliance -------------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """A date-time with its UTC offset (a calling window depends on the exact instant), in
    the years :data:`PLANNED_YEARS` (registry data and caps describe the present, not 1066)."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError(
                "Give the time with its UTC offset, e.g. 2026-11-24T17:00:00Z."
            )
        try:
            utc = value.astimezone(dt.UTC)
        except OverflowError:
            utc = None
        if utc is None or utc.year not in PLANNED_YEARS:
            raise serializers.ValidationError(
                f"Give a time from {PLANNED_YEARS.start} to {PLANNED_YEARS.stop - 1}."
            )
        return utc


class ComplianceCheckQuerySerializer(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Person id.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    at = AwareDateTimeField(
        required=False,
        help_text="The planned contact (default: now), with its UTC offset; years 2000-2099.",
    )
    campaign = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Campaign id."
    )

    def validate_campaign(self, value: int) -> int:
        if not Campaign.objects.filter(pk=value).exists():
            raise serializers.ValidationError(f"No campaign {value}.")
        return value


class ComplianceDecisionSerializer(serializers.Serializer):
    """May we contact the person on the channel at that time, and if not, why."""

    person = serializers.IntegerField()
    golden_id = serializers.IntegerField(help_text="The golden record the rules were read on.")
    channel = serializers.ChoiceField(choices=Channel.choices)
    at = serializers.DateTimeField()
    decision = serializers.ChoiceField(
        choices=[("ALLOW", "Allow"), ("BLOCK", "Block"), ("DEFER", "Defer")],
        help_text="DEFER: not now; try again at next_allowed_at.",
    )
    allowed = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.ChoiceField(choices=Tag.choices))
    next_allowed_at = serializers.DateTimeField(allow_null=True)
    evidence = serializers.DictField(
        help_text="Data version, numbers, zones, states and registry data the answer used."
    )


# --- Tokens -----------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <key>`.")
