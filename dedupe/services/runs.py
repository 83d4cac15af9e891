"""Golden-record runs in one process: full and incremental. Design and figures:
``docs/golden-records.md``.

A run loads persons as features, blocks, scores, clusters with guards and chooses golden
records (``dedupe.scoring``, ``dedupe.clustering``), then writes only what changed, set-based:
the persons' links (``is_duplicate``/``merged_into``), ``person_duplicates`` with score and
evidence, the review queue, survivorship into the golden records and one ``dedupe_log`` row per
change. Persons are linked, never deleted or fused, so every merge can be undone.
"""

from __future__ import annotations

import json
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cmplatform.core.golden_facts import golden_facts_refresh
from cmplatform.core.models import Person, PersonDuplicate
from cmplatform.core.services import Actor, acting_user
from cmplatform.lib.bulk import (
    Column,
    ColumnType,
    staging_create,
    staging_load,
    update_from_staging,
)
from cmplatform.lib.normalize import name_key
from compliance.scrub import compliance_rescrub
from dedupe import clustering, scoring
from dedupe.models import DedupeLog, DedupeRun, ManualDecision, ReviewPair
from dedupe.scoring import Features
from dedupe.selectors import own_values, person_features

# Rows per multi-row INSERT of log and link rows.
WRITE_BATCH_ROWS = 5_000
# Golden-record fields survivorship fills from the cluster; the location travels as one group.
NAME_FIELDS = ("first_name", "middle_name", "last_name", "suffix")
LOCATION_FIELDS = ("state", "county", "zip5")
SURVIVING_FIELDS = (*NAME_FIELDS, *LOCATION_FIELDS)


class ResolutionError(RuntimeError):
    """A merge, unmerge or override that cannot be done as asked (the message says why)."""


@dataclass
class _Plan:
    """What a run decided: every person's golden record and the evidence behind each link."""

    features: list[Features]
    current: list[int | None]  # golden id now (None: golden or alone)
    target: list[int | None] = field(default_factory=list)
    links: dict[int, tuple[float, str, dict[str, Any]]] = field(default_factory=dict)
    review: list[tuple[int, int, float, dict[str, Any]]] = field(default_factory=list)
    pairs: int = 0
    guarded: int = 0
    capped_blocks: int = 0
    clusters: int = 0
    model: dict[str, Any] = field(default_factory=dict)
    blocking: dict[str, Any] = field(default_factory=dict)


