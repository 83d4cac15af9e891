"""Person names: split columns cleaned, full-name columns parsed, nickname keys.

Three entry points, all cached and never raising:

* :func:`normalize_name_parts` for sources with split columns (first, middle, last, suffix).
* :func:`parse_full_name` for sources with one full-name column (``"SMITH, JOHN A"``,
  ``"Mr. Robert Smith"``, ``"SMITH JR, JOHN ET UX"``): nameparser, configured for US owner
  records, with a fast path for the common layouts that gives exactly nameparser's answer
  (``tests/lib/hygiene/test_names.py`` proves it on thousands of generated names).
* :func:`nickname_keys` for matching: the canonical given names a first name may stand for,
  from the ``nicknames`` package.

Both normalisers return a :class:`NameResult`. Its rules:

**Case.** A word typed in mixed case (``McDonald``, ``LeBlanc``, ``DeShawn``) is kept as typed:
someone chose that spelling. A word in ALL CAPS or all lower case is put in proper case:
the first letter of each part between hyphens upper-cased (``SMITH-JONES`` → ``Smith-Jones``),
the letter after an apostrophe that follows a single letter upper-cased (``O'BRIEN`` →
``O'Brien``, ``D'ANGELO`` → ``D'Angelo``), ``Mc`` + name → ``McDonald``; ``Mac`` only for a
short list of names that are always ``Mac`` + capital (``MacDonald``, ``MacKenzie`` ...; not
``Mack``, ``Macy``, ``Machado``); particles are capitalised like any word
(``DE LA CRUZ`` → ``De La Cruz``, ``VAN DYKE`` → ``Van Dyke``). Initials are upper case without
their period (``a.`` → ``A``). Curly apostrophes become ``'``.

**Suffixes** are generational only, in the canonical forms ``Jr``, ``Sr``, ``II``, ``III``,
``IV``, ``V`` (``JR.``, ``Junior``, ``2nd``, ``3rd`` ... are read). Professional designations
(``MD``, ``PhD``, ``Esq`` ...) are kept after them, space-separated (``"Jr MD"``). A lone ``V``
or ``I`` after the first name of a ``LAST, FIRST`` name is a middle initial, not a suffix (in
this data an initial is far more common than a fifth generation); at the very end of a
``FIRST LAST V`` name nameparser reads it as a suffix.

**Titles** (``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Dr``, ``Rev`` ...) go to ``title``, without
their period.

**Nicknames** in double quotes or parentheses (``ROBERT "BOB" SMITH``, ``Robert (Bob)``) go
to ``nickname``, never into the name.

**Mineral-title qualifiers** — ``ET UX``, ``ET VIR``, ``ET AL``, ``TRUSTEE`` (``TR``,
``TTEE``), ``ESTATE`` (``EST``), ``LIFE ESTATE``, ``TRUST`` (``REV TRUST``, ``LIVING TRUST``
...), ``DECEASED``, ``HEIRS`` and a leading ``Estate of`` / ``Heirs of`` — are removed from the
name and reported in ``qualifier`` (canonical upper-case words, several joined by a space).
``is_entity`` is true when the record is not a natural person: an estate, a trust, heirs, or a
business name (``LLC``, ``INC``, ``OIL``, ``MINERALS`` ... see :data:`BUSINESS_WORDS`). A
business name is not parsed: it is kept whole, whitespace-collapsed, in ``last``.

**Compound first names** written as two words (``Mary Ellen``, ``Billy Joe``; see
:data:`COMPOUND_FIRST_NAMES`) stay one first name. nameparser's ``bound_first_names`` option
would bind *any* next word to ``Mary`` (``Mary Elizabeth Smith`` → first ``Mary Elizabeth``),
so the join is done after parsing, for the listed pairs only.

**Layouts of full names**: ``LAST, FIRST [MIDDLE] [SUFFIX]``, ``LAST SUFFIX, FIRST [MIDDLE]``,
``[TITLE] FIRST [MIDDLE] LAST [SUFFIX]``, ``FIRST [MIDDLE] LAST, SUFFIX``. Without a comma,
``LAST FIRST I`` (three words, the last a single initial: ``SMITH JOHN A``) is read last name
first — in ``FIRST MIDDLE LAST`` order the initial is never last; and two or three words whose
first word is more likely a surname and the last more likely a given name than the other way
round (``SMITH JOHN``, ``TAYLOR DAVID GERALD``) are read last name first too; the likelihoods
are the shares of US Census surnames and SSA given names in the frequency tables Faker's
``en_US`` provider ships (a word in neither table counts as rare in both).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from nameparser import HumanName
from nameparser.config import Constants
from nicknames import NickNamer

from ._common import CACHE_SIZE, cell_text, collapse_whitespace


class NameResult(NamedTuple):
    """A normalised person name; missing parts are ``""``.

    ``qualifier`` holds mineral-title words (``"ET UX"``, ``"TRUSTEE"``, ``"ESTATE"`` ...),
    ``is_entity`` says the record is an estate, trust, heirs or business rather than a person,
    ``reason`` is ``None`` when a name was found, else ``"empty"``.
    """

    first: str
    middle: str
    last: str
    suffix: str
    title: str
    nickname: str = ""
    qualifier: str = ""
    is_entity: bool = False
    reason: str | None = None


EMPTY_NAME = NameResult("", "", "", "", "", reason="empty")

GENERATIONAL_SUFFIXES: dict[str, str] = {
    "JR": "Jr", "JNR": "Jr", "JUNIOR": "Jr",
    "SR": "Sr", "SNR": "Sr", "SENIOR": "Sr",
    "II": "II", "2ND": "II", "2D": "II",
    "III": "III", "3RD": "III", "3D": "III",
    "IV": "IV", "4TH": "IV",
    "V": "V", "5TH": "V",
}  # fmt: skip
PROFESSIONAL_SUFFIXES: dict[str, str] = {
    "ESQ": "Esq", "ESQUIRE": "Esq", "MD": "MD", "PHD": "PhD", "DDS": "DDS", "DMD": "DMD",
    "DVM": "DVM", "CPA": "CPA", "JD": "JD", "RN": "RN",
}  # fmt: skip
_SUFFIXES = {**GENERATIONAL_SUFFIXES, **PROFESSIONAL_SUFFIXES}
# what a bare "V" / "I" at the end of a full name is: an initial (see the module docstring)
_SUFFIXES_NOT_AT_END_OF_FULL_NAME = frozenset(("V", "I"))

TITLES: dict[str, str] = {
    "MR": "Mr", "MISTER": "Mr", "MRS": "Mrs", "MS": "Ms", "MISS": "Miss", "MX": "Mx",
    "DR": "Dr", "DOCTOR": "Dr", "REV": "Rev", "REVEREND": "Rev", "HON": "Hon",
    "HONORABLE": "Hon", "PROF": "Prof", "PROFESSOR": "Prof", "SIR": "Sir", "DAME": "Dame",
    "CAPT": "Capt", "CAPTAIN": "Capt", "COL": "Col", "LT": "Lt", "SGT": "Sgt", "GEN": "Gen",
    "PASTOR": "Pastor",
}  # fmt: skip

# Trailing qualifier spellings (upper case, as word tuples) → canonical qualifier, whether it
# makes the record an entity. Longest spellings first: "LIFE ESTATE" before "ESTATE".
_TRAILING_QUALIFIERS: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (("REVOCABLE", "LIVING", "TRUST"), "TRUST", True),
    (("REV", "LIVING", "TRUST"), "TRUST", True),
    (("REVOCABLE", "TRUST"), "TRUST", True),
    (("REV", "TRUST"), "TRUST", True),
    (("LIVING", "TRUST"), "TRUST", True),
    (("FAMILY", "TRUST"), "TRUST", True),
    (("TRUST",), "TRUST", True),
    (("LIFE", "ESTATE"), "LIFE ESTATE", False),
    (("LIFE", "EST"), "LIFE ESTATE", False),
    (("ESTATE",), "ESTATE", True),
    (("EST",), "ESTATE", True),
    (("ET", "UX"), "ET UX", False),
    (("ETUX",), "ET UX", False),
    (("ET", "VIR"), "ET VIR", False),
    (("ETVIR",), "ET VIR", False),
    (("ET", "AL"), "ET AL", False),
    (("ETAL",), "ET AL", False),
    (("ET", "ALS"), "ET AL", False),
    (("CO-TRUSTEE",), "TRUSTEE", False),
    (("CO-TRUSTEES",), "TRUSTEE", False),
    (("TRUSTEES",), "TRUSTEE", False),
    (("TRUSTEE",), "TRUSTEE", False),
    (("TTEE",), "TRUSTEE", False),
    (("TR",), "TRUSTEE", False),
    (("DECEASED",), "DECEASED", False),
    (("DECD",), "DECEASED", False),
    (("DEC'D",), "DECEASED", False),
    (("HEIRS",), "HEIRS", True),
)
_LEADING_QUALIFIERS: tuple[tuple[tuple[str, ...], str, bool], ...] = (
    (("THE", "ESTATE", "OF"), "ESTATE", True),
    (("ESTATE", "OF"), "ESTATE", True),
    (("UNKNOWN", "HEIRS", "OF"), "HEIRS", True),
    (("HEIRS", "OF"), "HEIRS", True),
)

# the words a qualifier can end or start with: names without them skip the qualifier search
_QUALIFIER_LAST_WORDS = frozenset(spelling[-1] for spelling, _, _ in _TRAILING_QUALIFIERS)
_QUALIFIER_FIRST_WORDS = frozenset(spelling[0] for spelling, _, _ in _LEADING_QUALIFIERS)

# Words that make a whole name a business, not a person (compared upper-case, without dots).
BUSINESS_WORDS: frozenset[str] = frozenset(
    (
        "LLC", "INC", "INCORPORATED", "CORP", "CORPORATION", "COMPANY", "LP", "LLP", "LTD",
        "PLLC", "PARTNERSHIP", "PARTNERS", "MINISTRIES", "MINERALS",
        "MINERAL", "ROYALTY", "ROYALTIES", "OIL", "GAS", "ENERGY", "RESOURCES", "PETROLEUM",
        "EXPLORATION", "OPERATING", "HOLDINGS", "INVESTMENTS", "PROPERTIES", "ASSOCIATES",
        "FOUNDATION", "UNIVERSITY", "FARMS", "ENTERPRISES",
    )
)  # fmt: skip

# Two-word given names that are one first name (Southern compound names). Upper case.
COMPOUND_FIRST_NAMES: frozenset[str] = frozenset(
    (
        "MARY ANN", "MARY ANNE", "MARY ELLEN", "MARY JO", "MARY BETH", "MARY LOU",
        "MARY KAY", "MARY JANE", "MARY LYNN", "MARY SUE", "MARY ALICE", "MARY FRANCES",
        "JO ANN", "JO ANNE", "BETTY JO", "BETTY LOU", "BETTY ANN", "BETTY SUE", "BILLIE JEAN",
        "BILLIE JO", "PEGGY SUE", "ORA LEE", "ANNA MAE", "ANNIE MAE", "ELLA MAE", "LULA MAE",
        "OLLIE MAE", "RUBY LEE", "SARA BETH", "SARAH BETH", "LEIGH ANN", "LEE ANN",
        "BILLY JOE", "BILLY JACK", "BOBBY JOE", "BILLY RAY", "BILLY BOB", "JIMMY DALE",
        "JIMMY RAY", "JOHN PAUL", "JOE BOB", "JERRY DON", "JERRY LEE", "LARRY WAYNE",
        "JOHN HENRY", "JIM BOB", "TOMMY LEE", "RAY DON", "BOBBY RAY",
    )
)  # fmt: skip

# "Mac" + capital: only for these names (after "MAC"), not Mack, Macy, Machado, Macias ...
_MAC_NAMES = frozenset(
    (
        "DONALD", "KENZIE", "LEOD", "ARTHUR", "GREGOR", "INTYRE", "INTOSH", "LEAN", "MILLAN",
        "NEIL", "DOUGALL", "FARLANE", "KAY", "LAREN", "PHERSON", "QUEEN", "RAE", "ALLISTER",
        "AULAY", "CALLUM", "DOWELL", "EWEN", "INNES", "KINNON", "LACHLAN", "NAUGHTON",
    )
)  # fmt: skip

_NICKNAME_IN_QUOTES = re.compile(r"[\"\u201c\u201d(]\s*([^\"\u201c\u201d()]*?)\s*[\"\u201c\u201d)]")
_CURLY_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# a "plain" word of a name: letters, with inner apostrophes or hyphens; an initial may end
# with a period
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*\.?")


def _nameparser_constants() -> Constants:
    """nameparser's vocabulary narrowed to US owner records.

    * titles: only real courtesy and professional titles (the default list has ~800 words,
      among them first and last names: Dean, King, Major, Judge, Bishop, Sister ...);
    * suffixes: generational and a few professional ones (the default acronym list holds
      surnames such as Ma, Do, Ba); "2nd"/"3rd" added; "V" and "I" removed (initials);
    * conjunctions: only "&", "and", "of", "the": "e", "i", "y" are middle initials here and
      "et" starts a qualifier (removed before parsing).
    """
    return Constants(
        titles=[title.lower() for title in TITLES],
        first_name_titles=["sir", "dame"],
        suffix_acronyms=[
            suffix.lower() for suffix in PROFESSIONAL_SUFFIXES if suffix not in ("ESQ", "ESQUIRE")
        ],
        suffix_not_acronyms=[
            suffix.lower()
            for suffix in (*GENERATIONAL_SUFFIXES, "ESQ", "ESQUIRE")
            if suffix not in _SUFFIXES_NOT_AT_END_OF_FULL_NAME
        ],
        suffix_acronyms_ambiguous=[],
        conjunctions=["&", "and", "of", "the"],
        bound_first_names=[],
    )


_CONSTANTS = _nameparser_constants()
# words nameparser treats specially: a name holding one of them is left to nameparser
_SPECIAL_WORDS = frozenset(
    word.upper()
    for word_set in (
        _CONSTANTS.titles,
        _CONSTANTS.prefixes,
        _CONSTANTS.conjunctions,
        _CONSTANTS.suffix_acronyms,
        _CONSTANTS.suffix_not_acronyms,
        _CONSTANTS.first_name_titles,
        _CONSTANTS.non_first_name_prefixes,
    )
    for word in word_set
)


# ---------------------------------------------------------------------------------------------
# split columns


def normalize_name_parts(
    first: object, middle: object = None, last: object = None, suffix: object = None
) -> NameResult:
    """Normalise a name given in split columns (see the module docstring).

    Moves a suffix typed at the end of the last or first name to ``suffix``
    (``"Smith Jr"`` → ``"Smith"``, ``"Jr"``), a middle initial typed after the first name to
    ``middle`` (``"John A"`` → ``"John"``, ``"A"``), a title before the first name to
    ``title``, a quoted nickname to ``nickname`` and mineral-title words after the last name
    to ``qualifier``.
    """
    title, first_name, middle_from_first, suffix_from_first, nickname = _split_first_column(
        cell_text(first)
    )
    last_name, suffix_from_last, qualifier, is_entity = _split_last_column(cell_text(last))
    middle_name = _clean_middle_column(cell_text(middle)) or middle_from_first
    suffix_text = cell_text(suffix)
    suffix_name = (
        (_canonical_suffix_column(suffix_text) if suffix_text else "")
        or suffix_from_last
        or suffix_from_first
    )
    if not (first_name or last_name or middle_name):
        return NameResult("", "", "", suffix_name, title, nickname, qualifier, is_entity, "empty")
    return NameResult(
        first_name, middle_name, last_name, suffix_name, title, nickname, qualifier, is_entity
    )


@lru_cache(maxsize=CACHE_SIZE)
def _split_first_column(text: str) -> tuple[str, str, str, str, str]:
    """(title, first, middle initial, suffix, nickname) from a first-name cell."""
    value, nickname = _take_nickname(_clean(text))
    words = value.split()
    title = ""
    if len(words) > 1 and _bare(words[0]) in TITLES:
        title = TITLES[_bare(words.pop(0))]
    suffix = ""
    if len(words) > 1 and _bare(words[-1]) in GENERATIONAL_SUFFIXES and _bare(words[-1]) != "V":
        suffix = GENERATIONAL_SUFFIXES[_bare(words.pop())]
    middle = ""
    # "John A" / "John A.": the initial of the middle name typed after the first name
    if len(words) > 1 and _is_initial(words[-1]):
        middle = words.pop()[0].upper()
    first = " ".join(_proper_case_word(word) for word in words)
    return title, first, middle, suffix, _proper_case_words(nickname)


@lru_cache(maxsize=CACHE_SIZE)
def _split_last_column(text: str) -> tuple[str, str, str, bool]:
    """(last, suffix, qualifier, is_entity) from a last-name cell."""
    value = _clean(text)
    if not value:
        return "", "", "", False
    words = value.replace(",", " ").split()
    words, qualifier, is_entity = _take_qualifiers(words)
    if any(_bare(word) in BUSINESS_WORDS for word in words):
        return value, "", qualifier, True
    suffixes = []
    while len(words) > 1 and _bare(words[-1]) in _SUFFIXES:
        suffixes.append(_SUFFIXES[_bare(words.pop())])
    return _proper_case_words(" ".join(words)), _join_suffixes(suffixes), qualifier, is_entity


@lru_cache(maxsize=CACHE_SIZE)
def _clean_middle_column(text: str) -> str:
    """A middle-name cell: ``"a."`` → ``"A"``, ``"ANN"`` → ``"Ann"``."""
    value = _clean(text)
    return " ".join(
        word[0].upper() if _is_initial(word) else _proper_case_word(word) for word in value.split()
    )


@lru_cache(maxsize=1024)
def _canonical_suffix_column(text: str) -> str:
    """A suffix cell in canonical form (``"JR."`` → ``"Jr"``, ``"3rd"`` → ``"III"``); an
    unknown suffix is kept, cleaned."""
    words = _clean(text).replace(",", " ").split()
    return _join_suffixes([_SUFFIXES.get(_bare(word), word) for word in words])


# ---------------------------------------------------------------------------------------------
# full names


def parse_full_name(raw: object) -> NameResult:
    """Parse one full-name cell (see the module docstring for layouts and rules)."""
    return _parse_full_name_cached(cell_text(raw))


def parse_full_name_with_library(raw: object) -> NameResult:
    """The same as :func:`parse_full_name` with every name parsed by nameparser, without the
    fast path or any cache: the reference the fast path is tested against."""
    return _parse_full_name(cell_text(raw), use_fast_path=False)


@lru_cache(maxsize=CACHE_SIZE)
def _parse_full_name_cached(text: str) -> NameResult:
    """:func:`_parse_full_name` with the fast path, cached per cell text."""
    return _parse_full_name(text, use_fast_path=True)


class _Pieces(NamedTuple):
    """What a parser found, before casing and canonical forms."""

    title: str
    first: str
    middle: str
    last: str
    suffix: str


def _parse_full_name(text: str, *, use_fast_path: bool) -> NameResult:
    """Pre-process, split (fast path or nameparser), post-process."""
    value, nickname = _take_nickname(_clean(text))
    words, qualifier, is_entity = _take_qualifiers(value.split(), leading=True)
    if not words:
        if not qualifier:
            return EMPTY_NAME
        return NameResult("", "", "", "", "", nickname, qualifier, is_entity, "empty")
    if any(_bare(word) in BUSINESS_WORDS for word in words):
        return NameResult("", "", " ".join(words), "", "", nickname, qualifier, True)
    value = _comma_for_last_name_first(" ".join(words))
    pieces = _split_fast(value) if use_fast_path else None
    if pieces is None:
        pieces = _split_with_nameparser(value)
    return _finish(pieces, _proper_case_words(nickname), qualifier, is_entity)


def _comma_for_last_name_first(value: str) -> str:
    """``"SMITH JOHN A"`` → ``"SMITH, JOHN A"`` when the words read last name first (see the
    module docstring); anything else unchanged."""
    if "," in value:
        return value
    words = value.split()
    trailing_suffixes: list[str] = []
    while len(words) > 2 and _bare(words[-1]) in _SUFFIXES:
        trailing_suffixes.insert(0, words.pop())
    if len(words) >= 3 and f"{words[1]} {words[2]}".upper() in COMPOUND_FIRST_NAMES:
        words = [words[0], f"{words[1]} {words[2]}", *words[3:]]  # "SMITH MARY ELLEN A"
    if len(words) not in (2, 3) or _bare(words[0]) in TITLES:
        return value
    if len(words) == 3 and _is_initial(words[2]) and not _is_initial(words[1]):
        is_last_name_first = True
    else:
        is_last_name_first = not _is_initial(words[1]) and _reads_last_name_first(
            words[0], words[-1]
        )
    if not is_last_name_first:
        return value
    return " ".join([words[0] + ",", *words[1:], *trailing_suffixes])


def _split_fast(value: str) -> _Pieces | None:
    """The pieces of a name in a common layout made of plain words, exactly as nameparser
    splits it, or ``None`` to let nameparser decide."""
    if value.count(",") > 1:
        return None
    before_comma, has_comma, after_comma = value.partition(",")
    head = before_comma.split()
    tail = after_comma.split()
    for word in (*head, *tail):
        if _PLAIN_WORD.fullmatch(word) is None and _bare(word) not in _FULL_NAME_SUFFIXES:
            return None
    if has_comma:
        if not head or not tail:
            return None
        if all(_bare(word) in _FULL_NAME_SUFFIXES for word in tail):
            # "John A Smith, Jr": the comma only sets off the suffix
            if any(_bare(word) in _SPECIAL_WORDS for word in head):
                return None
            return _first_middle_last(head, tail)
        # "Smith [Jr], John [A] [Jr]"
        head_suffixes: list[str] = []
        while len(head) > 1 and _bare(head[-1]) in _FULL_NAME_SUFFIXES:
            head_suffixes.insert(0, head.pop())
        tail_suffixes: list[str] = []
        while len(tail) > 1 and _bare(tail[-1]) in _FULL_NAME_SUFFIXES:
            tail_suffixes.insert(0, tail.pop())
        if len(head) != 1 or any(_bare(word) in _SPECIAL_WORDS for word in (*head, *tail)):
            return None
        return _Pieces(
            "", tail[0], " ".join(tail[1:]), head[0], " ".join(head_suffixes + tail_suffixes)
        )
    title = ""
    if len(head) > 2 and _bare(head[0]) in TITLES:
        title = head.pop(0)
    suffix_words: list[str] = []
    while len(head) > 2 and _bare(head[-1]) in _FULL_NAME_SUFFIXES:
        suffix_words.insert(0, head.pop())
    if any(_bare(word) in _SPECIAL_WORDS for word in head) or _is_initial(head[-1]):
        return None  # nameparser reads a last lone letter as a roman-numeral suffix ("... V")
    pieces = _first_middle_last(head, suffix_words)
    return pieces._replace(title=title) if pieces is not None else None


def _first_middle_last(name_words: list[str], suffix_words: list[str]) -> _Pieces | None:
    """``FIRST [MIDDLE...] LAST`` pieces, or ``None`` for a shape the fast path leaves alone."""
    if len(name_words) < 2:
        return None
    return _Pieces(
        "", name_words[0], " ".join(name_words[1:-1]), name_words[-1], " ".join(suffix_words)
    )


_FULL_NAME_SUFFIXES = frozenset(_SUFFIXES) - _SUFFIXES_NOT_AT_END_OF_FULL_NAME


def _split_with_nameparser(value: str) -> _Pieces:
    """nameparser's split of ``value`` with the narrowed vocabulary."""
    name = HumanName(value, constants=_CONSTANTS)
    return _Pieces(name.title, name.first, name.middle, name.last, name.suffix)


