"""Seeded, streaming generator of the customer's legacy sources (see package docstring)."""

from __future__ import annotations

import csv
import json
import os
import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .people import Household, Layout, build_households, make_household, mix
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
PROGRESS_EVERY = 10_000


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
        for s in self.sources:
            if name_or_kind in (s.name, s.kind):
                return s
        raise KeyError(name_or_kind)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sources"] = [asdict(s) for s in self.sources]
        for s in d["sources"]:
            s["columns"] = list(s["columns"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DemoManifest:
        d = dict(d)
        d["sources"] = tuple(
            DemoSource(**{**s, "columns": tuple(s["columns"])}) for s in d["sources"]
        )
        return cls(**d)

    @classmethod
    def load(cls, path: Path) -> DemoManifest:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def split_rows(rows: int, kinds: Sequence[str]) -> dict[str, int]:
    """Largest-remainder split of ``rows`` over ``kinds`` by :data:`DEFAULT_SPLIT` weights."""
    total = sum(DEFAULT_SPLIT[k] for k in kinds)
    exact = {k: rows * DEFAULT_SPLIT[k] / total for k in kinds}
    counts = {k: int(v) for k, v in exact.items()}
    left = rows - sum(counts.values())
    for k in sorted(kinds, key=lambda k: (counts[k] - exact[k], KINDS.index(k)))[:left]:
        counts[k] += 1
    return counts


def _normalise_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = [kinds]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown kinds {unknown}; choose from {list(KINDS)}")
    if not kinds:
        raise ValueError("kinds must not be empty")
    return tuple(k for k in KINDS if k in kinds)


class DemoPlan:
    """Who is in which record: households, entities and the record -> entity assignment.

    Memory: three integer arrays (``4 + 1`` bytes per entity, ``1`` byte per household and
    ``4`` bytes per record); records themselves are produced lazily by :meth:`records`.
    """

    def __init__(self, *, rows: int, seed: int = 42, kinds: Sequence[str] | None = None):
        if rows < 0:
            raise ValueError("rows must be >= 0")
        self.rows = rows
        self.seed = seed
        self.kinds = _normalise_kinds(kinds)
        self.counts = split_rows(rows, self.kinds)
        self.n_entities = rows - round(rows * DUPLICATE_RATE)
        self.layout: Layout = build_households(self.n_entities, seed)
        self.n_households = len(self.layout.hh_kind)
        self.assignment = self._assign()
        self.offsets: dict[str, int] = {}
        pos = 0
        for k in self.kinds:
            self.offsets[k] = pos
            pos += self.counts[k]

    def _assign(self) -> array:
        """Every entity once, plus the duplicates drawn at random, shuffled over all records."""
        e = self.n_entities
        assignment = array("I", range(e))
        r = random.Random(mix(self.seed, 0xD0B))
        if e:
            assignment.extend(int(r.random() * e) for _ in range(self.rows - e))
        r.shuffle(assignment)
        return assignment

    def household_of(self, eid: int) -> tuple[Household, int]:
        """(household, index of the entity inside it)."""
        ent_hh = self.layout.ent_hh
        hid = ent_hh[eid]
        kind = self.layout.hh_kind[hid]
        if kind == 0:
            return make_household(self.seed, hid, 0, eid, 1), 0
        first = eid
        while first > 0 and ent_hh[first - 1] == hid:
            first -= 1
        last = eid
        n = len(ent_hh)
        while last + 1 < n and ent_hh[last + 1] == hid:
            last += 1
        return make_household(self.seed, hid, kind, first, last - first + 1), eid - first

    def records(self, kind: str) -> Iterator[tuple[int | str, int, int, tuple]]:
        """Yield ``(source_key, entity_id, household_id, row)`` for every record of ``kind``."""
        src: SourceDef = SOURCES[kind]
        idx = KINDS.index(kind)
        r = random.Random(mix(self.seed, 0x5EC, idx))
        keys = src.keys(random.Random(mix(self.seed, 0xCE1, idx)))
        start = self.offsets[kind]
        assignment = self.assignment
        household_of = self.household_of
        row = src.row
        for pos in range(start, start + self.counts[kind]):
            eid = assignment[pos]
            h, i = household_of(eid)
            key = next(keys)
            yield key, eid, h.hid, row(r, key, h, h.members[i])


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

    gt_tmp = out_dir / (GROUND_TRUTH_FILE + ".tmp")
    with open(gt_tmp, "w", encoding="utf-8", newline="") as gt_file:
        gt = csv.writer(gt_file, lineterminator="\n")
        gt.writerow(GROUND_TRUTH_COLUMNS)
        gt_row = gt.writerow

        for kind in plan.kinds:
            src = SOURCES[kind]
            name = src.name

            def rows_of(kind: str = kind, name: str = name) -> Iterator[tuple]:
                nonlocal written
                for key, eid, hid, row in plan.records(kind):
                    gt_row((name, key, eid, hid))
                    written += 1
                    if progress is not None and written % PROGRESS_EVERY == 0:
                        progress(PROGRESS_EVERY)
                    yield row

            target = out_dir / src.file
            tmp = out_dir / (src.file + ".tmp")
            WRITERS[src.format](tmp, src, rows_of())
            os.replace(tmp, target)
            sources.append(
                DemoSource(
                    name=name,
                    kind=kind,
                    file=src.file,
                    format=src.format,
                    rows=plan.counts[kind],
                    key_column=src.key_column,
                    columns=src.columns,
                    table=src.table,
                    sheet=src.sheet,
                    delimiter=src.delimiter,
                    encoding=src.encoding,
                    bom=src.bom,
                    line_terminator=src.line_terminator,
                    quoting=src.quoting,
                    date_format=src.date_format,
                    notes=src.notes,
                )
            )
    os.replace(gt_tmp, out_dir / GROUND_TRUTH_FILE)
    if progress is not None and written % PROGRESS_EVERY:
        progress(written % PROGRESS_EVERY)

    layout = plan.layout
    multi = sum(v for k, v in layout.kind_counts.items() if k != "single")
    manifest = DemoManifest(
        seed=seed,
        rows=rows,
        entities=plan.n_entities,
        households=plan.n_households,
        multi_person_households=multi,
        duplicate_rate=round((rows - plan.n_entities) / rows, 6) if rows else 0.0,
        household_kinds=dict(layout.kind_counts),
        sources=tuple(sources),
        split={SOURCES[k].name: plan.counts[k] for k in plan.kinds},
    )
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return manifest
