"""The chunk writer: one normalised chunk into the source of truth, set-based, in the caller's
transaction (a chunk commits entirely or not at all).

For a chunk of N rows the database sees a fixed number of statements, never one per row:

1. the chunk's source keys are staged and joined to ``source_records`` (known keys);
2. the match values of rows with new keys (e-mails, E.164 phones, name + ZIP) are staged and
   joined to the canonical tables' indexes (candidates, see :mod:`ingestion.matching`);
3. rows are classified in source order (:meth:`ChunkWriter.classify`): a known key with the
   same checksum is *unchanged*, with another checksum *updated*; a key already seen in this
   import is a *duplicate-in-batch* (its values still merge when they differ); a new key lands
   on its matched person (*updated*) or creates one (*inserted*);
4. new persons are inserted in row order from staging (consecutive ids, verified), then person
   fields, phones, e-mails, addresses and touchpoints are upserted with the survivorship rules
   of :mod:`cmplatform.lib.bulk` (manual overrides never touched, newest source timestamp wins,
   never overwritten by an empty value, verified beats unverified);
5. ``source_records`` are upserted, and lineage, row errors and match conflicts appended.

Rows whose source has no record key of its own get ``h:<checksum>`` keys in the shared
namespace :data:`HASH_NAMESPACE`: the same facts from any file are the same record, so the same
rows in another file come out *unchanged*.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, Max, Min

from cmplatform.core.golden_facts import golden_facts_refresh
from cmplatform.core.models import Person
from cmplatform.lib.bulk import (
    BulkLoadError,
    Column,
    ColumnType,
    Join,
    Merge,
    PreparedLoad,
    Rule,
    Upsert,
    discard_prepared,
    insert_from_staging,
    load_prepared,
    prepare_load,
    staging_create,
    staging_load,
    staging_lookup,
    upsert_from_staging,
)
from cmplatform.lib.normalize import phone_number_key
from ingestion import matching
from ingestion.matching import Candidate, NameFacts
from ingestion.models import RecordVersion
from ingestion.parallel import NormalizedChunk
from ingestion.records import NormalizedRecord

HASH_NAMESPACE = "*"
TOUCH_ID_LENGTH = 128  # touchpoints.external_id
LOCKS = "manual_override_fields"

V = ColumnType.VARCHAR


def _col(name: str, kind: ColumnType, length: int | None = None) -> Column:
    return Column(name, kind, length)


@dataclass
class ChunkCounts:
    """The outcome counts of one chunk; they add up to ``rows_read``."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    errors: int = 0
    conflicts: int = 0

    @property
    def reconciles(self) -> bool:
        return self.rows_read == (
            self.inserted + self.updated + self.unchanged + self.duplicates + self.errors
        )


@dataclass(frozen=True, slots=True)
class _Known:
    person_id: int
    checksum: str
    last_batch_id: int
    last_row: int


@dataclass(slots=True)
class _Placed:
    """Where one accepted row went. ``person`` is an id, or ``-(slot + 1)`` for a person this
    chunk creates (resolved to an id once inserted)."""

    record: NormalizedRecord
    namespace: str
    outcome: str
    rule: str
    person: int
    apply: bool
    conflicting: tuple[tuple[int, str], ...] = ()


@dataclass
class Classified:
    placed: list[_Placed] = field(default_factory=list)
    new_persons: list[NormalizedRecord] = field(default_factory=list)