def _finish(pieces: _Pieces, nickname: str, qualifier: str, is_entity: bool) -> NameResult:
    """Case, canonical titles and suffixes, compound first names, initials."""
    first_words = pieces.first.split()
    middle_words = pieces.middle.split()
    if first_words and middle_words:
        compound = f"{first_words[-1]} {middle_words[0]}".upper()
        if len(first_words) == 1 and compound in COMPOUND_FIRST_NAMES:
            first_words.append(middle_words.pop(0))
    first = " ".join(_proper_case_word(word) for word in first_words)
    middle = " ".join(
        word[0].upper() if _is_initial(word) else _proper_case_word(word) for word in middle_words
    )
    last = _proper_case_words(pieces.last.strip(" ,"))
    suffix = _join_suffixes(
        [_SUFFIXES.get(_bare(word), word) for word in pieces.suffix.replace(",", " ").split()]
    )
    title = " ".join(TITLES.get(_bare(word), word) for word in pieces.title.split())
    if not (first or middle or last):
        return NameResult("", "", "", suffix, title, nickname, qualifier, is_entity, "empty")
    return NameResult(first, middle, last, suffix, title, nickname, qualifier, is_entity)


# ---------------------------------------------------------------------------------------------
# nickname keys


def nickname_keys(first: object) -> frozenset[str]:
    """The canonical given names ``first`` may stand for, upper-case ASCII, itself included:
    ``"Bob"`` → ``{"BOB", "ROBERT", "BERT", "BOBBY"}``, as the ``nicknames`` package lists them.
    Two first names may name the same person when their key sets intersect."""
    return _nickname_keys_cached(cell_text(first))


