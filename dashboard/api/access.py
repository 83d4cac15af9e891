"""Who may call which endpoint, and how often.

Every endpoint names the permissions each of its methods needs (``required_permissions``);
the role groups grant them exactly as for the dashboard pages: viewers read, operators also
import. A request without credentials gets 401, a user lacking a permission 403.

Throttle rates are read when a request arrives (DRF's own classes copy them once, at import),
so ``API_THROTTLE_ANON``/``API_THROTTLE_USER``/``API_THROTTLE_LOGIN`` and a changed
``REST_FRAMEWORK`` setting apply as configured. An anonymous client is known by the address
the trusted proxies report (``NUM_PROXIES``, from ``API_TRUSTED_PROXIES``), never by what it
writes in ``X-Forwarded-For`` itself. The counters live in the default cache: Redis in
production, shared by every web process.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


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


class LoginFailureThrottle(SimpleRateThrottle):
    """Failed token logins, counted per username whatever address they come from: guessing
    one account's password from many addresses (or behind forged headers) meets this limit.

    Only failures count (the view calls :meth:`failure_record`). Once a username has as many
    failures as the ``login`` rate allows within its period, every login as that user is
    refused with 429, the right password too, until the oldest failure ages out.
    """

    scope = "login"

    def get_rate(self) -> str | None:
        # No ``login`` rate configured: no limit per username.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        data = request.data
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        # Case-folded: MariaDB compares usernames without case, so "Ann" is "ann" there.
        # Hashed: a short key, and no username in the cache.
        ident = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def _recent_failures(self, request: Request, view: Any) -> bool:
        """Load the username's failures within the period; ``False`` when none are counted."""
        if self.rate is None:
            return False
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return False
        self.now = self.timer()
        self.history = [
            moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration
        ]
        return True

    def allow_request(self, request: Request, view: Any) -> bool:
        if not self._recent_failures(request, view):
            return True
        return len(self.history) < self.num_requests

    def failure_record(self, request: Request, view: Any) -> None:
        """Count a failed login of the username ``request`` posted."""
        if self._recent_failures(request, view):
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)


THROTTLES = [AnonThrottle, UserThrottle]
