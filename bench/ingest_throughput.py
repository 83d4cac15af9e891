"""End-to-end ingestion throughput on MariaDB, against the physical limit and django-import-export.

    .venv/bin/python bench/ingest_throughput.py --rows 1000000 [--five-million]
        [--skip-import-export] [--skip-overlap] [--mysql-url mysql://root@127.0.0.1:3306] [--keep]

Generates (and caches under var/bench_ingest/) a demo campaign mail CSV of ``--rows`` rows,
then, in one run:

* **bare LOAD DATA**: ``LOAD DATA LOCAL INFILE`` of the same file into an unindexed table of
  TEXT columns in a scratch database: the physical limit of getting the bytes into InnoDB.
* **engine, first import**: ``manage.py ingest FILE --json`` into a freshly migrated database
  (read, validate, normalise on the worker processes, upsert, lineage), end to end.
* **re-imports** into that database: the same file again (must be recognised by its SHA-256 as
  DUPLICATE_FILE and change nothing), a byte-identical copy under another name (the same), the
  same file with ``--force`` (every row unchanged) and the same rows in a new file (every field
  quoted, another name, so other bytes and another source: unchanged by their facts).
* **50 % overlap**: a file as long as the first where every other row is a row of the first
  file with one changed value (the phone) and the others are new rows (another seed, record ids
  prefixed ``N``), imported as the first file's source (``--source``, so that its record ids
  are that source's keys) into the database holding the first file's persons.
* **django-import-export** (4.4): the first 100k rows read with tablib and imported through a
  ModelResource keyed on the e-mail address (use_bulk, skip_diff, batch_size=1000), in a fresh
  database; see ``import_export_child`` for exactly what it does (less than the engine).
* with ``--five-million``, a 5M-row first import in a fresh database, for the memory figure.

Every command runs in its own process under ``/usr/bin/time -v``: its figure is the largest
single process (Linux reports the largest of the process and its reaped children, not their
sum); the process tree's summed RSS (parent, worker processes, resource tracker) is sampled
every 0.5 s besides. Wall time is the command's, start to exit (interpreter and Django start,
landing copy and SHA-256 included), and rows/s is on wall time; ``own s`` is the import's own
duration (the engine's batch; tablib load + import_data for django-import-export). Under each
engine run: its phases summed over the chunks (``import_chunks.phase_seconds``), the CPU seconds
the MariaDB server used meanwhile (from ``/proc``, when the server runs on this machine) and
the share of the run this machine's cores were idle: where the time went, and whether the run
was bound by the CPU or by its serial stages.

Sets innodb_buffer_pool_size (8 GiB by default, as deploy/mariadb.cnf) and the dynamic
settings of deploy/mariadb.cnf (redo log 2 GiB, io capacity, temporary table sizes) and says
so, prints the server settings the figures depend on and the ones that differ from
deploy/mariadb.cnf. The
scratch databases (``cmp_bench_ingest*``) are dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import configparser
import csv
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
CACHE = PROJECT / "var" / "bench_ingest"
MAIL_FILE = "campaign_mail_2024.csv"
SEED = 11
NEW_ROWS_SEED = 12  # the new half of the overlap file
DATABASE = "cmp_bench_ingest"
SAMPLE_SECONDS = 0.5
TARGET_ROWS_PER_SECOND = 12_000
IMPORT_EXPORT_ROWS = 100_000
FIVE_MILLION = 5_000_000
# Inherited variables that would change what the commands measure (another database, Redis,
# S3, DEBUG, fewer workers...): the commands get only the settings this bench gives them.
NOT_INHERITED = re.compile(
    r"^(DEBUG|DATABASE_.*|REDIS_URL|LANDING_.*|AWS_.*|INGEST_.*|CMP_VAR_DIR|SECRET_KEY.*|HTTPS"
    r"|DJANGO_SETTINGS_MODULE|LOG_LEVEL)$"
)
# What the figures depend on; the buffer pool is set by this bench, the rest only reported.
REPORTED_SETTINGS = (
    "innodb_buffer_pool_size",
    "innodb_autoinc_lock_mode",
    "innodb_flush_log_at_trx_commit",
    "innodb_log_file_size",
    "innodb_flush_method",
    "innodb_io_capacity",
    "innodb_doublewrite",
    "log_bin",
    "local_infile",
)
# Set on every connection by the application (cmplatform/lib/database.py, CREATE DATABASE):
# the server's own defaults do not reach the figures.
SET_PER_CONNECTION = {
    "sql_mode",
    "transaction_isolation",
    "local_infile",
    "character_set_server",
    "collation_server",
}
CANONICAL_TABLES = ("persons", "phone_numbers", "email_addresses", "addresses")


# -- measuring a command ---------------------------------------------------------------------


@dataclass
class Measured:
    """One command's run: wall time, CPU, memory and what it printed."""

    seconds: float
    cpu_percent: int
    largest_process_mib: float
    tree_mib: float
    processes: str  # the most of each kind seen at once: "main + 2 workers + resource tracker"
    stdout: str
    stderr: str


