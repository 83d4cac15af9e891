"""Helpers shared by the hygiene normalisers: turning a source cell into text, cache sizes."""

from __future__ import annotations

import re

# One bound for every per-value cache. Real files repeat values heavily (a few thousand first
# names and surnames, a few hundred cities, one date per mail drop), so a small cache catches
# most repeats; values that hardly repeat (full names, street lines, time stamps) gain little
# from a larger one. Measured: with every cache of the package full, 20k entries each hold
# about 60 MB (100k entries: 306 MB), well inside the ingest worker's 500 MB (DESIGN.md §6).
CACHE_SIZE = 20_000

# C0 controls, DEL and the C1 range: NULs, Ctrl-Z, stray CR/LF left behind by old imports.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_WHITESPACE_RUN = re.compile(r"\s+")


def cell_text(value: object) -> str:
    """The text of a source cell: ``None`` → ``""``; an integral float from a spreadsheet
    (``73102.0``) → ``"73102"``; anything else through ``str``. Never raises."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        # a True/False cell is never a name, phone or ZIP: keep its text so the caller sees it
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def collapse_whitespace(text: str) -> str:
    """``text`` with control characters replaced by a space, inner whitespace runs collapsed to
    one space and the ends trimmed (``" John\\x00  A "`` → ``"John A"``)."""
    if text.isprintable() and "  " not in text and text == text.strip():
        return text  # the common case costs three C-level scans and no allocation
    return _WHITESPACE_RUN.sub(" ", _CONTROL_CHARACTERS.sub(" ", text)).strip()
