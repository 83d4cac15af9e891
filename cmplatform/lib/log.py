"""Log formatting: timestamps in UTC, like everything the platform stores."""

import logging
import time


class UTCFormatter(logging.Formatter):
    """ISO-like UTC timestamps (``2026-11-23 20:14:03,512Z``) whatever the display zone."""

    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return super().formatTime(record, datefmt) + "Z"
