"""Log formatting: timestamps in UTC, like everything the platform stores."""

import logging
import time


class UTCFormatter(logging.Formatter):
    """UTC timestamps (``2026-11-23 20:14:03,512Z``) whatever the display zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        text = time.strftime(datefmt or "%Y-%m-%d %H:%M:%S", time.gmtime(record.created))
        return f"{text},{int(record.msecs):03d}Z"
