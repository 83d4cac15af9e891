"""The operations console: the canonical tables in Django admin, safe at 84M rows.

Every changelist pages with a capped count (no unbounded ``COUNT(*)``), shows no facets,
searches through indexes only (exact or prefix), joins explicitly and links persons by raw id.
Every save and delete goes through an audited service; persons are never deleted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from cmplatform.core.models import (
    Address,
    AuditLog,
    Campaign,
    EmailAddress,
    Person,
    PersonDuplicate,
    PhoneNumber,
    Touchpoint,
)
from cmplatform.core.selectors import person_search
from cmplatform.core.services import (
    PERSON_EDITABLE_FIELDS,
    model_delete_audited,
    model_save_audited,
    person_update,
)
from cmplatform.lib.normalize import email_key, phone_to_e164
from cmplatform.lib.pagination import CappedCountPaginator
from cmplatform.lib.usps import STATES

ORIGIN = AuditLog.Origin.ADMIN


class BigTableAdmin(admin.ModelAdmin):
    """Changelist settings for tables with tens of millions of rows."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_max_show_all = 200
    list_select_related: tuple[str, ...] = ()
    ordering = ("-id",)


class ReadOnlyAdmin(BigTableAdmin):
    """Rows written only by services: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(BigTableAdmin):
    """Saves and deletes through the audited services."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        model_save_audited(obj=obj, by=request.user, origin=ORIGIN)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        model_delete_audited(obj=obj, by=request.user, origin=ORIGIN)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # A selection on one page (at most list_per_page rows), each delete audited.
        for obj in queryset:
            model_delete_audited(obj=obj, by=request.user, origin=ORIGIN)


class StateFilter(admin.SimpleListFilter):
    """Filter by state from a fixed list (a DISTINCT over 84M rows would take seconds)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(code, f"{code} - {name}") for code, name in STATES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(state=value) if value else queryset


class AuditedInline(admin.TabularInline):
    """Contact points edited on the person page, each change audited."""

    extra = 0
    show_change_link = True


class PhoneNumberInline(AuditedInline):
    model = PhoneNumber
    fields = ("raw", "e164", "phone_type", "is_primary", "is_valid", "dnc_status")
    readonly_fields = ("dnc_status",)


class EmailAddressInline(AuditedInline):
    model = EmailAddress
    fields = ("email", "is_primary", "is_verified", "is_valid", "opt_out_status")
    readonly_fields = ("opt_out_status",)


class AddressInline(AuditedInline):
    model = Address
    fields = ("street", "city", "state", "zip5", "zip4", "county", "address_key", "is_primary")


@admin.register(Person)
class PersonAdmin(AuditedAdmin):
    """Golden records. Editing a field marks it as a manual override that imports and
    survivorship never overwrite. Persons are linked, never deleted."""

    list_display = (
        "id",
        "last_name",
        "first_name",
        "suffix",
        "state",
        "county",
        "zip5",
        "lead_status",
        "score",
        "is_duplicate",
        "merged_into_id",
        "updated_at",
    )
    list_filter = ("lead_status", "is_duplicate", StateFilter)
    search_fields = ("last_name_key",)  # shows the search box; the search is person_search
    search_help_text = (
        "E-mail, phone (any format), record id (#1234567), “Last, First”, “First Last” or a "
        "last-name prefix."
    )
    raw_id_fields = ("merged_into",)
    readonly_fields = (
        "is_original",
        "is_duplicate",
        "merged_into",
        "is_manual_override",
        "manual_override_fields",
        "source",
        "created_at",
        "updated_at",
        "last_imported_at",
    )
    fieldsets = (
        (None, {"fields": ("first_name", "middle_name", "last_name", "suffix")}),
        ("Location (mirrors the primary address)", {"fields": ("state", "county", "zip5")}),
        ("Lead", {"fields": ("lead_status", "score", "source")}),
        (
            "Golden record",
            {
                "fields": (
                    "is_original",
                    "is_duplicate",
                    "merged_into",
                    "is_manual_override",
                    "manual_override_fields",
                )
            },
        ),
        ("History", {"fields": ("created_at", "updated_at", "last_imported_at")}),
    )
    inlines = (PhoneNumberInline, EmailAddressInline, AddressInline)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return person_search(term=search_term, queryset=queryset), False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Person, form: ModelForm, change: bool) -> None:
        if not change:
            obj.source = obj.source or "manual"
            model_save_audited(obj=obj, by=request.user, origin=ORIGIN)
            return
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in PERSON_EDITABLE_FIELDS
        }
        saved = person_update(person=obj, changes=changes, by=request.user, origin=ORIGIN)
        # The admin renders its response from ``obj``; show what was stored.
        obj.manual_override_fields = saved.manual_override_fields
        obj.is_manual_override = saved.is_manual_override

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        for instance in formset.save(commit=False):
            model_save_audited(obj=instance, by=request.user, origin=ORIGIN)
        for instance in formset.deleted_objects:
            model_delete_audited(obj=instance, by=request.user, origin=ORIGIN)


@admin.register(PersonDuplicate)
class PersonDuplicateAdmin(ReadOnlyAdmin):
    """Duplicate links, written by golden-record resolution; read-only here."""

    list_display = ("id", "original", "duplicate", "match_score", "match_reason", "merged_at")
    list_select_related = ("original", "duplicate")
    raw_id_fields = ("original", "duplicate")
    search_fields = ("=original__id", "=duplicate__id")


@admin.register(PhoneNumber)
class PhoneNumberAdmin(AuditedAdmin):
    list_display = ("id", "person", "raw", "e164", "phone_type", "is_primary", "dnc_status")
    list_filter = ("dnc_status", "phone_type", "is_valid")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
    search_fields = ("=e164",)
    search_help_text = "A phone number in any format."
    readonly_fields = ("dnc_status", "dnc_checked_at")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        e164 = phone_to_e164(search_term)
        return (queryset.filter(e164=e164) if e164 else queryset.none()), False


@admin.register(EmailAddress)
class EmailAddressAdmin(AuditedAdmin):
    list_display = ("id", "person", "email", "is_primary", "is_verified", "opt_out_status")
    list_filter = ("opt_out_status", "is_verified")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
    search_fields = ("=email",)
    search_help_text = "An exact e-mail address."

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(email=email_key(search_term)), False


@admin.register(Address)
class AddressAdmin(AuditedAdmin):
    list_display = ("id", "person", "street", "city", "state", "zip5", "county", "is_primary")
    list_select_related = ("person",)
    raw_id_fields = ("person",)
    search_fields = ("=zip5",)
    search_help_text = "A five-digit ZIP code."


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    list_display = ("id", "name", "campaign_type", "starts_on", "ends_on")
    list_filter = ("campaign_type",)
    search_fields = ("^name",)


@admin.register(Touchpoint)
class TouchpointAdmin(AuditedAdmin):
    list_display = ("id", "person", "campaign", "channel", "status", "occurred_at")
    list_filter = ("channel", "status")
    list_select_related = ("person", "campaign")
    raw_id_fields = ("person", "campaign")
    search_fields = ("=external_id",)
    search_help_text = "An external id (call id, message id)."


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    """The audit trail: read-only for everyone, append-only in the database layer."""

    list_display = (
        "occurred_at",
        "actor_username",
        "origin",
        "action",
        "object_type",
        "object_id",
        "object_repr",
    )
    list_filter = ("action", "origin")
    search_fields = ("=object_id", "^actor_username")
    readonly_fields = [field.name for field in AuditLog._meta.fields]