class ChunkWriter:
    """Writes chunks of one import batch; see the module docstring."""

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        *,
        batch_id: int,
        source: str,
        channel: str,
        campaign_id: int | None,
        default_timestamp: dt.datetime,
    ) -> None:
        self.connection = connection
        self.batch_id = batch_id
        self.source = source
        self.channel = channel
        self.campaign_id = campaign_id
        self.default_timestamp = default_timestamp
        self.phase_seconds: dict[str, float] = {}

    # -- look-ups ----------------------------------------------------------------------------

    def _namespace(self, record: NormalizedRecord) -> str:
        return self.source if record.has_own_key else HASH_NAMESPACE

    def _known_keys(self, records: Sequence[NormalizedRecord]) -> dict[tuple[str, str], _Known]:
        keys = dict.fromkeys((self._namespace(r), r.source_key) for r in records)
        columns = [Column("source", V, 64, exact=True), Column("source_key", V, 191, exact=True)]
        staging_create(self.connection, name="stg_keys", columns=columns)
        staging_load(self.connection, name="stg_keys", columns=columns, rows=keys)
        rows = staging_lookup(
            self.connection,
            staging="stg_keys",
            joins=[
                Join(
                    "source_records",
                    "r",
                    [("source", "s.source"), ("source_key", "s.source_key")],
                    index="source_records_key_uniq",
                )
            ],
            select=[
                "s.source",
                "s.source_key",
                "r.person_id",
                "r.checksum",
                "r.last_batch_id",
                "r.last_row",
            ],
        )
        return {(row[0], row[1]): _Known(*row[2:]) for row in rows}

    def _known_facts(self, fresh: Sequence[NormalizedRecord]) -> dict[str, int]:
        """Checksum → person for facts already brought under another key (lowest person id)."""
        checksums = dict.fromkeys((r.checksum,) for r in fresh)
        columns = [Column("checksum", V, 32, exact=True)]
        staging_create(self.connection, name="stg_checksums", columns=columns)
        staging_load(self.connection, name="stg_checksums", columns=columns, rows=checksums)
        rows = staging_lookup(
            self.connection,
            staging="stg_checksums",
            joins=[
                Join(
                    "source_records",
                    "r",
                    [("checksum", "s.checksum")],
                    index="source_records_checksum_idx",
                )
            ],
            select=["s.checksum", "r.person_id"],
        )
        found: dict[str, int] = {}
        for checksum, person_id in rows:
            if checksum not in found or person_id < found[checksum]:
                found[checksum] = person_id
        return found

    def _candidates(self, fresh: Sequence[NormalizedRecord]) -> dict[int, list[Candidate]]:
        """Existing persons each fresh row might be, per row number, in precedence order."""
        # One narrow staging table per rule: fewer values to write than one wide table.
        by_rule: dict[str, list[tuple[Any, ...]]] = {rule: [] for rule in matching.PRECEDENCE}
        for record in fresh:
            number = record.row_number
            by_rule[matching.RULE_EMAIL].extend((number, e) for e in record.match_emails)
            by_rule[matching.RULE_PHONE].extend((number, p) for p in record.match_phones)
            if record.name_zip is not None:
                by_rule[matching.RULE_NAME_ZIP].append((number, *record.name_zip))
        row_column = _col("row_number", ColumnType.BIGINT)
        staging_columns = {
            # e-mails are exact keys; E.164 numbers are ASCII digits either way
            matching.RULE_EMAIL: [row_column, Column("value", V, 254, exact=True)],
            matching.RULE_PHONE: [row_column, _col("value", V, 16)],
            matching.RULE_NAME_ZIP: [
                _col("row_number", ColumnType.BIGINT),
                _col("last_key", V, 100),
                _col("first_key", V, 100),
                _col("zip5", V, 5),
            ],
        }
        found: dict[int, list[Candidate]] = defaultdict(list)
        person = [
            "p.id",
            "p.is_duplicate",
            "p.merged_into_id",
            "p.first_name_key",
            "p.last_name_key",
            "p.suffix",
        ]
        lookups = {
            matching.RULE_EMAIL: [
                Join(
                    "email_addresses",
                    "c",
                    [("email", "s.value")],
                    index="email_addresses_email_idx",
                ),
                Join("persons", "p", [("id", "c.person_id")], index="PRIMARY"),
            ],
            matching.RULE_PHONE: [
                Join("phone_numbers", "c", [("e164", "s.value")], index="phone_numbers_e164_idx"),
                Join("persons", "p", [("id", "c.person_id")], index="PRIMARY"),
            ],
            matching.RULE_NAME_ZIP: [
                Join(
                    "persons",
                    "p",
                    [
                        ("last_name_key", "s.last_key"),
                        ("first_name_key", "s.first_key"),
                        ("zip5", "s.zip5"),
                    ],
                    index="persons_name_zip_idx",
                ),
            ],
        }
        for rule in matching.PRECEDENCE:
            staged = by_rule[rule]
            if not staged:
                continue
            staging = f"stg_match_{rule}"
            staging_create(self.connection, name=staging, columns=staging_columns[rule])
            staging_load(self.connection, name=staging, columns=staging_columns[rule], rows=staged)
            rows = staging_lookup(
                self.connection,
                staging=staging,
                joins=lookups[rule],
                select=["s.row_number", *person],
            )
            by_row: dict[int, dict[int, Candidate]] = defaultdict(dict)
            for row_number, pid, is_duplicate, merged_into, first_key, last_key, suffix in rows:
                golden = merged_into if is_duplicate and merged_into else pid
                names = NameFacts(first_key or "", last_key or "", suffix or "")
                by_row[row_number].setdefault(golden, Candidate(golden, rule, names))
            for row_number, candidates in by_row.items():
                found[row_number].extend(sorted(candidates.values(), key=lambda c: c.person_id))
        return found

    # -- classification ----------------------------------------------------------------------

    def classify(self, records: Sequence[NormalizedRecord]) -> Classified:
        with self._phase("lookup_keys"):
            known = self._known_keys(records)
        first_seen: dict[tuple[str, str], NormalizedRecord] = {}
        for record in records:
            first_seen.setdefault((self._namespace(record), record.source_key), record)
        fresh = [r for key, r in first_seen.items() if key not in known]
        with self._phase("lookup_facts"):
            same_facts = self._known_facts(fresh) if fresh else {}
        with self._phase("lookup_candidates"):
            # A row with its own record key is its own person until golden-record resolution
            # links it: only rows without a key are matched here (docs/ingestion.md).
            candidates = self._candidates(
                [r for r in fresh if not r.has_own_key and r.checksum not in same_facts]
            )
        with self._phase("classify"):
            return self._place(records, known, same_facts, candidates)

    def _place(
        self,
        records: Sequence[NormalizedRecord],
        known: dict[tuple[str, str], _Known],
        same_facts: dict[str, int],
        candidates: dict[int, list[Candidate]],
    ) -> Classified:
        """Each row's outcome and person, in source order (step 3 of the module docstring)."""
        result = Classified()
        placed = result.placed.append
        in_chunk: dict[tuple[str, str], tuple[int, str]] = {}  # key -> (person ref, checksum)
        local_email: dict[str, list[int]] = {}
        local_phone: dict[str, list[int]] = {}
        local_name: dict[tuple[str, str, str], list[int]] = {}
        local_names: dict[int, NameFacts] = {}
        # Facts already placed in this chunk (under any key): a later row with the same facts
        # under a new key is "unchanged", as it would be in a later chunk.
        facts_in_chunk: dict[str, int] = {}
        duplicate, unchanged = RecordVersion.Outcome.DUPLICATE, RecordVersion.Outcome.UNCHANGED
        updated, inserted = RecordVersion.Outcome.UPDATED, RecordVersion.Outcome.INSERTED

        def remember(record: NormalizedRecord, person: int) -> None:
            """Make what this row brings visible to the chunk's later rows, as the database
            makes it visible to later chunks: counts must not depend on the chunk size."""
            facts_in_chunk.setdefault(record.checksum, person)
            if person not in local_names:
                local_names[person] = _name_facts(record)
            for email in record.match_emails:
                _add(local_email, email, person)
            for phone in record.match_phones:
                _add(local_phone, phone, person)
            if record.name_zip is not None:
                _add(local_name, record.name_zip, person)

        for record in records:
            namespace = self.source if record.has_own_key else HASH_NAMESPACE
            key = (namespace, record.source_key)
            if key in in_chunk:
                person, checksum = in_chunk[key]
                changed = checksum != record.checksum
                placed(_Placed(record, namespace, duplicate, matching.RULE_KEY, person, changed))
                in_chunk[key] = (person, record.checksum)
                if changed:
                    remember(record, person)
                continue
            entry = known.get(key)
            if entry is not None:
                if entry.last_batch_id == self.batch_id and entry.last_row < record.row_number:
                    outcome = duplicate
                    changed = entry.checksum != record.checksum
                elif entry.checksum == record.checksum:
                    outcome, changed = unchanged, False
                else:
                    outcome, changed = updated, True
                placed(
                    _Placed(record, namespace, outcome, matching.RULE_KEY, entry.person_id, changed)
                )
                in_chunk[key] = (entry.person_id, record.checksum)
                remember(record, entry.person_id)
                continue
            known_facts = same_facts.get(record.checksum, facts_in_chunk.get(record.checksum))
            if known_facts is not None:
                placed(
                    _Placed(
                        record, namespace, unchanged, matching.RULE_SAME_FACTS, known_facts, False
                    )
                )
                in_chunk[key] = (known_facts, record.checksum)
                continue
            row_candidates = candidates.get(record.row_number, [])
            local = []
            if not record.has_own_key:
                local = [(matching.RULE_EMAIL, local_email.get(e)) for e in record.match_emails]
                local += [(matching.RULE_PHONE, local_phone.get(p)) for p in record.match_phones]
                if record.name_zip is not None:
                    local.append((matching.RULE_NAME_ZIP, local_name.get(record.name_zip)))
            local_hits = [(rule, refs) for rule, refs in local if refs]
            if not row_candidates and not local_hits:
                decision = _NO_MATCH  # nobody to decide between: a keyed row, or a new person
            else:
                row_candidates = row_candidates + [
                    Candidate(ref, rule, local_names[ref])
                    for rule, refs in local_hits
                    for ref in refs
                ]
                row_candidates.sort(key=_precedence)
                decision = matching.decide(_name_facts(record), row_candidates)
            if decision.person_id is None:
                person = -(len(result.new_persons) + 1)
                result.new_persons.append(record)
                placed(_Placed(record, namespace, inserted, matching.RULE_NEW, person, True))
            else:
                person = decision.person_id
                if person not in local_names:
                    matched = next(c for c in row_candidates if c.person_id == person)
                    local_names[person] = matched.names
                placed(
                    _Placed(
                        record,
                        namespace,
                        updated,
                        decision.rule,
                        person,
                        True,
                        decision.conflicting,
                    )
                )
            in_chunk[key] = (person, record.checksum)
            remember(record, person)
        return result

    # -- writes ------------------------------------------------------------------------------

    def _timestamp(self, record: NormalizedRecord) -> dt.datetime:
        return (
            record.source_updated_at
            or record.touched_at
            or record.source_created_at
            or self.default_timestamp
        )

    def _insert_persons(self, new_persons: Sequence[NormalizedRecord], stamp: dt.datetime) -> int:
        """Insert the chunk's new persons in order; return the id of the first."""
        columns = [_col("slot", ColumnType.INTEGER), *_PERSON_COLUMNS]
        rows = ((slot, *self._person_values(record)) for slot, record in enumerate(new_persons))
        staging_create(self.connection, name="stg_new_persons", columns=columns)
        staging_load(self.connection, name="stg_new_persons", columns=columns, rows=rows)
        mapped = {c.name: c.name for c in columns if c.name != "slot"}
        count = insert_from_staging(
            self.connection,
            target="persons",
            staging="stg_new_persons",
            columns=mapped,
            order_by=("slot",),
            constants=self._person_constants(stamp),
        )
        ids = _created_range(self.connection, stamp)
        first, last, total = ids
        if count != len(new_persons) or total != len(new_persons) or last - first + 1 != total:
            raise BulkLoadError(
                f"New persons did not get consecutive ids ({total} rows between {first} and "
                f"{last} for {len(new_persons)} inserted); check innodb_autoinc_lock_mode."
            )
        return int(first)

    def _person_values(self, record: NormalizedRecord) -> tuple[Any, ...]:
        address = record.address
        return (
            record.first_name,
            record.middle_name,
            record.last_name,
            record.suffix,
            record.first_name_key,
            record.last_name_key,
            (address.state or "") if address else "",
            address.county if address else "",
            (address.zip5 or "") if address else "",
            self._timestamp(record),
            record.lead_status or "new",
        )

    def _person_constants(self, stamp: dt.datetime) -> dict[str, Any]:
        """Columns every person row of a chunk gets alike (insert-only but for the stamps)."""
        return {
            "created_at": stamp,
            "updated_at": stamp,
            "last_imported_at": stamp,
            "source": self.source,
            "is_original": True,
            "is_duplicate": False,
            "is_manual_override": False,
            "manual_override_fields": "[]",
            "survivorship": "{}",
            "score": 0,
        }

    @contextlib.contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.phase_seconds[name] = round(
                self.phase_seconds.get(name, 0.0) + time.perf_counter() - began, 3
            )

    def write(self, chunk: NormalizedChunk, stamp: dt.datetime) -> ChunkCounts:
        """Write one chunk (inside the caller's transaction) and return its counts; the
        seconds spent in each phase are left in :attr:`phase_seconds`."""
        self.phase_seconds = {}
        counts = ChunkCounts(rows_read=chunk.rows_read)
        classified = self.classify(chunk.records) if chunk.records else Classified()
        with self._phase("persons_insert"):
            first_id = (
                self._insert_persons(classified.new_persons, stamp) if classified.new_persons else 0
            )

        def resolve(person: int) -> int:
            return first_id + (-person - 1) if person < 0 else person

        for placed in classified.placed:
            placed.person = resolve(placed.person)
            if placed.outcome == RecordVersion.Outcome.INSERTED:
                counts.inserted += 1
            elif placed.outcome == RecordVersion.Outcome.UPDATED:
                counts.updated += 1
            elif placed.outcome == RecordVersion.Outcome.UNCHANGED:
                counts.unchanged += 1
            else:
                counts.duplicates += 1
            if placed.conflicting:
                counts.conflicts += 1
        applied = [p for p in classified.placed if p.apply]
        errors = self._error_rows(chunk)
        counts.errors = len(errors)
        conflicting = [p for p in classified.placed if p.conflicting]
        self._run(
            [
                self._person_updates(
                    [p for p in applied if p.outcome != RecordVersion.Outcome.INSERTED], stamp
                ),
                *self._contact_writes(applied, stamp),
                self._source_records(classified.placed, stamp),
                _Write(
                    "lineage",
                    "record_versions",
                    _LINEAGE_COLUMNS,
                    lambda: self._lineage_rows(classified.placed, stamp),
                    temporary=False,
                ),
                _Write(
                    "lineage",
                    "match_conflicts",
                    _CONFLICT_COLUMNS,
                    lambda: self._conflict_rows(conflicting, stamp, resolve),
                    temporary=False,
                ),
                _Write(
                    "lineage", "import_row_errors", _ERROR_COLUMNS, lambda: errors, temporary=False
                ),
            ]
        )
        with self._phase("golden_facts"):
            golden_facts_refresh(
                person_ids=[p.person for p in applied], using=self.connection.alias
            )
        return counts

    def _run(self, writes: Sequence[_Write]) -> None:
        """Load and apply ``writes`` in order on this connection, while a second thread
        prepares (converts, checks, formats) the next ones: the database's time and Python's
        overlap instead of taking turns. Nothing but the preparing leaves this thread."""
        vendor = self.connection.vendor
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="chunk-staging") as formatter:
            futures = [formatter.submit(_prepare, vendor, write) for write in writes]
            try:
                for write, future in zip(writes, futures, strict=True):
                    with self._phase(write.phase):
                        prepared = future.result()
                        if prepared.count == 0:
                            discard_prepared(prepared)
                            continue
                        if write.temporary:
                            staging_create(self.connection, name=write.table, columns=write.columns)
                        load_prepared(
                            self.connection,
                            name=write.table,
                            prepared=prepared,
                            temporary=write.temporary,
                        )
                        if write.then is not None:
                            write.then()
            finally:
                # After a failure: stop what has not started, give back what was prepared.
                for future in futures:
                    if future.cancel():
                        continue
                    with contextlib.suppress(Exception):
                        discard_prepared(future.result())

    def _person_updates(self, placed: Sequence[_Placed], stamp: dt.datetime) -> _Write:
        columns = [_col("seq", ColumnType.BIGINT), _col("id", ColumnType.BIGINT), *_PERSON_COLUMNS]

        def rows() -> Iterator[tuple[Any, ...]]:
            for p in placed:
                yield (p.record.row_number, p.person, *self._person_values(p.record))

        def upsert() -> None:
            mapped = {c.name: c.name for c in columns if c.name != "seq"}
            newest = {
                name: Merge(Rule.NEWEST, locked_by=LOCKS, lock_as=_LOCK_OF.get(name, name))
                for name in _PERSON_NEWEST
            }
            merge = {name: Merge(Rule.KEEP) for name in _PERSON_KEEP}
            merge.update(newest)
            merge.update(
                {
                    "updated_at": Merge(Rule.OVERWRITE),
                    "last_imported_at": Merge(Rule.OVERWRITE),
                    "source_updated_at": Merge(Rule.NEWEST),
                }
            )
            upsert_from_staging(
                self.connection,
                Upsert(
                    target="persons",
                    staging="stg_person_updates",
                    key=("id",),
                    columns=mapped,
                    merge=merge,
                    timestamp=("source_updated_at", "source_updated_at"),
                    order_by=("seq",),
                    constants=self._person_constants(stamp),
                ),
            )

        return _Write("persons_update", "stg_person_updates", columns, rows, upsert)

    def _contact_writes(self, placed: Sequence[_Placed], stamp: dt.datetime) -> list[_Write]:
        inserted = RecordVersion.Outcome.INSERTED

        def phones() -> Iterator[tuple[Any, ...]]:
            for p in placed:
                is_new = p.outcome == inserted
                for index, phone in enumerate(p.record.phones):
                    kind = (
                        "mobile"
                        if phone.from_mobile_column and phone.kind == "unknown"
                        else phone.kind
                    )
                    yield (
                        p.record.row_number,
                        p.person,
                        phone.raw.strip()[:64],
                        phone.e164,
                        phone_number_key(raw=phone.raw, e164=phone.e164),
                        kind,
                        phone.is_valid,
                        is_new and index == 0,
                    )

        def emails() -> Iterator[tuple[Any, ...]]:
            for p in placed:
                is_new = p.outcome == inserted
                for index, email in enumerate(p.record.emails):
                    yield (
                        p.record.row_number,
                        p.person,
                        email.email or email.raw.strip().lower(),
                        email.is_valid,
                        is_new and index == 0,
                    )

        def addresses() -> Iterator[tuple[Any, ...]]:
            for p in placed:
                address = p.record.address
                if address is not None and address.street:
                    yield (
                        p.record.row_number,
                        p.person,
                        address.street,
                        address.city,
                        address.state or "",
                        address.zip5 or "",
                        address.zip4 or "",
                        address.county,
                        address.address_key,
                        p.outcome == inserted,
                    )

        def touches() -> Iterator[tuple[Any, ...]]:
            if not self.channel:
                return
            for p in placed:
                touched_at = p.record.touched_at
                if touched_at is not None:
                    yield (
                        p.record.row_number,
                        p.person,
                        touched_at,
                        _touch_id(p.record.source_key, touched_at),
                    )

        return [
            self._upsert(
                "phone_numbers",
                phones,
                [
                    _col("seq", ColumnType.BIGINT),
                    _col("person_id", ColumnType.BIGINT),
                    _col("raw", V, 64),
                    _col("e164", V, 16),
                    _col("number_key", V, 64),
                    _col("phone_type", V, 16),
                    _col("is_valid", ColumnType.BOOLEAN),
                    _col("is_primary", ColumnType.BOOLEAN),
                ],
                key=("person_id", "number_key"),
                constants={"dnc_status": "UNCHECKED"},
                merge={
                    "raw": Merge(Rule.KEEP),
                    "e164": Merge(Rule.FILL),
                    "phone_type": Merge(Rule.KEEP),
                    "is_valid": Merge(Rule.UPGRADE),
                    "is_primary": Merge(Rule.KEEP),
                },
                stamp=stamp,
            ),
            self._upsert(
                "email_addresses",
                emails,
                [
                    _col("seq", ColumnType.BIGINT),
                    _col("person_id", ColumnType.BIGINT),
                    _col("email", V, 254),
                    _col("is_valid", ColumnType.BOOLEAN),
                    _col("is_primary", ColumnType.BOOLEAN),
                ],
                key=("person_id", "email"),
                constants={"is_verified": False, "opt_out_status": "CLEAR"},
                merge={"is_valid": Merge(Rule.UPGRADE), "is_primary": Merge(Rule.KEEP)},
                stamp=stamp,
            ),
            self._upsert(
                "addresses",
                addresses,
                [
                    _col("seq", ColumnType.BIGINT),
                    _col("person_id", ColumnType.BIGINT),
                    _col("street", V, 200),
                    _col("city", V, 100),
                    _col("state", V, 2),
                    _col("zip5", V, 5),
                    _col("zip4", V, 4),
                    _col("county", V, 100),
                    _col("address_key", V, 255),
                    _col("is_primary", ColumnType.BOOLEAN),
                ],
                key=("person_id", "address_key"),
                constants={},
                merge={"street": Merge(Rule.KEEP), "is_primary": Merge(Rule.KEEP)},
                stamp=stamp,
            ),
            self._upsert(
                "touchpoints",
                touches,
                [
                    _col("seq", ColumnType.BIGINT),
                    _col("person_id", ColumnType.BIGINT),
                    _col("occurred_at", ColumnType.DATETIME),
                    _col("external_id", V, 128),
                ],
                key=("source", "external_id"),
                constants={
                    "status": "sent",
                    "metadata": "{}",
                    "campaign_id": self.campaign_id,
                    "channel": self.channel,
                    "source": self.source,
                },
                merge={
                    "person_id": Merge(Rule.KEEP),
                    "campaign_id": Merge(Rule.KEEP),
                    "channel": Merge(Rule.KEEP),
                    "occurred_at": Merge(Rule.KEEP),
                },
                created_only=True,
                stamp=stamp,
            ),
        ]

    def _upsert(
        self,
        table: str,
        rows: Callable[[], Iterable[Sequence[Any]]],
        columns: list[Column],
        *,
        key: tuple[str, ...],
        constants: dict[str, Any],
        merge: dict[str, Merge],
        stamp: dt.datetime,
        created_only: bool = False,
    ) -> _Write:
        """The write of one contact table: staged rows upserted on ``key``."""
        staging = f"stg_{table}"
        mapped = {c.name: c.name for c in columns if c.name != "seq"}
        constants = {**constants, "created_at": stamp}
        merge = {**merge, "created_at": Merge(Rule.KEEP)}
        merge.update({name: Merge(Rule.KEEP) for name in constants if name not in merge})
        if not created_only:
            constants["updated_at"] = stamp
            merge["updated_at"] = Merge(Rule.OVERWRITE)
        mapped.update({name: name for name in constants})
        upsert = Upsert(
            target=table,
            staging=staging,
            key=key,
            columns=mapped,
            merge=merge,
            order_by=("seq",),
            constants=constants,
        )
        return _Write(
            table, staging, columns, rows, lambda: upsert_from_staging(self.connection, upsert)
        )

    def _source_records(self, placed: Sequence[_Placed], stamp: dt.datetime) -> _Write:
        columns = [
            _col("source", V, 64),
            _col("source_key", V, 191),
            _col("person_id", ColumnType.BIGINT),
            _col("checksum", V, 32),
            _col("last_row", ColumnType.BIGINT),
        ]

        def rows() -> Iterator[tuple[Any, ...]]:
            for p in placed:
                yield (
                    p.namespace,
                    p.record.source_key,
                    p.person,
                    p.record.checksum,
                    p.record.row_number,
                )

        upsert = Upsert(
            target="source_records",
            staging="stg_source_records",
            key=("source", "source_key"),
            columns={
                **{c.name: c.name for c in columns},
                "last_batch_id": "last_batch_id",
                "updated_at": "updated_at",
            },
            constants={"last_batch_id": self.batch_id, "updated_at": stamp},
            merge={
                "person_id": Merge(Rule.KEEP),
                "checksum": Merge(Rule.OVERWRITE),
                "last_batch_id": Merge(Rule.OVERWRITE),
                "last_row": Merge(Rule.OVERWRITE),
                "updated_at": Merge(Rule.OVERWRITE),
            },
            order_by=("last_row",),
        )
        return _Write(
            "source_records",
            "stg_source_records",
            columns,
            rows,
            lambda: upsert_from_staging(self.connection, upsert),
        )

    def _lineage_rows(
        self, placed: Sequence[_Placed], stamp: dt.datetime
    ) -> Iterator[tuple[Any, ...]]:
        for p in placed:
            yield (
                self.batch_id,
                p.record.row_number,
                p.namespace,
                p.record.source_key,
                p.person,
                p.outcome,
                p.rule,
                p.record.checksum,
                p.record.source_updated_at,
                p.record.brought_json,
                p.record.issues_json,
                stamp,
            )

    def _conflict_rows(
        self, placed: Sequence[_Placed], stamp: dt.datetime, resolve: Callable[[int], int]
    ) -> Iterator[tuple[Any, ...]]:
        for p in placed:
            candidates = [{"person_id": resolve(pid), "rule": rule} for pid, rule in p.conflicting]
            yield (
                self.batch_id,
                p.record.row_number,
                p.record.source_key,
                p.person,
                json.dumps(candidates),
                False,
                stamp,
            )

    def _error_rows(self, chunk: NormalizedChunk) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for rejected in chunk.rejected:
            rows.append(
                (
                    self.batch_id,
                    rejected.row_number,
                    rejected.location[:100],
                    rejected.error_type,
                    rejected.field_name[:100],
                    rejected.field_value or "",
                    rejected.message,
                    json.dumps(rejected.raw, ensure_ascii=False),
                )
            )
        for error in chunk.row_errors:
            rows.append(
                (
                    self.batch_id,
                    error.number,
                    error.location[:100],
                    error.error_type,
                    "",
                    error.raw,  # the unreadable line itself, for the error report
                    error.message,
                    error.raw,
                )
            )
        rows.sort(key=lambda row: row[1])
        return rows


