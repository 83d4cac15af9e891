"""The compliance console: suppressions and the revocation review queue, consents, the DNC
registries and their data age, calling windows, holidays and campaign policies, and every
point-of-use decision. Big-table settings throughout; every manual change is audited and goes
through the services (a suppression added here takes effect at once)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from cmplatform.core.admin import AuditedAdmin, BigTableAdmin, ReadOnlyAdmin
from cmplatform.core.models import AuditLog
from compliance.models import (
    AreaCode,
    CallingWindow,
    CampaignPolicy,
    ComplianceEvaluation,
    Consent,
    FederalDnc,
    Holiday,
    RegistryCoverage,
    StateDnc,
    Suppression,
)
from compliance.services import (
    ComplianceError,
    phone_e164,
    suppression_create,
    suppression_review_decide,
)

ORIGIN = AuditLog.Origin.ADMIN


class SuppressionForm(ModelForm):
    """A manual entry: a person-level suppression names the person, any other its valid
    identifier."""

    class Meta:
        model = Suppression
        fields = ("person", "identifier_type", "identifier", "channel", "reason", "message", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, identifier = data.get("identifier_type"), (data.get("identifier") or "").strip()
        if kind == Suppression.IdentifierType.PERSON and data.get("person") is None:
            self.add_error("person", "A person-level suppression needs the person.")
        if kind != Suppression.IdentifierType.PERSON and not identifier:
            self.add_error("identifier", "Give the phone number, e-mail or address key.")
        if kind == Suppression.IdentifierType.PHONE and identifier:
            try:
                data["identifier"] = phone_e164(identifier)
            except ComplianceError as error:
                self.add_error("identifier", str(error))
        return data


@admin.register(Suppression)
class SuppressionAdmin(BigTableAdmin):
    """Opt-outs, internal DNC requests, revocations and deceased notices. Adding one here is a
    manual entry (audited, effective at once); free-text revocations wait in the review queue
    (filter "review: waiting") for a reviewer to confirm or release."""

    list_display = (
        "id",
        "reason",
        "channel",
        "identifier_type",
        "identifier",
        "person_id",
        "source",
        "received_at",
        "is_active",
        "review",
    )
    list_filter = ("review", "reason", "channel", "source", "is_active")
    search_fields = ("=identifier", "=person__id")
    search_help_text = "An exact E.164 number (+14325550100), e-mail, address key or person id."
    raw_id_fields = ("person",)
    form = SuppressionForm
    actions = ("confirm_revocations", "release_revocations")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Rows change only through the review actions and re-opt-in services.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        identifier = {
            Suppression.IdentifierType.PHONE: "phone",
            Suppression.IdentifierType.EMAIL: "email",
            Suppression.IdentifierType.ADDRESS: "address_key",
        }.get(obj.identifier_type)
        created = suppression_create(
            reason=obj.reason,
            channel=obj.channel,
            source=Suppression.Source.MANUAL,
            person=obj.person,
            message=obj.message,
            note=obj.note,
            by=request.user,
            origin=ORIGIN,
            **({identifier: obj.identifier} if identifier else {}),
        )
        obj.pk = created.pk

    def _decide(self, request: HttpRequest, queryset: QuerySet[Suppression], keep: bool) -> None:
        done = 0
        for suppression in queryset.filter(review=Suppression.Review.PENDING)[:200]:
            suppression_review_decide(suppression=suppression, keep=keep, by=request.user)
            done += 1
        verb = "confirmed" if keep else "released"
        self.message_user(request, f"{done} revocation(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Confirm selected revocations (keep suppressed)")
    def confirm_revocations(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        self._decide(request, queryset, keep=True)

    @admin.action(description="Release selected revocations (not a revocation)")
    def release_revocations(self, request: HttpRequest, queryset: QuerySet[Suppression]) -> None:
        self._decide(request, queryset, keep=False)


@admin.register(Consent)
class ConsentAdmin(AuditedAdmin):
    list_display = (
        "id",
        "person_id",
        "channel",
        "phone",
        "is_written",
        "obtained_at",
        "revoked_at",
    )
    list_filter = ("channel", "is_written")
    search_fields = ("=person__id", "=phone")
    raw_id_fields = ("person",)
    exclude = ("created_by",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke (set revoked_at); the record of consent stays


@admin.register(FederalDnc)
class FederalDncAdmin(ReadOnlyAdmin):
    list_display = ("phone", "npa", "added_on", "removed_on", "import_batch_id", "loaded_at")
    search_fields = ("=phone", "=npa")
    search_help_text = "An exact E.164 number (+14325550100) or area code."
    ordering = ("phone",)


@admin.register(StateDnc)
class StateDncAdmin(ReadOnlyAdmin):
    list_display = ("phone", "state", "list_version_date", "removed_on", "import_batch_id")
    search_fields = ("=phone", "=state")
    search_help_text = "An exact E.164 number (+14325550100) or state."


@admin.register(RegistryCoverage)
class RegistryCoverageAdmin(ReadOnlyAdmin):
    """Registry data age per area code and state list: older than 31 days blocks calls."""

    list_display = ("kind", "scope", "as_of", "full_list_on", "last_import_batch_id", "updated_at")
    list_filter = ("kind",)
    search_fields = ("=scope",)
    ordering = ("as_of", "kind", "scope")


@admin.register(AreaCode)
class AreaCodeAdmin(ReadOnlyAdmin):
    list_display = ("npa", "state", "time_zones", "is_toll_free")
    search_fields = ("=npa", "=state")
    ordering = ("npa",)


@admin.register(CallingWindow)
class CallingWindowAdmin(AuditedAdmin):
    """State calling hours as data (``US`` is the federal rule); counsel signs off changes."""

    list_display = ("state", "weekdays", "start", "end", "on_holidays", "note")
    search_fields = ("=state",)
    ordering = ("state",)


@admin.register(Holiday)
class HolidayAdmin(AuditedAdmin):
    list_display = ("state", "date", "name")
    list_filter = ("state",)
    ordering = ("date", "state")


@admin.register(CampaignPolicy)
class CampaignPolicyAdmin(AuditedAdmin):
    """Whether a campaign counts as a solicitation (DNC rules apply), automated or
    prerecorded. Admins only; every change audited."""

    list_display = ("campaign", "is_solicitation", "is_automated", "is_prerecorded", "updated_at")
    raw_id_fields = ("campaign",)
    ordering = ("campaign",)


@admin.register(ComplianceEvaluation)
class ComplianceEvaluationAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "evaluated_at",
        "person_id",
        "golden_id",
        "channel",
        "decision",
        "tags",
        "next_allowed_at",
    )
    list_filter = ("decision", "channel")
    search_fields = ("=golden_id", "=person_id")
