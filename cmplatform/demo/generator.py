"""Seeded, streaming generator of the customer's legacy sources (see package docstring)."""

from __future__ import annotations

import csv
import json
import os
import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .people import HOUSEHOLD_SINGLE, Household, Layout, build_households, make_household, mix
from .sources import SOURCES, SourceDef
from .writers import WRITERS

GENERATOR_VERSION = 1

KINDS: tuple[str, ...] = ("mysql_dump", "sqlite", "mail_csv", "sms_tsv", "call_csv", "xlsx")

# Share of all rows per kind when every kind is written. Legacy (dump + SQLite) 76 %, campaign
# files 24 %: the customer's 68M legacy vs 15M campaign records, rounded towards more files.
DEFAULT_SPLIT: dict[str, float] = {
    "mysql_dump": 0.46,
    "sqlite": 0.30,
    "mail_csv": 0.07,
    "sms_tsv": 0.06,
    "call_csv": 0.06,
    "xlsx": 0.05,
}

# (records - entities) / records
DUPLICATE_RATE = 0.12

GROUND_TRUTH_FILE = "ground_truth.csv"
MANIFEST_FILE = "manifest.json"
GROUND_TRUTH_COLUMNS = ("source", "source_key", "entity_id", "household_id")
PROGRESS_EVERY = 10_000  # records between two progress callbacks


@dataclass(frozen=True)
class DemoSource:
    """One written source, as recorded in ``manifest.json``."""

    name: str
    kind: str
    file: str
    format: str  # mysql_dump | sqlite | delimited | xlsx
    rows: int
    key_column: str
    columns: tuple[str, ...]
    table: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    bom: bool = False
    line_terminator: str | None = None
    quoting: str | None = None
    date_format: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class DemoManifest:
    """What was written: counts, households, the per-source layout (``manifest.json``)."""

    seed: int
    rows: int
    entities: int
    households: int
    multi_person_households: int
    duplicate_rate: float
    household_kinds: dict[str, int]
    sources: tuple[DemoSource, ...]
    ground_truth: str = GROUND_TRUTH_FILE
    generator_version: int = GENERATOR_VERSION
    split: dict[str, int] = field(default_factory=dict)

    def source(self, name_or_kind: str) -> DemoSource:
        """The source with this name (``legacy_owners``) or kind (``mysql_dump``)."""
        for source in self.sources:
            if name_or_kind in (source.name, source.kind):
                return source
        raise KeyError(name_or_kind)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples as lists), in field order."""
        data = asdict(self)
        data["sources"] = [asdict(source) for source in self.sources]
        for source in data["sources"]:
            source["columns"] = list(source["columns"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DemoManifest:
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["sources"] = tuple(
            DemoSource(**{**source, "columns": tuple(source["columns"])})
            for source in data["sources"]
        )
        return cls(**data)

    @classmethod
    def load(cls, path: Path) -> DemoManifest:
        """Read a ``manifest.json``."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def split_rows(rows: int, kinds: Sequence[str]) -> dict[str, int]:
    """Largest-remainder split of ``rows`` over ``kinds`` by :data:`DEFAULT_SPLIT` weights."""
    total = sum(DEFAULT_SPLIT[kind] for kind in kinds)
    exact = {kind: rows * DEFAULT_SPLIT[kind] / total for kind in kinds}
    counts = {kind: int(share) for kind, share in exact.items()}
    left_over = rows - sum(counts.values())
    # ties broken by the order of KINDS, so that the split never depends on the caller's order
    by_remainder = sorted(kinds, key=lambda kind: (counts[kind] - exact[kind], KINDS.index(kind)))
    for kind in by_remainder[:left_over]:
        counts[kind] += 1
    return counts


def _normalise_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    """The chosen kinds, validated, in the order of :data:`KINDS`."""
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = [kinds]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; choose from {list(KINDS)}")
    if not kinds:
        raise ValueError("kinds must not be empty")
    return tuple(kind for kind in KINDS if kind in kinds)


