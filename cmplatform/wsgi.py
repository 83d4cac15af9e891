"""WSGI entry point (plain HTTP only; use the ASGI app for WebSockets)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmplatform.settings")

application = get_wsgi_application()

from cmplatform.lib.runtime import freeze_after_startup  # noqa: E402

freeze_after_startup()
