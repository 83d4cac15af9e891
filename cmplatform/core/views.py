"""Operational endpoints of the platform."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cmplatform.celery import app as celery_app

BROKER_TIMEOUT_SECONDS = 2


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_cache() -> str:
    key = f"healthz:{secrets.token_hex(8)}"
    cache.set(key, "ok", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "ok":
        raise RuntimeError("cache did not return the value just stored")
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _check_broker() -> str:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        return str(broker.transport.driver_type)  # "redis", "filesystem"


def _run(check: Callable[[], str]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        detail = check()
    except Exception as error:  # noqa: BLE001 - a health probe reports any failure
        return {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return {"ok": True, "backend": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Check the database, the cache and the Celery broker; 200 when all answer, else 503."""
    checks = {
        "database": _run(_check_database),
        "cache": _run(_check_cache),
        "broker": _run(_check_broker),
    }
    healthy = all(result["ok"] for result in checks.values())
    body = {
        "status": "ok" if healthy else "fail",
        "run_mode": settings.RUN_MODE,
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
        "landing_storage": str(settings.STORAGES["landing"]["BACKEND"]).rsplit(".", 1)[-1],
        "checks": checks,
    }
    return JsonResponse(body, status=200 if healthy else 503)
