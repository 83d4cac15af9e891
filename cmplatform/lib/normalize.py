"""Match keys shared by the models, the bulk path and entity resolution.

A match key is what two spellings of the same value have in common. They are computed once,
stored in indexed columns, and must be computed identically everywhere: the ORM (model
``clean``/``save``), the bulk upsert and the resolver all call these functions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from cmplatform.lib.hygiene.emails import normalize_email
from cmplatform.lib.hygiene.phones import normalize_phone

_NOT_LETTER = re.compile(r"[^A-Z]")
_NOT_DIGIT = re.compile(r"[^0-9]")

# Real files repeat names heavily (a few thousand surnames cover most people), so a bounded
# cache turns most calls into a dict lookup.
_CACHE_SIZE = 200_000


@lru_cache(maxsize=_CACHE_SIZE)
def name_key(value: str) -> str:
    """Upper-case ASCII letters only: ``"O'Brien-Núñez "`` → ``"OBRIENNUNEZ"``."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTER.sub("", ascii_only.upper())


def email_key(value: str) -> str:
    """The stored form of an e-mail address: the hygiene normaliser's (trimmed, lower-cased,
    ``mailto:`` and angle brackets removed), or the trimmed lower-cased text when it is not a
    valid address, so that the ORM, search and the bulk path agree on one key."""
    return normalize_email(value).email or value.strip().lower()


def phone_number_key(*, raw: str, e164: str | None) -> str:
    """The per-person natural key of a phone number: its E.164 form when it parsed, else the
    digits of what was given (or the trimmed raw text when it has no digits), so an invalid
    number is kept, deduplicated and never confused with a valid one."""
    if e164:
        return e164
    digits = _NOT_DIGIT.sub("", raw)
    return f"x{digits}" if digits else f"x{raw.strip()[:60]}"


def phone_to_e164(raw: str, *, region: str = "US") -> str | None:
    """E.164 form of a phone number written in any common way, or ``None`` if it is not a
    valid number (``"(405) 555-0123"`` → ``"+14055550123"``)."""
    return normalize_phone(raw, region).e164
