"""Splink (DuckDB backend) on the demo data: a baseline for golden-record resolution.

    python bench/splink_baseline.py --demo /tmp/demo10k --out /tmp/splink.csv [--threads 2]
    python bench/cluster_score.py --clusters /tmp/splink.csv --truth /tmp/demo10k/ground_truth.csv

Run with the project's settings importable (``DEBUG=1``, as for ``manage.py``). Needs the
bench-only dependencies of ``bench/requirements-splink.txt``.

**Records.** Every file of the demo directory (``manage.py generate_demo_data``) is read as the
import service reads it (``ingestion.services``): the source is named after its file
(``source_name_default``), opened with ``open_source`` (kind detected, no options), mapped with
``resolve_mapping`` (automatic, no explicit choices), and each row normalised by
``normalize_record`` under the default rules (a name and a contact required), on ``--workers``
processes through ``ingestion.parallel.normalized_chunks`` as an import does. Rejected rows are
left out (the scorer counts them as missing); the source key is the record's own
(``NormalizedRecord.source_key``). The records are then checked against ``ground_truth.csv``.

**Model.** A sensible, untuned configuration as Splink's docs recommend (their deduplication
tutorial's choices, applied to these columns), not fitted to the demo's ground truth:

==================== ===================================================================
column               comparison
==================== ===================================================================
first_name           NameComparison (exact, Jaro-Winkler 0.92 / 0.88 / 0.7), TF-adjusted
last_name            NameComparison, TF-adjusted
middle_initial       ExactMatch
suffix               ExactMatch
email                EmailComparison (the first valid e-mail)
phones               ArrayIntersectAtSizes(1) on the first two E.164 numbers
street               LevenshteinAtThresholds (1, 2) on the USPS-standardised street line
zip5                 ExactMatch
city                 ExactMatch, TF-adjusted
state                ExactMatch
==================== ===================================================================

Names are the project's match keys (``name_key``: upper-case ASCII letters), so case and
accents do not count as differences; an empty value is NULL to Splink (no evidence either way).
``phone1`` / ``phone2`` are the same two numbers as columns, for blocking.

Blocking rules for prediction: e-mail; any shared phone (the four phone1/phone2 equalities);
last name + ZIP5; first name + last name + state. Training:
``estimate_probability_two_random_records_match`` from deterministic rules (e-mail; first +
last name + ZIP5; first + last name + phone1) with the tutorial's recall of 0.7;
``estimate_u_using_random_sampling`` over 10^7 pairs (the docs' figure for testing a model),
seeded; then expectation maximisation on first + last name (which estimates every other
column) and on ZIP5 + street (which estimates the names). Prediction keeps pairs of match
probability >= 0.5; clusters are the connected components of the pairs >= 0.9, the docs'
usual choice of a high clustering threshold over a lower prediction one. ``person_id`` in the
output is the record's own id in the records table (each record is its own person before
clustering); ``golden_id`` is Splink's ``cluster_id``.

**Figures.** Time to build the records, Splink's training time, prediction + clustering time,
their total (Splink's wall time, records excluded), and this process's peak RSS
(``ru_maxrss``) once the records are built and once the clusters are written, so that Splink's
share shows; the normalising workers' peak is printed apart (they have exited before Splink
starts).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
# Records per Arrow batch: only one batch's values are ever held as Python strings; the Arrow
# table stores them packed (about 110 bytes a record).
BATCH_RECORDS = 100_000
# Rows per normalised chunk. An import's chunk is a database transaction (100k rows); here
# nothing is written, and a smaller chunk holds fewer NormalizedRecords at once (they carry
# their raw row for lineage), while still keeping both workers busy.
NORMALISE_CHUNK_ROWS = 20_000

PREDICT_THRESHOLD = 0.5
CLUSTER_THRESHOLD = 0.9
U_SAMPLE_PAIRS = 1e7
U_SEED = 42
DETERMINISTIC_RULES_RECALL = 0.7

RECORD_COLUMNS = (
    "unique_id",
    "source",
    "source_key",
    "first_name",
    "middle_initial",
    "last_name",
    "suffix",
    "email",
    "phone1",
    "phone2",
    "phones",
    "street",
    "zip5",
    "city",
    "state",
)


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size (``ru_maxrss``, KiB on Linux) in MiB."""
    return resource.getrusage(who).ru_maxrss / 1024


@dataclass
class SourceCounts:
    """What reading one source gave."""

    file: str
    rows: int = 0
    records: int = 0
    rejected: int = 0
    row_errors: int = 0


def _none_if_empty(value: str | None) -> str | None:
    return value or None


def demo_sources(demo: Path) -> list[Path]:
    """The source files of a demo directory, as its manifest lists them (so that other files
    there, such as a clusters CSV written beside them, are never read as sources)."""
    manifest = json.loads((demo / "manifest.json").read_text(encoding="utf-8"))
    return [demo / source["file"] for source in manifest["sources"]]


