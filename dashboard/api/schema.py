"""OpenAPI pieces shared by the endpoints: error responses and the priority-list criteria as
query parameters (read from the list form itself, so the schema cannot drift from it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from dashboard.api.serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer
from dashboard.lists.criteria import ListCriteriaForm

REFUSED = OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Refused: the reasons per field.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Your role does not allow this.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object.")
THROTTLED = OpenApiResponse(ErrorSerializer, description="Too many requests; retry later.")
# Record ids in paths are positive (the URL patterns match digits only).
ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="Record id."
)


def responses(ok: dict[Any, Any], *, refused: bool = False, found: bool = False) -> dict:
    """The successful responses plus the errors every endpoint may answer."""
    errors: dict[Any, Any] = {401: UNAUTHENTICATED, 403: FORBIDDEN, 429: THROTTLED}
    if refused:
        errors[400] = REFUSED
    if found:
        errors[404] = NOT_FOUND
    return {**ok, **errors}


def _choice_values(field: forms.ChoiceField) -> list[str]:
    """The values a choice field accepts, the blank "any" left out."""
    choices = cast("Iterable[tuple[str, Any]]", field.choices)
    return [value for value, _label in choices if value]


def _criterion(name: str, field: forms.Field) -> OpenApiParameter:
    description = str(field.help_text or field.label or name.replace("_", " "))
    if isinstance(field, forms.ModelChoiceField):
        return OpenApiParameter(name, OpenApiTypes.INT, description=f"{description} (id)")
    if isinstance(field, forms.MultipleChoiceField):
        values = _choice_values(field)
        return OpenApiParameter(
            name,
            {"type": "array", "items": {"type": "string", "enum": values}},
            description=f"{description} (repeat for several)",
            explode=True,
        )
    if isinstance(field, forms.ChoiceField):
        return OpenApiParameter(name, str, enum=_choice_values(field), description=description)
    if isinstance(field, forms.IntegerField):
        schema: dict[str, Any] = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return OpenApiParameter(name, schema, description=description)
    if isinstance(field, forms.DateField):
        return OpenApiParameter(name, OpenApiTypes.DATE, description=description)
    return OpenApiParameter(name, str, description=description)


def criteria_parameters() -> list[OpenApiParameter]:
    """Every criterion of a priority list, as the list form validates it."""
    return [_criterion(name, field) for name, field in ListCriteriaForm().fields.items()]
