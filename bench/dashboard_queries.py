"""Priority lists, count estimates and dashboard pages on MariaDB, with their query plans.

    .venv/bin/python bench/dashboard_queries.py --persons 10000000 --load-only --link-duplicates
    .venv/bin/python bench/dashboard_queries.py --persons 10000000 --reuse --repeat 20

Loads (unless ``--reuse``) a scratch database the way the platform fills one, then times a
fixed mix of priority-list queries, count estimates and pages, server-side:

* **demo sources**: ``manage.py generate_demo_data --rows N`` (all six kinds: the legacy dump
  and SQLite file carry lead statuses, the three campaign files carry touch dates), cached
  under ``var/bench_dashboard/``;
* **ingestion**: ``manage.py migrate``, then ``manage.py ingest FILE --json --no-dedupe`` of
  each file in the quick start's order, the campaign files with ``--campaign`` (so their
  touchpoints belong to a campaign). ``--no-dedupe`` leaves golden-record resolution out:
  every record stays its own golden record;
* **duplicates** (``--link-duplicates``): the demo's true duplicates (its ground truth) are
  linked set-based to the lowest person id of each entity (``is_duplicate``, ``merged_into``),
  then ``manage.py scrub``: the shape golden-record resolution leaves (about 12 % of golden
  records have duplicates whose contact points and touches count for them), without running
  it (``manage.py dedupe --full`` needs ~2 GB per 1M persons);
* **scores**: the platform has no scoring source yet (every import writes 0), so the bench
  gives each person a score 0-100 skewed towards low values (``score = floor(101 * u^2)``,
  ``u`` a hash of the id), set-based, without touching ``updated_at``;
* **compliance**: DNC list files written from the database's own numbers with the proportions
  of ``manage.py generate_demo_registry`` (12 % of our numbers on the national list, 5 % of
  those of state-list states on their state's list, 1 % added and 5 % deleted by a change
  list, 0.5 % on the internal list; one stranger's number per number of ours), loaded with
  ``manage.py load_registry``, then ``manage.py scrub``. The state lists' coverage is recorded
  before the import (lists of strangers' numbers, dated yesterday), so that today's state
  lists are the incremental loads they are in production rather than one full re-scrub each;
* ``ANALYZE TABLE`` of the big tables and ``person_facets_refresh()``.

Then, in this process through the ORM (``criteria.parse`` of a query string, then
``criteria.page`` / ``counts._estimate``, the count uncached), each query ``--repeat`` times
after one warm-up: p50 / p95 in ms. Each page query's SQL is printed with its ``EXPLAIN`` and
the rows MariaDB actually read (``ANALYZE FORMAT=JSON``); a plan that scans persons (type
``ALL``, a full index scan) or reads more than 10,000 persons rows is flagged. The deep page is
the 200th page reached by following ``next_cursor``. A *rare* case (look-up criteria few
records pass) is timed whole: the windows searched until ``DASHBOARD_LIST_WALK_MS`` has
passed (each its end read from the sort index, then its bounded search); the last window's
search is the plan shown. Pages are fetched with
``django.test.Client`` logged in as an admin (middleware, view, template: server-side time),
with ``DASHBOARD_CACHE_SECONDS=0`` so that every fetch runs its queries (no page cache).

Sets innodb_buffer_pool_size (8 GiB by default, as deploy/mariadb.cnf) and the dynamic
settings of deploy/mariadb.cnf, as ``bench/ingest_throughput.py`` does, and prints them.
``--add-index NAME:TABLE:COL,COL`` adds an index to the bench database by hand (ALTER TABLE)
before the queries run, to measure its effect; the output says so.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_throughput import (  # the sibling bench, importable from here
    Server,
    command_environment,
    recreate_database,
    run_measured,
    server_settings,
)

PROJECT = Path(__file__).resolve().parents[1]
CACHE = PROJECT / "var" / "bench_dashboard"
SEED = 42
REGISTRY_SEED = 7
# The quick start's order: the legacy database first, then the campaign files and the lead list.
FILES = (
    ("legacy_owners.sql", None),
    ("legacy_contacts.sqlite", None),
    ("campaign_mail_2024.csv", "Mail 2024"),
    ("campaign_sms_2025.txt", "SMS 2025"),
    ("campaign_calls_2025.csv", "Calls 2025"),
    ("lead_list_q3.xlsx", None),
)
STATE_LIST_STATES = ("CO", "FL", "IN", "LA", "MA", "MO", "OK", "PA", "TN", "TX", "WY")
STRANGERS_PER_STATE = 20
ONE_COLUMN = '{"number_columns": [0]}'  # load_registry --layout of a one-number-per-line list
SCORE_UPDATE_ROWS = 100_000
DEEP_PAGES = 200
TARGET_LIST_MS = 50.0
TARGET_COUNT_MS = 100.0
# Pages.
TARGET_PAGE_MS = 200.0
LIST_SETTINGS = ("DASHBOARD_LIST_WALK_MS", "DASHBOARD_LIST_WINDOW_ROWS")
LARGE_READ = 10_000  # persons rows read by one page query above which it is flagged
SLOW_MS = 1_000.0  # an item whose warm-up takes longer is timed SLOW_REPEAT times only
SLOW_REPEAT = 3
TRUE_COUNT_SECONDS = 120  # --true-counts: an exact COUNT is given up after this
BIG_TABLES = ("persons", "phone_numbers", "email_addresses", "addresses", "touchpoints")


def log(message: str) -> None:
    print(message, flush=True)


# -- loading ---------------------------------------------------------------------------------


def demo_sources(rows: int) -> Path:
    """The demo sources of ``rows`` records (seed 42), generated once into the cache."""
    directory = CACHE / f"demo_{rows}_seed{SEED}"
    if (directory / "manifest.json").exists():
        return directory
    started = time.perf_counter()
    command = [sys.executable, "manage.py", "generate_demo_data", "--rows", str(rows)]
    subprocess.run(
        [*command, "--out", str(directory), "--seed", str(SEED)],
        cwd=PROJECT,
        env={**os.environ, "DEBUG": "1", "CMP_VAR_DIR": str(CACHE / "generator")},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log(f"generated {rows:,} demo records in {time.perf_counter() - started:.1f} s")
    return directory


def manage(env: dict[str, str], label: str, *arguments: str) -> tuple[float, str]:
    """Run ``manage.py ARGUMENTS`` measured; (seconds, stdout)."""
    measured = run_measured([sys.executable, "manage.py", *arguments], env, label)
    return measured.seconds, measured.stdout


@dataclass
class LoadReport:
    """What loading took, step by step."""

    steps: list[tuple[str, float, str]] = field(default_factory=list)

    def add(self, label: str, seconds: float, note: str = "") -> None:
        self.steps.append((label, seconds, note))
        log(f"  {label:<48} {seconds:>9.1f} s  {note}")


def ingest_file(
    env: dict[str, str], directory: Path, name: str, campaign: str | None
) -> tuple[float, str]:
    """``manage.py ingest FILE --json --no-dedupe`` (resumes an interrupted import of it)."""
    options = ["--campaign", campaign] if campaign else []
    seconds, stdout = manage(
        env, f"ingest {name}", "ingest", str(directory / name), "--json", "--no-dedupe", *options
    )
    summary = json.loads(stdout[stdout.index("{") :])
    rate = summary["rows_read"] / seconds if seconds else 0
    counts = ", ".join(
        f"{key} {summary[key]:,}"
        for key in ("inserted", "updated", "unchanged", "errors")
        if summary.get(key)
    )
    return (
        seconds,
        f"{summary['status']}: {summary['rows_read']:,} rows, {rate:,.0f} rows/s; {counts}",
    )


def scores_spread(cursor: Any) -> float:
    """Scores 0-100, skewed low, from a hash of the id (bench-only; see the module docstring).

    The persons indexes that hold the score are dropped for the update and built again after
    it, with the same names and columns read from the server: updating six indexes row by
    row took 16 minutes at 10M persons."""
    started = time.perf_counter()
    cursor.execute(
        "SELECT index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) "
        "FROM information_schema.statistics WHERE table_schema = DATABASE() "
        "AND table_name = 'persons' AND index_name <> 'PRIMARY' GROUP BY index_name "
        "HAVING SUM(column_name = 'score') > 0 AND MAX(non_unique) = 1"
    )
    indexes = [(name, columns.split(",")) for name, columns in cursor.fetchall()]
    if indexes:
        cursor.execute(
            "ALTER TABLE persons " + ", ".join(f"DROP INDEX `{name}`" for name, _ in indexes)
        )
    cursor.execute("SELECT MIN(id), MAX(id) FROM persons")
    low, high = cursor.fetchone()
    for start in range(low or 1, (high or 0) + 1, SCORE_UPDATE_ROWS):
        cursor.execute(
            "UPDATE persons SET score = FLOOR(101 * POW((CRC32(id) MOD 10000) / 10000, 2)) "
            "WHERE id BETWEEN %s AND %s",
            (start, start + SCORE_UPDATE_ROWS - 1),
        )
    if indexes:
        added = ", ".join(
            f"ADD INDEX `{name}` ({', '.join(f'`{column}`' for column in columns)})"
            for name, columns in indexes
        )
        cursor.execute(f"ALTER TABLE persons {added}")
    return time.perf_counter() - started


@dataclass
class RegistryFiles:
    """Paths of the DNC files written from the database's numbers."""

    federal_full: Path
    federal_changes: Path
    internal: Path
    states: dict[str, Path]
    counts: dict[str, int]


