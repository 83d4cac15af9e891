"""Who may call which endpoint, and how often.

Every endpoint names the permissions each of its methods needs (``required_permissions``);
the role groups grant them exactly as for the dashboard pages: viewers read, operators also
import. A request without credentials gets 401, a user lacking a permission 403.

Throttle rates are read when a request arrives (DRF's own classes copy them once, at import),
so ``API_THROTTLE_ANON``/``API_THROTTLE_USER`` and a changed ``REST_FRAMEWORK`` setting apply
as configured. The counters live in the default cache: Redis in production, shared by every
web process.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class HasRequiredPermissions(BasePermission):
    """The signed-in user holds every permission the view requires for the method.

    A method the view does not list only needs a signed-in user, so that an unsupported method
    answers 405 rather than 403.
    """

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        method = "GET" if request.method == "HEAD" else str(request.method)
        required: dict[str, tuple[str, ...]] = getattr(view, "required_permissions", {})
        return user.has_perms(required.get(method, ()))


class AnonThrottle(AnonRateThrottle):
    """Requests without credentials, counted per client address."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class UserThrottle(UserRateThrottle):
    """Requests of a signed-in user, counted per user."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


THROTTLES = [AnonThrottle, UserThrottle]
