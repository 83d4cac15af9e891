"""Phone numbers: E.164, validity, kind and extension, as phonenumbers says, much faster.

``normalize_phone("(405) 555-1234")`` → ``PhoneResult(e164="+14055551234", is_valid=True,
kind="fixed_or_mobile", ...)``. The answer is always the one of ``phonenumbers.parse`` +
``is_valid_number`` + ``number_type`` (see :func:`normalize_phone_with_library`); the fast path
only gets there sooner:

* **Fast path** (region ``"US"``): a value made of digits and the usual separators
  (``( ) - . / +`` and spaces), optionally followed by an extension (``x12``, ``ext. 7``,
  ``extension 7``, ``#7``), that holds a 10-digit NANP number (``[2-9]XXXXXXXXX``), or 11 digits
  starting with the country code 1. phonenumbers' verdict for a NANP number — valid or not, its
  type, the reason it is invalid — depends only on its first six digits (area code NPA and
  exchange NXX): the metadata patterns of the 25 NANP regions leave the last four digits free,
  except for three Caribbean prefixes that look at the 7th digit
  (:data:`LINE_DEPENDENT_PREFIXES`, always asked of the library).
  ``bench/hygiene_rates.py --check-prefixes`` verifies this over all 10^6 prefixes and
  ``tests/lib/hygiene/test_phones.py`` on a random sample on every run. So the verdicts of all
  800,000 prefixes fit a 1 MB table: it ships with the code (:data:`PREFIX_TABLE`, built by
  ``manage.py build_phone_prefix_table`` for the pinned phonenumbers version). Under another
  version the table is ignored and the library is asked once per prefix instead.
* **Everything else** (letters, other countries, 7-digit local numbers, junk): phonenumbers,
  behind a bounded cache of whole results.

``kind`` is one of ``mobile``, ``fixed_or_mobile``, ``toll_free``, ``premium``, ``voip``,
``unknown``. phonenumbers cannot tell a US landline from a US mobile (number portability), so US
and Canadian numbers are ``fixed_or_mobile``; ``mobile`` only comes from NANP regions whose
plans say so (some Caribbean islands); their landlines (``FIXED_LINE``) are also reported as
``fixed_or_mobile`` — a landline is "fixed or mobile", and compliance must treat any such number
as possibly mobile anyway (TCPA). Personal, pager, UAN, shared-cost and voicemail numbers are
``unknown``.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Literal, NamedTuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberType
from phonenumbers.phonenumberutil import ValidationResult

from ._common import CACHE_SIZE, cell_text

PhoneKind = Literal["mobile", "fixed_or_mobile", "toll_free", "premium", "voip", "unknown"]


class PhoneResult(NamedTuple):
    """One normalised phone number.

    ``raw`` is the value as given (as text); ``e164`` is set exactly when ``is_valid``;
    ``extension`` is the extension's digits when one was given (also for an invalid number);
    ``reason`` says why an invalid number is invalid (``None`` when valid).
    """

    raw: str
    e164: str | None
    is_valid: bool
    kind: PhoneKind
    extension: str | None
    reason: str | None


_KIND_OF_TYPE: dict[int, PhoneKind] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.FIXED_LINE: "fixed_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.VOIP: "voip",
}

_PARSE_ERROR_REASONS: dict[int, str] = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid country code",
    NumberParseException.NOT_A_NUMBER: "not a number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}

_POSSIBILITY_REASONS: dict[int, str] = {
    ValidationResult.TOO_SHORT: "too short",
    # a 7-digit local number: valid only once its area code is known, which we do not guess
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "invalid length",
    ValidationResult.INVALID_COUNTRY_CODE: "invalid country code",
}

# Characters the fast path drops between digits. Anything else (letters, a "+" that is not
# leading, commas ...) sends the value to the library.
_SEPARATORS = str.maketrans("", "", "()-./ \t")
# "<number> x12", "<number> ext. 7", "<number> extension 7", "<number> #7" (case-insensitive)
_EXTENSION = re.compile(r"^(.*?\d)[\s,]*(?:x|ext\.?|extension|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
# a spreadsheet turned the number into a float and back into text: "4055551234.0"
_SPREADSHEET_FLOAT = re.compile(r"^\s*(\d+)\.0\s*$")
_NANP_LEADING = frozenset("23456789")

# The only NPA-NXX prefixes whose numbers phonenumbers (9.0.43) judges by a 7th digit:
# Barbados 246-521 and 246-522, Jamaica 876-606 (found by the full scan of
# ``bench/hygiene_rates.py --check-prefixes``; re-run it when upgrading phonenumbers).
LINE_DEPENDENT_PREFIXES = frozenset(("246521", "246522", "876606"))

# Verdict per NPA-NXX prefix (index = the six digits as an integer): 0 = not known yet, else
# 1 + index into _VERDICTS. One byte per prefix: 1 MB for all of them, whatever the file.
Verdict = tuple[bool, PhoneKind, str | None]
_PREFIX_VERDICT_CODES = bytearray(1_000_000)
_VERDICTS: list[Verdict] = []
_VERDICT_CODES: dict[Verdict, int] = {}

# The verdicts of every prefix, computed ahead (zlib: a JSON header line naming the phonenumbers
# version and the distinct verdicts, then one code byte per prefix).
PREFIX_TABLE = Path(__file__).with_name("nanp_prefix_verdicts.bin")


def normalize_phone(raw: object, region: str = "US") -> PhoneResult:
    """Normalise one phone number written in any common way (see the module docstring).

    ``raw`` may be text, an integer or an integral float (spreadsheet cells); ``None`` and
    blanks give ``reason="empty"``. Never raises.
    """
    text = cell_text(raw)
    if region == "US":
        fast = _normalize_nanp_fast(text)
        if fast is not None:
            return fast
    return _normalize_cached(text, region)


def normalize_phone_with_library(raw: object, region: str = "US") -> PhoneResult:
    """The same as :func:`normalize_phone` computed by phonenumbers alone, without the fast
    path or any cache: the reference the fast path is tested against."""
    return _normalize_with_library(cell_text(raw), region)


def _normalize_nanp_fast(text: str) -> PhoneResult | None:
    """The result for a 10/11-digit NANP number in a common format, or ``None`` to let the
    library decide."""
    stripped = text.strip()
    if not stripped.isascii():
        return None
    extension = None
    digits = stripped.translate(_SEPARATORS)
    if not digits.isdigit() and not (digits[:1] == "+" and digits[1:].isdigit()):
        match = _EXTENSION.match(stripped)
        if match is None:
            return None  # letters, junk, an empty cell or a spreadsheet's "4055551234.0"
        digits, extension = match.group(1).translate(_SEPARATORS), match.group(2)
    if digits[:1] == "+":
        digits = digits[1:]
        if digits[:1] != "1":
            return None  # another country code: the library knows its plan
    if not digits.isdigit():
        return None
    if len(digits) == 11:
        if digits[0] != "1":
            return None
        digits = digits[1:]
    elif len(digits) != 10:
        return None
    if digits[0] not in _NANP_LEADING or digits[:6] in LINE_DEPENDENT_PREFIXES:
        return None
    code = _PREFIX_VERDICT_CODES[int(digits[:6])]
    if code == 0:
        code = _learn_prefix_verdict(digits)
    is_valid, kind, reason = _VERDICTS[code - 1]
    if is_valid:
        return PhoneResult(text, "+1" + digits, True, kind, extension, None)
    return PhoneResult(text, None, False, "unknown", extension, reason)


def forget_prefix_verdicts(*, keep_shipped: bool = True) -> None:
    """Forget the prefix verdicts learned in this process: back to the shipped table, or
    to an empty one with ``keep_shipped=False`` (every prefix asked of the library again)."""
    _PREFIX_VERDICT_CODES[:] = bytes(len(_PREFIX_VERDICT_CODES))
    _VERDICTS.clear()
    _VERDICT_CODES.clear()
    if keep_shipped:
        load_prefix_table()


def load_prefix_table(path: Path = PREFIX_TABLE) -> bool:
    """Fill the verdict table from ``path`` when it was built for the installed phonenumbers
    version; ``False`` (the table left as it is) when it was not, or is missing."""
    try:
        header, codes = zlib.decompress(path.read_bytes()).split(b"\n", 1)
    except (OSError, zlib.error, ValueError):
        return False
    facts = json.loads(header)
    if facts.get("phonenumbers") != phonenumbers.__version__ or len(codes) != len(
        _PREFIX_VERDICT_CODES
    ):
        return False
    translate = bytearray(256)
    for index, (is_valid, kind, reason) in enumerate(facts["verdicts"], start=1):
        translate[index] = _verdict_code((bool(is_valid), kind, reason))
    _PREFIX_VERDICT_CODES[:] = codes.translate(translate)
    return True


def build_prefix_table(path: Path = PREFIX_TABLE, *, processes: int | None = None) -> int:
    """Ask phonenumbers about every prefix the fast path can see (first digit 2-9) and write
    the table to ``path``; return the number of distinct verdicts."""
    bounds = [(low, low + 10_000) for low in range(200_000, 1_000_000, 10_000)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_prefix_verdicts, bounds)
    verdicts: dict[Verdict, int] = {}
    codes = bytearray(len(_PREFIX_VERDICT_CODES))
    for (low, _high), part in zip(bounds, parts, strict=True):
        for offset, verdict in enumerate(part):
            codes[low + offset] = verdicts.setdefault(verdict, len(verdicts) + 1)
    if len(verdicts) > 255:
        raise ValueError(f"{len(verdicts)} distinct verdicts do not fit one byte per prefix.")
    header = json.dumps(
        {"phonenumbers": phonenumbers.__version__, "verdicts": [list(v) for v in verdicts]}
    )
    path.write_bytes(zlib.compress(header.encode() + b"\n" + bytes(codes), 9))
    return len(verdicts)


def _prefix_verdicts(bounds: tuple[int, int]) -> list[Verdict]:
    low, high = bounds
    return [_library_verdict(f"{prefix:06d}0000") for prefix in range(low, high)]


def _library_verdict(national_digits: str) -> Verdict:
    """phonenumbers' verdict on one 10-digit NANP number."""
    number = PhoneNumber(country_code=1, national_number=int(national_digits))
    if phonenumbers.is_valid_number(number):
        return True, _KIND_OF_TYPE.get(phonenumbers.number_type(number), "unknown"), None
    return False, "unknown", _nanp_invalid_reason(national_digits)


