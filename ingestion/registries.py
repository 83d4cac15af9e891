"""Do-Not-Call registry files through the ingestion machinery: landing zone, checksum, import
batch, reconciled chunks, error rows and the three reports — then the incremental scrub.

Kinds (``RegistryFile.kind``):

* ``federal`` — the national registry's *full list* (every number of the area codes in the file;
  numbers of those area codes missing from it are marked removed: drift) or its *change list*
  (additions and deletions since the last download).
* ``state`` — one state's list, with its list date; a full list or a change list alike.
* ``internal`` — the company's own DNC list: each number becomes an internal-DNC suppression.

The registry's exact file layout must be confirmed from the portal before go-live, so it is a
:class:`Layout` (delimiter, which columns hold the area code/number or the whole number, which
holds the add/delete action and its codes), given as JSON and stored on the batch.

Every line ends in one outcome: inserted (a new number), updated (re-added, or deleted), unchanged
(already so), duplicate (the same number twice in a chunk) or error (not a valid US number, an
unknown action code), so rows read = the outcomes, per chunk and per file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, QuerySet

from compliance.models import FederalDnc, RegistryCoverage, RegistryKind, StateDnc, Suppression
from compliance.scrub import persons_with_numbers, scrub_all, scrub_persons
from ingestion.engine import ChunkCounts
from ingestion.landing import land_path, local_copy
from ingestion.models import ImportBatch, ImportChunk, ImportRowError
from ingestion.services import ImportRequestError, _complete, _finish

logger = logging.getLogger(__name__)

Status = ImportBatch.Status
# Numbers per look-up and per multi-row upsert statement.
WRITE_BATCH = 5_000
# Above this many changed numbers an incremental scrub costs more than a full one.
INCREMENTAL_SCRUB_LIMIT = 1_000_000


@dataclass(frozen=True)
class Layout:
    """How a registry file's lines are laid out. Columns are 0-based. ``number_columns`` is
    either one column holding the whole number or two (area code, then the 7-digit number).
    ``action_column`` is ``None`` for a full list (every line an addition)."""

    delimiter: str = ","
    number_columns: tuple[int, ...] = (0, 1)
    action_column: int | None = None
    add_codes: tuple[str, ...] = ("A", "ADD", "I")
    delete_codes: tuple[str, ...] = ("D", "DEL", "DELETE", "R")
    has_header: bool = False

    @classmethod
    def from_json(cls, text: str | None, *, change_list: bool) -> Layout:
        base = cls(action_column=2) if change_list else cls()
        if not text:
            return base
        try:
            given = json.loads(text)
        except json.JSONDecodeError as error:
            raise ImportRequestError(f"The registry layout is not valid JSON: {error}") from None
        if not isinstance(given, dict):
            raise ImportRequestError("The registry layout must be a JSON object.")
        known = set(asdict(base))
        unknown = set(given) - known
        if unknown:
            raise ImportRequestError(
                f"Unknown registry layout keys: {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(known))})."
            )
        values = {**asdict(base), **given}
        for name in ("number_columns", "add_codes", "delete_codes"):
            values[name] = tuple(values[name])
        if len(values["number_columns"]) not in (1, 2):
            raise ImportRequestError("number_columns needs one column or two (area code, number).")
        return cls(**values)


@dataclass(frozen=True)
class RegistryFile:
    """One registry file to load."""

    path: Path
    kind: str
    list_date: dt.date
    change_list: bool = False
    state: str = ""
    layout: Layout = field(default_factory=Layout)
    #: area codes the file covers (a change list covers the subscription; default: the area
    #: codes already covered plus those in the file)
    area_codes: tuple[str, ...] = ()
    force: bool = False


@dataclass
class _Line:
    row: int
    phone: str
    is_delete: bool


def _e164(digits: str) -> str | None:
    digits = "".join(ch for ch in digits if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    try:
        number = phonenumbers.parse("+1" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _lines(handle: io.TextIOBase, layout: Layout) -> Iterator[_Line | ImportRowError]:
    reader = csv.reader(handle, delimiter=layout.delimiter)
    for row_number, cells in enumerate(reader, start=1):
        if row_number == 1 and layout.has_header:
            continue
        raw = layout.delimiter.join(cells)
        if not any(cell.strip() for cell in cells):
            yield _row_error(row_number, "empty_line", "", raw, "The line is empty.")
            continue
        try:
            parts = [cells[column].strip() for column in layout.number_columns]
        except IndexError:
            yield _row_error(
                row_number,
                "missing_column",
                "number",
                raw,
                f"The line has {len(cells)} columns; the layout reads columns "
                f"{list(layout.number_columns)}.",
            )
            continue
        phone = _e164("".join(parts))
        if phone is None:
            yield _row_error(
                row_number,
                "invalid_phone",
                "number",
                "".join(parts),
                "Not a valid US phone number.",
            )
            continue
        is_delete = False
        if layout.action_column is not None:
            action = (
                cells[layout.action_column].strip().upper()
                if len(cells) > layout.action_column
                else ""
            )
            if action in layout.delete_codes:
                is_delete = True
            elif action not in layout.add_codes:
                yield _row_error(
                    row_number,
                    "unknown_action",
                    "action",
                    action,
                    f"Action {action!r} is neither an addition {list(layout.add_codes)} "
                    f"nor a deletion {list(layout.delete_codes)}.",
                )
                continue
        yield _Line(row_number, phone, is_delete)


def _row_error(row: int, kind: str, field_name: str, value: str, message: str) -> ImportRowError:
    return ImportRowError(
        row_number=row,
        error_type=kind,
        field_name=field_name,
        field_value=value[:1000],
        message=message,
        raw=value[:5000],
    )


class _Writer:
    """Writes one chunk of one kind of list, set-based, and classifies every line."""

    def __init__(self, spec: RegistryFile, batch: ImportBatch, now: dt.datetime) -> None:
        self.spec, self.batch, self.now = spec, batch, now
        self.changed: list[str] = []
        self.npas: set[str] = set()

    @staticmethod
    def _target(fields: list[str]) -> list[str] | None:
        # MySQL's ON DUPLICATE KEY UPDATE names no conflict target (the table has one key).
        return fields if connection.features.supports_update_conflicts_with_target else None

    def _existing(self, phones: list[str]) -> dict[str, dt.date | None]:
        """Each known number and its removal date (``None``: active)."""
        found: dict[str, dt.date | None] = {}
        rows: Iterable[tuple[str, dt.date | None]]
        for start in range(0, len(phones), WRITE_BATCH):
            part = phones[start : start + WRITE_BATCH]
            if self.spec.kind == RegistryKind.FEDERAL:
                rows = FederalDnc.objects.filter(phone__in=part).values_list("phone", "removed_on")
            elif self.spec.kind == RegistryKind.STATE:
                rows = StateDnc.objects.filter(phone__in=part, state=self.spec.state).values_list(
                    "phone", "removed_on"
                )
            else:
                active = Suppression.objects.filter(
                    identifier_type=Suppression.IdentifierType.PHONE,
                    identifier__in=part,
                    reason=Suppression.Reason.DNC_INTERNAL,
                    source=Suppression.Source.FILE,
                    is_active=True,
                ).values_list("identifier", flat=True)
                rows = [(phone, None) for phone in active]
            found.update(rows)
        return found

    def write(self, lines: list[_Line], counts: ChunkCounts) -> None:
        latest: dict[str, _Line] = {}
        for line in lines:
            if line.phone in latest:
                counts.duplicates += 1
            latest[line.phone] = line
        existing = self._existing(list(latest))
        adds, deletes = [], []
        for phone, line in latest.items():
            self.npas.add(phone[2:5])
            known = phone in existing
            active = known and existing[phone] is None
            if line.is_delete:
                if active:
                    deletes.append(phone)
                    counts.updated += 1
                else:
                    counts.unchanged += 1
            elif active:
                counts.unchanged += 1
                if self.spec.kind != RegistryKind.INTERNAL and not self.spec.change_list:
                    adds.append(phone)  # a full list restamps the number (drift detection)
            else:
                adds.append(phone)
                counts.inserted += 0 if known else 1
                counts.updated += 1 if known else 0
        self.changed.extend(p for p in adds if not (p in existing and existing[p] is None))
        self.changed.extend(deletes)
        self._apply(adds, deletes)

    def _apply(self, adds: list[str], deletes: list[str]) -> None:
        spec, today = self.spec, self.spec.list_date
        for start in range(0, len(adds), WRITE_BATCH):
            part = adds[start : start + WRITE_BATCH]
            if spec.kind == RegistryKind.FEDERAL:
                FederalDnc.objects.bulk_create(
                    [
                        FederalDnc(
                            phone=p,
                            npa=p[2:5],
                            added_on=today,
                            removed_on=None,
                            import_batch_id=self.batch.pk,
                            loaded_at=self.now,
                        )
                        for p in part
                    ],
                    update_conflicts=True,
                    unique_fields=self._target(["phone"]),
                    update_fields=["removed_on", "import_batch_id", "loaded_at"],
                )
            elif spec.kind == RegistryKind.STATE:
                StateDnc.objects.bulk_create(
                    [
                        StateDnc(
                            phone=p,
                            state=spec.state,
                            list_version_date=today,
                            removed_on=None,
                            import_batch_id=self.batch.pk,
                            loaded_at=self.now,
                        )
                        for p in part
                    ],
                    update_conflicts=True,
                    unique_fields=self._target(["phone", "state"]),
                    update_fields=[
                        "removed_on",
                        "list_version_date",
                        "import_batch_id",
                        "loaded_at",
                    ],
                )
            else:
                Suppression.objects.bulk_create(
                    [
                        Suppression(
                            identifier_type=Suppression.IdentifierType.PHONE,
                            identifier=p,
                            channel="all",
                            reason=Suppression.Reason.DNC_INTERNAL,
                            source=Suppression.Source.FILE,
                            import_batch_id=self.batch.pk,
                            received_at=self.now,
                            created_by=self.batch.created_by,
                        )
                        for p in part
                    ]
                )
        for start in range(0, len(deletes), WRITE_BATCH):
            part = deletes[start : start + WRITE_BATCH]
            if spec.kind == RegistryKind.FEDERAL:
                FederalDnc.objects.filter(phone__in=part).update(removed_on=today)
            elif spec.kind == RegistryKind.STATE:
                StateDnc.objects.filter(phone__in=part, state=spec.state).update(removed_on=today)
            else:
                # Only what an internal list file put there: a DNC request taken on a call or
                # by text is never lifted by a list.
                Suppression.objects.filter(
                    identifier_type=Suppression.IdentifierType.PHONE,
                    identifier__in=part,
                    reason=Suppression.Reason.DNC_INTERNAL,
                    source=Suppression.Source.FILE,
                    is_active=True,
                ).update(
                    is_active=False,
                    lifted_at=self.now,
                    lifted_reason=f"Deleted by internal list import {self.batch.pk}",
                )


def _source_name(spec: RegistryFile) -> str:
    name = f"dnc-{spec.kind}"
    return f"{name}-{spec.state}" if spec.state else name


def _check(spec: RegistryFile) -> None:
    if spec.kind not in RegistryKind.values:
        raise ImportRequestError(f"Unknown registry kind {spec.kind!r}.")
    if spec.kind == RegistryKind.STATE:
        if len(spec.state) != 2 or not spec.state.isalpha():
            raise ImportRequestError("A state list needs its two-letter state (--state).")
    elif spec.state:
        raise ImportRequestError("--state belongs to state lists only.")
    if spec.list_date > dt.date.today() + dt.timedelta(days=1):
        raise ImportRequestError(f"The list date {spec.list_date} is in the future.")


def registry_import(spec: RegistryFile, *, by: Any = None) -> ImportBatch:
    """Land and load one registry file, record its coverage, and rescrub what it changed."""
    _check(spec)
    source_file, is_new = land_path(spec.path, uploaded_by=by)
    batch = ImportBatch(
        source=_source_name(spec),
        source_type=f"dnc_{spec.kind}",
        source_file=source_file,
        options={
            "kind": spec.kind,
            "state": spec.state,
            "list_date": spec.list_date.isoformat(),
            "change_list": spec.change_list,
            "layout": asdict(spec.layout),
            "area_codes": list(spec.area_codes),
        },
        forced=spec.force,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    already = (
        not is_new
        and ImportBatch.objects.filter(
            source_file=source_file,
            source=batch.source,
            status__in=(Status.COMPLETE, Status.COMPLETE_WITH_ERRORS),
        ).exists()
    )
    if already and not spec.force:
        batch.status = Status.DUPLICATE_FILE
        batch.message = "This file was already loaded; nothing changed (use --force to reload)."
        batch.save()
        return batch
    batch.status = Status.RUNNING
    batch.started_at = dt.datetime.now(dt.UTC)
    batch.save()
    now = batch.started_at
    writer = _Writer(spec, batch, now)
    try:
        with local_copy(source_file) as path, path.open(encoding="utf-8-sig", newline="") as handle:
            chunk: list[_Line | ImportRowError] = []
            for item in _lines(handle, spec.layout):
                chunk.append(item)
                if len(chunk) >= batch.chunk_rows:
                    _commit(batch, writer, chunk)
                    chunk = []
            if chunk:
                _commit(batch, writer, chunk)
    except (UnicodeDecodeError, csv.Error) as error:
        return _finish(batch, Status.FAILED, f"The file cannot be read: {error}")
    except DatabaseError as error:
        logger.exception("registry import %s: database error", batch.pk)
        return _finish(
            batch,
            Status.FAILED,
            f"Database error: {error}. Committed chunks are kept; load the file again to "
            "finish (numbers already loaded come out unchanged).",
        )
    batch = _complete(batch)
    drift, freshened, note = 0, False, ""
    if spec.kind == RegistryKind.INTERNAL:
        pass
    elif batch.status != Status.COMPLETE or batch.rows_read == 0:
        # A file with rejected lines (often a wrong layout) or none at all says nothing
        # reliable about what the registry holds: the numbers it did hold are loaded, but the
        # data's date is not advanced and nothing is marked removed.
        note = (
            "Registry coverage not advanced and nothing marked removed: the file had "
            f"{batch.errors} rejected lines of {batch.rows_read}. Fix the file or its layout "
            "and load it again with --force."
        )
    else:
        drift, freshened, note = _finish_coverage(spec, batch, writer)
    if note:
        ImportBatch.objects.filter(pk=batch.pk).update(message=(batch.message + " " + note).strip())
    changed = writer.changed
    if len(changed) > INCREMENTAL_SCRUB_LIMIT or drift or freshened:
        scrub_all()
    elif changed:
        scrub_persons(person_ids=persons_with_numbers(changed))
    batch.refresh_from_db()
    logger.info("registry file loaded", extra={"batch": batch.pk, "status": batch.status})
    return batch


def _commit(batch: ImportBatch, writer: _Writer, items: list[_Line | ImportRowError]) -> None:
    began = time.monotonic()
    counts = ChunkCounts(rows_read=len(items))
    lines = [item for item in items if isinstance(item, _Line)]
    errors = [item for item in items if isinstance(item, ImportRowError)]
    counts.errors = len(errors)
    with transaction.atomic():
        writer.write(lines, counts)
        for error in errors:
            error.batch_id = batch.pk
        ImportRowError.objects.bulk_create(errors, batch_size=WRITE_BATCH)
        if not counts.reconciles:
            raise ImportRequestError(f"A registry chunk does not reconcile: {counts}.")
        first, last = items[0], items[-1]
        ImportChunk.objects.create(
            batch=batch,
            index=batch.chunks_done,
            first_row=first.row_number if isinstance(first, ImportRowError) else first.row,
            last_row=last.row_number if isinstance(last, ImportRowError) else last.row,
            rows_read=counts.rows_read,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            duplicates=counts.duplicates,
            errors=counts.errors,
            seconds=time.monotonic() - began,
        )
        batch.chunks_done += 1
        batch.last_row += counts.rows_read
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_read=F("rows_read") + counts.rows_read,
            inserted=F("inserted") + counts.inserted,
            updated=F("updated") + counts.updated,
            unchanged=F("unchanged") + counts.unchanged,
            duplicates=F("duplicates") + counts.duplicates,
            errors=F("errors") + counts.errors,
            chunks_done=F("chunks_done") + 1,
            last_row=batch.last_row,
        )


# A full list that would mark more than this share of its area codes' (or state's) numbers as
# removed is refused without --force: a truncated download must not empty the registry.
DRIFT_MAX_SHARE = 0.10


def _finish_coverage(
    spec: RegistryFile, batch: ImportBatch, writer: _Writer
) -> tuple[int, bool, str]:
    """Record how fresh the data now is; a full list also marks the numbers of its scopes that
    it no longer holds as removed (drift). Returns how many were marked, whether a scope became
    fresh that was missing or stale (every status there may change, not only those of the
    numbers in the file), and a note for the import's message."""
    cutoff = dt.date.today() - dt.timedelta(days=settings.COMPLIANCE_REGISTRY_MAX_AGE_DAYS)
    if spec.kind == RegistryKind.STATE:
        scopes = {spec.state}
    else:
        scopes = set(spec.area_codes) | writer.npas
        if spec.change_list and not spec.area_codes:
            scopes |= set(
                RegistryCoverage.objects.filter(
                    kind=RegistryKind.FEDERAL, full_list_on__isnull=False
                ).values_list("scope", flat=True)
            )
    current = {
        c.scope: c for c in RegistryCoverage.objects.filter(kind=spec.kind, scope__in=scopes)
    }
    # A list older than the data already applied changes no date and removes nothing.
    scopes = {
        scope for scope in scopes if scope not in current or current[scope].as_of <= spec.list_date
    }
    drift, notes = 0, []
    if not spec.change_list and scopes:
        drift, refused = _drift(spec, batch, sorted(scopes))
        if refused:
            notes.append(refused)
            return 0, False, " ".join(notes)
        if drift:
            notes.append(f"{drift} numbers missing from the full list were marked removed.")
    freshened = False
    with transaction.atomic():
        for scope in sorted(scopes):
            coverage = current.get(scope)
            was_fresh = (
                coverage is not None
                and coverage.full_list_on is not None
                and coverage.as_of >= cutoff
            )
            if coverage is None:
                coverage = RegistryCoverage(kind=spec.kind, scope=scope)
            coverage.as_of = spec.list_date
            coverage.last_import_batch_id = batch.pk
            if not spec.change_list:
                coverage.full_list_on = spec.list_date
            coverage.save()
            freshened |= not was_fresh and coverage.full_list_on is not None
    return drift, freshened, " ".join(notes)


def _drift(spec: RegistryFile, batch: ImportBatch, scopes: list[str]) -> tuple[int, str]:
    """Mark the scopes' active numbers this full list did not restamp as removed, one scope
    per statement; refuse (and change nothing) when that would be too large a share."""
    active: QuerySet[Any]
    if spec.kind == RegistryKind.STATE:
        active = StateDnc.objects.filter(state__in=scopes, removed_on__isnull=True)
        scope_field = "state"
    else:
        active = FederalDnc.objects.filter(npa__in=scopes, removed_on__isnull=True)
        scope_field = "npa"
    missing = active.exclude(import_batch_id=batch.pk)
    total, gone = active.count(), missing.count()
    if gone and gone > DRIFT_MAX_SHARE * total and not spec.force:
        return 0, (
            f"Not applied: the full list lacks {gone:,} of the {total:,} numbers on file for "
            f"its scopes (over {DRIFT_MAX_SHARE:.0%}); a truncated file? Registry coverage "
            "not advanced. Load it again with --force if the list really shrank."
        )
    drift = 0
    for scope in scopes:
        with transaction.atomic():
            drift += missing.filter(**{scope_field: scope}).update(removed_on=spec.list_date)
    return drift, ""
