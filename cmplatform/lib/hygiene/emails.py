"""E-mail addresses: trimmed, lower-cased, syntax-checked, placeholders recognised.

``normalize_email(" <John.Smith@Gmail.COM> ")`` → ``EmailResult(email="john.smith@gmail.com",
is_valid=True, ...)``.

Steps, in order:

1. **Clean**: trim; drop a ``mailto:`` prefix; keep only the address of ``Name <address>`` or
   ``<address>``; lower-case the whole address (the domain is case-insensitive, and no US
   mailbox provider treats the local part case-sensitively; ``cmplatform.lib.normalize
   .email_key`` makes the same choice).
2. **Syntax** as email-validator 2 says with deliverability checks off (no DNS): dot-atom local
   part (quoted local parts and IP-literal domains are refused), a domain with a dot and a real
   top-level domain, no special-use names (``.test``, ``.local``, ``.invalid`` ...),
   internationalised addresses allowed. The **fast path** is a strict regex for the plain ASCII
   shape almost every real address has (``[a-z0-9_+-]`` dot-atoms, LDH domain labels, an
   alphabetic TLD, RFC 5321 lengths); it accepts only addresses email-validator accepts
   unchanged, which ``tests/lib/hygiene/test_emails.py`` proves on thousands of generated
   addresses. Everything else goes to email-validator (~26k/s) behind a bounded cache.
3. **Placeholders** typed to get past a required field (``none@none.com``, ``noemail@...``,
   ``na@na.com``, ``test@test.com``, ``x@x.com``) are syntactically fine but reach nobody:
   ``is_valid=False, reason="placeholder"``, with the cleaned address kept in ``email`` so the
   row can still be explained. Rules: the local part is a known placeholder word (see
   :data:`PLACEHOLDER_LOCAL_PARTS`), or the domain is a placeholder domain
   (:data:`PLACEHOLDER_DOMAINS`), or the local part repeats the domain's name (``na@na.com``,
   ``x@x.com``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from email_validator import SPECIAL_USE_DOMAIN_NAMES as _SPECIAL_USE_DOMAIN_NAMES
from email_validator import EmailNotValidError, validate_email

from ._common import CACHE_SIZE, cell_text


class EmailResult(NamedTuple):
    """One normalised e-mail address.

    ``email`` is the cleaned, lower-cased address when its syntax is valid (also for a
    placeholder), else ``None``; ``reason`` is ``None`` when valid, ``"empty"``,
    ``"placeholder"`` or email-validator's message otherwise.
    """

    raw: str
    email: str | None
    is_valid: bool
    reason: str | None


PLACEHOLDER_LOCAL_PARTS: frozenset[str] = frozenset(
    (
        "none",
        "noemail",
        "nomail",
        "noaddress",
        "no",
        "na",
        "n.a",
        "nope",
        "null",
        "nil",
        "unknown",
        "test",
        "testing",
        "fake",
        "dummy",
        "asdf",
        "x",
        "xx",
        "xxx",
        "xxxx",
        "donotemail",
        "dontemail",
        "donotreply",
        "noreply",
        "no-reply",
        "declined",
        "refused",
        "notprovided",
        "not.provided",
        "notavailable",
    )
)
PLACEHOLDER_DOMAINS: frozenset[str] = frozenset(
    (
        "none.com",
        "noemail.com",
        "nomail.com",
        "na.com",
        "no.com",
        "test.com",
        "fake.com",
        "example.com",
        "example.org",
        "example.net",
        "email.email",
        "unknown.com",
        "donotemail.com",
    )
)

# Plain ASCII addresses: dot-atoms of [a-z0-9_+-] @ LDH labels (no "--", which IDNA reserves)
# with an alphabetic TLD. Lengths per RFC 5321: local part <= 64, each label <= 63.
_PLAIN_ADDRESS = re.compile(
    r"(?=[^@]{1,64}@)[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_SPECIAL_USE_TOP_LEVEL = frozenset(_SPECIAL_USE_DOMAIN_NAMES)
_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")
# the longest address email-validator accepts (RFC 5321 path limit minus the brackets)
_MAXIMUM_LENGTH = 254


def normalize_email(raw: object) -> EmailResult:
    """Normalise one e-mail address (see the module docstring). Never raises."""
    text = cell_text(raw)
    address = _clean(text)
    if not address:
        return EmailResult(text, None, False, "empty")
    if _is_plain(address):
        email: str | None = address
        reason = None
    else:
        email, reason = _validate_cached(address)
    if email is None:
        return EmailResult(text, None, False, reason)
    if is_placeholder(email):
        return EmailResult(text, email, False, "placeholder")
    return EmailResult(text, email, True, None)


def normalize_email_with_library(raw: object) -> EmailResult:
    """The same as :func:`normalize_email` with every syntax check done by email-validator and
    no cache: the reference the fast path is tested against."""
    text = cell_text(raw)
    address = _clean(text)
    if not address:
        return EmailResult(text, None, False, "empty")
    email, reason = _validate_with_library(address)
    if email is None:
        return EmailResult(text, None, False, reason)
    if is_placeholder(email):
        return EmailResult(text, email, False, "placeholder")
    return EmailResult(text, email, True, None)


def is_placeholder(email: str) -> bool:
    """Whether a syntactically valid, lower-case address is a known "no e-mail" stand-in."""
    local_part, _, domain = email.rpartition("@")
    if local_part in PLACEHOLDER_LOCAL_PARTS or domain in PLACEHOLDER_DOMAINS:
        return True
    # "na@na.com", "x@x.com", "none@none.net": the same word on both sides of the @
    return domain.partition(".")[0] == local_part


def _clean(text: str) -> str:
    """Trimmed, lower-cased address without ``mailto:`` or angle brackets."""
    address = text.strip()
    if address.endswith(">"):
        inside = _ANGLE_ADDRESS.search(address)
        if inside is not None:
            address = inside.group(1).strip()
    address = address.lower()
    if address.startswith("mailto:"):
        address = address[len("mailto:") :].strip()
    return address


def _is_plain(address: str) -> bool:
    """Whether ``address`` has the plain shape that email-validator always accepts as is."""
    if len(address) > _MAXIMUM_LENGTH or _PLAIN_ADDRESS.fullmatch(address) is None:
        return False
    if "--" in address:
        return False  # "xn--" labels are IDNA: email-validator decodes them
    # email-validator refuses special-use names as the domain or as its last label
    top_level = address[address.rfind(".") + 1 :]
    return top_level not in _SPECIAL_USE_TOP_LEVEL


@lru_cache(maxsize=CACHE_SIZE)
def _validate_cached(address: str) -> tuple[str | None, str | None]:
    """:func:`_validate_with_library` behind a bounded cache."""
    return _validate_with_library(address)


def _validate_with_library(address: str) -> tuple[str | None, str | None]:
    """(normalised address, None) or (None, email-validator's reason)."""
    try:
        validated = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        return None, str(error)
    return validated.normalized.lower(), None