def _record_batches(
    sources: list[Path], workers: int, counts: dict[str, SourceCounts]
) -> Iterator[Any]:
    """Arrow record batches of the records of every source, normalised as an import does;
    fills ``counts`` as it goes."""
    import pyarrow as pa

    from cmplatform.lib.normalize import name_key
    from ingestion.mapping import resolve_mapping
    from ingestion.parallel import normalized_chunks
    from ingestion.records import Rules
    from ingestion.services import source_name_default
    from ingestion.sources import open_source

    schema = pa.schema(
        [
            ("unique_id", pa.int64()),
            *((name, pa.string()) for name in RECORD_COLUMNS[1:10]),
            ("phones", pa.list_(pa.string())),
            *((name, pa.string()) for name in RECORD_COLUMNS[11:]),
        ]
    )
    columns: dict[str, list[Any]] = {name: [] for name in RECORD_COLUMNS}
    next_id = 0
    for path in sources:
        source = source_name_default(path.name)
        tally = counts[source] = SourceCounts(file=path.name)
        # As import_file and import_run read a file given without options: kind detected from
        # the content, the automatic mapping, the default required fields (name and contact).
        with open_source(path) as reader:
            mapping = resolve_mapping(reader.columns)
            for chunk in normalized_chunks(
                reader, mapping, Rules(), chunk_rows=NORMALISE_CHUNK_ROWS, workers=workers
            ):
                tally.rows += chunk.rows_read
                tally.rejected += len(chunk.rejected)
                tally.row_errors += len(chunk.row_errors)
                tally.records += len(chunk.records)
                for record in chunk.records:
                    address = record.address
                    phones = list(record.match_phones[:2])
                    columns["unique_id"].append(next_id)
                    columns["source"].append(source)
                    columns["source_key"].append(record.source_key)
                    columns["first_name"].append(_none_if_empty(record.first_name_key))
                    columns["middle_initial"].append(
                        _none_if_empty(name_key(record.middle_name)[:1])
                    )
                    columns["last_name"].append(_none_if_empty(record.last_name_key))
                    columns["suffix"].append(_none_if_empty(name_key(record.suffix)))
                    columns["email"].append(record.match_emails[0] if record.match_emails else None)
                    columns["phone1"].append(phones[0] if phones else None)
                    columns["phone2"].append(phones[1] if len(phones) > 1 else None)
                    columns["phones"].append(phones or None)
                    columns["street"].append(_none_if_empty(address.street) if address else None)
                    columns["zip5"].append(address.zip5 if address else None)
                    columns["city"].append(_none_if_empty(address.city) if address else None)
                    columns["state"].append(address.state if address else None)
                    next_id += 1
                    if len(columns["unique_id"]) >= BATCH_RECORDS:
                        yield pa.RecordBatch.from_pydict(columns, schema=schema)
                        columns = {name: [] for name in RECORD_COLUMNS}
    if columns["unique_id"]:
        yield pa.RecordBatch.from_pydict(columns, schema=schema)


def build_records(demo: Path, workers: int) -> tuple[Any, dict[str, SourceCounts]]:
    """The records table (a pyarrow Table, one row per accepted record) and per-source
    counts."""
    import pyarrow as pa

    counts: dict[str, SourceCounts] = {}
    batches = list(_record_batches(demo_sources(demo), workers, counts))
    return pa.Table.from_batches(batches), counts


def splink_settings() -> Any:
    """The model's settings (see the module docstring)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.ExactMatch("middle_initial"),
            cl.ExactMatch("suffix"),
            cl.EmailComparison("email"),
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.LevenshteinAtThresholds("street", [1, 2]),
            cl.ExactMatch("zip5"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("state"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            # A shared phone in either position; four equi-joins stay hash joins, where one
            # OR-ed condition would compare every pair.
            block_on("phone1"),
            block_on("phone2"),
            "l.phone1 = r.phone2",
            "l.phone2 = r.phone1",
            block_on("last_name", "zip5"),
            block_on("first_name", "last_name", "state"),
        ],
        additional_columns_to_retain=["source", "source_key"],
    )


def train(linker: Any) -> None:
    """Estimate the model's parameters without labels (see the module docstring)."""
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("email"),
            block_on("first_name", "last_name", "zip5"),
            block_on("first_name", "last_name", "phone1"),
        ],
        recall=DETERMINISTIC_RULES_RECALL,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=U_SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "last_name")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("zip5", "street"))