def _verdict_code(verdict: Verdict) -> int:
    code = _VERDICT_CODES.get(verdict)
    if code is None:
        _VERDICTS.append(verdict)
        code = _VERDICT_CODES[verdict] = len(_VERDICTS)
    return code


def _learn_prefix_verdict(national_digits: str) -> int:
    """Ask phonenumbers about one number and remember its verdict for the whole prefix."""
    code = _verdict_code(_library_verdict(national_digits))
    _PREFIX_VERDICT_CODES[int(national_digits[:6])] = code
    return code


@lru_cache(maxsize=CACHE_SIZE)
def _normalize_cached(text: str, region: str) -> PhoneResult:
    """:func:`_normalize_with_library` behind a bounded cache (junk values repeat a lot)."""
    return _normalize_with_library(text, region)


def _normalize_with_library(text: str, region: str) -> PhoneResult:
    """phonenumbers' parse, validity, type and E.164 format of ``text``."""
    if not text.strip():
        return PhoneResult(text, None, False, "unknown", None, "empty")
    spreadsheet_float = _SPREADSHEET_FLOAT.match(text)
    to_parse = spreadsheet_float.group(1) if spreadsheet_float else text
    try:
        number = phonenumbers.parse(to_parse, region)
    except NumberParseException as error:
        reason = _PARSE_ERROR_REASONS.get(error.error_type, "not a number")
        return PhoneResult(text, None, False, "unknown", None, reason)
    extension = number.extension or None
    if phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        kind = _KIND_OF_TYPE.get(phonenumbers.number_type(number), "unknown")
        return PhoneResult(text, e164, True, kind, extension, None)
    return PhoneResult(text, None, False, "unknown", extension, _invalid_reason(number))


