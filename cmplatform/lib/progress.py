"""Live progress of long jobs, published to a Channels group per job.

Services call :func:`progress_publish` after a unit of work has committed; the dashboard's
consumer only forwards what arrives. Publishing never fails the job: progress is advisory,
the job's row in the database is the truth (a browser that missed messages reloads it).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "progress.update"
_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def progress_group(topic: str) -> str:
    """The Channels group name of a topic such as ``import.42`` (group names are restricted)."""
    return "progress." + _GROUP_UNSAFE.sub("-", topic)[:80]


def progress_publish(
    *, topic: str, done: int, total: int | None, rate: float, **extra: Any
) -> None:
    """Send ``{done, total, rate, percent, eta_seconds, **extra}`` to the topic's group."""
    layer = get_channel_layer()
    if layer is None:
        return
    percent = round(100.0 * done / total, 1) if total else None
    remaining = (total - done) if total else None
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
    try:
        async_to_sync(layer.group_send)(progress_group(topic), payload)
    except Exception:
        logger.warning("Could not publish progress for %s", topic, exc_info=True)
