"""Which person a source row is: the decision, in plain Python over candidates the engine
fetched set-based (one join per match rule per chunk).

Precedence for a row without a record key of its own (``docs/ingestion.md``; a keyed row
whose key is new is a new person, linked later by golden-record resolution):

1. ``email`` — an existing person with the row's valid e-mail address (placeholders such as
   ``none@none.com`` never match),
2. ``phone`` — an existing person with the row's E.164 number,
3. ``name_zip`` — an existing person with the same last- and first-name keys and ZIP5,

each candidate accepted only when the names are *compatible*: same last-name key, first names
equal, nickname-equivalent or one an initial of the other, suffixes not in conflict (Jr vs Sr,
II vs III). A row without any name is compatible with an e-mail or phone candidate only. A
contact point shared by more than :data:`CANDIDATE_CAP` persons (an office line) is not used
to match. When the accepted candidates are two or more different persons, the row lands on the
first of the highest-precedence rule and a conflict lists them all: ingestion never merges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cmplatform.lib.hygiene.names import nickname_keys

RULE_KEY = "source_key"
RULE_SAME_FACTS = "same_facts"  # the same checksum already known under another key
RULE_EMAIL = "email"
RULE_PHONE = "phone"
RULE_NAME_ZIP = "name_zip"
RULE_NEW = "new"
PRECEDENCE = (RULE_EMAIL, RULE_PHONE, RULE_NAME_ZIP)

# More persons than this behind one e-mail or phone: a shared contact point, not an identity.
CANDIDATE_CAP = 25


class NameFacts(NamedTuple):
    """The parts of a name matching compares (a tuple: the importing process makes one for
    every row it places)."""

    first_key: str
    last_key: str
    suffix: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A person a row might be: its (golden) id, its names and the rule that found it."""

    person_id: int
    rule: str
    names: NameFacts


def _suffix_token(suffix: str) -> str:
    """Suffixes are canonical from the hygiene parser ("Jr", "III"); a hand-edited person's
    "jr." compares the same."""
    return suffix.upper().replace(".", "").strip()


def first_names_compatible(a: str, b: str) -> bool:
    """Equal, one an initial of the other, or nickname-equivalent (keys are upper-case)."""
    if not a or not b:
        return True
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return bool(nickname_keys(a) & nickname_keys(b))


def names_compatible(row: NameFacts, person: NameFacts, rule: str) -> bool:
    """Whether a candidate found by ``rule`` may be the row's person (see module docstring)."""
    if not row.last_key and not row.first_key:
        return rule != RULE_NAME_ZIP
    if row.last_key != person.last_key:
        return False
    if not first_names_compatible(row.first_key, person.first_key):
        return False
    row_suffix, person_suffix = _suffix_token(row.suffix), _suffix_token(person.suffix)
    return not (row_suffix and person_suffix and row_suffix != person_suffix)


@dataclass(frozen=True, slots=True)
class Decision:
    """The person a new-key row lands on (``None``: a new person), the rule, and every other
    accepted person when they differ (a conflict)."""

    person_id: int | None
    rule: str
    conflicting: tuple[tuple[int, str], ...]


def decide(row: NameFacts, candidates: list[Candidate]) -> Decision:
    """Apply the precedence and the name guard to the candidates of one row."""
    accepted: list[Candidate] = []
    for rule in PRECEDENCE:
        of_rule = [c for c in candidates if c.rule == rule]
        if len({c.person_id for c in of_rule}) > CANDIDATE_CAP:
            continue
        accepted.extend(c for c in of_rule if names_compatible(row, c.names, rule))
    if not accepted:
        return Decision(None, RULE_NEW, ())
    chosen = accepted[0]
    seen: dict[int, str] = {}
    for candidate in accepted:
        seen.setdefault(candidate.person_id, candidate.rule)
    conflicting = tuple(seen.items()) if len(seen) > 1 else ()
    return Decision(chosen.person_id, chosen.rule, conflicting)