class DemoPlan:
    """Who is in which record: households, entities and the record -> entity assignment.

    Memory: three integer arrays (``4 + 1`` bytes per entity, ``1`` byte per household and
    ``4`` bytes per record); records themselves are produced lazily by :meth:`records`.
    """

    def __init__(self, *, rows: int, seed: int = 42, kinds: Sequence[str] | None = None) -> None:
        if rows < 0:
            raise ValueError("rows must be >= 0")
        self.rows = rows
        self.seed = seed
        self.kinds = _normalise_kinds(kinds)
        self.counts = split_rows(rows, self.kinds)
        self.n_entities = rows - round(rows * DUPLICATE_RATE)
        self.layout: Layout = build_households(self.n_entities, seed)
        self.n_households = len(self.layout.household_kind)
        self.assignment = self._assign()
        # each kind reads its own consecutive slice of the shuffled assignment
        self.offsets: dict[str, int] = {}
        position = 0
        for kind in self.kinds:
            self.offsets[kind] = position
            position += self.counts[kind]

    def _assign(self) -> array:
        """Every entity once, plus the duplicates drawn at random, shuffled over all records."""
        entity_count = self.n_entities
        assignment = array("I", range(entity_count))
        rng = random.Random(mix(self.seed, 0xD0B))
        if entity_count:
            assignment.extend(
                int(rng.random() * entity_count) for _ in range(self.rows - entity_count)
            )
        rng.shuffle(assignment)
        return assignment

    def household_of(self, entity_id: int) -> tuple[Household, int]:
        """(household, index of the entity inside it)."""
        entity_household = self.layout.entity_household
        household_id = entity_household[entity_id]
        kind = self.layout.household_kind[household_id]
        if kind == HOUSEHOLD_SINGLE:
            return make_household(self.seed, household_id, kind, entity_id, 1), 0
        # members have consecutive entity ids: scan both ways for the household's first and last
        first = entity_id
        while first > 0 and entity_household[first - 1] == household_id:
            first -= 1
        last = entity_id
        entity_total = len(entity_household)
        while last + 1 < entity_total and entity_household[last + 1] == household_id:
            last += 1
        household = make_household(self.seed, household_id, kind, first, last - first + 1)
        return household, entity_id - first

    def records(self, kind: str) -> Iterator[tuple[int | str, int, int, tuple]]:
        """Yield ``(source_key, entity_id, household_id, row)`` for every record of ``kind``."""
        source: SourceDef = SOURCES[kind]
        kind_index = KINDS.index(kind)
        # separate streams for rows and keys: a source's keys never shift its rows
        rng = random.Random(mix(self.seed, 0x5EC, kind_index))
        keys = source.keys(random.Random(mix(self.seed, 0xCE1, kind_index)))
        start = self.offsets[kind]
        for position in range(start, start + self.counts[kind]):
            entity_id = self.assignment[position]
            household, member_index = self.household_of(entity_id)
            key = next(keys)
            row = source.row(rng, key, household, household.members[member_index])
            yield key, entity_id, household.household_id, row


def _manifest_entry(source: SourceDef, rows: int) -> DemoSource:
    """The manifest entry of ``source``: its layout attributes, named as DemoSource's fields."""
    layout = {
        demo_field.name: getattr(source, demo_field.name)
        for demo_field in fields(DemoSource)
        if demo_field.name != "rows"
    }
    return DemoSource(rows=rows, **layout)


def generate_demo_sources(
    *,
    rows: int,
    out_dir: Path,
    seed: int = 42,
    kinds: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoManifest:
    """Write the demo legacy sources, ``ground_truth.csv`` and ``manifest.json`` into ``out_dir``.

    ``rows`` records in total, split over ``kinds`` (all six by default) by
    :data:`DEFAULT_SPLIT`. ``progress`` is called with the number of records written since its
    previous call (10,000 at a time, then the remainder), so the calls add up to ``rows``: pass
    ``tqdm(total=rows).update`` directly. Same arguments, same bytes.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = DemoPlan(rows=rows, seed=seed, kinds=kinds)
    written = 0
    sources: list[DemoSource] = []

    # every file is written under a .tmp name and renamed when complete, so that an interrupted
    # run never leaves a truncated file that looks finished
    ground_truth_temporary = out_dir / (GROUND_TRUTH_FILE + ".tmp")
    with open(ground_truth_temporary, "w", encoding="utf-8", newline="") as ground_truth_file:
        ground_truth = csv.writer(ground_truth_file, lineterminator="\n")
        ground_truth.writerow(GROUND_TRUTH_COLUMNS)

        for kind in plan.kinds:
            source = SOURCES[kind]

            def rows_of(kind: str = kind, name: str = source.name) -> Iterator[tuple]:
                # the ground truth is written as the writer pulls rows: one pass, file order
                nonlocal written
                for key, entity_id, household_id, row in plan.records(kind):
                    ground_truth.writerow((name, key, entity_id, household_id))
                    written += 1
                    if progress is not None and written % PROGRESS_EVERY == 0:
                        progress(PROGRESS_EVERY)
                    yield row

            temporary = out_dir / (source.file + ".tmp")
            WRITERS[source.format](temporary, source, rows_of())
            os.replace(temporary, out_dir / source.file)
            sources.append(_manifest_entry(source, plan.counts[kind]))
    os.replace(ground_truth_temporary, out_dir / GROUND_TRUTH_FILE)
    if progress is not None and written % PROGRESS_EVERY:
        progress(written % PROGRESS_EVERY)

    layout = plan.layout
    multi_person = sum(count for kind, count in layout.kind_counts.items() if kind != "single")
    manifest = DemoManifest(
        seed=seed,
        rows=rows,
        entities=plan.n_entities,
        households=plan.n_households,
        multi_person_households=multi_person,
        duplicate_rate=round((rows - plan.n_entities) / rows, 6) if rows else 0.0,
        household_kinds=dict(layout.kind_counts),
        sources=tuple(sources),
        split={SOURCES[kind].name: plan.counts[kind] for kind in plan.kinds},
    )
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return manifest
