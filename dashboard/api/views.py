"""REST API endpoints: thin shells over selectors and services."""

from __future__ import annotations

from typing import Any

from rest_framework import generics, serializers
from rest_framework.permissions import DjangoModelPermissions

from cmplatform.core.models import Person
from cmplatform.core.selectors import person_search

SEARCH_ROWS = 50


class ReadPermissions(DjangoModelPermissions):
    """Reading needs the model's view permission (viewers have it); anonymous is refused."""

    perms_map = {**DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = [
            "id", "first_name", "middle_name", "last_name", "suffix", "state", "county", "zip5",
            "lead_status", "score", "source", "is_duplicate", "merged_into",
            "call_status", "sms_status", "email_status", "mail_status", "updated_at",
        ]  # fmt: skip


class PersonSearch(generics.ListAPIView):
    """Persons matching ``q``: an e-mail, a phone in any format, a record id or a name."""

    serializer_class = PersonSerializer
    permission_classes = [ReadPermissions]
    queryset = Person.objects.none()

    def get_queryset(self) -> Any:
        term = self.request.query_params.get("q", "")
        if not term.strip():
            return Person.objects.none()
        return person_search(term=term).order_by("is_duplicate", "pk")[:SEARCH_ROWS]
