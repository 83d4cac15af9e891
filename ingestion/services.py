"""The import lifecycle: create an import, run it chunk by chunk (resuming where it stopped),
replay, cancel. ``manage.py ingest``, the Celery task and dashboard uploads all call these.

An import is created from a landed file (:func:`import_file`) or a live MySQL database
(:func:`import_database`): the source is opened once to read its columns, the column mapping
resolved and stored on the batch, so that a resumed or replayed run reads exactly as the first.
:func:`import_run` then streams the source from the batch's cursor (the last committed row),
normalises on every core and writes each chunk in one transaction with its
:class:`~ingestion.models.ImportChunk` row and the batch's counters: a run killed anywhere
resumes after its last committed chunk and ends in the state of an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from cmplatform.core.models import Campaign, Channel
from cmplatform.lib.generation import PERSONS, PERSONS_BULK, data_generation_bump_on_commit
from cmplatform.lib.pagination import keyset_pages
from cmplatform.lib.progress import progress_publish
from cmplatform.lib.runtime import relaxed_gc
from compliance.models import Suppression
from compliance.scrub import compliance_rescrub
from dedupe.models import DedupeRun
from dedupe.services import dedupe_run
from ingestion import mapping as canonical
from ingestion.engine import ChunkCounts, ChunkWriter
from ingestion.landing import land_path, land_staged, land_stream, local_copy
from ingestion.mapping import ColumnMapping, MappingError, fold, resolve_mapping
from ingestion.models import (
    ImportBatch,
    ImportChunk,
    ImportRowError,
    MappingProfile,
    RecordVersion,
    SourceFile,
)
from ingestion.parallel import NormalizedChunk, normalized_chunks
from ingestion.records import REQUIRE_CONTACT, REQUIRE_NAME, Rules
from ingestion.sources import RowError, SourceError, SourceReader, SourceRow, open_source

logger = logging.getLogger(__name__)

Status = ImportBatch.Status
FILE_OPTIONS = ("sheet", "table", "query", "encoding", "delimiter", "member")
DATABASE_OPTIONS = ("table", "query", "cursor_column", "cursor_after")
_SOURCE_NAME = re.compile(r"[^a-z0-9_.:-]+")
# Touched-at headers say which channel a campaign file reports.
_CHANNEL_BY_HEADER = (
    ("mail", Channel.MAIL),
    ("text", Channel.SMS),
    ("sms", Channel.SMS),
    ("call", Channel.CALL),
    ("sent", Channel.EMAIL),
)


class ImportRequestError(Exception):
    """An import that cannot be created or run as asked; the message says why."""


class ConcurrentRunError(ImportRequestError):
    """Another run of the same import committed the rows this run was about to write."""


ProgressCallback = Callable[[ImportBatch, ChunkCounts | None], None]


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how (everything but the source itself)."""

    source: str | None = None
    source_type: str | None = None
    mapping: Mapping[str, str | None] | None = None
    profile: str | None = None
    save_profile: str | None = None
    required: tuple[str, ...] | None = None
    channel: str | None = None
    campaign: str | None = None
    options: Mapping[str, str | None] | None = None
    force: bool = False
    chunk_rows: int | None = None


def source_name_default(name: str) -> str:
    """A source name from a file or table name: ``"Campaign Mail 2024.csv"`` →
    ``"campaign_mail_2024"``."""
    stem = Path(name).name.split(".")[0]
    return _SOURCE_NAME.sub("_", stem.lower()).strip("_")[:64] or "upload"


def _clean_options(options: Mapping[str, str | None] | None, allowed: tuple[str, ...]) -> dict:
    options = {k: v for k, v in (options or {}).items() if v not in (None, "")}
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ImportRequestError(f"Options not understood here: {', '.join(unknown)}.")
    return options


def _schema_version(columns: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join(columns).encode()).hexdigest()[:16]