def _stranger(rng: random.Random, npa: str) -> str:
    return f"{npa}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"


def state_lists_before(server: Server, database: str, directory: Path) -> dict[str, Path]:
    """Yesterday's state lists: strangers' numbers only (the database has none of ours yet)."""
    connection = server.connect(database)
    cursor = connection.cursor()
    paths = {}
    for state in STATE_LIST_STATES:
        cursor.execute(
            "SELECT npa FROM area_codes WHERE state = %s AND NOT is_toll_free ORDER BY npa",
            (state,),
        )
        npas = [row[0] for row in cursor.fetchall()]
        rng = random.Random(f"{REGISTRY_SEED}-{state}")
        numbers = [_stranger(rng, rng.choice(npas)) for _ in range(STRANGERS_PER_STATE)]
        paths[state] = directory / f"dnc_state_{state.lower()}_before.txt"
        paths[state].write_text("".join(f"{number}\n" for number in numbers))
    connection.close()
    return paths


def registry_files(server: Server, database: str, directory: Path) -> RegistryFiles:
    """Today's DNC files from the database's numbers, in generate_demo_registry's proportions
    and layouts (streamed in e164 order; the demo command holds every number in memory)."""
    import MySQLdb.cursors

    connection = server.connect(database)
    cursor = connection.cursor()
    cursor.execute("SELECT npa, state FROM area_codes")
    state_of = dict(cursor.fetchall())
    rng = random.Random(REGISTRY_SEED)
    counts = dict.fromkeys(("ours", "national", "added", "deleted", "state", "internal"), 0)
    states = {state: directory / f"dnc_state_{state.lower()}.txt" for state in STATE_LIST_STATES}
    state_handles = {state: path.open("w") for state, path in states.items()}
    # The same strangers as yesterday's lists: a full list that kept them drifts nothing.
    for state, before in state_lists_before(server, database, directory).items():
        state_handles[state].write(before.read_text())
    paths = {name: directory / f"dnc_{name}.txt" for name in ("federal_full", "federal_changes")}
    paths["internal"] = directory / "dnc_internal.txt"
    streaming = server.connect(database, cursorclass=MySQLdb.cursors.SSCursor)
    numbers = streaming.cursor()
    numbers.execute(
        "SELECT e164 FROM phone_numbers WHERE e164 LIKE '+1%%' GROUP BY e164 ORDER BY e164"
    )
    with (
        paths["federal_full"].open("w") as full,
        paths["federal_changes"].open("w") as changes,
        paths["internal"].open("w") as internal,
    ):
        for (number,) in numbers:
            npa, rest = number[2:5], number[5:]
            counts["ours"] += 1
            listed = rng.random() < 0.12
            if listed:
                full.write(f"{npa},{rest}\n")
                counts["national"] += 1
                if rng.random() < 0.05:
                    changes.write(f"{npa},{rest},D\n")
                    counts["deleted"] += 1
            elif rng.random() < 0.01:
                changes.write(f"{npa},{rest},A\n")
                counts["added"] += 1
            stranger = _stranger(rng, npa)
            full.write(f"{stranger[:3]},{stranger[3:]}\n")
            counts["national"] += 1
            state = state_of.get(npa, "")
            if state in state_handles and rng.random() < 0.05:
                state_handles[state].write(f"{number[2:]}\n")
                counts["state"] += 1
            if rng.random() < 0.005:
                internal.write(f"{number[2:]}\n")
                counts["internal"] += 1
    for handle in state_handles.values():
        handle.close()
    streaming.close()
    connection.close()
    return RegistryFiles(
        federal_full=paths["federal_full"],
        federal_changes=paths["federal_changes"],
        internal=paths["internal"],
        states=states,
        counts=counts,
    )


