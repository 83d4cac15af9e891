"""The embedded mode's in-memory channel layer, safe to publish to from another thread.

Channels' ``InMemoryChannelLayer`` keeps each channel's messages in an ``asyncio.Queue`` of the
server's event loop. A Celery worker thread of the same process (``manage.py serve``) publishes
progress through ``async_to_sync``, on an event loop of its own: its ``put_nowait`` wakes the
consumer waiting on the queue from the wrong thread, which asyncio does not notice, so the
message waits until something else wakes the server's loop (on an idle server: never).
:class:`ThreadSafeInMemoryChannelLayer` runs ``send`` and ``group_send`` on the loop that
receives (the one its consumers wait on) when they are called from another, running thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer

# A publisher gives up (and its caller logs it) rather than wait on a loop that stopped.
HANDOVER_SECONDS = 5.0


class ThreadSafeInMemoryChannelLayer(InMemoryChannelLayer):
    """See the module docstring."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owner: asyncio.AbstractEventLoop | None = None

    def _foreign_owner(self) -> asyncio.AbstractEventLoop | None:
        """The receiving loop, when the caller runs on another one and it still runs."""
        owner = self._owner
        if owner is None or owner.is_closed() or not owner.is_running():
            return None
        return None if owner is asyncio.get_running_loop() else owner

    async def _on_owner(self, coroutine: Any) -> Any:
        owner = self._foreign_owner()
        if owner is None:
            return await coroutine
        future = asyncio.run_coroutine_threadsafe(coroutine, owner)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), HANDOVER_SECONDS)
        finally:
            future.cancel()

    async def receive(self, channel: str) -> Any:
        self._owner = asyncio.get_running_loop()
        return await super().receive(channel)

    async def group_add(self, group: str, channel: str) -> None:
        self._owner = asyncio.get_running_loop()
        await super().group_add(group, channel)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._on_owner(super().send(channel, message))

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._on_owner(super().group_send(group, message))
