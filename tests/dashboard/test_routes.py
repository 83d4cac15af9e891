"""Every route of the dashboard and the API, walked as anonymous, viewer, operator and admin.

The table below is the product's access rule, written independently of the views: a route
missing from it fails the test (classify it), and any role below a route's minimum that gets
anything but a refusal fails it too. At or above the minimum, the request must not be refused
(it may still be a 400 or 404 for the placeholder arguments used here).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from tests.factories import person_create, user_create

pytestmark = pytest.mark.django_db

PUBLIC, VIEWER, OPERATOR, ADMIN = 0, 1, 2, 3
ROLES = {"anonymous": 0, "viewer": VIEWER, "operator": OPERATOR, "admin": ADMIN}

# name → (method, minimum role)
ROUTES: dict[str, tuple[str, int]] = {
    "healthz": ("GET", PUBLIC),
    "login": ("GET", PUBLIC),
    "logout": ("POST", PUBLIC),
    "api-token": ("POST", PUBLIC),
    "api-schema": ("GET", VIEWER),
    "api-docs": ("GET", VIEWER),
    "api-persons": ("GET", VIEWER),
    "api-person": ("GET", VIEWER),
    "api-imports": ("GET", VIEWER),
    "api-imports:POST": ("POST", OPERATOR),
    "api-import": ("GET", VIEWER),
    "api-import-report": ("GET", VIEWER),
    "api-import-report:errors": ("GET", OPERATOR),
    "api-lists": ("GET", VIEWER),
    "api-saved-filters": ("GET", VIEWER),
    "api-saved-filter-run": ("GET", VIEWER),
    "api-compliance-check": ("GET", VIEWER),
    "api-not-found": ("GET", PUBLIC),
    "dashboard:home": ("GET", VIEWER),
    "dashboard:imports:list": ("GET", VIEWER),
    "dashboard:imports:upload": ("GET", OPERATOR),
    "dashboard:imports:upload_create": ("POST", OPERATOR),
    "dashboard:imports:upload_status": ("GET", OPERATOR),
    "dashboard:imports:upload_part": ("POST", OPERATOR),
    "dashboard:imports:upload_finish": ("POST", OPERATOR),
    "dashboard:imports:upload_discard": ("POST", OPERATOR),
    "dashboard:imports:mapping": ("GET", OPERATOR),
    "dashboard:imports:start": ("POST", OPERATOR),
    "dashboard:imports:detail": ("GET", VIEWER),
    "dashboard:imports:status": ("GET", VIEWER),
    "dashboard:imports:error_report": ("GET", OPERATOR),
    "dashboard:imports:report": ("GET", VIEWER),
    "dashboard:imports:replay": ("POST", OPERATOR),
    "dashboard:imports:cancel": ("POST", OPERATOR),
    "dashboard:imports:resume": ("POST", OPERATOR),
    "dashboard:lists:builder": ("GET", VIEWER),
    "dashboard:lists:count": ("GET", VIEWER),
    "dashboard:lists:save": ("POST", OPERATOR),
    "dashboard:lists:saved": ("GET", VIEWER),
    "dashboard:lists:saved_rename": ("POST", OPERATOR),
    "dashboard:lists:saved_delete": ("POST", OPERATOR),
    "dashboard:lists:exports": ("GET", OPERATOR),
    "dashboard:lists:export": ("POST", OPERATOR),
    "dashboard:lists:export_detail": ("GET", OPERATOR),
    "dashboard:lists:export_download": ("GET", OPERATOR),
    "dashboard:leads:search": ("GET", VIEWER),
    "dashboard:leads:detail": ("GET", VIEWER),
    "dashboard:leads:merge": ("GET", OPERATOR),
    "dashboard:leads:merge:POST": ("POST", OPERATOR),
    "dashboard:leads:unmerge": ("POST", OPERATOR),
    "dashboard:oversight:compliance": ("GET", VIEWER),
    "dashboard:oversight:review-decide": ("POST", OPERATOR),
    "dashboard:oversight:audit": ("GET", VIEWER),
    "dashboard:oversight:audit-export": ("GET", OPERATOR),
}
# Extra requests of a route beyond its own name (a second method, a restricted argument).
VARIANTS = {
    "api-imports:POST": "api-imports",
    "api-import-report:errors": "api-import-report",
    "dashboard:leads:merge:POST": "dashboard:leads:merge",
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            found += _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = namespace + (pattern.name or "")
            found.append((name or "api-not-found", prefix + str(pattern.pattern)))
    return found


def routes() -> dict[str, str]:
    """Every route outside the operations console (Django admin has its own permissions and
    tests), name → pattern."""
    return {
        name: pattern
        for name, pattern in _walk(get_resolver().url_patterns)
        if not name.startswith("admin:")
    }


def test_every_route_is_classified():
    assert sorted(set(routes()) - set(ROUTES)) == []
    assert sorted(set(ROUTES) - set(routes()) - set(VARIANTS)) == []


def _url(pattern: str, arguments: dict[str, str], name: str) -> str:
    path = "/" + pattern
    if name == "api-not-found":
        return "/api/no-such-endpoint/"
    for key, value in arguments.items():
        path = path.replace(f"<int:{key}>", value).replace(f"<str:{key}>", value)
    if "^" in path or "<" in path:
        raise AssertionError(f"No placeholder argument for {pattern}")
    return path


def _refused(response: Any) -> bool:
    """A refusal: 401/403, or the dashboard's redirect to the login page."""
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and response["Location"].startswith("/login/")


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_gets_exactly_the_routes_it_may_use(role):
    person = person_create()
    arguments = {
        "pk": str(person.pk),
        "person_id": str(person.pk),
        "batch_id": "999999",
        "filter_id": "999999",
        "export_id": "999999",
        "suppression_id": "999999",
        "upload_id": "0" * 32,
        "kind": "summary",
    }
    user = None if role == "anonymous" else user_create(f"walker-{role}", role)
    client = _client(user)
    headers: dict[str, str] = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=user).key}"
    patterns = routes()
    unexpected = []
    for entry, (method, minimum) in ROUTES.items():
        name = VARIANTS.get(entry, entry)
        kind = "errors" if entry.endswith(":errors") else "summary"
        url = _url(patterns[name], {**arguments, "kind": kind}, name)
        # Logging out ends the session the other requests need: its own client.
        caller = _client(user) if name == "logout" else client
        request = caller.post if method == "POST" else caller.get
        response = request(url, **(headers if name.startswith("api-") else {}))
        allowed = ROLES[role] >= minimum
        # The login page is where a public route such as logout may send anyone.
        refused = _refused(response) if minimum > PUBLIC else response.status_code in (401, 403)
        if allowed == refused:
            expected = "allowed" if allowed else "refused"
            unexpected.append(f"{entry} {method} {url}: {response.status_code}, {expected}?")
    assert unexpected == []
