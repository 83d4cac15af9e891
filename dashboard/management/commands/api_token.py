"""Print a user's API token, creating it when missing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cmplatform.core.models import AuditLog
from dashboard.api.tokens import api_token_issue


class Command(BaseCommand):
    help = (
        "Print the API token of USERNAME (send it as 'Authorization: Token <key>'), creating "
        "it when the user has none; --replace revokes the current key and issues a new one. "
        "A created or replaced token is audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--replace", action="store_true", help="revoke the current key and issue a new one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: options["username"]}).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        if not user.is_active:
            raise CommandError(f"User {options['username']!r} is inactive: no token for it.")
        token, created = api_token_issue(
            user=user, by=None, origin=AuditLog.Origin.COMMAND, replace=options["replace"]
        )
        if created:
            self.stderr.write(f"Issued a new API token for {user.get_username()!r}.")
        self.stdout.write(token.key)
