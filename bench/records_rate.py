"""Read + normalise rate of every demo source on one core (the CPU-bound stage of an import).

    .venv/bin/python bench/records_rate.py --rows 300000

Generates the demo sources (seeded) unless ``--dir`` holds them, then reads each source with
its reader and passes every row through ``ingestion.records.normalize_record`` with the
automatic column mapping, in this one process (caches start cold).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--dir", type=Path, default=PROJECT / "var" / "bench_records")
    arguments = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmplatform.settings")

    from cmplatform.demo import generate_demo_sources
    from ingestion.mapping import resolve_mapping
    from ingestion.records import NormalizedRecord, normalize_record
    from ingestion.sources import open_source

    manifest_path = arguments.dir / "manifest.json"
    if (
        not manifest_path.exists()
        or json.loads(manifest_path.read_text())["rows"] != arguments.rows
    ):
        generate_demo_sources(rows=arguments.rows, out_dir=arguments.dir, seed=11)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    total_rows = 0
    total_seconds = 0.0
    print(f"{'source':<22} {'rows':>9} {'rows/s':>9} {'rejected':>9}")
    for source in manifest["sources"]:
        options = {"sheet": source["sheet"]} if source.get("sheet") else {}
        started = time.perf_counter()
        rows = rejected = 0
        with open_source(arguments.dir / source["file"], **options) as reader:
            mapping = resolve_mapping(reader.columns)
            for item in reader:
                rows += 1
                rejected += not isinstance(normalize_record(item, mapping), NormalizedRecord)
        elapsed = time.perf_counter() - started
        total_rows += rows
        total_seconds += elapsed
        print(f"{source['name']:<22} {rows:>9,} {rows / elapsed:>9,.0f} {rejected:>9,}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    overall = total_rows / total_seconds
    print(f"{'all':<22} {total_rows:>9,} {overall:>9,.0f}   peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
