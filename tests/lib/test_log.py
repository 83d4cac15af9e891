import logging

from cmplatform.lib.log import UTCFormatter


def test_timestamps_are_utc_whatever_the_local_zone():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.created = 0.0  # the epoch: 1970-01-01 00:00:00 UTC
    record.msecs = 0.0
    formatted = UTCFormatter("%(asctime)s %(message)s").format(record)
    assert formatted == "1970-01-01 00:00:00,000Z hello"
