"""A full run split into Celery tasks by block, so that more workers finish it sooner.

:func:`dedupe_run_split` creates the run and one :class:`~dedupe.models.DedupeShard` per task
and enqueues them. Each shard task (:func:`dedupe_shard_compare`) loads the persons, blocks
only the keys that hash to its shard (:func:`dedupe.scoring.shard_of`) and compares those
pairs — the bulk of a run's work — then stores its compared pairs, by person id, in the
landing storage (local disk or S3, which every worker sees). The task that completes the last
shard enqueues :func:`dedupe_run_finish`, which merges the shards' pairs (a pair found in two
shards counts once), learns the model, clusters and writes exactly as a one-process run does:
the same persons give the same clusters and golden ids either way.

Claims are conditional updates, so a redelivered task is harmless: a shard that is not queued
is not run again, and only one task moves the run from RUNNING to FINISHING.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from array import array
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction

from cmplatform.core.services import Actor, acting_user
from dedupe import scoring
from dedupe.models import DedupeRun, DedupeShard
from dedupe.services.runs import (
    Compared,
    _apply,
    _plan,
    _timed,
    block_and_compare,
    load_persons,
    run_failed,
)

_MAGIC = b"CMPDDS1\n"
# Shards per run at most: each one loads every person's features.
MAX_SHARDS = 64


def _storage() -> Any:
    return storages["landing"]


def dedupe_run_split(
    *, shards: int, enqueue: Callable[[int, int], None], by: Actor = None
) -> DedupeRun:
    """Start a full run as ``shards`` tasks; ``enqueue(run_id, index)`` sends one (after the
    run's rows are committed)."""
    if not 1 <= shards <= MAX_SHARDS:
        raise ValueError(f"A run is split into 1 to {MAX_SHARDS} tasks, not {shards}.")
    with transaction.atomic():
        run = DedupeRun.objects.create(
            mode=DedupeRun.Mode.FULL, shards=shards, created_by=acting_user(by)
        )
        DedupeShard.objects.bulk_create(DedupeShard(run=run, index=i) for i in range(shards))
        transaction.on_commit(lambda: [enqueue(run.pk, index) for index in range(shards)])
    return run


def _encode(features: list[scoring.Features], compared: Compared) -> bytes:
    """The shard's compared pairs by person id (indices differ between processes)."""
    low, high = array("Q"), array("Q")
    for code in compared.codes:
        i, j = scoring.pair_indices(code)
        low.append(features[i].person_id)
        high.append(features[j].person_id)
    header = json.dumps(
        {
            "patterns": compared.patterns,
            "review_only": [
                [features[i].person_id, features[j].person_id]
                for i, j in map(scoring.pair_indices, sorted(compared.review_only))
            ],
            "pairs": compared.pairs,
            "guarded": compared.guarded,
            "blocking": compared.blocking,
            "compared": len(low),
        }
    ).encode()
    body = b"".join(
        (
            struct.pack("<Q", len(header)),
            header,
            low.tobytes(),
            high.tobytes(),
            compared.pattern_numbers.tobytes(),
        )
    )
    return _MAGIC + zlib.compress(body, 6)


def _decode(payload: bytes) -> tuple[dict[str, Any], array[int], array[int], array[int]]:
    if not payload.startswith(_MAGIC):
        raise ValueError("Not a dedupe shard file.")
    body = zlib.decompress(payload[len(_MAGIC) :])
    (length,) = struct.unpack_from("<Q", body)
    header = json.loads(body[8 : 8 + length])
    count, offset = header["compared"], 8 + length
    low, high, numbers = array("Q"), array("Q"), array("I")
    low.frombytes(body[offset : offset + 8 * count])
    high.frombytes(body[offset + 8 * count : offset + 16 * count])
    numbers.frombytes(body[offset + 16 * count : offset + 16 * count + numbers.itemsize * count])
    if not len(low) == len(high) == len(numbers) == count:
        raise ValueError("A dedupe shard file is truncated.")
    return header, low, high, numbers


def dedupe_shard_compare(*, run_id: int, index: int, enqueue_finish: Callable[[int], None]) -> bool:
    """Block and compare one shard; return whether this call did the work. The call that
    completes the run's last shard enqueues the finish (``enqueue_finish(run_id)``)."""
    if not DedupeShard.objects.filter(
        run_id=run_id, index=index, state=DedupeShard.State.QUEUED
    ).update(state=DedupeShard.State.RUNNING):
        return False
    run = DedupeRun.objects.get(pk=run_id)
    started = time.monotonic()
    phases: dict[str, float] = {}
    try:
        features, _ = load_persons(phases)
        compared = block_and_compare(features, shard=(index, run.shards), phases=phases)
        name = _storage().save(
            f"dedupe-runs/{run_id}/shard-{index:03d}.bin",
            ContentFile(_encode(features, compared)),
        )
    except Exception as error:
        DedupeShard.objects.filter(run_id=run_id, index=index).update(
            state=DedupeShard.State.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        run_failed(run_id, error, phases)
        raise
    with transaction.atomic():
        DedupeShard.objects.filter(run_id=run_id, index=index).update(
            state=DedupeShard.State.DONE,
            pairs=compared.pairs,
            file=name,
            seconds=round(time.monotonic() - started, 3),
        )
        # one shard at a time past this point: the last one sees no other pending
        DedupeRun.objects.select_for_update().get(pk=run_id)
        pending = DedupeShard.objects.filter(run_id=run_id).exclude(state=DedupeShard.State.DONE)
        if not pending.exists() and DedupeRun.objects.filter(
            pk=run_id, status=DedupeRun.Status.RUNNING
        ).update(status=DedupeRun.Status.FINISHING):
            transaction.on_commit(lambda: enqueue_finish(run_id))
    return True


def dedupe_run_finish(*, run_id: int) -> DedupeRun:
    """Merge the shards' compared pairs, then model, cluster and write as one process would."""
    run = DedupeRun.objects.get(pk=run_id)
    if run.status != DedupeRun.Status.FINISHING:
        return run
    phases: dict[str, float] = {}
    shards = list(DedupeShard.objects.filter(run_id=run_id).order_by("index"))
    try:
        with transaction.atomic():
            features, current = load_persons(phases)
            index_of = {person.person_id: i for i, person in enumerate(features)}
            with _timed(phases, "merge"):
                compared = _merge_shards(shards, index_of)
            plan = _plan(features, current, only=None, model=None, phases=phases, compared=compared)
            phases["shards"] = sum(shard.seconds for shard in shards)
            _apply(plan, run, phases)
    except Exception as error:
        run_failed(run_id, error, phases)
        raise
    for shard in shards:
        _storage().delete(shard.file)
    run.refresh_from_db()
    return run


def _merge_shards(shards: list[DedupeShard], index_of: dict[int, int]) -> Compared:
    """One :class:`Compared` from every shard's file, in pair order, each pair once. Persons
    created since the shards ran are left to their import's incremental run."""
    by_code: dict[int, tuple[int, ...]] = {}
    review_only: set[int] = set()
    merged = Compared()
    rules: dict[str, int] = {}
    for shard in shards:
        with _storage().open(shard.file, "rb") as handle:
            header, low, high, numbers = _decode(handle.read())
        patterns = [tuple(levels) for levels in header["patterns"]]
        for low_id, high_id, number in zip(low, high, numbers, strict=True):
            i, j = index_of.get(low_id), index_of.get(high_id)
            if i is not None and j is not None:
                by_code.setdefault(scoring.pair_code(min(i, j), max(i, j)), patterns[number])
        for low_id, high_id in header["review_only"]:
            i, j = index_of.get(low_id), index_of.get(high_id)
            if i is not None and j is not None:
                review_only.add(scoring.pair_code(min(i, j), max(i, j)))
        merged.guarded += header["guarded"]
        for key in ("blocks", "capped_blocks", "persons_in_capped_blocks"):
            merged.blocking[key] = merged.blocking.get(key, 0) + header["blocking"].get(key, 0)
        for rule, count in header["blocking"].get("new_pairs_by_rule", {}).items():
            rules[rule] = rules.get(rule, 0) + count
    merged.blocking["new_pairs_by_rule"] = rules
    numbers_of: dict[tuple[int, ...], int] = {}
    for code in sorted(by_code):
        merged.add(code, by_code[code], numbers_of)
    merged.review_only = review_only
    # distinct compared pairs; a guarded pair in two shards' blocks is counted by each
    merged.pairs = len(by_code) + merged.guarded
    return merged
