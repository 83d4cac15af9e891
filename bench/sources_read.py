"""Read speed and peak memory of every source reader over the demo sources.

Generates the demo sources (or takes an existing `--dir`), then runs each reader over its file
in a fresh process, so that each peak RSS is that reader's alone, and prints rows/s, the peak
RSS and the RSS before reading (interpreter + imports). For comparison, csv.reader alone over
the mail CSV (no decoding checks, no dicts, no row objects). With `--mysql`, the dump is also
loaded into a scratch MariaDB database and read back through the live reader (this sets
innodb_buffer_pool_size, 8 GiB by default as deploy/mariadb.cnf, and says so).

    .venv/bin/python bench/sources_read.py --rows 1000000 [--dir /tmp/demo1m] [--mysql]
"""

from __future__ import annotations

import argparse
import csv
import json
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]


def peak_rss_mib() -> float:
    """This process's peak resident set size so far: VmHWM, which (unlike getrusage's
    ru_maxrss, kept across exec) starts afresh in each new program."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def measure_reader(source: str, options: dict[str, str]) -> dict[str, Any]:
    """Read every row of one source in this process; counts, time, memory."""
    sys.path.insert(0, str(PROJECT))
    from ingestion.sources import RowError, open_source

    before = peak_rss_mib()
    started = time.perf_counter()
    rows = errors = 0
    with open_source(source, **options) as reader:
        for item in reader:
            rows += 1
            if isinstance(item, RowError):
                errors += 1
        kind = reader.kind
    seconds = time.perf_counter() - started
    return {
        "kind": kind,
        "rows": rows,
        "errors": errors,
        "seconds": seconds,
        "rss_before": before,
        "peak_rss": peak_rss_mib(),
    }


def measure_csv_module(source: str) -> dict[str, Any]:
    """csv.reader alone over a UTF-8 CSV: the floor for any delimited reader in Python."""
    before = peak_rss_mib()
    started = time.perf_counter()
    with open(source, encoding="utf-8", newline="") as file:
        rows = sum(1 for _ in csv.reader(file)) - 1
    seconds = time.perf_counter() - started
    return {
        "kind": "csv.reader",
        "rows": rows,
        "errors": 0,
        "seconds": seconds,
        "rss_before": before,
        "peak_rss": peak_rss_mib(),
    }


def run_child(label: str, source: str, options: dict[str, str], baseline: bool) -> dict[str, Any]:
    """One measurement in a fresh interpreter (so the peak RSS is its own)."""
    command = [sys.executable, __file__, "--child", source, "--options", json.dumps(options)]
    if baseline:
        command.append("--csv-module")
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=3600)
    result = json.loads(output.stdout.strip().splitlines()[-1])
    result["label"] = label
    return result


def load_dump_into_mariadb(dump: Path, buffer_pool_gb: int) -> str:
    """A scratch database holding the dump's table; returns its name."""
    import MySQLdb

    database = f"bench_sources_{secrets.token_hex(4)}"
    server = MySQLdb.connect(host="127.0.0.1", user="root", charset="utf8mb4")
    cursor = server.cursor()
    cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {buffer_pool_gb << 30}")
    cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size")
    version, pool = cursor.fetchone()
    print(f"MariaDB {version}, innodb_buffer_pool_size = {int(pool) >> 30} GiB (set by this bench)")
    cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    server.close()
    with open(dump, "rb") as dump_file:
        subprocess.run(
            ["mysql", "-h127.0.0.1", "-uroot", database], stdin=dump_file, check=True, timeout=3600
        )
    return database


def drop_database(database: str) -> None:
    import MySQLdb

    server = MySQLdb.connect(host="127.0.0.1", user="root")
    server.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="records in all sources")
    parser.add_argument("--dir", type=Path, help="existing demo sources (else generated)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--mysql", action="store_true", help="also time the live MySQL reader")
    parser.add_argument("--buffer-pool-gb", type=int, default=8)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--csv-module", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.child:
        if arguments.csv_module:
            result = measure_csv_module(arguments.child)
        else:
            result = measure_reader(arguments.child, json.loads(arguments.options))
        print(json.dumps(result))
        return

    sys.path.insert(0, str(PROJECT))
    from cmplatform.demo import DemoManifest, generate_demo_sources

    if arguments.dir and (arguments.dir / "manifest.json").exists():
        out_dir = arguments.dir
        manifest = DemoManifest.load(out_dir / "manifest.json")
        print(f"Demo sources: {out_dir} ({manifest.rows:,} records, seed {manifest.seed})")
    else:
        out_dir = arguments.dir or Path(tempfile.mkdtemp(prefix="bench_sources_"))
        print(f"Generating {arguments.rows:,} demo records into {out_dir} ...", flush=True)
        started = time.perf_counter()
        manifest = generate_demo_sources(rows=arguments.rows, out_dir=out_dir, seed=arguments.seed)
        print(f"  generated in {time.perf_counter() - started:.1f} s")

    runs: list[tuple[str, str, dict[str, str], bool]] = []
    for source in manifest.sources:
        path = out_dir / source.file
        options = {"sheet": source.sheet} if source.sheet else {}
        runs.append((f"{source.kind} ({source.file})", str(path), options, False))
        if source.name == "campaign_mail_2024":
            runs.append((f"csv.reader alone ({source.file})", str(path), {}, True))
    database = None
    if arguments.mysql:
        database = load_dump_into_mariadb(
            out_dir / manifest.source("legacy_owners").file, arguments.buffer_pool_gb
        )
        url = f"mysql://root@127.0.0.1:3306/{database}"
        runs.append(("mysql (table owners, live)", url, {"table": "owners"}, False))

    results = []
    try:
        for label, source, options, baseline in runs:
            results.append(run_child(label, source, options, baseline))
            latest = results[-1]
            print(f"  {label}: {latest['rows'] / latest['seconds']:,.0f} rows/s", flush=True)
    finally:
        if database is not None:
            drop_database(database)

    print()
    print("| reader | file | rows | row errors | seconds | rows/s | peak RSS | RSS before read |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for result in results:
        reader, _, where = result["label"].partition(" (")
        print(
            f"| {reader} | {where.rstrip(')')} | {result['rows']:,} | {result['errors']:,} | "
            f"{result['seconds']:.2f} | {result['rows'] / result['seconds']:,.0f} | "
            f"{result['peak_rss']:.0f} MiB | {result['rss_before']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
