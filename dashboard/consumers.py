"""WebSocket consumers: forward what services publish (a topic's last message first)."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache

from cmplatform.lib.progress import progress_group, progress_last_key
from dashboard.access import READ

logger = logging.getLogger(__name__)


class ProgressConsumer(AsyncJsonWebsocketConsumer):
    """Streams ``progress.update`` messages of one topic (``/ws/progress/<topic>/``) to a
    signed-in user who may read the dashboard. Anonymous connections are refused with 4401,
    users without the read permission (no role) with 4403. The topic's last message, when
    there is one, is sent first (a newer one may follow; the browser ignores older figures)."""

    group_name: str

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await database_sync_to_async(user.has_perm)(READ):
            await self.close(code=4403)
            return
        self.group_name = progress_group(self.scope["url_route"]["kwargs"]["topic"])
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        try:
            last = await cache.aget(progress_last_key(self.group_name))
        except Exception:
            # Without the cache the socket still forwards what comes next.
            logger.warning("No last message for %s", self.group_name, exc_info=True)
            last = None
        if last is not None:
            await self.progress_update(last)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def progress_update(self, event: dict[str, Any]) -> None:
        await self.send_json({key: value for key, value in event.items() if key != "type"})