def _infer_channel(columns: Mapping[str, tuple[str, ...]]) -> str:
    for column in columns.get(canonical.TOUCHED_AT, ()):
        folded = fold(column)
        for word, channel in _CHANNEL_BY_HEADER:
            if word in folded:
                return str(channel)
    return ""


def _resolve(
    reader: SourceReader, request: ImportRequest, source: str
) -> tuple[ColumnMapping, tuple[str, ...], dict[str, str | None]]:
    explicit = dict(request.mapping or {})
    required = request.required
    if request.profile:
        profile = MappingProfile.objects.filter(source=source, name=request.profile).first()
        if profile is None:
            raise ImportRequestError(
                f"No mapping profile {request.profile!r} for source {source!r}."
            )
        explicit = {**profile.mapping, **explicit}
        required = required or tuple(profile.required_fields)
    mapping = resolve_mapping(reader.columns, explicit)
    required = tuple(required) if required else Rules().required
    _check_required(required)
    if request.save_profile:
        MappingProfile.objects.update_or_create(
            source=source,
            name=request.save_profile,
            defaults={"mapping": explicit, "required_fields": list(required)},
        )
    return mapping, required, explicit


def _check_required(required: tuple[str, ...]) -> None:
    known = {*canonical.CANONICAL_FIELDS, REQUIRE_NAME, REQUIRE_CONTACT}
    unknown = sorted(set(required) - known)
    if unknown:
        raise ImportRequestError(
            f"Unknown required fields: {', '.join(unknown)}. Use canonical field names, "
            f"{REQUIRE_NAME!r} (a name) or {REQUIRE_CONTACT!r} (a phone, e-mail or street)."
        )