@lru_cache(maxsize=CACHE_SIZE)
def _nickname_keys_cached(text: str) -> frozenset[str]:
    """:func:`nickname_keys` on the cell's text, cached."""
    folded = _ascii_fold(_clean(text)).lower()
    if not folded:
        return frozenset()
    canonicals = _nick_namer().canonicals_of(folded)
    return frozenset({folded.upper(), *(name.upper() for name in canonicals)})


@lru_cache(maxsize=1)
def _nick_namer() -> NickNamer:
    """The ``nicknames`` package's lookup (loaded once, on first use)."""
    return NickNamer()


@lru_cache(maxsize=1)
def _census_name_shares() -> tuple[dict[str, float], dict[str, float]]:
    """(given name → share of people, surname → share of people), upper-case ASCII keys: the
    US SSA given-name and Census surname frequency tables that Faker's ``en_US`` person
    provider ships (Faker is pinned in requirements.txt)."""
    from faker.providers.person.en_US import Provider

    given: dict[str, float] = {}
    for table in (Provider.first_names_male, Provider.first_names_female):
        for name, share in table.items():
            key = _ascii_fold(name).upper()
            given[key] = max(given.get(key, 0.0), share)
    surnames = {_ascii_fold(name).upper(): share for name, share in Provider.last_names.items()}
    return given, surnames


