"""The golden-record console: merge, unmerge and make-golden actions over persons, the review
queue, runs and the merge log (read-only). Big-table settings throughout."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from cmplatform.core.admin import ReadOnlyAdmin
from dedupe.models import (
    DedupeLog,
    DedupeRun,
    DedupeShard,
    GoldenRecord,
    ManualDecision,
    ReviewPair,
)
from dedupe.services import (
    ResolutionError,
    person_make_golden,
    person_unmerge,
    persons_merge,
    review_pair_decide,
)
from dedupe.services.runs import SURVIVING_FIELDS


def _can_merge(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("core.merge_persons"))


@admin.register(GoldenRecord)
class GoldenRecordAdmin(ReadOnlyAdmin):
    """Select persons and merge them (the first selected golden record survives), unmerge a
    duplicate, or make one the golden record of its cluster."""

    list_display = (
        "id",
        "last_name",
        "first_name",
        "middle_name",
        "suffix",
        "zip5",
        "is_duplicate",
        "merged_into_id",
        "source_updated_at",
    )
    list_filter = ("is_duplicate",)
    search_fields = ("=id", "=merged_into__id", "last_name_key")
    actions = ("merge_selected", "unmerge_selected", "make_golden")

    @admin.action(description="Merge selected persons (choose surviving values)")
    def merge_selected(
        self, request: HttpRequest, queryset: QuerySet[GoldenRecord]
    ) -> TemplateResponse | None:
        """A side-by-side page of the selected persons' values; applying it merges them into
        the first golden record with the chosen values as manual overrides."""
        if not _can_merge(request):
            self.message_user(request, "You may not merge persons.", messages.ERROR)
            return None
        persons = list(queryset.order_by("pk"))
        golden = next((p for p in persons if not p.is_duplicate), None)
        if golden is None or len(persons) < 2:
            self.message_user(
                request, "Select a golden record and at least one other person.", messages.ERROR
            )
            return None
        if request.POST.get("apply"):
            by_id = {person.pk: person for person in persons}
            values = {}
            for name in SURVIVING_FIELDS:
                chosen = request.POST.get(f"value_{name}")
                if chosen and chosen.isdigit() and int(chosen) in by_id:
                    value = getattr(by_id[int(chosen)], name)
                    if value != getattr(golden, name):
                        values[name] = value
            try:
                persons_merge(golden=golden, duplicates=persons, values=values, by=request.user)
            except ResolutionError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            self.message_user(request, f"Merged {len(persons) - 1} person(s) into {golden.pk}.")
            return None
        rows = [
            (
                name,
                [(person.pk, getattr(person, name), person.pk == golden.pk) for person in persons],
            )
            for name in SURVIVING_FIELDS
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Merge persons",
            "golden": golden,
            "persons": persons,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/dedupe/merge_persons.html", context)

    @admin.action(description="Unmerge selected duplicates")
    def unmerge_selected(self, request: HttpRequest, queryset: QuerySet[GoldenRecord]) -> None:
        if not _can_merge(request):
            self.message_user(request, "You may not unmerge persons.", messages.ERROR)
            return
        done = 0
        for person in queryset.filter(is_duplicate=True).order_by("pk"):
            person_unmerge(person=person, by=request.user)
            done += 1
        self.message_user(request, f"Unmerged {done} person(s).")

    @admin.action(description="Make the selected person its cluster's golden record")
    def make_golden(self, request: HttpRequest, queryset: QuerySet[GoldenRecord]) -> None:
        if not _can_merge(request) or queryset.count() != 1:
            self.message_user(
                request, "Select exactly one person (and have the right to merge).", messages.ERROR
            )
            return
        person = person_make_golden(person=queryset.get(), by=request.user)
        self.message_user(request, f"Person {person.pk} is now the golden record.")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # the changelist's actions need it; the form itself stays read-only (no fields)
        return _can_merge(request) and obj is None

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("core.view_person"))


@admin.register(ReviewPair)
class ReviewPairAdmin(ReadOnlyAdmin):
    """Pairs between the review and auto-merge thresholds, strongest first, with evidence."""

    list_display = ("id", "person_low", "person_high", "probability", "status", "created_at")
    list_filter = ("status",)
    ordering = ("status", "-probability")
    list_select_related = ("person_low", "person_high")
    raw_id_fields = ("person_low", "person_high", "run", "decided_by")
    readonly_fields = ("person_low", "person_high", "probability", "evidence", "status", "run")
    actions = ("same_person", "different_persons")

    def _decide(self, request: HttpRequest, queryset: QuerySet[ReviewPair], same: bool) -> None:
        if not _can_merge(request):
            self.message_user(request, "You may not decide review pairs.", messages.ERROR)
            return
        done = 0
        for pair in queryset.filter(status=ReviewPair.Status.OPEN).order_by("pk"):
            review_pair_decide(pair=pair, same_person=same, by=request.user)
            done += 1
        self.message_user(request, f"Decided {done} pair(s).")

    @admin.action(description="Same person: merge")
    def same_person(self, request: HttpRequest, queryset: QuerySet[ReviewPair]) -> None:
        self._decide(request, queryset, True)

    @admin.action(description="Different persons: keep apart")
    def different_persons(self, request: HttpRequest, queryset: QuerySet[ReviewPair]) -> None:
        self._decide(request, queryset, False)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _can_merge(request) and obj is None


@admin.register(DedupeRun)
class DedupeRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "mode",
        "status",
        "persons",
        "pairs",
        "clusters",
        "linked",
        "unlinked",
        "review_pairs",
        "duplicate_rate",
        "started_at",
        "finished_at",
    )
    list_filter = ("mode", "status")


@admin.register(DedupeLog)
class DedupeLogAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "action",
        "golden_id",
        "person_id",
        "score",
        "reason",
        "actor",
    )
    list_filter = ("action",)
    search_fields = ("=golden_id", "=person_id")
    list_select_related = ("actor",)


@admin.register(ManualDecision)
class ManualDecisionAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "person_low_id",
        "person_high_id",
        "is_active",
        "decided_by",
        "created_at",
    )
    list_filter = ("kind", "is_active")
    list_select_related = ("decided_by",)


@admin.register(DedupeShard)
class DedupeShardAdmin(ReadOnlyAdmin):
    list_display = ("id", "run", "index", "state", "pairs", "seconds")
    list_filter = ("state",)
    list_select_related = ("run",)
