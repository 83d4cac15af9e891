"""The API's OpenAPI schema: generated without warnings, valid, served only to signed-in users,
and kept by every endpoint — schemathesis drives each operation in-process (the WSGI app on
the test database, seeded with real records) with generated valid and invalid requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.configuration
import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import close_old_connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cmplatform.core.models import Campaign, Person
from cmplatform.wsgi import application
from compliance.models import RegistryCoverage
from compliance.scrub import scrub_all
from compliance.services import reference_reload
from dashboard.models import SavedFilter
from ingestion.services import import_file, import_run
from tests.factories import email_create, person_create, phone_create, user_create

LEADS = (
    b"lead_id,First Name,Last Name,Phone,Email\n"
    b"L1,Ann,Lee,(432) 555-0100,ann@example.com\n"
    b"L2,Bill,Ortiz,(432) 555-0101,bill@example.com\n"
    b"L3,,,,\n"
)

# Every operation gets this many generated requests per mode (valid and invalid ones), the
# same ones on every run: about 300 requests in all, a few seconds.
EXAMPLES = 15
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.negative_data_rejection,
]


def test_schema_generates_without_warnings_and_validates(tmp_path: Path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in (
        "/api/token/",
        "/api/persons/",
        "/api/persons/{id}/",
        "/api/imports/",
        "/api/imports/{id}/",
        "/api/imports/{id}/reports/{kind}/",
        "/api/lists/",
        "/api/saved-filters/",
        "/api/saved-filters/{id}/run/",
        "/api/compliance/check/",
    ):
        assert f"  {path}:\n" in text, path


def test_schema_and_docs_are_served_to_signed_in_users_only(client_as: Any) -> None:
    anonymous = APIClient()
    assert anonymous.get("/api/schema/").status_code == 401
    viewer = client_as("viewer")
    schema = viewer.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "cmplatform API"
    docs = viewer.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI from our own static files: no CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs.content
    assert b"cdn." not in docs.content


@dataclass(frozen=True)
class Seeded:
    """Ids of the seeded records and an operator's API token."""

    token: str
    person: int
    import_batch: int
    saved_filter: int

    def fixed_values(self, path: str) -> dict[str, Any]:
        """Arguments of ``as_strategy`` that aim an operation at seeded records."""
        ids = {
            "/api/persons/{id}/": self.person,
            "/api/imports/{id}/": self.import_batch,
            "/api/imports/{id}/reports/{kind}/": self.import_batch,
            "/api/saved-filters/{id}/run/": self.saved_filter,
        }
        if path in ids:
            return {"path_parameters": {"id": ids[path]}}
        if path == "/api/compliance/check/":
            return {"query": {"person": self.person}}
        return {}


@pytest.fixture
def seeded(db: None, settings: Any) -> Iterator[Seeded]:
    """A few real records behind every endpoint: persons with contact points, a duplicate, a
    finished import with its reports, saved filters, registry data; no throttling."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
    }
    today = dt.date.today()
    RegistryCoverage.objects.create(kind="federal", scope="432", as_of=today, full_list_on=today)
    RegistryCoverage.objects.create(kind="state", scope="TX", as_of=today, full_list_on=today)
    reference_reload()
    batch = import_file(stream=ContentFile(LEADS), name="leads.csv")
    import_run(batch.pk)
    # An imported person (phones as the import classified them) with an address, an e-mail
    # of its own and a linked duplicate.
    golden = Person.objects.get(last_name="Lee")
    email_create(golden, "ann.lee@example.com")
    golden.addresses.create(street="1 Main St", city="Midland", state="TX", zip5="79701",
                            address_key="1 MAIN ST 79701")  # fmt: skip
    person_create(first_name="Ann", last_name="Lee", merged_into=golden, is_duplicate=True,
                  is_original=False)  # fmt: skip
    for n in range(5):
        phone_create(person_create(state="TX", score=10 * n), f"(432) 555-02{n:02d}", None)
    campaign = Campaign.objects.create(name="Permian Q3", campaign_type="mail")
    texas = SavedFilter.objects.create(name="Texas", query="state=TX&sort=-score")
    SavedFilter.objects.create(name="Campaign", query=f"campaign={campaign.pk}")
    scrub_all()
    operator = user_create("operator-api", "operator")
    yield Seeded(
        token=Token.objects.create(user=operator).key,
        person=golden.pk,
        import_batch=batch.pk,
        saved_filter=texas.pk,
    )
    reference_reload()


@pytest.fixture
def api_schema(seeded: Seeded) -> Iterator[Any]:
    """The schema as the app serves it, bound to the app itself (no network)."""
    # Hypothesis keeps caches on disk: under var/, not in the checkout.
    hypothesis.configuration.set_hypothesis_home_dir(Path(django_settings.VAR_DIR) / "hypothesis")
    # As Django's test client does: a request must not close the test's connection, whose
    # transaction holds the seeded records.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/",
            application,
            headers={"Authorization": f"Token {seeded.token}", "Accept": "application/json"},
        )
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_every_operation_answers_as_its_schema_says(
    api_schema: Any, seeded: Seeded, subtests: pytest.Subtests
) -> None:
    """Per operation: generated valid requests, generated invalid ones, and valid ones aimed
    at the seeded records; every answer must be documented (status, type, body, headers) and
    none a server error."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 11
    positive, negative = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
    for operation in operations:
        runs = [
            ("valid", operation.as_strategy(positive)),
            ("invalid", operation.as_strategy(negative)),
        ]
        fixed = seeded.fixed_values(operation.path)
        if fixed:
            runs.append(("valid, seeded records", operation.as_strategy(positive, **fixed)))
        checks = CHECKS
        if operation.label == "POST /api/imports/":
            # Form fields are strings on the wire: a boolean turned into the string "false"
            # (an "invalid" request) is byte for byte the valid boolean.
            checks = [c for c in CHECKS if c is not schemathesis.checks.negative_data_rejection]
        for name, strategy in runs:
            with subtests.test(operation=operation.label, requests=name):
                run_checks(strategy, seeded.token, checks)


def run_checks(strategy: Any, token: str, checks: list[Any]) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=strategy)
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=checks)

    answers_as_documented()