# share assumed for a word in neither table (a typo, a rare name): below every listed share
_UNLISTED_NAME_SHARE = 1e-6


def _reads_last_name_first(first_word: str, last_word: str) -> bool:
    """Whether ``first_word ... last_word`` is more likely ``LAST ... FIRST/MIDDLE`` than
    ``FIRST ... LAST``: the product of the surname share of the first word and the given-name
    share of the last one beats the reverse (``SMITH JOHN``, ``TAYLOR DAVID GERALD``; not
    ``KEVIN SOLIS``)."""
    given, surnames = _census_name_shares()
    first_key = _ascii_fold(first_word).upper().strip(".")
    last_key = _ascii_fold(last_word.split()[0]).upper().strip(".")
    last_name_first = surnames.get(first_key, _UNLISTED_NAME_SHARE) * given.get(
        last_key, _UNLISTED_NAME_SHARE
    )
    first_name_first = given.get(first_key, _UNLISTED_NAME_SHARE) * surnames.get(
        last_key, _UNLISTED_NAME_SHARE
    )
    return last_name_first > first_name_first


# ---------------------------------------------------------------------------------------------
# words


def _clean(text: str) -> str:
    """Whitespace collapsed, control characters gone, curly apostrophes straightened."""
    return collapse_whitespace(text.translate(_CURLY_APOSTROPHES))