@dataclass
class _Write:
    """One table write of a chunk: rows (produced in the preparing thread) loaded into
    ``table`` — a staging table, or an append-only table when not ``temporary`` — then
    ``then`` (the upsert from staging), skipped when there are no rows."""

    phase: str
    table: str
    columns: Sequence[Column]
    rows: Callable[[], Iterable[Sequence[Any]]]
    then: Callable[[], None] | None = None
    temporary: bool = True


def _prepare(vendor: str, write: _Write) -> PreparedLoad:
    return prepare_load(vendor, write.columns, write.rows())


def _touch_id(source_key: str, touched_at: dt.datetime) -> str:
    """The touchpoint's natural key within its source: the record and the moment of the touch
    (one record mailed in March and in May is two touches), hashed when too long."""
    moment = touched_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S")
    touch_id = f"{source_key}@{moment}"
    if len(touch_id) > TOUCH_ID_LENGTH:
        return "h:" + hashlib.blake2b(touch_id.encode("utf-8"), digest_size=32).hexdigest()
    return touch_id


_NO_MATCH = matching.Decision(None, matching.RULE_NEW, ())


def _precedence(candidate: Candidate) -> int:
    return matching.PRECEDENCE.index(candidate.rule)


def _name_facts(record: NormalizedRecord) -> NameFacts:
    return NameFacts(record.first_name_key, record.last_name_key, record.suffix)


