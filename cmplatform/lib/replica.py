"""Read-replica routing for dashboard reads.

With ``READ_REPLICA_URL`` set, settings add a ``replica`` database alias and this router.
Reads go to the replica only inside :func:`replica_reads` (dashboard list pages, counts and
look-ups wrap themselves in it); everything else, including every read a service makes before
it writes, stays on the primary, so nobody reads their own write from a lagging replica.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

REPLICA_ALIAS = "replica"
_use_replica: contextvars.ContextVar[bool] = contextvars.ContextVar("use_replica", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_reads() -> Iterator[None]:
    """Route the ORM reads made inside the block to the replica, when one is configured."""
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """Decorate a read-only view: its queries go to the replica when one is configured."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Send reads inside :func:`replica_reads` to ``replica``; writes always to ``default``."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        # Settings install this router only when they define the replica alias.
        return REPLICA_ALIAS if _use_replica.get() else None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data (the replica is a copy of the primary).
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == "default"