def _new_batch(
    *,
    source: str,
    source_type: str,
    request: ImportRequest,
    user: Any,
    source_file: SourceFile | None = None,
    location: str = "",
    options: dict | None = None,
) -> ImportBatch:
    return ImportBatch(
        source=source[:64],
        source_type=source_type,
        source_file=source_file,
        location=location,
        options=options or {},
        forced=request.force,
        chunk_rows=request.chunk_rows or settings.INGEST_CHUNK_ROWS,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def _prepare(batch: ImportBatch, reader: SourceReader, request: ImportRequest) -> None:
    """Fill the batch from the opened source: schema, mapping, channel, expected rows."""
    batch.source_type = reader.kind
    batch.schema = {"columns": list(reader.columns), "detected": _json_safe(reader.description)}
    mapping, required, explicit = _resolve(reader, request, batch.source)
    channel = request.channel or _infer_channel(mapping.fields)
    if channel and channel not in Channel.values:
        choices = ", ".join(Channel.values)
        raise ImportRequestError(f"Unknown channel {channel!r}; choose one of {choices}.")
    if request.campaign and not channel:
        raise ImportRequestError("A campaign needs a channel (--channel).")
    # The explicit choices are kept too: a replay with a corrected mapping starts from them.
    batch.mapping = {**mapping.as_json(), "explicit": explicit}
    batch.required_fields = list(required)
    batch.channel = channel
    if request.campaign:
        batch.campaign, _ = Campaign.objects.get_or_create(
            name=request.campaign, defaults={"campaign_type": channel}
        )
    # Set last: a batch with a schema version is runnable (see import_run).
    batch.schema_version = _schema_version(reader.columns)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _fail_on_create(batch: ImportBatch, message: str) -> ImportBatch:
    now = dt.datetime.now(dt.UTC)
    message = _user_names(batch, message)
    batch.schema_version = ""  # never runnable: import_run leaves it as it is
    batch.status = Status.FAILED
    batch.message = message
    batch.started_at = batch.finished_at = now
    batch.save()
    from ingestion.reports import write_reports

    write_reports(batch)
    return batch


def _unfinished(source_file: SourceFile | None, source: str, location: str, options: dict):
    candidates = (
        ImportBatch.objects.filter(
            source=source,
            source_file=source_file,
            location=location,
            mode=ImportBatch.Mode.FULL,
            status__in=(Status.PENDING, Status.RUNNING, Status.FAILED),
        )
        .exclude(schema_version="")
        .order_by("-id")
    )
    for batch in candidates:
        if batch.options == options:
            return batch
    return None


def _resume_or_refuse(batch: ImportBatch, request: ImportRequest) -> ImportBatch:
    """An unfinished import of the same source is resumed with its own settings; asking for
    other settings is refused rather than silently ignored."""
    differences = []
    if request.mapping is not None and dict(request.mapping) != batch.mapping.get("explicit", {}):
        differences.append("mapping")
    if request.required and list(request.required) != batch.required_fields:
        differences.append("required fields")
    if request.channel and request.channel != batch.channel:
        differences.append("channel")
    if request.profile or request.campaign:
        differences.append("profile or campaign")
    if differences:
        raise ImportRequestError(
            f"Import {batch.pk} of this source is unfinished ({batch.status}, {batch.last_row:,} "
            f"rows committed) with other settings ({', '.join(differences)}). Resume it as it "
            f"is (manage.py ingest --resume {batch.pk}) or cancel it first."
        )
    return batch


def import_file(
    path: str | os.PathLike[str] | None = None,
    *,
    stream: Any = None,
    name: str | None = None,
    request: ImportRequest | None = None,
    user: Any = None,
    sha256: str | None = None,
) -> ImportBatch:
    """Land a file (a path, or a binary ``stream`` called ``name``) and create its import.
    ``sha256``: the digest of the file at ``path`` when the platform staged and hashed it
    itself (a dashboard upload): it lands without being read again (``land_staged``).

    Returns a PENDING batch to run; an unfinished import of the same bytes with the same
    options (it will resume); a DUPLICATE_FILE batch when these bytes were imported already
    (unless ``request.force``); or a FAILED batch when the file cannot be read at all.
    """
    request = request or ImportRequest()
    options = _clean_options(request.options, FILE_OPTIONS)
    if stream is not None:
        source_file, _ = land_stream(stream, name or "upload", uploaded_by=user)
    elif path is not None and sha256 is not None:
        source_file, _ = land_staged(
            Path(path), name or Path(path).name, sha256=sha256, uploaded_by=user
        )
    elif path is not None:
        source_file, _ = land_path(path, uploaded_by=user)
    else:
        raise ImportRequestError("Give a path or a stream to import.")
    source = request.source or source_name_default(source_file.original_name)
    batch = _new_batch(
        source=source,
        source_type=request.source_type or "",
        request=request,
        user=user,
        source_file=source_file,
        options=options,
    )
    resumable = _unfinished(source_file, batch.source, "", options)
    if resumable is not None:
        return _resume_or_refuse(resumable, request)
    if not request.force:
        done = next(
            (
                earlier
                for earlier in source_file.batches.filter(
                    source=batch.source,
                    mode=ImportBatch.Mode.FULL,
                    status__in=(Status.COMPLETE, Status.COMPLETE_WITH_ERRORS),
                ).order_by("id")
                if earlier.options == options
            ),
            None,
        )
        if done is not None:
            now = dt.datetime.now(dt.UTC)
            batch.status = Status.DUPLICATE_FILE
            batch.message = (
                f"This file (SHA-256 {source_file.sha256}) was already imported by import "
                f"{done.pk} on {done.finished_at:%Y-%m-%d %H:%M} UTC; nothing changed. "
                "Import it again with --force to re-read it."
            )
            batch.started_at = batch.finished_at = now
            batch.schema, batch.mapping = done.schema, done.mapping
            batch.checklist = {
                "file_readable": True,
                "already_imported_by": done.pk,
                "overall_status": Status.DUPLICATE_FILE,
            }
            batch.save()
            return batch
    try:
        with local_copy(source_file) as local, _open(batch, local) as reader:
            _prepare(batch, reader, request)
    except (SourceError, MappingError, ImportRequestError) as error:
        return _fail_on_create(batch, str(error))
    batch.save()
    return batch


def redact_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def import_database(
    url: str, *, request: ImportRequest | None = None, user: Any = None, incremental: bool = False
) -> ImportBatch:
    """Create the import of a live MySQL table or query. With ``incremental`` and a
    ``cursor_column`` option, only rows past the last completed import's cursor are read."""
    request = request or ImportRequest()
    options = _clean_options(request.options, DATABASE_OPTIONS)
    location = redact_url(url)
    default_name = options.get("table") or "query"
    source = request.source or source_name_default(
        f"{urllib.parse.urlsplit(url).path.strip('/')}_{default_name}"
    )
    if incremental:
        if not options.get("cursor_column"):
            raise ImportRequestError("An incremental pull needs a cursor column (--cursor-column).")
        previous = (
            ImportBatch.objects.filter(
                source=source, status__in=(Status.COMPLETE, Status.COMPLETE_WITH_ERRORS)
            )
            .exclude(cursor_value="")
            .order_by("-id")
            .first()
        )
        if previous is not None:
            options["cursor_after"] = previous.cursor_value
    batch = _new_batch(
        source=source,
        source_type="mysql",
        request=request,
        user=user,
        location=location,
        options=options,
    )
    resumable = _unfinished(None, batch.source, location, options)
    if resumable is not None:
        return _resume_or_refuse(resumable, request)
    try:
        with _open(batch, None, url=url) as reader:
            _prepare(batch, reader, request)
    except (SourceError, MappingError, ImportRequestError) as error:
        return _fail_on_create(batch, str(error))
    batch.save()
    return batch


def _open(batch: ImportBatch, local: Path | None, *, url: str | None = None) -> SourceReader:
    options = dict(batch.options)
    if batch.source_type == "mysql" or url is not None:
        target = url or batch.location
        if "***" in target:
            raise ImportRequestError(
                f"Import {batch.pk or ''} reads {batch.location}: give the database URL with "
                "its password to run it (manage.py ingest URL ...)."
            )
        return open_source(target, source_type="mysql", **options)
    if local is None:
        raise ImportRequestError("The import has no landed file.")
    return open_source(local, source_type=batch.source_type or None, **options)


# -- running ---------------------------------------------------------------------------------


class _ErrorRowsReader(SourceReader):
    """The rejected rows of an earlier import, in row order, for an errors-only replay."""

    kind = "replay"

    def __init__(self, origin: ImportBatch) -> None:
        super().__init__()
        self.origin = origin
        self.columns = tuple(origin.schema.get("columns", ()))
        self.description = {"kind": "replay", "replay_of": origin.pk}

    def __iter__(self) -> Iterator[SourceRow | RowError]:
        errors = ImportRowError.objects.filter(batch_id=self.origin.pk)
        for page in keyset_pages(errors, page_rows=5000):
            for error in page:
                if error.row_number <= self.resume_after:
                    continue
                try:
                    values = json.loads(error.raw)
                except ValueError:
                    values = None
                if isinstance(values, dict):
                    yield SourceRow(error.row_number, error.location, values)
                else:
                    yield RowError(
                        error.row_number, error.location, error.error_type, error.message, error.raw
                    )


def import_replay(
    batch_id: int,
    *,
    mode: str = ImportBatch.Mode.FULL,
    user: Any = None,
    request: ImportRequest | None = None,
) -> ImportBatch:
    """A new import replaying ``batch_id``: ``full`` re-reads the whole source (rows already
    in come out unchanged), ``errors-only`` re-reads only the rows it rejected — with the
    request's mapping and rules when given (e.g. a relaxed required field)."""
    origin = ImportBatch.objects.get(pk=batch_id)
    if mode not in ImportBatch.Mode.values:
        raise ImportRequestError(f"Unknown replay mode {mode!r}; choose full or errors-only.")
    if origin.status == Status.DUPLICATE_FILE:
        first = origin.checklist.get("already_imported_by")
        raise ImportRequestError(
            f"Import {origin.pk} read nothing: its file was already imported by import {first}. "
            f"Replay import {first} instead."
        )
    if not origin.schema_version:
        raise ImportRequestError(
            f"Import {origin.pk} failed before reading its source ({origin.message}); "
            "create a new import."
        )
    if not origin.is_finished and origin.status != Status.FAILED:
        raise ImportRequestError(
            f"Import {origin.pk} is still {origin.status}; replay it once it ends."
        )
    if origin.source_file is None and mode == ImportBatch.Mode.FULL:
        raise ImportRequestError("A database import is replayed by running manage.py ingest again.")
    request = request or ImportRequest()
    batch = ImportBatch(
        source=origin.source,
        source_type=origin.source_type,
        source_file=origin.source_file,
        location=origin.location,
        options=origin.options,
        schema=origin.schema,
        schema_version=origin.schema_version,
        mapping=origin.mapping,
        required_fields=origin.required_fields,
        channel=origin.channel,
        campaign=origin.campaign,
        mode=mode,
        replay_of=origin,
        forced=True,
        chunk_rows=origin.chunk_rows,
        rows_expected=origin.errors if mode == ImportBatch.Mode.ERRORS_ONLY else origin.rows_read,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if request.mapping or request.required or request.profile:
        columns = tuple(origin.schema.get("columns", ()))
        explicit = {**origin.mapping.get("explicit", {}), **(request.mapping or {})}
        if request.profile:
            profile = MappingProfile.objects.filter(
                source=origin.source, name=request.profile
            ).first()
            if profile is None:
                raise ImportRequestError(
                    f"No mapping profile {request.profile!r} for source {origin.source!r}."
                )
            explicit = {**profile.mapping, **explicit}
        try:
            batch.mapping = {**resolve_mapping(columns, explicit).as_json(), "explicit": explicit}
        except MappingError as error:
            raise ImportRequestError(str(error)) from error
        if request.required:
            _check_required(tuple(request.required))
            batch.required_fields = list(request.required)
    batch.save()
    return batch


def import_cancel(batch_id: int) -> ImportBatch:
    """Ask a running import to stop after its current chunk (a pending one stops at once)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.is_finished:
            return batch
        batch.cancel_requested = True
        if batch.status == Status.PENDING:
            batch.status = Status.CANCELLED
            batch.finished_at = dt.datetime.now(dt.UTC)
            batch.message = "Cancelled before it started."
        batch.save(update_fields=["cancel_requested", "status", "finished_at", "message"])
    return batch


def _mapping_of(batch: ImportBatch) -> ColumnMapping:
    stored = batch.mapping
    return ColumnMapping(
        fields={name: tuple(columns) for name, columns in stored.get("fields", {}).items()},
        unmapped=tuple(stored.get("unmapped", ())),
        decided_by=dict(stored.get("decided_by", {})),
    )


@contextlib.contextmanager
def _reader_for(batch: ImportBatch, url: str | None) -> Iterator[SourceReader]:
    if batch.mode == ImportBatch.Mode.ERRORS_ONLY:
        origin = ImportBatch.objects.filter(replays=batch).get()
        yield _ErrorRowsReader(origin)
        return
    if batch.source_file is None:
        with _open(batch, None, url=url) as reader:
            yield reader
        return
    with local_copy(batch.source_file) as local, _open(batch, local) as reader:
        if _schema_version(reader.columns) != batch.schema_version:
            raise ImportRequestError(
                f"The source's columns changed since import {batch.pk} was created "
                f"({', '.join(reader.columns)}); create a new import."
            )
        yield reader


def _issue_counts(chunk: NormalizedChunk) -> dict[str, int]:
    counter: Counter[str] = Counter()
    for record in chunk.records:
        for issue in record.issues:
            counter[f"{issue.field}:{issue.code}"] += 1
    return dict(counter)


def _cursor_value(batch: ImportBatch, chunk: NormalizedChunk, current: str) -> str:
    column = batch.options.get("cursor_column")
    if not column:
        return current
    candidates = [v for v in (r.brought.get(column) for r in chunk.records) if v]
    candidates.extend(v for v in (r.raw.get(column) for r in chunk.rejected) if v)
    if current:
        candidates.append(current)
    return max(candidates, key=_cursor_sort_key) if candidates else current


def _cursor_sort_key(value: str) -> tuple[int, Any]:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def import_run(
    batch_id: int,
    *,
    url: str | None = None,
    workers: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportBatch:
    """Run (or resume) an import to its end; see the module docstring. Never raises for a bad
    source or a lost connection: the batch ends FAILED with the reason, its committed chunks
    intact, and running it again resumes it."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.is_finished and batch.status != Status.FAILED:
        return batch
    if batch.status == Status.FAILED and not batch.schema_version:
        # It failed before its source was read (unreadable, a bad mapping...): it has no
        # mapping to read with, so there is nothing to resume; a new import is the way on.
        return batch
    if batch.cancel_requested:
        return _finish(batch, Status.CANCELLED, "Cancelled.")
    now = dt.datetime.now(dt.UTC)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.RUNNING, message="", started_at=batch.started_at or now, finished_at=None
    )
    batch.refresh_from_db()
    run_started: dt.datetime = batch.started_at or now
    workers = settings.INGEST_WORKERS if workers is None else workers
    started = time.monotonic()
    done_at_start = batch.rows_read
    try:
        with _reader_for(batch, url) as reader, relaxed_gc():
            if batch.rows_expected is None:
                # for progress; a pass over the file, so here in the worker, not on upload
                batch.rows_expected = _estimate(batch, reader)
                ImportBatch.objects.filter(pk=batch.pk).update(rows_expected=batch.rows_expected)
            reader.skip_to(batch.last_row)
            writer = ChunkWriter(
                connection,
                batch_id=batch.pk,
                source=batch.source,
                channel=batch.channel,
                campaign_id=batch.campaign_id,
                default_timestamp=run_started,
            )
            rules = Rules(required=tuple(batch.required_fields) or Rules().required)
            chunks = normalized_chunks(
                reader, _mapping_of(batch), rules, chunk_rows=batch.chunk_rows, workers=workers
            )
            last_stamp = run_started
            read_started = time.monotonic()
            for chunk in chunks:
                read_seconds = time.monotonic() - read_started
                if ImportBatch.objects.filter(pk=batch.pk, cancel_requested=True).exists():
                    return _finish(
                        batch, Status.CANCELLED, f"Cancelled after row {batch.last_row}."
                    )
                stamp: dt.datetime = max(
                    dt.datetime.now(dt.UTC), last_stamp + dt.timedelta(microseconds=1)
                )
                last_stamp = stamp
                counts = _commit_chunk(batch, writer, chunk, stamp, read_seconds)
                # Let the written chunk go before the next one is assembled: memory holds one
                # chunk of records, not two.
                del chunk
                batch.refresh_from_db()
                rate = (batch.rows_read - done_at_start) / max(time.monotonic() - started, 1e-6)
                _publish(batch, rate)
                if on_progress is not None:
                    on_progress(batch, counts)
                read_started = time.monotonic()
    except ConcurrentRunError:
        # The other run owns the import and its status; this one stops without a word.
        logger.warning("Import %s: another run is active; this run stops.", batch.pk)
        batch.refresh_from_db()
        return batch
    except (SourceError, ImportRequestError) as error:
        message = _user_names(batch, str(error))
        return _finish(
            batch, Status.FAILED, f"{message} Committed rows are kept; {_resume_hint(batch)}"
        )
    except DatabaseError as error:
        logger.exception("Import %s: database error", batch.pk)
        connection.close()
        return _finish(
            batch,
            Status.FAILED,
            f"Database error: {error}. Committed rows are kept; {_resume_hint(batch)}",
        )
    except BaseException as error:
        # Whatever else stops the run (a bug, a signal): the batch must not stay RUNNING.
        logger.exception("Import %s: stopped by an unexpected error", batch.pk)
        connection.close()
        _finish(
            batch,
            Status.FAILED,
            f"Stopped by an internal error ({type(error).__name__}: {error}). Committed rows "
            f"are kept; {_resume_hint(batch)}",
        )
        raise
    return _complete(batch)


def _estimate(batch: ImportBatch, reader: SourceReader) -> int | None:
    """The source's row estimate; none when taking it fails: progress is advisory, and the
    read that follows reports a damaged source as it always does."""
    try:
        return reader.estimate_rows()
    except Exception:
        logger.warning("Import %s: no row estimate", batch.pk, exc_info=True)
        return None


def _user_names(batch: ImportBatch, message: str) -> str:
    """``message`` with the landed copy's name replaced by the file's own name."""
    if batch.source_file is None:
        return message
    landed = Path(batch.source_file.storage_name).name
    return message.replace(landed, batch.source_file.original_name)


def _resume_hint(batch: ImportBatch) -> str:
    batch.refresh_from_db()
    return f"run the import again to resume after row {batch.last_row}."


def _commit_chunk(
    batch: ImportBatch,
    writer: ChunkWriter,
    chunk: NormalizedChunk,
    stamp: dt.datetime,
    read_seconds: float,
) -> ChunkCounts:
    began = time.monotonic()
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if chunk.first_row <= locked.last_row:
            raise ConcurrentRunError(
                f"Rows from {chunk.first_row} were already committed (last row {locked.last_row}); "
                "another run of this import is active."
            )
        counts = writer.write(chunk, stamp)
        if not counts.reconciles:
            raise ImportRequestError(
                f"Chunk at row {chunk.first_row} does not reconcile: {counts}."
            )
        seconds = time.monotonic() - began
        ImportChunk.objects.create(
            batch=locked,
            index=locked.chunks_done,
            first_row=chunk.first_row,
            last_row=chunk.last_row,
            rows_read=counts.rows_read,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            duplicates=counts.duplicates,
            errors=counts.errors,
            conflicts=counts.conflicts,
            issues=_issue_counts(chunk),
            seconds=seconds,
            phase_seconds={"read_normalise_wait": round(read_seconds, 3), **writer.phase_seconds},
        )
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_read=F("rows_read") + counts.rows_read,
            inserted=F("inserted") + counts.inserted,
            updated=F("updated") + counts.updated,
            unchanged=F("unchanged") + counts.unchanged,
            duplicates=F("duplicates") + counts.duplicates,
            errors=F("errors") + counts.errors,
            conflicts=F("conflicts") + counts.conflicts,
            chunks_done=F("chunks_done") + 1,
            last_row=chunk.last_row,
            cursor_value=_cursor_value(locked, chunk, locked.cursor_value),
            seconds_reading=F("seconds_reading") + read_seconds,
            seconds_writing=F("seconds_writing") + seconds,
        )
    return counts


