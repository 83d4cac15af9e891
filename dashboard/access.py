"""Who may open which page: every dashboard view is wrapped in :func:`page_requires`.

Anonymous visitors are sent to the login page; a signed-in user without the permission gets
403. Permissions come from the three role groups (``cmplatform.core.roles``): viewers read,
operators also upload, export, merge/unmerge and review, admins may do everything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from cmplatform.core.roles import ADMIN, OPERATOR, VIEWER

# The read permission every dashboard page needs: viewers have it.
READ = "core.view_person"
IMPORT = "core.import_persons"
EXPORT = "core.export_persons"
MERGE = "core.merge_persons"
REVIEW = "compliance.change_suppression"
SAVE_FILTER = "dashboard.add_savedfilter"

View = Callable[..., HttpResponseBase]


def page_requires(*permissions: str) -> Callable[[View], View]:
    """Require a signed-in user holding every one of ``permissions``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perms(permissions):
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        wrapper.required_permissions = permissions  # type: ignore[attr-defined]
        return wrapper

    return decorate


def role_of(user: Any) -> str:
    """The highest role a user holds, for display ('' for none)."""
    if not user.is_authenticated:
        return ""
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in (ADMIN, OPERATOR, VIEWER) if role in names), "")
