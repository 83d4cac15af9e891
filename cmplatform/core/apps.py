from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """The canonical source-of-truth schema (app label ``core``)."""

    name = "cmplatform.core"
    label = "core"
    verbose_name = "Source of truth"

    def ready(self) -> None:
        from cmplatform.core import checks  # noqa: F401  (registers the system checks)

        # Like Django's own permission creation: after every migrate, the roles take in the
        # permissions of models that the migrations added.
        post_migrate.connect(_sync_roles_after_migrate, sender=self)

        from cmplatform.lib.expressions import register_sqlite_functions

        # Aggregates SQLite lacks (BIT_OR), on every connection, as Django adds its own.
        connection_created.connect(register_sqlite_functions, dispatch_uid="cmp_sqlite_functions")

        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            # The file-based queue and result store expect their folders to exist, in every
            # process that publishes (web, commands) or consumes (workers).
            Path(settings.CELERY_QUEUE_DIR).mkdir(parents=True, exist_ok=True)
            Path(settings.CELERY_RESULTS_DIR).mkdir(parents=True, exist_ok=True)


def _sync_roles_after_migrate(*, using: str, **kwargs: Any) -> None:
    from cmplatform.core.roles import sync_roles

    sync_roles(using=using)