def _publish(batch: ImportBatch, rate: float) -> None:
    progress_publish(
        topic=f"import.{batch.pk}",
        done=batch.rows_read,
        total=batch.rows_expected,
        rate=rate,
        status=batch.status,
        inserted=batch.inserted,
        updated=batch.updated,
        unchanged=batch.unchanged,
        duplicates=batch.duplicates,
        errors=batch.errors,
    )


def _finish(batch: ImportBatch, status: str, message: str) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status, message=message[:5000], finished_at=dt.datetime.now(dt.UTC)
    )
    batch.refresh_from_db()
    from ingestion.reports import write_reports

    write_reports(batch)
    # Committed chunks changed persons whatever the outcome: cached lists and counts are old.
    data_generation_bump_on_commit(PERSONS, PERSONS_BULK)
    _publish(batch, 0.0)
    return batch


def _complete(batch: ImportBatch) -> ImportBatch:
    """Reconcile the finished import and set its final status."""
    batch.refresh_from_db()
    names = ("rows_read", "inserted", "updated", "unchanged", "duplicates", "errors")
    totals = dict.fromkeys(names, 0)
    for chunk in batch.chunks.all().values(*totals):
        for name in totals:
            totals[name] += chunk[name]
    problems = []
    if batch.rows_read != batch.accounted:
        problems.append(f"rows read {batch.rows_read} != outcomes {batch.accounted}")
    for name, total in totals.items():
        if getattr(batch, name) != total:
            problems.append(f"{name}: import {getattr(batch, name)} != chunks {total}")
    if batch.mode == ImportBatch.Mode.FULL and batch.last_row != batch.rows_read:
        problems.append(f"last row {batch.last_row} != rows read {batch.rows_read}")
    if problems:
        return _finish(batch, Status.FAILED, "Counts do not reconcile: " + "; ".join(problems))
    status = Status.COMPLETE_WITH_ERRORS if batch.errors else Status.COMPLETE
    message = ""
    if batch.mode == ImportBatch.Mode.FULL and batch.rows_read == 0:
        # A header with nothing under it is usually an export that stopped early: say so.
        if batch.schema.get("detected", {}).get("header_only"):
            message = "The file has a header but no data rows: nothing was imported."
        else:
            message = "The source has no data rows: nothing was imported."
    import_compliance_hints(batch)
    return _finish(batch, status, message)


