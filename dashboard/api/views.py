"""REST API endpoints (``/api/``): thin shells over selectors and services.

Reads run on the read replica when one is configured; every list is a keyset page (a cursor,
never an offset). Errors answer ``{"detail": ...}`` or, for a refused request, the reasons per
field (``non_field_errors`` for the request as a whole).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db import transaction
from django.db.models import Count, F, Sum
from django.http import FileResponse, HttpRequest, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cmplatform.core.models import AuditLog, Person
from cmplatform.core.selectors import person_search
from cmplatform.core.services import audit_record
from cmplatform.lib.replica import reads_from_replica
from compliance.services import ComplianceError, may_contact
from dashboard.access import IMPORT, READ
from dashboard.api import serializers as s
from dashboard.api.access import (
    THROTTLES,
    AnonThrottle,
    HasRequiredPermissions,
    LoginFailureThrottle,
)
from dashboard.api.schema import ID, criteria_parameters, responses
from dashboard.api.tokens import api_token_issue
from dashboard.lists import criteria
from dashboard.lists.cached import cached_page
from dashboard.lists.counts import estimate
from dashboard.models import SavedFilter
from ingestion.landing import landing_storage
from ingestion.models import ImportBatch
from ingestion.services import ImportRequest, ImportRequestError, import_file
from ingestion.tasks import import_run_task

SEARCH_ROWS = 50
# Linked duplicates listed with a golden record (a person rarely has more than a handful).
DUPLICATE_IDS = 100
REPORT_TYPES = {
    "summary": ("text/csv", "csv"),
    "errors": ("text/csv", "csv"),
    "checklist": ("application/json", "json"),
}


class JsonAnswers(DefaultContentNegotiation):
    """Answers are JSON (or a report's own file type) whatever the client accepts: a client
    asking for HTML gets the same JSON, not a 406."""

    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class ApiView(APIView):
    """Base of every endpoint: token or session authentication, role permissions, throttles."""

    permission_classes = [HasRequiredPermissions]
    throttle_classes = THROTTLES
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonAnswers
    required_permissions: dict[str, tuple[str, ...]] = {"GET": (READ,)}


def _refused(errors: dict[str, Any]) -> ValidationError:
    """A 400 from Django form errors (``__all__`` becomes ``non_field_errors``)."""
    return ValidationError(
        {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in errors.items()
        }
    )


def _query_params(request: Request, serializer_class: type[serializers.Serializer]) -> Any:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Persons ----------------------------------------------------------------------------------


class PersonSearch(ApiView):
    """Find persons by what an operator knows of them."""

    @extend_schema(
        operation_id="persons_search",
        summary="Search persons",
        description="Persons matching `q`: a record id written `#1234567` or `id:1234567`, "
        "an e-mail address (exact), a phone number in any format, "
        '"Last, First", "First Last" (last-name prefix) or the start of a last name. Bare '
        "digits shorter than a phone number are a record id too; seven or more are a phone "
        f"number. At most {SEARCH_ROWS} persons, golden records and duplicates alike, in "
        "name order.",
        parameters=[s.PersonSearchQuerySerializer],
        responses=responses({200: s.PersonSearchSerializer}, refused=True),
    )
    @reads_from_replica
    def get(self, request: Request) -> Response:
        term = _query_params(request, s.PersonSearchQuerySerializer)["q"]
        # The order of the name index: a prefix search stops after the first rows it needs.
        found = list(
            person_search(term=term).order_by("last_name_key", "first_name_key", "zip5", "pk")[
                : SEARCH_ROWS + 1
            ]
        )
        return Response(
            s.PersonSearchSerializer(
                {"results": found[:SEARCH_ROWS], "has_more": len(found) > SEARCH_ROWS}
            ).data
        )


class PersonDetail(ApiView):
    """One person (golden record or linked duplicate) with phones, e-mails and addresses."""

    @extend_schema(
        operation_id="persons_retrieve",
        parameters=[ID],
        summary="A person with contact points",
        responses=responses({200: s.PersonDetailSerializer}, found=True),
    )
    @reads_from_replica
    def get(self, request: Request, pk: int) -> Response:
        person = get_object_or_404(
            Person.objects.prefetch_related("phone_numbers", "email_addresses", "addresses"),
            pk=pk,
        )
        duplicate_ids = []
        if not person.is_duplicate:
            duplicate_ids = list(
                Person.objects.filter(merged_into_id=person.pk, is_duplicate=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:DUPLICATE_IDS]
            )
        context = {"duplicate_ids": duplicate_ids}
        return Response(s.PersonDetailSerializer(person, context=context).data)


# --- Imports ----------------------------------------------------------------------------------


class KeysetPagination(CursorPagination):
    """DRF's cursor pages on a unique ordering (a pure keyset: no offsets); a cursor that
    cannot be read is a 400, like every refused parameter."""

    page_size = 50
    page_size_query_param = "rows"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        rows = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return int(rows.run_validation(raw))
        except ValidationError as error:
            raise ValidationError({"rows": error.detail}) from None

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {"cursor": ["The page cursor is not valid; start again from the first page."]}
            ) from None


class ImportPagination(KeysetPagination):
    ordering = "-id"


class SavedFilterPagination(KeysetPagination):
    ordering = "name"


PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="`next` of the previous page carries it."),
    OpenApiParameter("rows", {"type": "integer", "minimum": 1, "maximum": 200}),
]


def _runnable(batch: ImportBatch) -> bool:
    """A new import, or an unfinished one of the same file that stopped: run (or resume) it."""
    return bool(batch.schema_version) and batch.status in (
        ImportBatch.Status.PENDING,
        ImportBatch.Status.FAILED,
    )


class ImportList(ApiView):
    """Imports, newest first (keyset pages), and uploads that create them."""

    required_permissions = {"GET": (READ,), "POST": (IMPORT,)}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="imports_list",
        summary="Imports, newest first",
        parameters=PAGE_PARAMETERS,
        responses=responses({200: s.ImportPageSerializer}, refused=True),
    )
    @reads_from_replica
    def get(self, request: Request) -> Response:
        batches = ImportBatch.objects.select_related("source_file", "created_by")
        paginator = ImportPagination()
        page = paginator.paginate_queryset(batches, request, view=self)
        return paginator.get_paginated_response(s.ImportSummarySerializer(page, many=True).data)

    @extend_schema(
        operation_id="imports_create",
        summary="Upload a file and import it",
        description="Lands the file (SHA-256), reads its columns, resolves the mapping and "
        "queues the import; follow it at the returned URL. 201 with the new import — status "
        "`PENDING` (queued), `DUPLICATE_FILE` (these bytes were imported already; nothing "
        "runs) or `FAILED` (the file or its mapping cannot be read; `message` says why). 200 "
        "when an unfinished import of the same file with the same settings exists: it is "
        "resumed. Needs the import permission (operators).",
        request={"multipart/form-data": s.ImportCreateSerializer},
        responses=responses(
            {201: s.ImportDetailSerializer, 200: s.ImportDetailSerializer}, refused=True
        ),
    )
    def post(self, request: Request) -> Response:
        form = s.ImportCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        upload = data["file"]
        import_request = ImportRequest(
            source=data.get("source"),
            mapping=data.get("mapping"),
            profile=data.get("profile"),
            channel=data.get("channel"),
            campaign=data.get("campaign"),
            options={"sheet": data.get("sheet")},
            force=data["force"],
        )
        asked_at = timezone.now()
        try:
            with transaction.atomic():
                batch = import_file(
                    stream=upload, name=upload.name, request=import_request, user=request.user
                )
                is_new = batch.created_at >= asked_at
                _audit_upload(batch, request, is_new=is_new)
                if _runnable(batch):
                    batch_id = batch.pk
                    transaction.on_commit(lambda: import_run_task.delay(batch_id))
        except ImportRequestError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from None
        response = Response(
            _import_detail(batch), status=status.HTTP_201_CREATED if is_new else status.HTTP_200_OK
        )
        response["Location"] = request.build_absolute_uri(reverse("api-import", args=[batch.pk]))
        return response


def _audit_upload(batch: ImportBatch, request: Request, *, is_new: bool) -> None:
    """Audit an upload: the new import it created, or the unfinished one it resumes."""
    source_file = batch.source_file
    audit_record(
        actor=request.user,
        origin=AuditLog.Origin.API,
        action=AuditLog.Action.CREATE if is_new else AuditLog.Action.UPDATE,
        obj=batch,
        changes={
            "source": batch.source,
            "file": source_file.original_name if source_file else "",
            "sha256": source_file.sha256 if source_file else "",
            "status": batch.status,
            "channel": batch.channel,
            "campaign": batch.campaign.name if batch.campaign_id else "",  # type: ignore[union-attr]
            **({} if is_new else {"resumed": True}),
        },
    )


def _import_detail(batch: ImportBatch) -> dict[str, Any]:
    chunk_totals = batch.chunks.aggregate(
        chunks=Count("pk"),
        rows_read=Sum("rows_read"),
        accounted=Sum(
            F("inserted") + F("updated") + F("unchanged") + F("duplicates") + F("errors")
        ),
    )
    return s.ImportDetailSerializer(batch, context={"chunk_totals": chunk_totals}).data


class ImportDetail(ApiView):
    """One import's status."""

    @extend_schema(
        operation_id="imports_retrieve",
        parameters=[ID],
        summary="An import's status",
        description="Counts, reconciliation (every row read ends in exactly one outcome), "
        "the file's SHA-256, the validation checklist and the reports' URLs.",
        responses=responses({200: s.ImportDetailSerializer}, found=True),
    )
    @reads_from_replica
    def get(self, request: Request, pk: int) -> Response:
        batch = get_object_or_404(
            ImportBatch.objects.select_related("source_file", "created_by", "campaign"), pk=pk
        )
        return Response(_import_detail(batch))


class ImportReport(ApiView):
    """The reports an import writes when it ends."""

    @extend_schema(
        operation_id="imports_report",
        summary="Download a report of an import",
        description="`summary` (CSV: one line per chunk and a total), `errors` (CSV: every "
        "rejected row with the reason; personal data: needs the import permission, and each "
        "download is audited) or `checklist` (JSON: the validation checklist). Written when "
        "the import ends; 404 before.",
        parameters=[
            ID,
            OpenApiParameter(
                "kind", str, OpenApiParameter.PATH, enum=list(REPORT_TYPES), description="Report."
            ),
        ],
        responses=responses(
            {
                (200, "text/csv"): OpenApiResponse(
                    OpenApiTypes.BINARY, description="The report (the checklist in JSON)."
                ),
                (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            },
            found=True,
        ),
    )
    @reads_from_replica
    def get(self, request: Request, pk: int, kind: str) -> FileResponse:
        if kind not in REPORT_TYPES:
            raise NotFound(f"No report {kind!r}; choose summary, errors or checklist.")
        if kind == "errors" and not request.user.has_perm(IMPORT):
            # The rejected rows are personal data in bulk: importers only, as on the dashboard.
            raise PermissionDenied("Your role does not allow the error report.")
        batch = get_object_or_404(
            ImportBatch.objects.only("pk", "reports", "status", "source"), pk=pk
        )
        name = batch.reports.get(kind)
        storage = landing_storage()
        if not name or not storage.exists(name):
            raise NotFound(
                f"Import {batch.pk} has no {kind} report yet: it is written when the import ends."
            )
        if kind == "errors":
            audit_record(
                actor=request.user,
                origin=AuditLog.Origin.API,
                action=AuditLog.Action.EXPORT,
                obj=batch,
                changes={"downloaded": name, "report": kind},
            )
        content_type, extension = REPORT_TYPES[kind]
        return FileResponse(
            storage.open(name, "rb"),
            as_attachment=True,
            filename=f"import-{batch.pk}-{kind}.{extension}",
            content_type=content_type,
        )


# --- Priority lists ---------------------------------------------------------------------------


def _refuse_empty_typed(params: QueryDict) -> None:
    """An API caller leaves a number, date or campaign criterion out rather than sending it
    empty (a browser form sends every field; the schema says these hold a value)."""
    typed = (forms.IntegerField, forms.DateField, forms.ModelChoiceField)
    fields = criteria.ListCriteriaForm().fields
    empty = sorted(
        name
        for name, values in params.lists()
        if isinstance(fields.get(name), typed) and any(value == "" for value in values)
    )
    if empty:
        message = ["Give a value or leave the parameter out."]
        raise ValidationError(dict.fromkeys(empty, message))


def _list_page(
    request: Request, query: criteria.ListQuery, list_query: str, *, criteria_in_url: bool
) -> Response:
    """One keyset page of ``query`` with its estimate and the next page's URL (which repeats
    the criteria when they came in the query string)."""
    paging = _query_params(request, s.ListPageQuerySerializer)
    try:
        page = cached_page(query, cursor=paging.get("cursor") or None, rows=paging["rows"])
    except criteria.CriteriaError as error:
        raise ValidationError({"cursor": [str(error)]}) from None
    next_url = None
    if page.next_cursor:
        pairs = [(key, value) for key, values in QueryDict(list_query).lists() for value in values]
        if not criteria_in_url:
            pairs = []
        pairs += [("cursor", page.next_cursor), ("rows", str(paging["rows"]))]
        next_url = request.build_absolute_uri(f"{request.path}?{urlencode(pairs)}")
    return Response(
        s.ListPageSerializer(
            {
                "query": list_query,
                "sort": query.sort,
                "estimate": _estimate(query),
                "results": page.rows,
                "next_cursor": page.next_cursor,
                "next": next_url,
                "searched": page.searched,
            }
        ).data
    )


def _estimate(query: criteria.ListQuery) -> dict[str, Any]:
    size = estimate(query)
    return {"value": size.value, "exact": size.exact, "as_of": size.as_of, "label": size.label()}


def _criteria_query(params: QueryDict, form: criteria.ListCriteriaForm) -> str:
    """The criteria of a query string (no paging, nothing the form ignores), in a stable
    order."""
    kept = [
        (key, value)
        for key in sorted(params)
        if key in form.fields
        for value in params.getlist(key)
        if value
    ]
    return urlencode(kept)


LIST_DESCRIPTION = (
    "Golden records matching every criterion given, one keyset page at a time (`rows`, at "
    f"most {criteria.MAX_PAGE_ROWS}); follow `next` (or pass `next_cursor` as `cursor`) until "
    "it is null. `estimate` is the list's size: exact when small, else estimated from a "
    "summary without counting every row."
)


class ListRun(ApiView):
    """A priority list from criteria given in the query string."""

    @extend_schema(
        operation_id="lists_run",
        summary="Run ad-hoc priority-list criteria",
        description=LIST_DESCRIPTION + " Criteria are those of the dashboard's list builder.",
        parameters=[*criteria_parameters(), s.ListPageQuerySerializer],
        responses=responses({200: s.ListPageSerializer}, refused=True),
    )
    @reads_from_replica
    def get(self, request: Request) -> Response:
        _refuse_empty_typed(request.query_params)
        query, form = criteria.parse(request.query_params)
        if query is None:
            raise _refused(form.errors)
        list_query = _criteria_query(request.query_params, form)
        return _list_page(request, query, list_query, criteria_in_url=True)


class SavedFilterList(ApiView):
    """The named priority-list filters operators saved."""

    @extend_schema(
        operation_id="saved_filters_list",
        summary="Saved priority-list filters, by name",
        parameters=PAGE_PARAMETERS,
        responses=responses({200: s.SavedFilterPageSerializer}, refused=True),
    )
    @reads_from_replica
    def get(self, request: Request) -> Response:
        saved = SavedFilter.objects.select_related("created_by")
        paginator = SavedFilterPagination()
        page = paginator.paginate_queryset(saved, request, view=self)
        return paginator.get_paginated_response(s.SavedFilterSerializer(page, many=True).data)


class SavedFilterRun(ApiView):
    """The priority list of a saved filter."""

    @extend_schema(
        operation_id="saved_filters_run",
        summary="Run a saved filter",
        description=LIST_DESCRIPTION + " A saved filter whose criteria no longer validate "
        "(e.g. a campaign removed since) is refused with the reasons.",
        parameters=[ID, s.ListPageQuerySerializer],
        responses=responses({200: s.ListPageSerializer}, refused=True, found=True),
    )
    @reads_from_replica
    def get(self, request: Request, pk: int) -> Response:
        saved = get_object_or_404(SavedFilter, pk=pk)
        params = QueryDict(saved.query)
        query, form = criteria.parse(params)
        if query is None:
            raise _refused(form.errors)
        return _list_page(request, query, _criteria_query(params, form), criteria_in_url=False)


# --- Compliance -------------------------------------------------------------------------------


class ComplianceCheck(ApiView):
    """The point-of-use compliance decision for one person, channel and time.

    A GET that writes (every answer is stored): token authentication only, so that a page
    on another site cannot make a signed-in browser trigger it with its session cookie.
    """

    authentication_classes = [TokenAuthentication]

    @extend_schema(
        operation_id="compliance_check",
        summary="May we contact this person on this channel now?",
        description="The point-of-use gate: `ALLOW`, `BLOCK` (with every tag that applies) or "
        "`DEFER` (not now: calling hours, a holiday or a frequency cap; `next_allowed_at` "
        "says when), with the evidence. Every answer is stored. Token authentication only: "
        "a browser session is not accepted here.",
        parameters=[s.ComplianceCheckQuerySerializer],
        responses=responses({200: s.ComplianceDecisionSerializer}, refused=True, found=True),
    )
    def get(self, request: Request) -> Response:
        params = _query_params(request, s.ComplianceCheckQuerySerializer)
        at = params.get("at") or timezone.now()
        if not Person.objects.filter(pk=params["person"]).exists():
            raise NotFound(f"No person {params['person']}.")
        try:
            decision = may_contact(
                person_id=params["person"],
                channel=params["channel"],
                at=at,
                campaign_id=params.get("campaign"),
            )
        except ComplianceError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from None
        return Response(
            s.ComplianceDecisionSerializer(
                {
                    "person": params["person"],
                    "golden_id": decision.evidence.get("golden_id", params["person"]),
                    "channel": params["channel"],
                    "at": at,
                    "decision": decision.decision,
                    "allowed": decision.allowed,
                    "tags": decision.tags,
                    "next_allowed_at": decision.next_allowed_at,
                    "evidence": decision.evidence,
                }
            ).data
        )


def not_found(request: HttpRequest, path: str) -> JsonResponse:
    """Any other address under ``/api/``: a JSON 404, like every API error."""
    return JsonResponse(
        {"detail": "No such endpoint; the API is described at /api/docs/."}, status=404
    )


# --- Tokens -----------------------------------------------------------------------------------


class TokenObtain(APIView):
    """A user's API token for their username and password (created on first use)."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes = [AnonThrottle, LoginFailureThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="token_obtain",
        summary="Get your API token",
        description="Exchange a username and password for the user's token (created on first "
        "use, then always the same until replaced with `manage.py api_token USER --replace`). "
        "Attempts are limited per client address, and failed ones per username: after too "
        "many failures the username is refused (429) for a while, whatever the address.",
        auth=[],
        request=AuthTokenSerializer,
        responses={
            200: s.TokenSerializer,
            400: OpenApiResponse(s.VALIDATION_ERROR_SCHEMA, description="Wrong credentials."),
            429: OpenApiResponse(s.ErrorSerializer, description="Too many attempts."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            LoginFailureThrottle().failure_record(request, self)
            raise ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        token, _created = api_token_issue(user=user, by=user, origin=AuditLog.Origin.API)
        return Response(s.TokenSerializer({"token": token.key}).data)