def _take_nickname(value: str) -> tuple[str, str]:
    """(``value`` without its quoted nickname, the nickname)."""
    if '"' not in value and "(" not in value and "\u201c" not in value:
        return value, ""
    match = _NICKNAME_IN_QUOTES.search(value)
    if match is None:
        return value.replace('"', "").strip(), ""
    rest = (value[: match.start()] + " " + value[match.end() :]).split()
    return " ".join(rest), match.group(1)


def _take_qualifiers(words: list[str], *, leading: bool = False) -> tuple[list[str], str, bool]:
    """(words without trailing — and, with ``leading``, leading — qualifiers, the canonical
    qualifiers joined by a space, whether one makes the record an entity)."""
    if not words or (
        _bare(words[-1]) not in _QUALIFIER_LAST_WORDS
        and not (leading and _bare(words[0]) in _QUALIFIER_FIRST_WORDS)
    ):
        return words, "", False  # the common case: no qualifier at either end
    found: list[str] = []
    is_entity = False
    upper = [_bare(word) for word in words]
    if leading:
        for spelling, canonical, makes_entity in _LEADING_QUALIFIERS:
            if tuple(upper[: len(spelling)]) == spelling and len(upper) > len(spelling):
                words, upper = words[len(spelling) :], upper[len(spelling) :]
                found.append(canonical)
                is_entity = is_entity or makes_entity
                break
    changed = True
    while changed and len(words) > 1:
        changed = False
        for spelling, canonical, makes_entity in _TRAILING_QUALIFIERS:
            size = len(spelling)
            if len(upper) > size and tuple(upper[-size:]) == spelling:
                words, upper = words[:-size], upper[:-size]
                if canonical not in found:
                    found.insert(0, canonical)
                is_entity = is_entity or makes_entity
                changed = True
                break
    # "SMITH, JOHN, TRUSTEE": the comma before a removed qualifier goes too
    if found and words and words[-1].endswith(","):
        words = [*words[:-1], words[-1].rstrip(",")]
    return words, " ".join(found), is_entity