def _kind(command_line: str) -> str:
    if "resource_tracker" in command_line:
        return "resource tracker"
    return "worker" if "spawn_main" in command_line else "main"


def _stat_fields(pid: int | str) -> list[str]:
    """The fields of ``/proc/PID/stat`` from the third (state) on: the command name (field 2)
    may hold spaces and parentheses, so the split starts after it."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(entry.name)[1])
        except (OSError, IndexError, ValueError):
            continue  # ended while we looked
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _proc_sample(pid: int) -> tuple[int, str]:
    """(VmRSS in KiB, command line) of a process from /proc; (0, "") once it has ended."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command_line = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]), command_line
    except OSError:
        pass
    return 0, ""


def tree_sample(root: int) -> tuple[int, Counter[str]]:
    """Summed RSS (KiB) of ``root``'s descendants (not ``root``, the ``time`` process) and how
    many of each kind run. psutil when installed, else /proc (children found through the ppid
    field of /proc/*/stat)."""
    samples: list[tuple[int, str]] = []
    try:
        import psutil
    except ImportError:
        children = _children_by_parent()
        pending = list(children.get(root, ()))
        while pending:
            pid = pending.pop()
            samples.append(_proc_sample(pid))
            pending.extend(children.get(pid, ()))
    else:
        try:
            processes = psutil.Process(root).children(recursive=True)
        except psutil.NoSuchProcess:
            processes = []
        for process in processes:
            try:
                samples.append((process.memory_info().rss // 1024, " ".join(process.cmdline())))
            except psutil.NoSuchProcess:
                continue
    kinds = Counter(_kind(command_line) for kib, command_line in samples if kib)
    return sum(kib for kib, _ in samples), kinds


def _describe(kinds: Counter[str]) -> str:
    parts = []
    for kind in ("main", "worker", "resource tracker"):
        count = kinds.get(kind, 0)
        if count:
            plural = "s" if count > 1 and kind == "worker" else ""
            parts.append(f"{count} {kind}{plural}" if kind == "worker" else kind)
    return " + ".join(parts)


def server_process(server: Server) -> int | None:
    """The pid of the MariaDB server when it runs on this machine (its pid file is readable
    here), else None: its CPU time is then not measured."""
    connection = server.connect(None)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT @@pid_file")
        (pid_file,) = cursor.fetchone()
    finally:
        connection.close()
    try:
        pid = int(Path(pid_file).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (``stat`` fields 14 and 15)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_idle() -> tuple[int, int]:
    """(idle + I/O wait, all) CPU time of the machine so far, in clock ticks."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[3] + values[4], sum(values[:8])


def run_measured(command: list[str], env: dict[str, str], label: str) -> Measured:
    """Run ``command`` under ``/usr/bin/time -v``, sampling its process tree's RSS; raise with
    the end of its stderr when it fails."""
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as scratch:
        paths = {name: Path(scratch) / name for name in ("out", "err", "time")}
        with paths["out"].open("wb") as out, paths["err"].open("wb") as err:
            started = time.perf_counter()
            process = subprocess.Popen(
                ["/usr/bin/time", "-v", "-o", str(paths["time"]), *command],
                stdout=out,
                stderr=err,
                env=env,
                cwd=PROJECT,
            )
            peak_kib = 0
            most: Counter[str] = Counter()
            while True:
                kib, kinds = tree_sample(process.pid)
                peak_kib, most = max(peak_kib, kib), most | kinds
                try:
                    process.wait(timeout=SAMPLE_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    continue
            seconds = time.perf_counter() - started
        stdout = paths["out"].read_text(encoding="utf-8", errors="replace")
        stderr = paths["err"].read_text(encoding="utf-8", errors="replace")
        report = paths["time"].read_text(encoding="utf-8", errors="replace")
    if process.returncode:
        tail = "\n".join(stderr.splitlines()[-25:])
        raise SystemExit(f"{label} failed (exit {process.returncode}):\n{tail}\n{stdout[-2000:]}")
    largest = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", report)
    return Measured(
        seconds=seconds,
        cpu_percent=int(cpu.group(1)) if cpu else 0,
        largest_process_mib=int(largest.group(1)) / 1024 if largest else 0.0,
        tree_mib=peak_kib / 1024,
        processes=_describe(most),
        stdout=stdout,
        stderr=stderr,
    )


# -- MariaDB ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """Where MariaDB listens (``--mysql-url``)."""

    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> Server:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "mysql" or parts.path.strip("/"):
            raise SystemExit(f"--mysql-url takes mysql://user[:password]@host[:port], not {url}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=urllib.parse.unquote(parts.username or "root"),
            password=urllib.parse.unquote(parts.password or ""),
        )

    def url(self, database: str) -> str:
        credentials = urllib.parse.quote(self.user, safe="")
        if self.password:
            credentials += ":" + urllib.parse.quote(self.password, safe="")
        return f"mysql://{credentials}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None, **options: Any) -> Any:
        import MySQLdb

        arguments: dict[str, Any] = {"host": self.host, "port": self.port, "user": self.user}
        if self.password:
            arguments["passwd"] = self.password
        if database:
            arguments["db"] = database
        return MySQLdb.connect(charset="utf8mb4", autocommit=True, **arguments, **options)


def recreate_database(server: Server, name: str) -> None:
    connection = server.connect()
    cursor = connection.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.close()


def drop_database(server: Server, name: str) -> None:
    connection = server.connect()
    connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    connection.close()


def _bytes(value: str) -> str:
    number = int(value)
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if number >= 1 << shift and number % (1 << shift) == 0:
            return f"{number >> shift} {unit}"
    return str(number)


def _cnf_bytes(value: str) -> int | None:
    match = re.fullmatch(r"(\d+)([KMG]?)", value.strip(), re.IGNORECASE)
    if not match:
        return None
    return int(match.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[match.group(2).upper()]


def _switch(value: str) -> str:
    value = value.strip().upper()
    return {"1": "ON", "TRUE": "ON", "0": "OFF", "FALSE": "OFF"}.get(value, value)


DYNAMIC_SETTINGS = {
    "innodb_log_file_size": 2 << 30,
    "innodb_io_capacity": 2000,
    "tmp_table_size": 256 << 20,
    "max_heap_table_size": 256 << 20,
    "max_allowed_packet": 256 << 20,
}


def server_settings(server: Server, buffer_pool_gb: int) -> None:
    """Set the buffer pool as deploy/mariadb.cnf does; print the settings the figures depend on
    and every deploy/mariadb.cnf setting the server does not have."""
    connection = server.connect()
    cursor = connection.cursor()
    cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {buffer_pool_gb << 30}")
    # The dynamic settings of deploy/mariadb.cnf the write path depends on (MariaDB >= 10.11
    # resizes the redo log online); a 96 MiB redo log forces constant checkpoints.
    for name, value in DYNAMIC_SETTINGS.items():
        cursor.execute(f"SET GLOBAL {name} = {value}")
    cursor.execute("SELECT VERSION()")
    (version,) = cursor.fetchone()
    cursor.execute("SHOW GLOBAL VARIABLES")
    variables = {name.lower(): str(value) for name, value in cursor.fetchall()}
    connection.close()
    print(
        f"MariaDB {version} at {server.host}:{server.port}, {os.cpu_count()} cores, load "
        f"average {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)"
    )
    for name in REPORTED_SETTINGS:
        value = variables.get(name, "?")
        shown = _bytes(value) if name.endswith("_size") and value.isdigit() else value
        set_here = name == "innodb_buffer_pool_size" or name in DYNAMIC_SETTINGS
        note = " (set by this bench)" if set_here else ""
        print(f"  {name:<32} {shown}{note}")
    deploy = configparser.ConfigParser(inline_comment_prefixes=("#",), strict=False)
    deploy.read(PROJECT / "deploy" / "mariadb.cnf", encoding="utf-8")
    different = []
    for name, wanted in deploy.items("mysqld"):
        key = name.replace("-", "_")
        actual = variables.get({"transaction_isolation": "tx_isolation"}.get(key, key))
        if actual is None or key in SET_PER_CONNECTION:
            continue
        wanted_bytes = _cnf_bytes(wanted)
        if wanted_bytes is not None and actual.isdigit():
            same, shown = wanted_bytes == int(actual), _bytes(actual)
        else:
            same, shown = _switch(wanted) == _switch(actual), actual
        if not same:
            different.append(f"{name} {shown} (cnf {wanted.strip()})")
    if different:
        print("  differs from deploy/mariadb.cnf:")
        for line in different:
            print(f"    {line}")


def snapshot(server: Server, database: str) -> dict[str, tuple[Any, ...]]:
    """Row counts and newest ``updated_at`` of the canonical tables; counts of the touchpoints,
    source records and lineage rows."""
    connection = server.connect(database)
    cursor = connection.cursor()
    state: dict[str, tuple[Any, ...]] = {}
    for table in CANONICAL_TABLES:
        cursor.execute(f"SELECT COUNT(*), MAX(updated_at) FROM `{table}`")
        state[table] = tuple(cursor.fetchone())
    for table in ("touchpoints", "source_records", "record_versions"):
        cursor.execute(f"SELECT COUNT(*) FROM `{table}`")
        state[table] = tuple(cursor.fetchone())
    connection.close()
    return state


def changes(before: dict[str, tuple[Any, ...]], after: dict[str, tuple[Any, ...]]) -> str:
    """What a run changed, in words: canonical tables first, then lineage."""
    canonical = [
        table for table in (*CANONICAL_TABLES, "touchpoints") if before[table] != after[table]
    ]
    parts = [
        "canonical tables unchanged"
        if not canonical
        else "CHANGED " + ", ".join(f"{t} {before[t]} -> {after[t]}" for t in canonical)
    ]
    for table in ("source_records", "record_versions"):
        delta = after[table][0] - before[table][0]
        parts.append(f"{table} {delta:+,}")
    return "; ".join(parts)


def load_data_bare(server: Server, path: Path, columns: int) -> tuple[int, float, int]:
    """LOAD DATA LOCAL INFILE into an unindexed table of TEXT columns: (rows, seconds,
    warnings). ESCAPED BY '' reads backslashes as data, as CSV has no escape character."""
    database = f"{DATABASE}_raw"
    recreate_database(server, database)
    connection = server.connect(database, local_infile=1)
    cursor = connection.cursor()
    definition = ", ".join(f"c{index} TEXT" for index in range(columns))
    cursor.execute(f"CREATE TABLE mail_raw ({definition}) ENGINE=InnoDB")
    started = time.perf_counter()
    cursor.execute(
        "LOAD DATA LOCAL INFILE %s INTO TABLE mail_raw CHARACTER SET utf8mb4 "
        "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
        "LINES TERMINATED BY '\\r\\n' IGNORE 1 LINES",
        (str(path),),
    )
    seconds = time.perf_counter() - started
    rows, warnings = cursor.rowcount, connection.warning_count()
    connection.close()
    return rows, seconds, warnings


# -- files -----------------------------------------------------------------------------------


def demo_file(rows: int, seed: int) -> Path:
    """The demo mail CSV of ``rows`` rows and ``seed``, generated once into the cache."""
    directory = CACHE / f"mail_{rows}_seed{seed}"
    path = directory / MAIL_FILE
    # the generator renames each file into place when complete and writes the manifest last
    if (directory / "manifest.json").exists() and path.exists():
        return path
    sys.path.insert(0, str(PROJECT))
    from cmplatform.demo import generate_demo_sources

    print(f"Generating {rows:,} demo mail rows (seed {seed}) into {directory} ...", file=sys.stderr)
    started = time.perf_counter()
    generate_demo_sources(rows=rows, out_dir=directory, seed=seed, kinds=["mail_csv"])
    print(f"  generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def read_rows(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.reader(handle)


def write_rows(path: Path, rows: Iterator[list[str]], *, quoting: int = csv.QUOTE_MINIMAL) -> Path:
    """Write ``rows`` as the generator does (CRLF, UTF-8), under a temporary name renamed into
    place when complete (a cached file is never a truncated one)."""
    if path.exists():
        return path
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n", quoting=quoting).writerows(rows)
    os.replace(temporary, path)
    return path


def first_rows(path: Path, count: int) -> Path:
    """The header and the first ``count`` records of ``path`` (records, not lines: some
    quoted fields hold line breaks)."""
    rows = read_rows(path)
    return write_rows(path.with_name(f"first_{count}.csv"), itertools.islice(rows, count + 1))


def _phone_changed(phone: str) -> str | None:
    """``phone`` with its last digit changed (area code and exchange kept: still valid), or
    None when it has fewer than ten digits."""
    digits = [index for index, char in enumerate(phone) if char.isdigit()]
    if len(digits) < 10:
        return None
    last = digits[-1]
    return phone[:last] + str((int(phone[last]) + 1) % 10) + phone[last + 1 :]


def overlap_file(first: Path, rows: int) -> Path:
    """``rows`` rows: even rows are the first file's rows at the same position with another
    phone (last digit changed; rows without a usable phone get the previous usable one,
    changed); odd rows are new (seed NEW_ROWS_SEED, record ids prefixed ``N``)."""
    target = first.with_name(f"overlap_50_seed{NEW_ROWS_SEED}.csv")
    if target.exists():
        return target
    fresh = read_rows(demo_file((rows + 1) // 2, NEW_ROWS_SEED))
    header = next(fresh)
    phone, key = header.index("Phone"), header.index("record_id")

    def merged() -> Iterator[list[str]]:
        originals = read_rows(first)
        yield next(originals)
        previous = "(432) 555-0100"
        for index, row in enumerate(originals):
            if index % 2:
                new = next(fresh)
                new[key] = "N" + new[key]
                yield new
                continue
            changed = _phone_changed(row[phone])
            if changed is None:
                changed = _phone_changed(previous)
            else:
                previous = row[phone]
            row[phone] = changed or row[phone]
            yield row

    return write_rows(target, merged())


# -- the engine ------------------------------------------------------------------------------


def command_environment(server: Server, database: str, var_dir: Path) -> dict[str, str]:
    """The environment of a manage.py command: this bench's database and scratch var dir."""
    env = {name: value for name, value in os.environ.items() if not NOT_INHERITED.match(name)}
    env.update(
        DATABASE_URL=server.url(database),
        SECRET_KEY="bench",  # noqa: S106 (scratch databases only)
        HTTPS="false",
        CMP_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="cmplatform.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        env=env,
        cwd=PROJECT,
        check=True,
        timeout=1800,
    )


@dataclass
class Run:
    """One line of the result table."""

    label: str
    rows: int
    seconds: float
    own_seconds: float | None = None
    cpu_percent: int | None = None
    largest_process_mib: float | None = None
    tree_mib: float | None = None
    processes: str = ""
    outcome: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    #: further lines of the outcome (where the time went)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.rows / self.seconds if self.rows and self.seconds else None


def ingest(
    server: Server, database: str, env: dict[str, str], path: Path, label: str, *options: str
) -> Run:
    """``manage.py ingest PATH --json --no-dedupe [options]``, measured; the outcome says where
    the import's time went (waiting for normalised chunks vs writing them). Golden-record
    resolution, which the command runs after an import unless told not to, has its own
    benchmark (``bench/dedupe_quality.py``)."""
    server_pid = server_process(server)
    server_before = process_cpu_seconds(server_pid) if server_pid else 0.0
    machine_before = machine_idle()
    measured = run_measured(
        [sys.executable, "manage.py", "ingest", str(path), "--json", "--no-dedupe", *options],
        env,
        label,
    )
    server_cpu = process_cpu_seconds(server_pid) - server_before if server_pid else None
    machine_after = machine_idle()
    idle, total = (machine_after[0] - machine_before[0], machine_after[1] - machine_before[1])
    summary = json.loads(measured.stdout[measured.stdout.index("{") :])
    counts = ", ".join(
        f"{name} {summary[name]:,}"
        for name in ("inserted", "updated", "unchanged", "duplicates", "errors", "conflicts")
        if summary[name]
    )
    outcome = summary["status"] + (f": {counts}" if counts else "")
    connection = server.connect(database)
    cursor = connection.cursor()
    cursor.execute(
        "SELECT seconds_reading, seconds_writing, chunks_done FROM import_batches WHERE id = %s",
        (summary["import_id"],),
    )
    reading, writing, chunks = cursor.fetchone()
    cursor.execute(
        "SELECT phase_seconds FROM import_chunks WHERE batch_id = %s", (summary["import_id"],)
    )
    phases: Counter[str] = Counter()
    for (text,) in cursor.fetchall():
        phases.update(json.loads(text or "{}"))
    connection.close()
    if chunks:
        outcome += (
            f"; {chunks} chunk{'s' if chunks > 1 else ''}, waiting for normalised rows "
            f"{reading:.1f} s, writing {writing:.1f} s"
        )
    notes = []
    if phases:
        notes.append(
            "phases, s summed over chunks: "
            + ", ".join(
                f"{name} {seconds:.1f}"
                for name, seconds in phases.most_common()
                if seconds >= 0.05  # phases a run had nothing for (none of its rows updated)
            )
        )
    if server_cpu is not None:
        notes.append(
            f"MariaDB used {server_cpu:.0f} CPU-s ({server_cpu / measured.seconds:.2f} of a "
            f"core); the machine was idle {100 * idle / max(total, 1):.0f}% of the run"
        )
    return Run(
        label=label,
        rows=summary["rows_read"],
        seconds=measured.seconds,
        own_seconds=summary["seconds"],
        cpu_percent=measured.cpu_percent,
        largest_process_mib=measured.largest_process_mib,
        tree_mib=measured.tree_mib,
        processes=measured.processes,
        outcome=outcome,
        details=summary,
        notes=notes,
    )


# -- django-import-export --------------------------------------------------------------------


def import_export_child(path: Path) -> dict[str, Any]:
    """What a Django developer would write with django-import-export, tuned as the issue asks
    (use_bulk, skip_diff, batch_size=1000; one transaction, its default): the file read with
    tablib, each row an e-mail address keyed on the (lower-cased) address; a new address brings
    a new person, a known one updates its person. Does less than the engine: no normalisation
    (values only trimmed and cut to the column widths: a state 'Texas' becomes 'TE'), no
    phones, addresses, touchpoints or lineage; rows without an e-mail are skipped (they have no
    key). Addresses repeated within one batch of 1,000 are not found (not yet written) and
    created twice, as use_bulk does (later rows of that address update the first)."""
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    import tablib
    from import_export import fields, resources

    from cmplatform.core.models import EmailAddress, Person
    from cmplatform.lib.normalize import email_key

    person_fields = ["first_name", "last_name", "first_name_key", "last_name_key"]
    person_fields += ["state", "zip5", "county"]

    class PersonByEmailResource(resources.ModelResource):
        """A mail-file row as an e-mail address (the key) and its person."""

        email = fields.Field(attribute="email", column_name="Email")

        class Meta:
            model = EmailAddress
            fields = ("email",)
            import_id_fields = ("email",)
            use_bulk = True
            skip_diff = True
            batch_size = 1000

        def get_instance(self, instance_loader: Any, row: dict[str, Any]) -> Any:
            # The address is not unique (one per person): the first, never
            # MultipleObjectsReturned, which would fail the row and roll back the import.
            queryset = EmailAddress.objects.select_related("person").filter(email=row["Email"])
            return queryset.order_by("pk").first()

        def before_import_row(self, row: dict[str, Any], **kwargs: Any) -> None:
            row["Email"] = email_key(row["Email"] or "")

        def skip_row(self, instance: Any, original: Any, row: Any, errors: Any = None) -> bool:
            return not row["Email"]

        def import_instance(self, instance: Any, row: dict[str, Any], **kwargs: Any) -> None:
            super().import_instance(instance, row, **kwargs)
            person = instance.person if instance.person_id else Person()
            person.first_name = row["First Name"].strip()[:100]
            person.last_name = row["Last Name"].strip()[:100]
            person.state = row["State"].strip()[:2]
            person.zip5 = row["ZIP"].strip()[:5]
            person.county = row["County"].strip()[:100]
            person.clean()  # upper-cased state, name keys: what save() would do
            instance.person = person

        def bulk_create(
            self,
            using_transactions: bool,
            dry_run: bool,
            raise_errors: bool,
            batch_size: int | None = None,
            result: Any = None,
        ) -> None:
            # Persons first: MariaDB returns their ids (INSERT ... RETURNING), which the
            # addresses then take when they are inserted.
            persons = [address.person for address in self.create_instances]
            Person.objects.bulk_create(persons, batch_size=batch_size)
            super().bulk_create(using_transactions, dry_run, raise_errors, batch_size, result)

        def bulk_update(
            self,
            using_transactions: bool,
            dry_run: bool,
            raise_errors: bool,
            batch_size: int | None = None,
            result: Any = None,
        ) -> None:
            # The address is the key and stays as it is: only its person changes.
            persons = [address.person for address in self.update_instances]
            if persons:
                Person.objects.bulk_update(persons, person_fields, batch_size=batch_size)
            self.update_instances.clear()

    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        dataset = tablib.Dataset().load(handle.read(), format="csv")
    loaded = time.perf_counter()
    result = PersonByEmailResource().import_data(dataset, dry_run=False, raise_errors=False)
    finished = time.perf_counter()
    return {
        "rows": len(dataset),
        "load_seconds": loaded - started,
        "import_seconds": finished - loaded,
        "totals": {name: count for name, count in result.totals.items() if count},
        "row_errors": len(result.row_errors()),
        "base_errors": [str(error.error) for error in result.base_errors][:3],
        "persons": Person.objects.count(),
        "email_addresses": EmailAddress.objects.count(),
    }


def import_export_run(server: Server, path: Path, rows: int, total: int, var_dir: Path) -> Run:
    """The first ``rows`` of the ``total`` rows of ``path`` through django-import-export, in a
    fresh database."""
    database = f"{DATABASE}_ie"
    recreate_database(server, database)
    env = command_environment(server, database, var_dir)
    migrate(env)
    prefix = first_rows(path, rows) if rows < total else path
    label = f"django-import-export, first {rows:,} rows"
    measured = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "--import-export-child", str(prefix)],
        env,
        label,
    )
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    totals = ", ".join(f"{name} {count:,}" for name, count in result["totals"].items())
    if result["row_errors"] or result["base_errors"]:
        # any error rolls the whole import back (import-export's default): say so loudly
        totals += f"; ERRORS: {result['row_errors']} rows, {result['base_errors']}"
    return Run(
        label=label,
        rows=result["rows"],
        seconds=measured.seconds,
        own_seconds=result["load_seconds"] + result["import_seconds"],
        cpu_percent=measured.cpu_percent,
        largest_process_mib=measured.largest_process_mib,
        tree_mib=measured.tree_mib,
        processes=measured.processes,
        outcome=f"{totals}; {result['persons']:,} persons, "
        f"{result['email_addresses']:,} e-mail addresses",
        details={**result, "database": database},
    )


# -- report ----------------------------------------------------------------------------------


def _number(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def print_line(run: Run, width: int, file: Any = None) -> None:
    cpu = f"{run.cpu_percent}%" if run.cpu_percent is not None else "—"
    print(
        f"{run.label:<{width}} {run.rows:>10,} {run.seconds:>8.1f}"
        f" {_number(run.own_seconds, '.1f'):>8} {_number(run.rate, ',.0f'):>9} {cpu:>5}"
        f" {_number(run.largest_process_mib, '.0f'):>12} {_number(run.tree_mib, '.0f'):>9}",
        file=file,
        flush=True,
    )


def print_header(width: int, file: Any = None) -> None:
    print(
        f"{'run':<{width}} {'rows':>10} {'wall s':>8} {'own s':>8} {'rows/s':>9} {'CPU':>5}"
        f" {'RSS largest':>12} {'RSS tree':>9}",
        file=file,
    )


def print_table(runs: list[Run]) -> None:
    width = max(len(run.label) for run in runs)
    print_header(width)
    for run in runs:
        print_line(run, width)
    print(f"{'':<{width}} {'':>10} {'':>8} {'':>8} {'':>9} {'':>5} {'MiB':>12} {'MiB':>9}")
    print()
    for run in runs:
        tree = f" [tree: {run.processes}]" if run.processes else ""
        print(f"{run.label}: {run.outcome}{tree}")
        for note in run.notes:
            print(f"    {note}")


def _ratio(numerator: float | None, denominator: float | None, spec: str = ".1f") -> str:
    if not numerator or not denominator:
        return "—"
    return format(numerator / denominator, spec)


def print_ratios(runs: dict[str, Run], rows: int) -> None:
    first, bare = runs["first"], runs["bare"]
    print("Ratios:")
    print(
        f"  engine first import time / bare LOAD DATA time: {_ratio(first.seconds, bare.seconds)}"
    )
    if "import_export" in runs:
        ratio = _ratio(first.rate, runs["import_export"].rate)
        print(f"  engine rows/s / django-import-export rows/s: {ratio}")
    if "new_file" in runs:
        new_file = runs["new_file"].seconds
        verdict = "met" if new_file <= first.seconds else "NOT met"
        print(
            f"  same rows in a new file / first import (wall time): "
            f"{_ratio(new_file, first.seconds, '.2f')}; 'no more than the first import' {verdict}"
        )
    if "force" in runs:
        ratio = _ratio(runs["force"].seconds, first.seconds, ".2f")
        print(f"  same file --force / first import (wall time): {ratio}")
    overlap = runs.get("overlap")
    if overlap is not None and overlap.rate is not None:
        verdict = "met" if overlap.rate >= TARGET_ROWS_PER_SECOND else "NOT met"
        print(
            f"  50% overlap: {overlap.rate:,.0f} rows/s; target >= {TARGET_ROWS_PER_SECOND:,} "
            f"rows/s {verdict} at {overlap.rows:,} rows"
        )
    five = runs.get("five")
    if five is not None:
        print(
            f"  peak RSS, 5M / {rows:,} rows: process tree "
            f"{_ratio(five.tree_mib, first.tree_mib, '.2f')}, largest process "
            f"{_ratio(five.largest_process_mib, first.largest_process_mib, '.2f')}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--five-million", action="store_true", help="add a 5M-row engine run")
    parser.add_argument("--skip-import-export", action="store_true")
    parser.add_argument("--skip-overlap", action="store_true")
    parser.add_argument("--import-export-rows", type=int, default=IMPORT_EXPORT_ROWS)
    parser.add_argument("--mysql-url", default="mysql://root@127.0.0.1:3306")
    parser.add_argument("--buffer-pool-gb", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--import-export-child", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.import_export_child:
        print(json.dumps(import_export_child(arguments.import_export_child)))
        return

    server = Server.from_url(arguments.mysql_url)
    server_settings(server, arguments.buffer_pool_gb)
    path = demo_file(arguments.rows, SEED)
    print(f"Demo mail CSV: {path} ({arguments.rows:,} rows, {path.stat().st_size >> 20} MiB)")
    print(
        f"Engine: INGEST_WORKERS default ({min(os.cpu_count() or 1, 4)} here), chunks of "
        "100,000 rows; each command under /usr/bin/time -v"
    )
    CACHE.mkdir(parents=True, exist_ok=True)
    var_dir = Path(tempfile.mkdtemp(prefix="run_", dir=CACHE))
    databases = [f"{DATABASE}_raw", DATABASE]
    runs: dict[str, Run] = {}
    # Each run's line as it ends on stderr (a 1M run takes a while); the table on stdout.
    width = 44
    print_header(width, sys.stderr)

    def record(key: str, run: Run) -> Run:
        runs[key] = run
        print_line(run, width, sys.stderr)
        return run

    try:
        columns = len(next(read_rows(path)))
        loaded, seconds, warnings = load_data_bare(server, path, columns)
        outcome = f"{loaded:,} rows, {warnings} warnings (expected {arguments.rows:,} rows)"
        record("bare", Run("bare LOAD DATA LOCAL INFILE", loaded, seconds, outcome=outcome))

        recreate_database(server, DATABASE)
        env = command_environment(server, DATABASE, var_dir / "engine")
        migrate(env)
        record("first", ingest(server, DATABASE, env, path, "engine, first import"))

        copy = var_dir / "campaign_mail_2024_copy.csv"
        shutil.copyfile(path, copy)
        # The same rows as another export tool writes them: every field quoted (other bytes),
        # another file name (so another source: the rows are new keys with known facts).
        resent = write_rows(
            path.with_name("campaign_mail_2024_resent.csv"), read_rows(path), quoting=csv.QUOTE_ALL
        )
        for key, label, source, options in (
            ("again", "engine, same file again", path, ()),
            ("copy", "engine, same bytes, other name", copy, ()),
            ("force", "engine, same file --force", path, ("--force",)),
            ("new_file", "engine, same rows in a new file", resent, ()),
        ):
            before = snapshot(server, DATABASE)
            run = ingest(server, DATABASE, env, source, label, *options)
            run.outcome += f" ({changes(before, snapshot(server, DATABASE))})"
            record(key, run)

        if not arguments.skip_overlap:
            persons = snapshot(server, DATABASE)["persons"][0]
            overlap = overlap_file(path, arguments.rows)
            label = f"engine, 50% overlap into {persons:,} persons"
            # The first file's source: its record ids are keys of that source only (under the
            # overlap file's own name every key would be new, and every row a new person).
            run = ingest(server, DATABASE, env, overlap, label, "--source", path.stem)
            if run.details["updated"] < arguments.rows // 4:
                run.outcome += " — NOT an overlap: the known half did not update its records"
            record("overlap", run)

        if not arguments.skip_import_export:
            databases.append(f"{DATABASE}_ie")
            rows = min(arguments.import_export_rows, arguments.rows)
            run = import_export_run(server, path, rows, arguments.rows, var_dir / "ie")
            record("import_export", run)

        if arguments.five_million:
            five_path = demo_file(FIVE_MILLION, SEED)
            database = f"{DATABASE}_5m"
            databases.append(database)
            recreate_database(server, database)
            five_env = command_environment(server, database, var_dir / "five_million")
            migrate(five_env)
            five = ingest(server, database, five_env, five_path, "engine, 5M first import")
            record("five", five)
    finally:
        if not arguments.keep:
            for database in databases:
                drop_database(server, database)
            shutil.rmtree(var_dir, ignore_errors=True)

    print()
    print_table(list(runs.values()))
    print()
    print_ratios(runs, arguments.rows)
    print(f"Load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