def load_state_lists(env: dict[str, str], paths: dict[str, Path], list_date: dt.date) -> float:
    total = 0.0
    for state, path in paths.items():
        seconds, _ = manage(
            env, f"state list {state}", "load_registry", str(path), "--kind", "state",
            "--state", state, "--list-date", list_date.isoformat(),
            "--layout", ONE_COLUMN,
        )  # fmt: skip
        total += seconds
    return total


def link_duplicates(server: Server, database: str, rows: int, env: dict[str, str]) -> None:
    """Link the demo's true duplicates to one golden record each (bench-only, set-based, from
    ``ground_truth.csv``: the lowest person id of each entity stays golden, the others become
    its duplicates), rescrub, rebuild the golden-record summaries and say how many: the shape a
    database has after golden-record resolution, without running it (``manage.py dedupe
    --full`` needs ~2 GB per 1M persons)."""
    truth = demo_sources(rows) / "ground_truth.csv"
    connection = server.connect(database, local_infile=1)
    cursor = connection.cursor()
    started = time.perf_counter()
    for statement in (
        "DROP TABLE IF EXISTS bench_truth, bench_entity_person, bench_golden",
        "CREATE TABLE bench_truth (source VARCHAR(64), source_key VARCHAR(191), "
        "entity_id BIGINT, household_id BIGINT, KEY (source, source_key))",
        f"LOAD DATA LOCAL INFILE '{truth}' INTO TABLE bench_truth FIELDS TERMINATED BY ',' "
        "IGNORE 1 LINES",
        "CREATE TABLE bench_entity_person (entity_id BIGINT, person_id BIGINT, "
        "PRIMARY KEY (entity_id, person_id)) SELECT DISTINCT t.entity_id, s.person_id "
        "FROM bench_truth t "
        "JOIN source_records s ON s.source = t.source AND s.source_key = t.source_key",
        "CREATE TABLE bench_golden (entity_id BIGINT PRIMARY KEY, golden_id BIGINT) "
        "SELECT entity_id, MIN(person_id) golden_id FROM bench_entity_person GROUP BY entity_id "
        "HAVING COUNT(*) > 1",
        "UPDATE persons p JOIN bench_entity_person e ON e.person_id = p.id JOIN bench_golden g "
        "ON g.entity_id = e.entity_id AND g.golden_id <> p.id SET p.is_duplicate = 1, "
        "p.is_original = 0, p.merged_into_id = g.golden_id",
    ):
        cursor.execute(statement)
        connection.commit()
    cursor.execute(
        "SELECT COUNT(*), COUNT(DISTINCT merged_into_id) FROM persons WHERE is_duplicate"
    )
    duplicates, golden = cursor.fetchone()
    cursor.execute("DROP TABLE bench_truth, bench_entity_person, bench_golden")
    cursor.execute("ANALYZE TABLE persons")
    cursor.fetchall()
    connection.close()
    log(
        f"linked {duplicates:,} true duplicates to {golden:,} golden records (bench-only, from "
        f"the ground truth) in {time.perf_counter() - started:.1f} s"
    )
    seconds, _ = manage(env, "scrub", "scrub")
    log(f"manage.py scrub (clusters changed) in {seconds:.1f} s")
    seconds, out = manage(env, "golden_facts_rebuild", "golden_facts_rebuild")
    log(f"manage.py golden_facts_rebuild (clusters changed): {out.strip()}")


def commands_environment(server: Server, database: str) -> dict[str, str]:
    """The manage.py commands' environment: one var dir per database (its landing zone holds
    the imported files, which a resumed import reads again)."""
    env = command_environment(server, database, CACHE / f"var_{database}")
    env["COMPLIANCE_STATE_LIST_STATES"] = ",".join(STATE_LIST_STATES)
    return env


class Steps:
    """The load's finished steps, recorded in the bench database (``bench_load_steps``) so
    that ``--resume`` carries on after the last one that finished."""

    def __init__(self, server: Server, database: str) -> None:
        self.server, self.database = server, database
        connection = server.connect(database)
        cursor = connection.cursor()
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_load_steps (step VARCHAR(100) PRIMARY KEY, "
            "seconds DOUBLE, finished_at DATETIME)"
        )
        cursor.execute("SELECT step FROM bench_load_steps")
        self.finished = {row[0] for row in cursor.fetchall()}
        connection.close()

    def run(self, report: LoadReport, label: str, step: Callable[[], tuple[float, str]]) -> None:
        if label in self.finished:
            log(f"  {label:<48} (done before)")
            return
        seconds, note = step()
        report.add(label, seconds, note)
        connection = self.server.connect(self.database)
        connection.cursor().execute(
            "INSERT INTO bench_load_steps VALUES (%s, %s, NOW())", (label, seconds)
        )
        connection.close()