def _bare(word: str) -> str:
    """Upper case without periods and commas: ``"Jr.,"`` → ``"JR"``."""
    return word.upper().replace(".", "").replace(",", "")


def _is_initial(word: str) -> bool:
    """``"A"`` or ``"A."``."""
    return (len(word) == 1 and word.isalpha()) or (
        len(word) == 2 and word[1] == "." and word[0].isalpha()
    )


def _join_suffixes(suffixes: list[str]) -> str:
    """Distinct suffixes, generational first, joined by a space."""
    unique = list(dict.fromkeys(suffixes))
    unique.sort(key=lambda suffix: suffix not in _GENERATIONAL_FORMS)
    return " ".join(unique)


_GENERATIONAL_FORMS = frozenset(GENERATIONAL_SUFFIXES.values())


def _proper_case_words(text: str) -> str:
    """:func:`_proper_case_word` for every word of ``text``."""
    return " ".join(_proper_case_word(word) for word in text.split())


@lru_cache(maxsize=CACHE_SIZE)
def _proper_case_word(word: str) -> str:
    """One word in proper case when typed all upper or all lower; mixed case is kept."""
    if word.isupper() and len(word) <= 1:
        return word
    if not (word.isupper() or word.islower()):
        return word  # typed in mixed case on purpose: McDonald, LeBlanc, DeShawn
    if _is_initial(word):
        return word[0].upper()
    parts = re.split(r"([-'])", word.lower())
    result = []
    previous = ""
    for part in parts:
        if part in ("-", "'"):
            result.append(part)
        elif previous == "'" and len(result) >= 2 and len(result[-2]) > 1:
            result.append(part)  # "Ng'ang'a" keeps its lower case after a long part
        else:
            result.append(_capitalise_part(part))
        previous = part
    return "".join(result)


def _capitalise_part(part: str) -> str:
    """``"mcdonald"`` → ``"McDonald"``, ``"macdonald"`` → ``"MacDonald"``, ``"smith"`` →
    ``"Smith"``."""
    if not part:
        return part
    if part.startswith("mc") and len(part) > 3:
        return "Mc" + part[2:].capitalize()
    if part.startswith("mac") and part[3:].upper() in _MAC_NAMES:
        return "Mac" + part[3:].capitalize()
    return part.capitalize()


def _ascii_fold(text: str) -> str:
    """Accents removed: ``"José"`` → ``"Jose"``."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
