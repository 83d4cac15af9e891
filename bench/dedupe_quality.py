"""Golden-record resolution on the demo generator's labelled data, against Splink on the same
records: pairwise precision / recall / F1, B-cubed F1, wall time and peak RSS.

    .venv/bin/python bench/dedupe_quality.py --rows 10000 100000 1000000 [--mariadb] [--splink]

For each size: generate the demo sources (``manage.py generate_demo_data``, seed 42), import
all but the two newest campaign files (``lead_list_q3.xlsx``, ``campaign_calls_2025.csv``,
about 11 % of the records) with ``ingest --no-dedupe``, run a full resolution
(``dedupe --full``), import the two newer files and resolve just their persons
(``resolve_import``: the incremental run), score that state, then run a full resolution over
everything again and score it. Every measured step is its own ``manage.py`` process under
``/usr/bin/time`` (wall seconds and peak RSS of that process). Blocking's pair count and
recall (the share of true duplicate pairs that blocking proposes at all) come from the last
full run's features. With ``--splink``, ``bench/splink_baseline.py`` runs on the same demo
directory (bench-only dependencies: ``bench/requirements-splink.txt``) and is scored the same
way. ``--mariadb`` uses a scratch database ``cmp_bench_dedupe`` on 127.0.0.1 (dropped first);
the default is a SQLite file, the embedded mode.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from cluster_score import score  # noqa: E402

PYTHON = sys.executable
LATER_FILES = ("campaign_calls_2025.csv", "lead_list_q3.xlsx")
FIRST_FILES = (
    "legacy_owners.sql",
    "legacy_contacts.sqlite",
    "campaign_mail_2024.csv",
    "campaign_sms_2025.txt",
)
MARIADB_URL = "mysql://root@127.0.0.1:3306/cmp_bench_dedupe"


def timed(command: list[str], environment: dict[str, str]) -> tuple[float, float, str]:
    """Run ``command`` under ``/usr/bin/time``: (wall seconds, peak RSS MiB, its stdout)."""
    result = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", *command],
        env=environment,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    wall, rss_kib = re.findall(r"TIME ([\d.]+) (\d+)", result.stderr)[-1]
    return float(wall), int(rss_kib) / 1024, result.stdout


def manage(*arguments: str) -> list[str]:
    return [PYTHON, "manage.py", *arguments]


def prepare_database(environment: dict[str, str], mariadb: bool) -> None:
    if mariadb:
        import MySQLdb

        connection = MySQLdb.connect(host="127.0.0.1", port=3306, user="root")
        cursor = connection.cursor()
        cursor.execute("DROP DATABASE IF EXISTS cmp_bench_dedupe")
        cursor.execute("CREATE DATABASE cmp_bench_dedupe CHARACTER SET utf8mb4")
        connection.close()
    subprocess.run(manage("migrate", "-v0"), env=environment, cwd=ROOT, check=True)


def ingest(
    environment: dict[str, str], demo: Path, names: tuple[str, ...]
) -> tuple[float, list[int]]:
    """Import ``names`` without resolution; (seconds, import ids)."""
    started, ids = time.monotonic(), []
    for name in names:
        out = subprocess.run(
            manage("ingest", str(demo / name), "--no-dedupe", "--json"),
            env=environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        ids.append(int(re.search(r'"import_id": (\d+)', out).group(1)))  # type: ignore[union-attr]
    return time.monotonic() - started, ids


def export_and_score(
    environment: dict[str, str], work: Path, truth: Path, name: str
) -> dict[str, Any]:
    out = work / f"{name}.csv"
    subprocess.run(
        manage("export_clusters", "--out", str(out)),
        env=environment,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return score(out, truth)


def blocking_recall(environment: dict[str, str], truth: Path) -> str:
    """Pairs blocking proposes and the share of true duplicate pairs among them (a child
    process with the project's settings)."""
    code = f"""
import csv, django
django.setup()
from collections import defaultdict
from dedupe import scoring
from dedupe.selectors import person_features
from dedupe.services import mark_household_phones
from ingestion.models import SourceRecord
rows = csv.DictReader(open({str(truth)!r}))
truth = {{(r["source"], r["source_key"]): r["entity_id"] for r in rows}}
features = [f for f, _ in person_features()]
index = {{f.person_id: i for i, f in enumerate(features)}}
mark_household_phones(features)
blocking = scoring.block(features)
entities = defaultdict(set)
records = SourceRecord.objects.values_list("source", "source_key", "person_id")
for source, key, person in records.iterator(chunk_size=20000):
    if (source, key) in truth:
        entities[truth[source, key]].add(index[person])
true_pairs = found = 0
for members in entities.values():
    ordered = sorted(members)
    for a in range(len(ordered)):
        for b in range(a + 1, len(ordered)):
            true_pairs += 1
            found += scoring.pair_code(ordered[a], ordered[b]) in blocking.pairs
print(f"{{len(blocking.pairs)}} {{true_pairs}} {{found}} {{blocking.capped_blocks}}")
"""
    out = subprocess.run(
        [PYTHON, "-c", code],
        env={**environment, "DJANGO_SETTINGS_MODULE": "cmplatform.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    pairs, true_pairs, found, capped = map(int, out[-4:])
    return (
        f"{pairs:,} candidate pairs, recall {found / true_pairs:.4f} ({found:,} of "
        f"{true_pairs:,} true pairs), {capped:,} blocks over their cap skipped"
    )


def line(
    label: str, figures: dict[str, Any], wall: float | None = None, rss: float | None = None
) -> str:
    timing = (
        f" | {wall:7.1f} s | {rss:6.0f} MiB"
        if wall is not None and rss is not None
        else " |         |"
    )
    return (
        f"| {label:<34} | {figures['pairwise_precision']:.4f} | {figures['pairwise_recall']:.4f} | "
        f"{figures['pairwise_f1']:.4f} | {figures['bcubed_f1']:.4f} | "
        f"{figures['household_false_merges']:>6,}{timing}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "cmp_bench_dedupe"
    )
    parser.add_argument("--mariadb", action="store_true")
    parser.add_argument("--splink", action="store_true")
    arguments = parser.parse_args()
    arguments.work.mkdir(parents=True, exist_ok=True)
    for rows in arguments.rows:
        work = arguments.work / str(rows)
        work.mkdir(exist_ok=True)
        demo = work / "demo"
        environment = {**os.environ, "DEBUG": "1", "CMP_VAR_DIR": str(work / "var")}
        if arguments.mariadb:
            environment["DATABASE_URL"] = MARIADB_URL
        else:
            environment.pop("DATABASE_URL", None)
            (work / "var" / "cmplatform.sqlite3").unlink(missing_ok=True)
        if not (demo / "manifest.json").exists():
            subprocess.run(
                manage("generate_demo_data", "--rows", str(rows), "--out", str(demo)),
                env=environment,
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        truth = demo / "ground_truth.csv"
        prepare_database(environment, arguments.mariadb)
        seconds, _ = ingest(environment, demo, FIRST_FILES)
        print(
            f"\n== {rows:,} records ({'MariaDB' if arguments.mariadb else 'SQLite'}); "
            f"first imports {seconds:.0f} s"
        )
        first_wall, first_rss, out = timed(manage("dedupe", "--full"), environment)
        print(
            f"full run over the first ~89%: {first_wall:.1f} s, {first_rss:.0f} MiB | {out.strip()}"
        )
        seconds, later_ids = ingest(environment, demo, LATER_FILES)
        inc_wall, inc_rss, out = timed(manage("resolve_import", *map(str, later_ids)), environment)
        print(f"incremental run (newest ~11%): {inc_wall:.1f} s, {inc_rss:.0f} MiB | {out}")
        incremental = export_and_score(environment, work, truth, "incremental")
        full_wall, full_rss, out = timed(manage("dedupe", "--full"), environment)
        print(f"full run over everything: {full_wall:.1f} s, {full_rss:.0f} MiB | {out.strip()}")
        full = export_and_score(environment, work, truth, "full")
        print("blocking:", blocking_recall(environment, truth))
        print(
            "| run | precision | recall | F1 | B-cubed F1 | household FP pairs | wall | peak RSS |"
        )
        print(line("cmplatform, incremental state", incremental, inc_wall, inc_rss))
        print(line("cmplatform, full run", full, full_wall, full_rss))
        if arguments.splink:
            out_csv = work / "splink.csv"
            splink_wall, splink_rss, out = timed(
                [PYTHON, "bench/splink_baseline.py", "--demo", str(demo), "--out", str(out_csv)],
                environment,
            )
            print(
                line(
                    "Splink (records built + model)", score(out_csv, truth), splink_wall, splink_rss
                )
            )
            print(
                "   ",
                " / ".join(
                    text.strip()
                    for text in out.splitlines()
                    if any(
                        word in text.lower()
                        for word in ("splink", "rss", "build records", "predict")
                    )
                ),
            )


if __name__ == "__main__":
    main()
