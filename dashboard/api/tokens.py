"""API tokens: one per user (``Authorization: Token <key>``), issued by ``manage.py api_token``
or by ``POST /api/token/`` with a username and password."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.authtoken.models import Token

from cmplatform.core.models import AuditLog
from cmplatform.core.services import Actor, audit_record


@transaction.atomic
def api_token_issue(
    *, user: Any, by: Actor, origin: str, replace: bool = False
) -> tuple[Token, bool]:
    """The user's API token, created when missing (or replaced by a new key when ``replace``);
    returns ``(token, created)``. A created or replaced token is audited on the user; the key
    itself never enters the audit log."""
    existing = Token.objects.select_for_update().filter(user=user).first()
    if existing is not None and not replace:
        return existing, False
    before = None
    if existing is not None:
        existing.delete()
        before = f"issued {existing.created:%Y-%m-%d %H:%M} UTC, revoked"
    token = Token.objects.create(user=user)
    audit_record(
        actor=by,
        origin=origin,
        action=AuditLog.Action.UPDATE,
        obj=user,
        changes={"api_token": [before, f"issued {token.created:%Y-%m-%d %H:%M} UTC"]},
    )
    return token, True
