"""Create (or update) a user in one of the roles."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cmplatform.core.roles import ROLES
from cmplatform.core.services import user_assign_role
from cmplatform.lib import env

GENERATED_PASSWORD_BYTES = 12


class Command(BaseCommand):
    help = (
        "Create a user in a role (admin, operator, viewer), or move an existing user to it. "
        "The password comes from --password-env or --password-file; without either a random "
        "one is generated and printed once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--email", default="")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--password-env", metavar="VARIABLE", help="read it from this variable")
        source.add_argument("--password-file", metavar="PATH", help="read it from this file")

    def handle(self, *args: Any, **options: Any) -> None:
        password, generated = self._password(options)
        try:
            user, created = user_assign_role(
                username=options["username"],
                role=options["role"],
                email=options["email"],
                password=password,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {options['role']} user {user.get_username()!r}.")
        if generated:
            self.stdout.write(f"Password: {password}")

    def _password(self, options: dict[str, Any]) -> tuple[str, bool]:
        if options["password_env"]:
            value = env.optional(options["password_env"])
            if value is None:
                raise CommandError(f"The variable {options['password_env']} is not set.")
            return value, False
        if options["password_file"]:
            try:
                with open(options["password_file"], encoding="utf-8") as handle:
                    value = handle.read().strip()
            except OSError as error:
                raise CommandError(f"Cannot read the password file: {error}") from None
            if not value:
                raise CommandError("The password file is empty.")
            return value, False
        return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES), True