# Legacy lead statuses that are compliance facts (ingestion.records.COMPLIANCE_STATUSES) and
# the person-level suppression each becomes.
_HINT_SUPPRESSIONS = {
    "DNC_INTERNAL": Suppression.Reason.DNC_INTERNAL,
    "DECEASED": Suppression.Reason.DECEASED,
}
_HINT_BATCH = 5_000


def import_compliance_hints(batch: ImportBatch) -> int:
    """Turn the import's legacy "DNC"/"DECEASED" statuses into person-level suppressions (all
    channels, source ``legacy``), once per person and reason, and rescrub those persons.
    Returns how many suppressions were created."""
    created = 0
    touched: set[int] = set()
    for hint, reason in _HINT_SUPPRESSIONS.items():
        hinted = sorted(
            set(
                RecordVersion.objects.filter(
                    batch_id=batch.pk, issues__contains=f'["lead_status", "{hint}", null]'
                ).values_list("person_id", flat=True)
            )
        )
        for start in range(0, len(hinted), _HINT_BATCH):
            part = hinted[start : start + _HINT_BATCH]
            already = set(
                Suppression.objects.filter(
                    person_id__in=part,
                    identifier_type=Suppression.IdentifierType.PERSON,
                    reason=reason,
                    source=Suppression.Source.LEGACY,
                ).values_list("person_id", flat=True)
            )
            new = [pid for pid in part if pid not in already]
            Suppression.objects.bulk_create(
                [
                    Suppression(
                        person_id=pid,
                        identifier_type=Suppression.IdentifierType.PERSON,
                        channel="all",
                        reason=reason,
                        source=Suppression.Source.LEGACY,
                        received_at=batch.started_at or dt.datetime.now(dt.UTC),
                        note=f"Legacy lead status in import {batch.pk}",
                        import_batch_id=batch.pk,
                    )
                    for pid in new
                ],
                batch_size=_HINT_BATCH,
            )
            created += len(new)
            touched.update(new)
    compliance_rescrub(touched)
    return created


def import_resolve(*, batch_ids: Sequence[int]) -> DedupeRun:
    """Resolve the persons the given imports inserted or updated against the golden records
    (one incremental golden-record run; every other person keeps its links), then scrub
    them for compliance."""
    person_ids = list(
        RecordVersion.objects.filter(
            batch_id__in=batch_ids,
            outcome__in=(RecordVersion.Outcome.INSERTED, RecordVersion.Outcome.UPDATED),
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    run = dedupe_run(
        person_ids=person_ids, import_batch_id=batch_ids[0] if len(batch_ids) == 1 else None
    )
    # New and changed persons get their compliance status (the run rescrubbed those whose
    # links changed; the rest are new numbers and addresses to check).
    compliance_rescrub(person_ids)
    return run