def _invalid_reason(number: PhoneNumber) -> str:
    """Why phonenumbers rejects a parsed number, in words."""
    possibility = phonenumbers.is_possible_number_with_reason(number)
    if possibility != ValidationResult.IS_POSSIBLE:
        return _POSSIBILITY_REASONS.get(possibility, "invalid number")
    if number.country_code == 1:
        national_digits = str(number.national_number)
        if len(national_digits) == 10:
            return _nanp_invalid_reason(national_digits)
        return "invalid area code"  # a possible 10-digit NSN with leading zeros ("000-...")
    return "invalid number"


def _nanp_invalid_reason(national_digits: str) -> str:
    """``invalid area code`` when no NANP region uses the NPA, else ``invalid exchange``."""
    area_code = national_digits[:3]
    if area_code[0] not in _NANP_LEADING or not _is_area_code_in_service(area_code):
        return "invalid area code"
    return "invalid exchange"


@lru_cache(maxsize=1000)
def _is_area_code_in_service(area_code: str) -> bool:
    """Whether phonenumbers knows any valid exchange under ``area_code`` (asked only for
    invalid numbers, at most 800 library calls per area code, once per process)."""
    base = int(area_code) * 10_000_000
    return any(
        phonenumbers.is_valid_number(
            PhoneNumber(country_code=1, national_number=base + exchange * 10_000)
        )
        for exchange in range(200, 1000)
    )


load_prefix_table()
