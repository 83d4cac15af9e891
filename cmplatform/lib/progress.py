"""Live progress of long jobs, published to a Channels group per job.

Services call :func:`progress_publish` after a unit of work has committed; the dashboard's
consumer forwards what arrives. The last message of a topic is also kept in the cache for a
day, and a socket that opens later is sent it first: a browser that connects after the last
chunk (a short job, a slow page) still hears the outcome. Publishing never fails the job:
progress is advisory, the job's row in the database is the truth (a browser that missed
messages reloads it).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "progress.update"
_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
LAST_MESSAGE_SECONDS = 24 * 3600


def progress_group(topic: str) -> str:
    """The Channels group name of a topic such as ``import.42`` (group names are restricted)."""
    return "progress." + _GROUP_UNSAFE.sub("-", topic)[:80]


def progress_last_key(group: str) -> str:
    """The cache key of the last message sent to a group, per database: a cache shared with
    another (or a recreated) database never replays that database's import of the same id."""
    return f"progress-last:{settings.DATABASES['default']['NAME']}:{group}"


def progress_publish(
    *, topic: str, done: int, total: int | None, rate: float, **extra: Any
) -> None:
    """Send ``{done, total, rate, percent, eta_seconds, **extra}`` to the topic's group.
    ``total`` is an estimate: past it, the percent stays at 100 and the ETA at 0."""
    layer = get_channel_layer()
    if layer is None:
        return
    percent = min(round(100.0 * done / total, 1), 100.0) if total else None
    remaining = max(total - done, 0) if total else None
    eta = round(remaining / rate, 1) if remaining is not None and rate > 0 else None
    payload = {
        "type": MESSAGE_TYPE,
        "topic": topic,
        "done": done,
        "total": total,
        "rate": round(rate, 1),
        "percent": percent,
        "eta_seconds": eta,
        **extra,
    }
    group = progress_group(topic)
    try:
        cache.set(progress_last_key(group), payload, LAST_MESSAGE_SECONDS)
        async_to_sync(layer.group_send)(group, payload)
    except Exception:
        logger.warning("Could not publish progress for %s", topic, exc_info=True)
