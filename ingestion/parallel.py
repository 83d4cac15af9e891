"""Normalise a source on every core, chunk by chunk, in source order, with flat memory.

The main process reads the source (cheap: 150-300k rows/s) and hands slices of raw rows to a
pool of worker processes that run :func:`ingestion.records.normalize_record` (the costly part:
~10k rows/s per core). Results come back in submission order and are assembled into chunks of
``chunk_rows`` rows. At most one chunk's worth of slices is in flight, so memory does not grow
with the source; while the caller writes one chunk to the database the workers already normalise
the next.

Each chunk accounts for every row read: ``records`` + ``rejected`` + ``row_errors`` (rows the
reader could not read) equals ``last_row - first_row + 1`` when the reader numbers without gaps.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from cmplatform.lib.runtime import relax_gc_for_process
from ingestion.mapping import ColumnMapping
from ingestion.records import NormalizedRecord, RejectedRecord, Rules, normalize_record
from ingestion.sources import RowError, SourceReader, SourceRow

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 100_000
# Rows per task sent to a worker: large enough that pickling and scheduling cost little next
# to ~0.5 s of normalising, small enough to keep both cores busy until the source ends.
SLICE_ROWS = 5_000
# The importing process and the database are the serial stage of an import; the workers have
# slack (they normalise a chunk in less time than it takes to write one). Lower priority lets
# the serial stage have a core whenever it wants one.
WORKER_NICENESS = 10

_worker_mapping: ColumnMapping | None = None
_worker_rules: Rules | None = None


@dataclass
class NormalizedChunk:
    """One chunk of a source: its rows' outcomes, in source order."""

    index: int
    first_row: int
    last_row: int
    records: list[NormalizedRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.records) + len(self.rejected) + len(self.row_errors)


def _initialise_worker(mapping: ColumnMapping, rules: Rules) -> None:
    global _worker_mapping, _worker_rules  # one copy per worker process
    _worker_mapping, _worker_rules = mapping, rules
    os.nice(WORKER_NICENESS)
    relax_gc_for_process()


def _normalise_packed(packed_rows: bytes) -> bytes:
    """Normalise a pickled slice of rows; return the pickled outcomes.

    Slices travel and wait pickled: a pickled row or record takes a third of the memory of the
    objects, and the pool pickles its arguments and results anyway. The importing process only
    unpickles a slice when it assembles the chunk that holds it.
    """
    if _worker_mapping is None or _worker_rules is None:
        raise RuntimeError("The worker was started without its mapping.")
    rows: list[SourceRow] = pickle.loads(packed_rows)  # noqa: S301 (our own parent's bytes)
    outcomes = [normalize_record(row, _worker_mapping, _worker_rules) for row in rows]
    return pickle.dumps(outcomes, pickle.HIGHEST_PROTOCOL)


def normalized_chunks(
    reader: SourceReader,
    mapping: ColumnMapping,
    rules: Rules | None = None,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    workers: int = 2,
    slice_rows: int = SLICE_ROWS,
) -> Iterator[NormalizedChunk]:
    """Yield the source's chunks in order (see the module docstring). ``workers=0`` normalises
    in this process (tests, tiny files)."""
    rules = rules or Rules()
    if chunk_rows < 1 or slice_rows < 1:
        raise ValueError("chunk_rows and slice_rows must be positive.")
    slice_rows = min(slice_rows, chunk_rows)
    if workers and multiprocessing.current_process().daemon:
        # A daemonic process may not start processes (a Celery prefork child is one): run the
        # stage here rather than fail. deploy/Procfile runs workers with the threads pool.
        logger.warning("Normalising in this process: a daemonic process cannot start workers.")
        workers = 0
    if workers == 0:
        in_process = (
            ([normalize_record(row, mapping, rules) for row in rows], errors)
            for rows, errors in _slices(reader, slice_rows)
        )
        yield from _assemble(in_process, chunk_rows)
        return
    # "spawn" keeps workers free of the parent's state (open DB connections, threads).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_initialise_worker,
        initargs=(mapping, rules),
    ) as pool:
        # A whole chunk in flight: the workers normalise the next chunk while the caller
        # writes this one to the database (seconds), instead of idling after two slices.
        in_flight = max(workers * 2, chunk_rows // slice_rows + workers)
        yield from _assemble(_submitted(pool, _slices(reader, slice_rows), in_flight), chunk_rows)


Outcome = NormalizedRecord | RejectedRecord
Slice = tuple[list[SourceRow], list[RowError]]
SliceResult = tuple[list[Outcome], list[RowError]]


def _slices(reader: SourceReader, slice_rows: int) -> Iterator[Slice]:
    """The reader's items in slices of ``slice_rows`` items (rows and row errors together)."""
    rows: list[SourceRow] = []
    errors: list[RowError] = []
    for item in reader:
        if isinstance(item, RowError):
            errors.append(item)
        else:
            rows.append(item)
        if len(rows) + len(errors) >= slice_rows:
            yield rows, errors
            rows, errors = [], []
    if rows or errors:
        yield rows, errors


def _submitted(
    pool: ProcessPoolExecutor, slices: Iterator[Slice], in_flight: int
) -> Iterator[SliceResult]:
    """Results of the slices in submission order, with at most ``in_flight`` pending."""
    pending: deque[tuple[Future[bytes], list[RowError]]] = deque()
    for rows, errors in slices:
        packed = pickle.dumps(rows, pickle.HIGHEST_PROTOCOL)
        pending.append((pool.submit(_normalise_packed, packed), errors))
        if len(pending) >= in_flight:
            future, done_errors = pending.popleft()
            yield pickle.loads(future.result()), done_errors  # noqa: S301 (our own worker's)
    while pending:
        future, done_errors = pending.popleft()
        yield pickle.loads(future.result()), done_errors  # noqa: S301 (our own worker's)


def _number(item: Outcome | RowError) -> int:
    return item.number if isinstance(item, RowError) else item.row_number


def _assemble(results: Iterator[SliceResult], chunk_rows: int) -> Iterator[NormalizedChunk]:
    """Cut the ordered stream of slice results into chunks of ``chunk_rows`` items."""
    chunk: NormalizedChunk | None = None
    index = 0
    for outcomes, errors in results:
        # A slice's row errors were set apart from its rows; merge them back into order.
        items = sorted([*outcomes, *errors], key=_number) if errors else outcomes
        for item in items:
            number = _number(item)
            if chunk is None:
                chunk = NormalizedChunk(index=index, first_row=number, last_row=number)
            if isinstance(item, NormalizedRecord):
                chunk.records.append(item)
            elif isinstance(item, RejectedRecord):
                chunk.rejected.append(item)
            else:
                chunk.row_errors.append(item)
            chunk.last_row = number
            if chunk.rows_read >= chunk_rows:
                yield chunk
                chunk = None
                index += 1
    if chunk is not None:
        yield chunk