def _add(index: dict[Any, list[int]], value: Any, person: int) -> None:
    persons = index.get(value)
    if persons is None:
        index[value] = [person]
    elif person not in persons:
        persons.append(person)


def _created_range(connection: BaseDatabaseWrapper, stamp: dt.datetime) -> tuple[int, int, int]:
    """(first id, last id, count) of the persons created at ``stamp``: one aggregate over the
    ``created_at`` index."""
    found = (
        Person.objects.using(connection.alias)
        .filter(created_at=stamp)
        .aggregate(first=Min("id"), last=Max("id"), total=Count("id"))
    )
    if not found["total"]:
        return 0, -1, 0
    return found["first"], found["last"], found["total"]


_PERSON_COLUMNS = [
    _col("first_name", V, 100),
    _col("middle_name", V, 100),
    _col("last_name", V, 100),
    _col("suffix", V, 20),
    _col("first_name_key", V, 100),
    _col("last_name_key", V, 100),
    _col("state", V, 2),
    _col("county", V, 100),
    _col("zip5", V, 5),
    _col("source_updated_at", ColumnType.DATETIME),
    _col("lead_status", V, 20),  # set on insert only (Rule.KEEP on update)
]
_PERSON_NEWEST = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "first_name_key",
    "last_name_key",
    "state",
    "county",
    "zip5",
)
_LOCK_OF = {"first_name_key": "first_name", "last_name_key": "last_name"}
_PERSON_KEEP = (
    "is_original",
    "is_duplicate",
    "is_manual_override",
    "manual_override_fields",
    "lead_status",
    "score",
    "source",
    "created_at",
)