def load(arguments: argparse.Namespace, server: Server, var_dir: Path) -> LoadReport:
    """Fill ``arguments.database`` from scratch, or carry on with ``--resume`` (migrations
    applied again, finished steps skipped, an interrupted import resumed by ``ingest``)."""
    report = LoadReport()
    directory = demo_sources(arguments.persons)
    if not arguments.resume:
        recreate_database(server, arguments.database)
    env = commands_environment(server, arguments.database)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        env=env,
        cwd=PROJECT,
        check=True,
    )
    report.add("migrate", time.perf_counter() - started)
    steps = Steps(server, arguments.database)
    registry = var_dir / "registry"
    registry.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)

    def lists_before() -> tuple[float, str]:
        before = state_lists_before(server, arguments.database, registry)
        return load_state_lists(env, before, yesterday), f"{len(before)} lists"

    steps.run(report, "state lists dated yesterday (no persons yet)", lists_before)
    for name, campaign in FILES:
        steps.run(
            report,
            f"ingest {name} (--no-dedupe)",
            lambda name=name, campaign=campaign: ingest_file(env, directory, name, campaign),
        )

    def scores() -> tuple[float, str]:
        connection = server.connect(arguments.database)
        seconds = scores_spread(connection.cursor())
        connection.close()
        # an UPDATE outside the application: campaign memberships take the new scores
        synced, out = manage(
            env, "golden_facts_rebuild --scores", "golden_facts_rebuild", "--scores"
        )
        return seconds + synced, out.strip()

    steps.run(report, "scores (bench-only set-based UPDATE)", scores)
    if {"load_registry internal list", "manage.py scrub (full re-scrub)"} <= steps.finished:
        files = None
    else:
        started = time.perf_counter()
        files = registry_files(server, arguments.database, registry)
        counts = ", ".join(f"{name} {count:,}" for name, count in files.counts.items())
        report.add("DNC files written from our numbers", time.perf_counter() - started, counts)

    def registry_load(label: str, path: Path, *options: str) -> tuple[float, str]:
        seconds, stdout = manage(
            env, label, "load_registry", str(path), "--list-date", today.isoformat(), *options
        )
        return seconds, stdout.strip()[-200:]

    if files is not None:
        steps.run(
            report,
            "load_registry national full list (+ full scrub)",
            lambda: registry_load("national full list", files.federal_full, "--kind", "federal"),
        )
        steps.run(
            report,
            "load_registry 11 state lists (incremental)",
            lambda: (load_state_lists(env, files.states, today), ""),
        )
        steps.run(
            report,
            "load_registry national change list",
            lambda: registry_load(
                "change list", files.federal_changes, "--kind", "federal", "--change-list"
            ),
        )
        steps.run(
            report,
            "load_registry internal list",
            lambda: registry_load(
                "internal list", files.internal, "--kind", "internal", "--layout", ONE_COLUMN
            ),
        )
    steps.run(
        report, "manage.py scrub (full re-scrub)", lambda: (manage(env, "scrub", "scrub")[0], "")
    )

    def analyze() -> tuple[float, str]:
        connection = server.connect(arguments.database)
        cursor = connection.cursor()
        started = time.perf_counter()
        for table in BIG_TABLES:
            cursor.execute(f"ANALYZE TABLE `{table}`")
            cursor.fetchall()
        connection.close()
        return time.perf_counter() - started, ""

    steps.run(report, "ANALYZE TABLE " + ", ".join(BIG_TABLES), analyze)
    return report


# -- measuring -------------------------------------------------------------------------------


def quantile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@dataclass
class Timing:
    """One measured item: its latencies in ms and what it returned."""

    name: str
    kind: str  # list | deep | count | page
    target_ms: float
    latencies: list[float]
    outcome: str = ""
    sql: str = ""
    plan: list[dict[str, Any]] = field(default_factory=list)
    persons_rows_read: int | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        return quantile(self.latencies, 0.95)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "p50": round(self.p50, 2),
            "p95": round(self.p95, 2),
            "target_ms": self.target_ms,
            "outcome": self.outcome,
            "persons_rows_read": self.persons_rows_read,
            "flags": self.flags,
            "plan": self.plan,
            "sql": self.sql,
        }


def timed(function: Callable[[], Any], repeat: int) -> tuple[list[float], Any, str]:
    """``function`` once to warm up, then ``repeat`` times (3 times when the warm-up took over
    a second): (latencies in ms, last result, error). A statement MariaDB interrupted at
    ``--statement-timeout`` ends the item: its one latency is the time until the error."""
    from django.db import DatabaseError

    started = time.perf_counter()
    try:
        result = function()
    except DatabaseError as error:
        return [(time.perf_counter() - started) * 1000], None, f"INTERRUPTED ({error})"
    if (time.perf_counter() - started) * 1000 > SLOW_MS:
        repeat = min(repeat, SLOW_REPEAT)
    latencies = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, result, ""


class _Captured(Exception):
    """Raised in place of running the statement :func:`statement` looks for."""