@contextmanager
def _timed(phases: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    phases[name] = round(phases.get(name, 0.0) + time.monotonic() - started, 3)


def mark_household_phones(persons: Sequence[Features]) -> None:
    """Flag, on each person, the numbers also held by someone of a clearly different first
    name: a household line, weaker evidence than a personal number when shared."""
    holders: dict[str, list[int]] = defaultdict(list)
    for index, person in enumerate(persons):
        for phone in person.phones:
            holders[phone].append(index)
    for phone, indices in holders.items():
        if len(indices) < 2 or len(indices) > scoring.BLOCK_CAP_CONTACT:
            continue
        firsts = {persons[i].first for i in indices if len(persons[i].first) > 1}
        if any(scoring.first_level(a, b) == 4 for a in firsts for b in firsts if a < b):
            for i in indices:
                persons[i].household_phones = persons[i].household_phones | {phone}


def _manual_decisions(
    index_of: dict[int, int],
) -> tuple[list[tuple[int, int]], set[tuple[int, int]], set[int]]:
    same: list[tuple[int, int]] = []
    different: set[tuple[int, int]] = set()
    golden: set[int] = set()
    for kind, low, high in ManualDecision.objects.filter(is_active=True).values_list(
        "kind", "person_low_id", "person_high_id"
    ):
        if kind == ManualDecision.Kind.GOLDEN:
            golden.add(low)
        elif low in index_of and high in index_of:
            pair = (index_of[low], index_of[high])
            if kind == ManualDecision.Kind.SAME:
                same.append(pair)
            else:
                different.add((min(pair), max(pair)))
    return same, different, golden


@dataclass
class Compared:
    """Compared pairs that no hard guard keeps apart: pair codes (indices into the feature
    list), a level-pattern number per pair (a few thousand distinct patterns, so millions of
    pairs cost tens of MB), the pairs only a person may link (a suffix on one side only), and
    what blocking cost."""

    codes: array[int] = field(default_factory=lambda: array("Q"))
    pattern_numbers: array[int] = field(default_factory=lambda: array("I"))
    patterns: list[tuple[int, ...]] = field(default_factory=list)
    review_only: set[int] = field(default_factory=set)
    pairs: int = 0
    guarded: int = 0
    blocking: dict[str, Any] = field(default_factory=dict)

    def add(self, code: int, levels: tuple[int, ...], numbers: dict[tuple[int, ...], int]) -> None:
        number = numbers.get(levels)
        if number is None:
            number = numbers[levels] = len(self.patterns)
            self.patterns.append(levels)
        self.codes.append(code)
        self.pattern_numbers.append(number)


def compare_pairs(features: Sequence[Features], codes: Iterable[int]) -> Compared:
    """Compare the pairs (:func:`dedupe.scoring.pair_code`), in ascending order; hard-guarded
    pairs are only counted."""
    compared = Compared()
    numbers: dict[tuple[int, ...], int] = {}
    for code in sorted(codes):
        compared.pairs += 1
        i, j = scoring.pair_indices(code)
        levels = scoring.compare(features[i], features[j])
        reason = scoring.guard(features[i], features[j], levels)
        if reason is not None and reason != scoring.GUARD_GENERATION:
            compared.guarded += 1
            continue
        if reason is not None:
            compared.review_only.add(code)
        compared.add(code, levels, numbers)
    return compared


def block_and_compare(
    features: list[Features],
    *,
    only: set[int] | None = None,
    shard: tuple[int, int] | None = None,
    phases: dict[str, float],
) -> Compared:
    """Blocking then comparison (one process, or one shard of a split run)."""
    with _timed(phases, "block"):
        mark_household_phones(features)
        blocking = scoring.block(features, only=only, shard=shard)
    stats = {
        "blocks": blocking.blocks,
        "capped_blocks": blocking.capped_blocks,
        "persons_in_capped_blocks": blocking.capped_persons,
        "new_pairs_by_rule": blocking.pairs_by_rule,
    }
    with _timed(phases, "compare"):
        codes = blocking.pairs
        del blocking
        compared = compare_pairs(features, codes)
        compared.blocking = stats
    return compared


def _plan(
    features: list[Features],
    current: list[int | None],
    *,
    only: set[int] | None,
    model: scoring.MatchModel | None,
    phases: dict[str, float],
    compared: Compared | None = None,
) -> _Plan:
    """Decide every person's golden record (``only``: re-decide around these indices), from
    ``compared`` pairs or after blocking and comparing here."""
    plan = _Plan(features=features, current=current)
    index_of = {person.person_id: index for index, person in enumerate(features)}
    if compared is None:
        compared = block_and_compare(features, only=only, phases=phases)
    else:
        # compared elsewhere (a split run's shards): the same household lines here, for the
        # model's random pairs and the clustering guards
        mark_household_phones(features)
    plan.pairs, plan.guarded = compared.pairs, compared.guarded
    plan.blocking = compared.blocking
    plan.capped_blocks = compared.blocking.get("capped_blocks", 0)
    patterns, review_only = compared.patterns, compared.review_only
    with _timed(phases, "model"):
        if model is None:
            counts: Counter[tuple[int, ...]] = Counter()
            for code, number in zip(compared.codes, compared.pattern_numbers, strict=True):
                if code not in review_only:
                    counts[patterns[number]] += 1
            model = scoring.estimate_model(
                counts,
                scoring.estimate_u(features),
                persons=len(features),
                frequencies=scoring.name_frequencies(features),
            )
        elif not model.frequencies:
            model.frequencies = scoring.name_frequencies(features)
        weights = model.weights()
        plan.model = model.as_dict()
    same, different, manual_golden = _manual_decisions(index_of)

    def names_of(index: int) -> tuple[str, str]:
        return features[index].first, features[index].last

    auto = settings.DEDUPE_AUTO_MERGE_PROBABILITY
    with _timed(phases, "cluster"):
        scored: list[clustering.ScoredPair] = []
        levels_of: dict[tuple[int, int], tuple[int, ...]] = {}
        for code, number in zip(compared.codes, compared.pattern_numbers, strict=True):
            i, j = scoring.pair_indices(code)
            levels = patterns[number]
            probability = scoring.match_probability(model, levels, weights, names_of(i))
            if code in review_only:
                probability = min(probability, auto - 1e-6)
            if probability >= settings.DEDUPE_REVIEW_PROBABILITY:
                scored.append(clustering.ScoredPair(i, j, probability))
                levels_of[(i, j)] = levels
        del compared
        # Existing links outside the re-decided persons stand (an incremental run).
        join_first = list(same)
        if only is not None:
            for index, golden in enumerate(current):
                if golden is not None and index not in only and golden in index_of:
                    join_first.append((index_of[golden], index))

        def keep_apart(x: int, y: int) -> bool:
            if (min(x, y), max(x, y)) in different:
                return True
            return scoring.guard(features[x], features[y]) is not None

        clusters = clustering.cluster(
            len(features),
            [pair for pair in scored if pair.probability >= auto],
            keep_apart=keep_apart,
            join_first=join_first,
        )
        target: list[int | None] = [None] * len(features)
        best: dict[int, tuple[float, int]] = {}
        for pair in scored:
            if pair.probability < auto:
                continue
            for a, b in ((pair.i, pair.j), (pair.j, pair.i)):
                if pair.probability > best.get(a, (0.0, 0))[0]:
                    best[a] = (pair.probability, b)
        for members in clusters.groups():
            plan.clusters += 1
            chosen = clustering.choose_golden([features[m] for m in members], manual_golden)
            for member in members:
                if features[member].person_id == chosen.person_id:
                    continue
                target[member] = chosen.person_id
                probability, other = best.get(member, (1.0, index_of[chosen.person_id]))
                pair_key = (min(member, other), max(member, other))
                found = levels_of.get(pair_key)
                reason = "manual" if found is None else _reason(found)
                plan.links[member] = (
                    probability,
                    reason,
                    {
                        "via_person": features[other].person_id,
                        "fields": scoring.evidence(model, found, weights, names_of(member))
                        if found
                        else {},
                    },
                )
        plan.target = target
        for pair in scored:
            if clusters.find(pair.i) == clusters.find(pair.j):
                continue
            low, high = sorted((features[pair.i].person_id, features[pair.j].person_id))
            levels = levels_of[(pair.i, pair.j)]
            plan.review.append(
                (
                    low,
                    high,
                    pair.probability,
                    {"fields": scoring.evidence(model, levels, weights, names_of(pair.i))},
                )
            )
    return plan


def _reason(levels: Sequence[int]) -> str:
    """The tier of a link, in the seed's words: exact (e-mail or phone with compatible names),
    strong (name + ZIP or name + phone), or fuzzy (similar name and address)."""
    if levels[scoring.EMAIL] == 0 or levels[scoring.PHONE] == 0:
        return "exact: email or phone with compatible names"
    if (
        levels[scoring.FIRST] in (0, 1)
        and levels[scoring.LAST] == 0
        and levels[scoring.ADDRESS] in (0, 1, 2)
    ):
        return "strong: name + ZIP"
    if levels[scoring.PHONE] in (1, 2):
        return "strong: name + household phone"
    return "fuzzy: similar name and address"


# -- writes -----------------------------------------------------------------------------------


def _write_links(plan: _Plan, run: DedupeRun) -> tuple[int, int]:
    """Apply the plan's changed links set-based; return (linked, unlinked)."""
    features, current, target = plan.features, plan.current, plan.target
    changed = [i for i in range(len(features)) if current[i] != target[i]]
    if not changed:
        return 0, 0
    columns = [
        Column("id", ColumnType.BIGINT),
        Column("is_duplicate", ColumnType.BOOLEAN),
        Column("is_original", ColumnType.BOOLEAN),
        Column("merged_into_id", ColumnType.BIGINT),
    ]
    staging_create(connection, name="stg_dedupe_links", columns=columns, index=["id"])
    staging_load(
        connection,
        name="stg_dedupe_links",
        columns=columns,
        rows=(
            (features[i].person_id, target[i] is not None, target[i] is None, target[i])
            for i in changed
        ),
    )
    # Constraint order: a golden record never points anywhere, a duplicate always does.
    update_from_staging(
        connection,
        target="persons",
        staging="stg_dedupe_links",
        key="id",
        columns={
            "is_duplicate": "is_duplicate",
            "is_original": "is_original",
            "merged_into_id": "merged_into_id",
        },
    )
    changed_ids = [features[i].person_id for i in changed]
    for start in range(0, len(changed_ids), WRITE_BATCH_ROWS):
        PersonDuplicate.objects.filter(
            duplicate_id__in=changed_ids[start : start + WRITE_BATCH_ROWS]
        ).delete()
    now = timezone.now()
    links, logs = [], []
    linked = unlinked = 0
    for i in changed:
        person_id = features[i].person_id
        was, becomes = current[i], target[i]
        if was is not None:
            unlinked += 1
            logs.append(
                DedupeLog(
                    run=run,
                    action=DedupeLog.Action.UNMERGE,
                    golden_id=was,
                    person_id=person_id,
                    reason="re-clustered" if target[i] else "no longer matched",
                )
            )
        if becomes is not None:
            linked += 1
            probability, reason, evidence = plan.links[i]
            links.append(
                PersonDuplicate(
                    original_id=becomes,
                    duplicate_id=person_id,
                    match_score=min(max(probability, 0.0), 1.0),
                    match_reason=reason[:100],
                    evidence=evidence,
                    merged_at=now,
                )
            )
            logs.append(
                DedupeLog(
                    run=run,
                    action=DedupeLog.Action.MERGE,
                    golden_id=becomes,
                    person_id=person_id,
                    score=probability,
                    reason=reason[:100],
                    fields=evidence,
                )
            )
    PersonDuplicate.objects.bulk_create(links, batch_size=WRITE_BATCH_ROWS)
    DedupeLog.objects.bulk_create(logs, batch_size=WRITE_BATCH_ROWS)
    return linked, unlinked


def _write_review(plan: _Plan, run: DedupeRun) -> int:
    """Queue the plan's undecided pairs; pairs already decided by a person stay decided."""
    if not plan.review:
        return 0
    lows = sorted({low for low, _, _, _ in plan.review})
    existing: set[tuple[int, int]] = set()
    for start in range(0, len(lows), WRITE_BATCH_ROWS):
        existing.update(
            ReviewPair.objects.filter(
                person_low_id__in=lows[start : start + WRITE_BATCH_ROWS]
            ).values_list("person_low_id", "person_high_id")
        )
    fresh = [
        ReviewPair(
            person_low_id=low,
            person_high_id=high,
            probability=probability,
            evidence=evidence,
            run=run,
        )
        for low, high, probability, evidence in plan.review
        if (low, high) not in existing
    ]
    ReviewPair.objects.bulk_create(fresh, batch_size=WRITE_BATCH_ROWS)
    return len(fresh)


_SURVIVOR_COLUMNS = (
    "pk",
    *SURVIVING_FIELDS,
    "survivorship",
    "manual_override_fields",
    "is_duplicate",
    "merged_into_id",
    "source_updated_at",
    "updated_at",
)
_SURVIVOR_STAGING = [
    Column("id", ColumnType.BIGINT),
    *(Column(name, ColumnType.VARCHAR, 100) for name in SURVIVING_FIELDS),
    Column("first_name_key", ColumnType.VARCHAR, 100),
    Column("last_name_key", ColumnType.VARCHAR, 100),
    Column("survivorship", ColumnType.JSON),
    Column("updated_at", ColumnType.DATETIME),
]


def golden_survivorship_refresh(
    golden_ids: Iterable[int], run: DedupeRun | None, *, actor: Actor = None
) -> None:
    """Recompute survivorship for each golden record (and restore persons that are no longer
    golden of anything): an empty name field takes the newest member's non-empty value, an
    empty location (state, county, ZIP) the newest member's location as one group; a field a
    person locked is never touched. Set-based: one staged UPDATE per page of golden records."""
    ids = sorted(set(golden_ids))
    actor_user = acting_user(actor)
    now = timezone.now()
    for start in range(0, len(ids), WRITE_BATCH_ROWS):
        page = ids[start : start + WRITE_BATCH_ROWS]
        members: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in (
            Person.objects.filter(merged_into_id__in=page, is_duplicate=True)
            .order_by("pk")
            .values(*_SURVIVOR_COLUMNS)
        ):
            members[row["merged_into_id"]].append(row)
        staged, logs = [], []
        for golden in Person.objects.filter(pk__in=page).order_by("pk").values(*_SURVIVOR_COLUMNS):
            before = {name: golden[name] for name in SURVIVING_FIELDS}
            own = _own_values(golden)
            chosen = dict(own)
            locked = set(golden["manual_override_fields"] or ())
            if not golden["is_duplicate"]:
                group = [golden, *members[golden["pk"]]]
                newest_first = [
                    _own_values(row)
                    for row in sorted(group, key=lambda row: (-_stamp(row), row["pk"]))
                ]
                for name in NAME_FIELDS:
                    if name not in locked and not own[name]:
                        chosen[name] = next((v[name] for v in newest_first if v[name]), "")
                if not own["zip5"] and not locked & set(LOCATION_FIELDS):
                    donor = next((values for values in newest_first if values["zip5"]), None)
                    if donor is not None:
                        chosen.update({name: donor[name] for name in LOCATION_FIELDS})
            survivorship = {
                name: [own[name], chosen[name]]
                for name in SURVIVING_FIELDS
                if chosen[name] != own[name]
            }
            if chosen == before and survivorship == (golden["survivorship"] or {}):
                continue
            staged.append(
                (
                    golden["pk"],
                    *(chosen[name] for name in SURVIVING_FIELDS),
                    name_key(chosen["first_name"]),
                    name_key(chosen["last_name"]),
                    json.dumps(survivorship, ensure_ascii=False),
                    now,
                )
            )
            changes = {
                name: [before[name], chosen[name]]
                for name in SURVIVING_FIELDS
                if before[name] != chosen[name]
            }
            if changes:
                logs.append(
                    DedupeLog(
                        run=run,
                        action=DedupeLog.Action.SURVIVORSHIP,
                        golden_id=golden["pk"],
                        person_id=golden["pk"],
                        fields=changes,
                        actor=actor_user,
                    )
                )
        if staged:
            staging_create(
                connection, name="stg_survivorship", columns=_SURVIVOR_STAGING, index=["id"]
            )
            staging_load(
                connection, name="stg_survivorship", columns=_SURVIVOR_STAGING, rows=staged
            )
            update_from_staging(
                connection,
                target="persons",
                staging="stg_survivorship",
                key="id",
                columns={c.name: c.name for c in _SURVIVOR_STAGING if c.name != "id"},
            )
        DedupeLog.objects.bulk_create(logs, batch_size=WRITE_BATCH_ROWS)


def _stamp(row: dict[str, Any]) -> float:
    moment = row["source_updated_at"] or row["updated_at"]
    return float(moment.timestamp()) if moment else 0.0


def _own_values(row: dict[str, Any]) -> dict[str, str]:
    """A person's own values of the surviving fields."""
    values = {name: row[name] or "" for name in SURVIVING_FIELDS}
    return own_values(values, row["survivorship"] or {})


# -- runs -------------------------------------------------------------------------------------


def load_persons(phases: dict[str, float]) -> tuple[list[Features], list[int | None]]:
    """Every person's features and current golden id, in id order."""
    with _timed(phases, "load"):
        loaded = list(person_features())
    return [f for f, _ in loaded], [golden for _, golden in loaded]


def _apply(plan: _Plan, run: DedupeRun, phases: dict[str, float]) -> None:
    """Write what the plan changed and complete the run (inside the caller's transaction)."""
    features = plan.features
    with _timed(phases, "write"):
        linked, unlinked = _write_links(plan, run)
        review = _write_review(plan, run)
        changed = [i for i in range(len(features)) if plan.current[i] != plan.target[i]]
        touched = {
            golden
            for index in changed
            for golden in (plan.current[index], plan.target[index])
            if golden is not None
        }
        touched |= {features[i].person_id for i in changed}
        golden_survivorship_refresh(touched, run)
        golden_facts_refresh(person_ids=touched)
    with _timed(phases, "compliance"):
        # The most restrictive status of a cluster wins; a person split off gets its own back.
        compliance_rescrub(touched)
    duplicates = sum(1 for golden in plan.target if golden is not None)
    DedupeRun.objects.filter(pk=run.pk).update(
        status=DedupeRun.Status.COMPLETE,
        finished_at=timezone.now(),
        persons=len(features),
        pairs=plan.pairs,
        guarded_pairs=plan.guarded,
        capped_blocks=plan.capped_blocks,
        linked=linked,
        unlinked=unlinked,
        review_pairs=review,
        clusters=plan.clusters,
        duplicate_rate=duplicates / len(features) if features else 0.0,
        model=plan.model,
        blocking=plan.blocking,
        phase_seconds=phases,
    )


def run_failed(run_id: int, error: BaseException, phases: dict[str, float]) -> None:
    """Record why a run failed (its transaction rolled back: nothing else changed)."""
    DedupeRun.objects.filter(pk=run_id).update(
        status=DedupeRun.Status.FAILED,
        finished_at=timezone.now(),
        error=f"{type(error).__name__}: {error}"[:2000],
        phase_seconds=phases,
    )


def _latest_model() -> scoring.MatchModel | None:
    run = (
        DedupeRun.objects.filter(mode=DedupeRun.Mode.FULL, status=DedupeRun.Status.COMPLETE)
        .exclude(model={})
        .order_by("-pk")
        .first()
    )
    if run is None:
        return None
    fields = run.model["fields"]
    m = [[fields[c.name][level]["m"] for level in c.levels] for c in scoring.COMPARISONS]
    u = [[fields[c.name][level]["u"] for level in c.levels] for c in scoring.COMPARISONS]
    return scoring.MatchModel(m, u, run.model["prior"])


def dedupe_run(
    *,
    person_ids: Sequence[int] | None = None,
    import_batch_id: int | None = None,
    by: Actor = None,
) -> DedupeRun:
    """Resolve golden records: a full run over every person (``person_ids`` None) or an
    incremental run that decides the given persons against everyone else, reusing the model
    of the last full run. Deterministic: the same persons give the same clusters and golden
    ids. Runs in one transaction: a failure changes nothing and leaves the run FAILED."""
    mode = DedupeRun.Mode.FULL if person_ids is None else DedupeRun.Mode.INCREMENTAL
    run = DedupeRun.objects.create(
        mode=mode,
        import_batch_id=import_batch_id,
        created_by=acting_user(by),
    )
    phases: dict[str, float] = {}
    try:
        with transaction.atomic():
            features, current = load_persons(phases)
            index_of = {person.person_id: index for index, person in enumerate(features)}
            only = None
            model = None
            if person_ids is not None:
                only = {index_of[pid] for pid in person_ids if pid in index_of}
                model = _latest_model()
            plan = _plan(features, current, only=only, model=model, phases=phases)
            _apply(plan, run, phases)
    except Exception as error:
        run_failed(run.pk, error, phases)
        raise
    run.refresh_from_db()
    return run