def write_clusters(clusters: Any, out: Path) -> int:
    """Write ``source,source_key,person_id,golden_id`` per record (``bench/cluster_score.py``'s
    input), in record order; return the number of clusters."""
    relation = (
        clusters.as_duckdbpyrelation()
        .project("source, source_key, unique_id, cluster_id")
        .order("unique_id")
    )
    golden_ids: set[Any] = set()
    # Written under a private name and renamed: a reader never sees half a file.
    partial = out.with_name(f".{out.name}.part")
    with open(partial, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("source", "source_key", "person_id", "golden_id"))
        for row in relation.iter_rows(batch_size=BATCH_RECORDS):
            writer.writerow(row)
            golden_ids.add(row[3])
    os.replace(partial, out)
    return len(golden_ids)


def check_keys(records: Any, truth_path: Path, counts: dict[str, SourceCounts]) -> None:
    """Print, per source, how many record keys ``ground_truth.csv`` knows: every accepted
    record's key should be there (the scorer joins on them)."""
    truth_keys: dict[str, set[str]] = {}
    with truth_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            truth_keys.setdefault(row["source"], set()).add(row["source_key"])
    matched: Counter[str] = Counter()
    for batch in records.select(["source", "source_key"]).to_batches():
        for source, key in zip(
            batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True
        ):
            matched[source] += key in truth_keys.get(source, ())
    print(
        f"\n{'source':<22} {'file':<24} {'rows':>9} {'records':>9} {'rejected':>9} "
        f"{'errors':>7} {'in truth':>9} {'truth rows':>10}"
    )
    for source, tally in counts.items():
        print(
            f"{source:<22} {tally.file:<24} {tally.rows:>9,} {tally.records:>9,} "
            f"{tally.rejected:>9,} {tally.row_errors:>7,} {matched[source]:>9,} "
            f"{len(truth_keys.get(source, ())):>10,}"
        )
    unknown = sorted(set(truth_keys) - set(counts))
    if unknown:
        print(f"Sources in the truth without a file: {', '.join(unknown)}")
    total = sum(matched.values())
    print(f"records whose key is in the truth: {total:,} of {records.num_rows:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, required=True, help="demo data directory")
    parser.add_argument("--out", type=Path, required=True, help="clusters CSV to write")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    parser.add_argument(
        "--workers", type=int, default=2, help="normalising processes (0: in this process)"
    )
    parser.add_argument("--verbose", action="store_true", help="Splink's own progress log")
    arguments = parser.parse_args()
    if not arguments.out.parent.is_dir():
        sys.exit(f"Directory {arguments.out.parent} does not exist.")

    sys.path.insert(0, str(PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cmplatform.settings")
    import django

    # ingestion.services (the source naming the import uses) imports the models.
    django.setup()

    started = time.perf_counter()
    records, counts = build_records(arguments.demo, arguments.workers)
    build_seconds = time.perf_counter() - started
    rss_after_records = peak_rss_mib()
    print(
        f"records: {records.num_rows:,} from {len(counts)} sources in {build_seconds:.1f} s "
        f"(Arrow table {records.nbytes / 2**20:.0f} MiB)"
    )

    import duckdb
    import splink
    from splink import DuckDBAPI, Linker

    connection = duckdb.connect()
    connection.execute(f"SET threads TO {int(arguments.threads)}")
    database = DuckDBAPI(connection=connection)
    started = time.perf_counter()
    linker = Linker(
        database.register(records, dataset_display_name="records"),
        splink_settings(),
        log_level=logging.INFO if arguments.verbose else logging.WARNING,
    )
    train(linker)
    training_seconds = time.perf_counter() - started

    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=CLUSTER_THRESHOLD
    )
    predict_seconds = time.perf_counter() - started
    pairs = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]

    started = time.perf_counter()
    cluster_count = write_clusters(clusters, arguments.out)
    write_seconds = time.perf_counter() - started
    rss_end = peak_rss_mib()
    workers_peak = peak_rss_mib(resource.RUSAGE_CHILDREN)
    figures = [
        (
            "splink",
            f"{splink.__version__} (duckdb {duckdb.__version__}, {arguments.threads} threads)",
        ),
        ("records", f"{records.num_rows:,}"),
        (f"pairs with probability >= {PREDICT_THRESHOLD}", f"{pairs:,}"),
        (f"clusters at {CLUSTER_THRESHOLD}", f"{cluster_count:,}"),
        ("build records", f"{build_seconds:.1f} s"),
        ("splink training", f"{training_seconds:.1f} s"),
        ("predict + cluster", f"{predict_seconds:.1f} s"),
        ("splink total", f"{training_seconds + predict_seconds:.1f} s"),
        ("write clusters", f"{write_seconds:.1f} s ({arguments.out})"),
        ("peak RSS after records", f"{rss_after_records:.0f} MiB"),
        ("peak RSS after writing", f"{rss_end:.0f} MiB"),
        ("normalising workers' peak RSS", f"{workers_peak:.0f} MiB"),
    ]
    width = max(len(label) for label, _ in figures)
    for label, value in figures:
        print(f"{label:<{width}}  {value}")
    check_keys(records, arguments.demo / "ground_truth.csv", counts)


if __name__ == "__main__":
    main()
