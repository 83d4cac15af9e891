"""Read-replica routing for dashboard reads.

With ``READ_REPLICA_URL`` set, settings add a ``replica`` database alias and this router.
Reads go to the replica only inside :func:`replica_reads` (dashboard list pages, counts and
look-ups wrap themselves in it); everything else, including every read a service makes before
it writes, stays on the primary.

A replica lags its primary. So that nobody reads the past after their own change (a merge, a
review decision, an upload), a user whose request changed something (any successful request
that is not GET/HEAD/OPTIONS, through the pages or the API) reads from the primary for the next
``REPLICA_MAX_LAG_SECONDS``: :class:`ReadYourWritesMiddleware` pins them, in the shared cache,
and every request of a pinned user skips the replica. Cached list pages and counts are not
stored in that window after a data generation changed either (``cmplatform.lib.generation``),
so a lagging read is never cached as the new generation.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.http.response import HttpResponseBase

REPLICA_ALIAS = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("use_replica", default=False)
# Set per request: this user changed something within the replica's lag.
_primary_only: contextvars.ContextVar[bool] = contextvars.ContextVar("primary_only", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def replica_configured() -> bool:
    return bool(settings.READ_REPLICA_URL)


def _pin_key(user_id: Any) -> str:
    return f"replica:primary-pin:{user_id}"


def primary_pin(user_id: Any) -> None:
    """Send ``user_id``'s reads to the primary for the replica's maximum lag."""
    if replica_configured():
        cache.set(_pin_key(user_id), 1, settings.REPLICA_MAX_LAG_SECONDS)


def primary_pinned(user_id: Any) -> bool:
    return replica_configured() and cache.get(_pin_key(user_id)) is not None


@contextmanager
def replica_reads() -> Iterator[None]:
    """Route the ORM reads made inside the block to the replica, when one is configured and
    the request's user has not just changed something."""
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Keep the reads inside the block on the primary, even within :func:`replica_reads`."""
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


def _request_user_pinned(arguments: tuple[Any, ...]) -> bool:
    """Whether the view's request (a Django or DRF request among ``arguments``) belongs to a
    pinned user. A DRF request authenticates its token here, as the view would."""
    if not replica_configured():
        return False
    request = next((a for a in arguments if hasattr(a, "method") and hasattr(a, "user")), None)
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and primary_pinned(user.pk))


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """Decorate a read-only view: its queries go to the replica when one is configured (to
    the primary for a user who just changed something)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            if _request_user_pinned(args):
                with primary_reads():
                    return view(*args, **kwargs)
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Send reads inside :func:`replica_reads` to ``replica``; writes always to ``default``."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        # Settings install this router only when they define the replica alias.
        return REPLICA_ALIAS if _use_replica.get() and not _primary_only.get() else None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data (the replica is a copy of the primary).
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == "default"


def _pinned(request: HttpRequest) -> bool:
    """Whether this request's (session) user changed something within the lag."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and primary_pinned(user.pk))


def _after(request: HttpRequest, response: HttpResponseBase) -> None:
    if request.method in SAFE_METHODS or response.status_code >= 400:
        return
    # a DRF view sets the request's user to the token's user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        primary_pin(user.pk)


class ReadYourWritesMiddleware:
    """See the module docstring. Does nothing without a replica. After the authentication
    middleware."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        if not replica_configured():
            return self.get_response(request)
        # set, not reset: the later reads of a streamed response keep it
        _primary_only.set(_pinned(request))
        response: HttpResponseBase = self.get_response(request)
        _after(request, response)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        respond: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        if not replica_configured():
            return await respond(request)
        _primary_only.set(await sync_to_async(_pinned)(request))
        response = await respond(request)
        await sync_to_async(_after)(request, response)
        return response