_LINEAGE_COLUMNS = [
    _col("batch_id", ColumnType.BIGINT),
    _col("row_number", ColumnType.BIGINT),
    _col("source", V, 64),
    _col("source_key", V, 191),
    _col("person_id", ColumnType.BIGINT),
    _col("outcome", V, 10),
    _col("match_rule", V, 12),
    _col("checksum", V, 32),
    _col("source_updated_at", ColumnType.DATETIME),
    _col("values", ColumnType.TEXT),
    _col("issues", ColumnType.TEXT),
    _col("recorded_at", ColumnType.DATETIME),
]
_CONFLICT_COLUMNS = [
    _col("batch_id", ColumnType.BIGINT),
    _col("row_number", ColumnType.BIGINT),
    _col("source_key", V, 191),
    _col("chosen_person_id", ColumnType.BIGINT),
    _col("candidates", ColumnType.TEXT),
    _col("resolved", ColumnType.BOOLEAN),
    _col("created_at", ColumnType.DATETIME),
]
_ERROR_COLUMNS = [
    _col("batch_id", ColumnType.BIGINT),
    _col("row_number", ColumnType.BIGINT),
    _col("location", V, 100),
    _col("error_type", V, 40),
    _col("field_name", V, 100),
    _col("field_value", ColumnType.TEXT),
    _col("message", ColumnType.TEXT),
    _col("raw", ColumnType.TEXT),
]
