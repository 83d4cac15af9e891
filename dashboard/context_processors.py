"""Template context shared by every dashboard page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dashboard import access


def dashboard(request: HttpRequest) -> dict[str, Any]:
    """The user's role and what their role may do, for the navigation and the buttons."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {
        "role": access.role_of(user),
        "may_import": user.has_perm(access.IMPORT),
        "may_export": user.has_perm(access.EXPORT),
        "may_merge": user.has_perm(access.MERGE),
        "may_review": user.has_perm(access.REVIEW),
        "may_save_filter": user.has_perm(access.SAVE_FILTER),
    }
