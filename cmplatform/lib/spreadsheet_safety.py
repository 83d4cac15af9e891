"""Cells safe to open in a spreadsheet: text that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return first) gets a leading apostrophe (OWASP's
CSV-injection advice), so an exported name like ``=HYPERLINK(...)`` stays text. A plain signed
number (``+14325550100``, ``-12.5``) is no formula and is left as it is."""

from __future__ import annotations

import re
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]\d+(?:\.\d+)?")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe when it is text that starts like a formula."""
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_STARTS)
        and not _SIGNED_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
