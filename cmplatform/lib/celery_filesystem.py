"""Kombu's filesystem transport (the embedded mode's Celery broker) with atomic message files.

Kombu's own ``_put`` creates ``<time>_<uuid>.<queue>.msg`` and then writes it, while a consumer
moves away any ``*.<queue>.msg`` it sees without waiting for the writer's lock: a consumer that
looks in between reads an empty file and the worker stops on a JSON error. Here a message is
written under a name no consumer takes (``.<name>.part``) and renamed into place, which is
atomic on one filesystem, so a consumer sees a message whole or not at all.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: Any, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(message)))
            os.replace(partial, final)
        except OSError as error:
            if os.path.exists(partial):
                os.unlink(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