def statement(run: Callable[[], Any], *, last: bool = False) -> tuple[str, Any]:
    """The first SELECT of persons rows (or ids) that ``run`` sends, and its parameters (not
    executed; a look-up list's window end, which reads the sort index only, runs before it); with
    ``last``, ``run`` runs to its end and its last such SELECT is given (a windowed page's
    last window's search)."""
    from django.db import connection

    captured: list[tuple[str, Any]] = []

    def intercept(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # the page's walk: persons rows, or only their ids (and a campaign member's score)
        # when the rows are read by primary key after it (the read has no LIMIT)
        if sql.startswith("SELECT `persons`.`id`") and " LIMIT " in sql:
            captured.append((sql, params))
            if not last:
                raise _Captured
        return execute(sql, params, many, context)

    with connection.execute_wrapper(intercept), contextlib.suppress(_Captured):
        run()
    return captured[-1] if last else captured[0]


def explain(sql: str, params: Any) -> tuple[str, list[dict[str, Any]], int | None, list[str]]:
    """The statement as sent, its tabular EXPLAIN, the persons rows MariaDB read running it
    (ANALYZE FORMAT=JSON: ``r_rows`` x ``r_loops`` of each persons access, subqueries
    included; ``None`` when interrupted) and the flags."""
    from django.db import DatabaseError, connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        sent = connection.ops.last_executed_query(cursor, sql, params)
        sent = sent.removeprefix("EXPLAIN ")
        names = [column[0] for column in cursor.description]
        plan = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        try:
            cursor.execute("ANALYZE FORMAT=JSON " + sql, params)
            analyzed = json.loads(cursor.fetchone()[0])
        except DatabaseError:
            analyzed = None
    read = None
    for node in _tables(analyzed):
        if node.get("table_name") == "persons":
            rows = float(node.get("r_rows") or 0) * float(node.get("r_loops") or 1)
            read = (read or 0) + int(rows)
    flags = [] if analyzed is not None else ["ANALYZE interrupted"]
    for row in plan:
        table, access = row.get("table"), row.get("type")
        extra = row.get("Extra") or ""
        if table == "persons" and access == "ALL":
            flags.append("SCANS persons (type ALL)")
        elif table == "persons" and access == "index" and "Using filesort" in extra:
            flags.append("full index scan of persons + filesort")
        if table == "persons" and "filesort" in extra and int(row.get("rows") or 0) > LARGE_READ:
            flags.append(f"filesort over ~{int(row['rows']):,} persons rows (estimate)")
        if row.get("select_type") == "MATERIALIZED" and access in ("ALL", "index"):
            flags.append(f"materializes a full {access} scan of {row.get('table')}")
    if read is not None and read > LARGE_READ:
        flags.append(f"reads {read:,} persons rows")
    return sent, plan, read, flags


def _tables(node: Any) -> Iterator[dict[str, Any]]:
    """Every ``table`` node of an ANALYZE FORMAT=JSON tree (subqueries included)."""
    if isinstance(node, dict):
        if "table_name" in node:
            yield node
        for value in node.values():
            yield from _tables(value)
    elif isinstance(node, list):
        for value in node:
            yield from _tables(value)


def plan_text(plan: list[dict[str, Any]]) -> str:
    lines = []
    for row in plan:
        key = row.get("key") or "-"
        lines.append(
            f"      {row.get('id')!s:>2} {row.get('select_type', ''):<18} "
            f"{row.get('table') or '':<10} {row.get('type') or '':<12} {key:<32} "
            f"rows {row.get('rows') or '-':<9} {row.get('Extra') or ''}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class ListCase:
    """One priority-list query of the mix."""

    name: str
    params: str  # query string
    deep: bool = False
    count: bool = False
    windowed: bool = False  # rare look-up matches: the page searches a window (criteria.page)


def discover(report: list[str]) -> dict[str, str]:
    """Values the query mix filters on, taken from the data (cheap index look-ups)."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection

    from cmplatform.core.models import Campaign
    from dashboard.models import PersonFacet

    values: dict[str, str] = {"state": "TX"}
    with connection.cursor() as cursor:
        facet = (
            PersonFacet.objects.filter(state="TX")
            .exclude(county="")
            .values("county")
            .annotate(n=_sum("persons"))
            .order_by("-n")
            .first()
        )
        values["county"] = facet["county"] if facet else ""
        cursor.execute(
            "SELECT zip5, COUNT(*) FROM persons WHERE state = 'TX' AND county = %s "
            "GROUP BY zip5 ORDER BY 2 DESC LIMIT 1",
            (values["county"],),
        )
        row = cursor.fetchone()
        values["zip5"] = row[0] if row else "75001"
        cursor.execute("SELECT MIN(created_at), MAX(created_at) FROM persons")
        low, high = cursor.fetchone()
    # Dates of the list form are days of the display time zone: a load that crossed midnight
    # UTC would otherwise ask for a day that holds none of its persons.
    shown = ZoneInfo(settings.TIME_ZONE)
    low, high = (
        moment.replace(tzinfo=moment.tzinfo or dt.UTC).astimezone(shown) for moment in (low, high)
    )
    # A tenth of the creation span, in its middle (the engine stamps persons per chunk).
    middle = low + (high - low) / 2
    values["created_from"] = (middle - (high - low) / 20).date().isoformat()
    values["created_to"] = (middle + (high - low) / 20).date().isoformat()
    if values["created_from"] == values["created_to"] or (high - low) < dt.timedelta(days=2):
        values["created_from"] = values["created_to"] = middle.date().isoformat()
    campaigns = dict(Campaign.objects.values_list("name", "pk"))
    values["campaign"] = str(campaigns.get("Mail 2024", ""))
    values["campaign_calls"] = str(campaigns.get("Calls 2025", ""))
    report.append(", ".join(f"{key}={value}" for key, value in values.items()))
    return values


def _sum(field_name: str) -> Any:
    from django.db.models import Sum

    return Sum(field_name)


def cases(values: dict[str, str]) -> list[ListCase]:
    """The fixed mix (values from :func:`discover`)."""
    state, county, zip5 = values["state"], values["county"], values["zip5"]
    created = f"created_from={values['created_from']}&created_to={values['created_to']}"
    return [
        ListCase("state, by score", f"state={state}", count=True),
        ListCase("state + lead status", f"state={state}&lead_status=contacted", count=True),
        ListCase("state + county", f"state={state}&county={county}", count=True),
        ListCase("ZIP", f"zip5={zip5}", count=True),
        ListCase("lead status + score 70-100", "lead_status=interested&score_min=70&score_max=100",
                 count=True),
        ListCase("3 states + 2 lead statuses", "state=TX,OK,NM&lead_status=new&"
                 "lead_status=attempted", count=True),
        ListCase("call CLEAR + state", f"call_status=CLEAR&state={state}", count=True),
        ListCase("has phone + SMS CLEAR", "has_phone=yes&sms_status=CLEAR", count=True),
        ListCase("never mailed + state", f"mail_touches_max=0&state={state}", count=True),
        ListCase("no mail since 2024-07-01 + state",
                 f"mail_last_touch_before=2024-07-01&state={state}", count=True),
        ListCase("in campaign Mail 2024", f"campaign={values['campaign']}", count=True),
        ListCase("in campaign Calls 2025 + state",
                 f"campaign={values['campaign_calls']}&state={state}"),
        ListCase("created range, oldest first", f"{created}&sort=created_at", count=True),
        ListCase("state, recently updated", f"state={state}&sort=-updated_at"),
        ListCase("all, newest first", "sort=-created_at"),
        ListCase("all, by score", "sort=-score"),
        ListCase("rare: mail touches >= 3 + state", f"mail_touches_min=3&state={state}",
                 windowed=True),
        ListCase("rare: campaign Mail 2024 + not interested",
                 f"campaign={values['campaign']}&lead_status=not_interested&state={state}",
                 windowed=True),
        ListCase("deep: state + lead status, page 200", f"state={state}&lead_status=new",
                 deep=True),
        ListCase("deep: state, page 200", f"state={state}", deep=True),
        ListCase("deep: all by id, page 200", "sort=id", deep=True),
        ListCase("deep: all, newest first, page 200", "sort=-created_at", deep=True),
    ]  # fmt: skip


def measure_lists(repeat: int, values: dict[str, str], only: list[str]) -> list[Timing]:
    from django.db import DatabaseError
    from django.http import QueryDict

    from dashboard.lists import counts, criteria

    results = []
    for case in cases(values):
        if only and not any(part in case.name for part in only):
            continue

        def parsed(params: str = case.params) -> criteria.ListQuery:
            query, form = criteria.parse(QueryDict(params))
            if query is None:
                raise SystemExit(f"invalid criteria {params}: {form.errors.as_json()}")
            return query

        cursor = None
        if case.deep:
            query = parsed()
            try:
                for _ in range(DEEP_PAGES - 1):
                    cursor = criteria.page(query, cursor=cursor).next_cursor
                    if cursor is None:
                        break
            except DatabaseError as error:
                log(f"  {case.name:<40} INTERRUPTED reaching the page ({error})")
                continue

        def run(params: str = case.params, after: str | None = cursor) -> criteria.Page:
            return criteria.page(parsed(params), cursor=after)

        latencies, result, error = timed(run, repeat)
        sql, plan, read, flags = explain(*statement(run, last=case.windowed))
        kind = "deep" if case.deep else "windowed" if case.windowed else "list"
        target = TARGET_LIST_MS
        timing = Timing(case.name, kind, target, latencies, sql=sql, plan=plan)
        if error:
            timing.outcome = error
        else:
            timing.outcome = f"{len(result.rows)} rows" + ("" if result.next_cursor else ", last")
            if result.searched:
                timing.outcome += f", searched {result.searched:,} (window)"
        if case.deep and cursor is None:
            timing.outcome += f" (fewer than {DEEP_PAGES} pages)"
        timing.persons_rows_read, timing.flags = read, flags
        results.append(timing)
        log(
            f"  {case.name:<40} p50 {timing.p50:8.2f} ms  p95 {timing.p95:8.2f} ms  "
            f"read {read if read is not None else '-'!s:>8}  {timing.outcome}"
            + (f"  ! {'; '.join(flags)}" if flags else "")
        )
        if case.count:
            query = parsed()
            latencies, estimate, error = timed(lambda q=query: counts._estimate(q), repeat)
            label = error or (estimate.label() + (" exact" if estimate.exact else ""))
            counted = Timing(f"count: {case.name}", "count", TARGET_COUNT_MS, latencies, label)
            results.append(counted)
            log(
                f"  {counted.name:<40} p50 {counted.p50:8.2f} ms  p95 {counted.p95:8.2f} ms  "
                f"{'':>13}  {label}"
            )
    return results


def true_counts(values: dict[str, str], seconds: float) -> dict[str, int | None]:
    """Exact sizes of the counted lists (unbounded COUNTs: a check of the estimates only;
    ``None`` when MariaDB interrupted the COUNT after ``seconds``)."""
    from django.db import DatabaseError
    from django.http import QueryDict

    from dashboard.lists import criteria

    statement_timeout(seconds)
    found: dict[str, int | None] = {}
    for case in cases(values):
        if case.count:
            query, _ = criteria.parse(QueryDict(case.params))
            if query is None:
                continue
            try:
                found[f"count: {case.name}"] = criteria.filtered(query).count()
            except DatabaseError:
                found[f"count: {case.name}"] = None
    statement_timeout(0)
    return found


def measure_pages(repeat: int, values: dict[str, str]) -> list[Timing]:
    """GET the dashboard pages that exist, logged in as an admin."""
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError, connection
    from django.test import Client

    from ingestion.models import ImportBatch

    # An interrupted page is reported in the table, not as a logged traceback.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)

    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM persons")
        (top,) = cursor.fetchone()
        cursor.execute(
            "SELECT p.id, p.last_name, e.email FROM persons p JOIN email_addresses e "
            "ON e.person_id = p.id WHERE p.id >= %s ORDER BY p.id LIMIT 1",
            (top // 3,),
        )
        sample_id, last_name, email = cursor.fetchone()
        cursor.execute(
            "SELECT e164 FROM phone_numbers WHERE person_id >= %s AND e164 LIKE '+1%%' "
            "ORDER BY person_id LIMIT 1",
            (sample_id,),
        )
        phone = cursor.fetchone()[0][2:]
        cursor.execute(
            "SELECT person_id FROM touchpoints WHERE person_id >= %s ORDER BY person_id LIMIT 1",
            (top // 2,),
        )
        touched = cursor.fetchone()[0]
        # Existing persons spread over the table (ids have gaps: rejected rows, chunks).
        rng = random.Random(3)
        lead_ids = []
        for _ in range(repeat + 2):
            cursor.execute(
                "SELECT id FROM persons WHERE id >= %s ORDER BY id LIMIT 1",
                (rng.randint(1, top),),
            )
            lead_ids.append(cursor.fetchone()[0])
    biggest = ImportBatch.objects.order_by("-rows_read").values_list("pk", flat=True).first()
    state = values["state"]
    urls: list[tuple[str, Callable[[int], str]]] = [
        ("/ (home)", lambda i: "/"),
        ("/lists/ state + lead status", lambda i: f"/lists/?state={state}&lead_status=contacted"),
        ("/lists/ never mailed + state", lambda i: f"/lists/?state={state}&mail_touches_max=0"),
        ("/lists/ rare: mail touches >= 3 + state",
         lambda i: f"/lists/?state={state}&mail_touches_min=3"),
        ("/lists/count/ state + lead status",
         lambda i: f"/lists/count/?state={state}&lead_status=contacted"),
        ("/lists/count/ never mailed + state",
         lambda i: f"/lists/count/?state={state}&mail_touches_max=0"),
        ("/leads/<id>/ (random persons)", lambda i: f"/leads/{lead_ids[i]}/"),
        ("/leads/<id>/ (person with touches)", lambda i: f"/leads/{touched}/"),
        ("/leads/?q=<last name>", lambda i: f"/leads/?q={last_name}"),
        ("/leads/?q=<e-mail>", lambda i: f"/leads/?q={email}"),
        ("/leads/?q=#<id>", lambda i: f"/leads/?q=%23{sample_id}"),
        ("/leads/?q=<phone>", lambda i: f"/leads/?q={phone}"),
        ("/imports/", lambda i: "/imports/"),
        ("/imports/<id>/ (largest import)", lambda i: f"/imports/{biggest}/"),
        ("/compliance/", lambda i: "/compliance/"),
        ("/audit/", lambda i: "/audit/"),
    ]  # fmt: skip
    results = []
    for name, url in urls:
        statuses: list[int] = []
        counter = iter(range(repeat + 2))

        def fetch(
            url: Callable[[int], str] = url,
            counter: Iterator[int] = counter,
            statuses: list[int] = statuses,
        ) -> int:
            response = client.get(url(next(counter)))
            statuses.append(response.status_code)
            return response.status_code

        started = time.perf_counter()
        try:
            probe = client.get(url(repeat))
        except DatabaseError as error:
            timing = Timing(name, "page", TARGET_PAGE_MS, [(time.perf_counter() - started) * 1000])
            timing.outcome = f"INTERRUPTED ({error})"
            results.append(timing)
            log(f"  {name:<40} {timing.outcome}")
            continue
        if probe.status_code == 404 and "<id>" in name and "leads" not in name:
            log(f"  {name:<40} not present (404): skipped")
            continue
        latencies, _, error = timed(fetch, repeat)
        codes = ", ".join(f"{code} x{statuses.count(code)}" for code in sorted(set(statuses)))
        timing = Timing(name, "page", TARGET_PAGE_MS, latencies, error or f"HTTP {codes}")
        results.append(timing)
        log(f"  {name:<40} p50 {timing.p50:8.2f} ms  p95 {timing.p95:8.2f} ms  {timing.outcome}")
    return results


def add_indexes(specs: list[str]) -> None:
    """``NAME:TABLE:COL,COL`` → ALTER TABLE ... ADD INDEX (bench database only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for spec in specs:
            name, table, columns = spec.split(":")
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = "
                "DATABASE() AND table_name = %s AND index_name = %s",
                (table, name),
            )
            if cursor.fetchone()[0]:
                log(f"index {name} on {table} exists already")
                continue
            quoted = ", ".join(f"`{column.strip()}`" for column in columns.split(","))
            started = time.perf_counter()
            cursor.execute(f"ALTER TABLE `{table}` ADD INDEX `{name}` ({quoted})")
            log(
                f"ADDED BY HAND (bench database only): INDEX {name} ON {table} ({quoted}) in "
                f"{time.perf_counter() - started:.1f} s"
            )


def drop_indexes(names: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for spec in names:
            table, name = spec.split(":")
            cursor.execute(f"ALTER TABLE `{table}` DROP INDEX `{name}`")
            log(f"dropped index {name} on {table} (bench database only)")


_statement_timeout = [0.0]


def statement_timeout(seconds: float) -> None:
    """From now on MariaDB interrupts a statement of this process after ``seconds`` (0: never),
    on this connection and on every one opened later (the test client closes them)."""
    from django.db import connection

    _statement_timeout[0] = seconds
    if connection.connection is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET SESSION max_statement_time = {seconds:.0f}")


def django_setup(server: Server, database: str, var_dir: Path) -> None:
    """This process's Django on the bench database: no DEBUG (no query log), locmem cache,
    no page or count cache, startup objects frozen as in the server."""
    env = command_environment(server, database, var_dir / "queries")
    (var_dir / "queries" / "static").mkdir(parents=True, exist_ok=True)
    # The list search settings may be tried out from the bench's own environment.
    tuning = {name: value for name, value in os.environ.items() if name in LIST_SETTINGS}
    os.environ.clear()
    os.environ.update(env | tuning)
    os.environ.update(
        ALLOWED_HOSTS="testserver,localhost",
        DASHBOARD_CACHE_SECONDS="0",
        COMPLIANCE_STATE_LIST_STATES=",".join(STATE_LIST_STATES),
    )
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from cmplatform.lib.runtime import freeze_after_startup

    freeze_after_startup()  # as the server's process does (cmplatform/asgi.py)
    from django.db.backends.signals import connection_created

    def limit(sender: Any, connection: Any, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET SESSION max_statement_time = {_statement_timeout[0]:.0f}")

    connection_created.connect(limit, weak=False)


def table_sizes() -> list[str]:
    from django.db import connection

    lines = []
    with connection.cursor() as cursor:
        for table in (
            *BIG_TABLES,
            "source_records",
            "record_versions",
            "person_facets",
            "golden_facts",
            "golden_campaigns",
        ):
            cursor.execute(
                "SELECT table_rows, data_length, index_length FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = %s",
                (table,),
            )
            row = cursor.fetchone()
            if row:
                rows, data, index = row
                lines.append(
                    f"  {table:<16} ~{rows:>12,} rows  data {data / 2**30:6.2f} GiB  "
                    f"indexes {index / 2**30:6.2f} GiB"
                )
        cursor.execute(
            "SELECT channel, COUNT(*) FROM touchpoints GROUP BY channel ORDER BY channel"
        )
        touches = ", ".join(f"{channel} {n:,}" for channel, n in cursor.fetchall())
        lines.append(f"  touchpoints per channel: {touches}")
        cursor.execute(
            "SELECT lead_status, COUNT(*) FROM persons GROUP BY lead_status ORDER BY 2 DESC"
        )
        statuses = ", ".join(f"{status} {n:,}" for status, n in cursor.fetchall())
        lines.append(f"  lead statuses: {statuses}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=10_000_000)
    parser.add_argument("--database", default="cmpbench_dashboard")
    parser.add_argument("--buffer-pool-gb", type=int, default=8)
    parser.add_argument("--reuse", action="store_true", help="query an existing database")
    parser.add_argument("--resume", action="store_true", help="carry on with a load that stopped")
    parser.add_argument(
        "--link-duplicates",
        action="store_true",
        help="first link the true duplicates (bench-only, changes the database for good)",
    )
    parser.add_argument("--load-only", action="store_true", help="load, do not query")
    parser.add_argument("--repeat", type=int, default=30, help="timings per query")
    parser.add_argument("--mysql-url", default="mysql://root@127.0.0.1:3306")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-lists", action="store_true")
    parser.add_argument("--true-counts", action="store_true", help="exact COUNTs of the lists")
    parser.add_argument("--add-index", action="append", default=[], metavar="NAME:TABLE:COLS")
    parser.add_argument("--drop-index", action="append", default=[], metavar="TABLE:NAME")
    parser.add_argument("--json-out", type=Path, help="write every figure and plan here")
    parser.add_argument("--only", action="append", default=[], help="lists whose name has this")
    parser.add_argument(
        "--statement-timeout", type=float, default=60, help="MariaDB max_statement_time, s"
    )
    arguments = parser.parse_args()

    server = Server.from_url(arguments.mysql_url)
    server_settings(server, arguments.buffer_pool_gb)
    CACHE.mkdir(parents=True, exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="run_", dir=CACHE))
    load_report = None
    if not arguments.reuse:
        log(f"Loading {arguments.persons:,} demo records into {arguments.database}:")
        started = time.perf_counter()
        load_report = load(arguments, server, var_dir)
        log(f"  loaded in {time.perf_counter() - started:.0f} s")
    if arguments.link_duplicates:
        env = commands_environment(server, arguments.database)
        link_duplicates(server, arguments.database, arguments.persons, env)
    if arguments.load_only and not arguments.add_index:
        return

    django_setup(server, arguments.database, var_dir)
    from dashboard.lists.counts import person_facets_refresh

    drop_indexes(arguments.drop_index)
    add_indexes(arguments.add_index)
    if arguments.load_only:
        return
    started = time.perf_counter()
    combinations = person_facets_refresh()
    facets_seconds = time.perf_counter() - started
    log(f"person_facets_refresh(): {combinations:,} combinations in {facets_seconds:.1f} s")
    for line in table_sizes():
        log(line)
    notes: list[str] = []
    values = discover(notes)
    log(f"filter values from the data: {notes[0]}")
    from django.conf import settings

    log(
        f"look-up lists: walk {settings.DASHBOARD_LIST_WALK_MS} ms, then a window of "
        f"{settings.DASHBOARD_LIST_WINDOW_ROWS:,} records"
    )
    log(
        f"load average {os.getloadavg()[0]:.2f} before the queries; {arguments.repeat} timings "
        "per item after one warm-up"
    )
    results: list[Timing] = []
    statement_timeout(arguments.statement_timeout)
    if not arguments.skip_lists:
        log("Priority lists (criteria.parse + criteria.page, 50 rows) and counts (uncached):")
        results += measure_lists(arguments.repeat, values, arguments.only)
    if not arguments.skip_pages:
        log("Pages (django.test.Client, admin, server-side, no page cache):")
        results += measure_pages(arguments.repeat, values)
    log(f"load average {os.getloadavg()[0]:.2f} after the queries")
    statement_timeout(0)

    log("\nSQL and plans of the list queries:")
    for timing in results:
        if timing.kind in ("list", "deep", "windowed"):
            log(f"  -- {timing.name}: {timing.p95:.2f} ms p95, {timing.persons_rows_read} read")
            log(f"     {timing.sql}")
            log(plan_text(timing.plan))
    exact = true_counts(values, TRUE_COUNT_SECONDS) if arguments.true_counts else {}
    log("\nSummary (ms):")
    log(f"  {'item':<44} {'p50':>9} {'p95':>9} {'target':>7}  verdict")
    for timing in results:
        verdict = "met" if timing.p95 < timing.target_ms else "NOT met"
        extra = ""
        if timing.name in exact:
            count = exact[timing.name]
            extra = f"  (exact {count:,})" if count is not None else "  (exact: COUNT interrupted)"
        flags = f"  [{'; '.join(timing.flags)}]" if timing.flags else ""
        log(
            f"  {timing.name:<44} {timing.p50:>9.2f} {timing.p95:>9.2f} {timing.target_ms:>7.0f}"
            f"  {verdict}  {timing.outcome}{extra}{flags}"
        )
    if arguments.json_out:
        arguments.json_out.write_text(
            json.dumps(
                {
                    "persons": arguments.persons,
                    "database": arguments.database,
                    "load": load_report.steps if load_report else None,
                    "facets_seconds": facets_seconds,
                    "values": values,
                    "exact_counts": exact,
                    "added_indexes": arguments.add_index,
                    "results": [timing.as_json() for timing in results],
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
