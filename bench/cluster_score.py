"""Score a clustering of source records (golden records) against the demo's ground truth.

    python bench/cluster_score.py --clusters CLUSTERS.csv --truth GROUND_TRUTH.csv [--json]

``CLUSTERS.csv`` has the header ``source,source_key,person_id,golden_id`` (one line per source
record, as ``manage.py export_clusters`` or ``bench/splink_baseline.py`` write it; ``golden_id``
is the predicted cluster). ``GROUND_TRUTH.csv`` has ``source,source_key,entity_id,household_id``
(``manage.py generate_demo_data``). Records are joined on ``(source, source_key)`` as text.

Every ground-truth record is evaluated. One missing from the clusters file (a row the importer
rejected, say) counts as a predicted singleton: it costs recall, as it would in production.
Records of the clusters file that the truth does not know are ignored. Both counts are reported.

Figures:

- pairwise precision, recall and F1 over record pairs (a pair is predicted when both records
  share a ``golden_id``, true when they share an ``entity_id``);
- B-cubed precision, recall and F1 (per record, the share of its predicted cluster that is its
  entity and the share of its entity in its predicted cluster, averaged over records);
- household false merges: predicted pairs of two different people of one household
  (``household_id`` equal, ``entity_id`` not), the costly mistake of merging a father and his
  son, or spouses.

Pair counts come from contingency tables (the sum of n choose 2 over cells), never from listing
pairs: one cluster of a million records is 5·10^11 pairs, yet costs one cell here. Memory is
linear in the number of records, about 300 bytes each (most of it the look-up table of keys
that joins the files): 294 MiB peak for a 1M-record truth, in 4.4 s. Stdlib only, so the
scorer runs wherever the files can be read.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

CLUSTERS_COLUMNS = ("source", "source_key", "person_id", "golden_id")
TRUTH_COLUMNS = ("source", "source_key", "entity_id", "household_id")
# A truth record the clusters file lacks has no predicted cluster yet.
UNASSIGNED = -1


def _pairs(count: int) -> int:
    """Pairs among ``count`` records: n choose 2."""
    return count * (count - 1) // 2


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; 1.0 when nothing was asked (no predicted pair has no
    wrong pair; no true pair has none to miss), so that an empty side does not look broken."""
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[list[str]]:
    """The rows of a CSV file as lists of the named ``columns`` (in that order), whatever the
    file's column order; raises ``ValueError`` when the header lacks one of them."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty: expected the header {','.join(columns)}.")
        header = [name.strip().lstrip("\ufeff") for name in header]
        missing = [name for name in columns if name not in header]
        if missing:
            raise ValueError(
                f"{path} has no column {', '.join(missing)}; its header is {','.join(header)}."
            )
        positions = [header.index(name) for name in columns]
        for row in reader:
            if not row:
                continue
            yield [row[position] for position in positions]


class _Labels:
    """Integers for text labels (entity, household and cluster ids): the tables below count
    integers, which take a fraction of the memory of the strings they stand for.

    Labels are integers in the files this reads (database ids, generator ids), so a decimal
    label is its own number, doubled, and costs no look-up table: at 1M records the tables of
    three label columns would take more memory than everything else. Any other label gets an
    odd number from a table, so the two kinds never collide.
    """

    # Doubled, a label must stay within the arrays' signed 64 bits.
    LARGEST_DECIMAL = 1 << 61

    def __init__(self) -> None:
        self.others: dict[str, int] = {}

    def number(self, label: str) -> int:
        if label.isascii() and label.isdigit() and (label == "0" or label[0] != "0"):
            value = int(label)
            if value < self.LARGEST_DECIMAL:
                return value * 2
        number = self.others.get(label)
        if number is None:
            number = self.others[label] = len(self.others) * 2 + 1
        return number


def _sum_pairs(counts: Iterable[int]) -> int:
    return sum(_pairs(count) for count in counts)


def score(clusters_path: str | Path, truth_path: str | Path) -> dict[str, Any]:
    """Pairwise and B-cubed precision, recall and F1 of ``clusters_path`` against
    ``truth_path``, with the counts behind them (see the module docstring)."""
    clusters_path, truth_path = Path(clusters_path), Path(truth_path)

    # Truth records get positions 0..n-1; per-source dicts keep each source name once.
    position_by_key: dict[str, dict[str, int]] = {}
    entity_labels, household_labels = _Labels(), _Labels()
    entities = array("q")
    households = array("q")
    for source, source_key, entity_id, household_id in _rows(truth_path, TRUTH_COLUMNS):
        keys = position_by_key.setdefault(source, {})
        if source_key in keys:
            raise ValueError(
                f"{truth_path} lists ({source}, {source_key}) twice: a truth must name each "
                "record once."
            )
        keys[source_key] = len(entities)
        entities.append(entity_labels.number(entity_id))
        households.append(household_labels.number(household_id))
    records = len(entities)

    predicted = array("q", [UNASSIGNED]) * records
    cluster_labels = _Labels()
    not_in_truth = duplicates = 0
    for source, source_key, _person_id, golden_id in _rows(clusters_path, CLUSTERS_COLUMNS):
        position = position_by_key.get(source, {}).get(source_key)
        if position is None:
            not_in_truth += 1
        elif predicted[position] != UNASSIGNED:
            # One record in two clusters cannot be scored; the first line wins, and the count
            # says the file is not a clustering.
            duplicates += 1
        else:
            predicted[position] = cluster_labels.number(golden_id)
    del position_by_key

    # Each missing record becomes a cluster of its own, numbered after the real ones.
    missing = 0
    next_singleton = max(predicted, default=0) + 1
    for position in range(records):
        if predicted[position] == UNASSIGNED:
            predicted[position] = next_singleton
            next_singleton += 1
            missing += 1

    # Contingency tables: records per entity, per predicted cluster, per (cluster, entity) and
    # per (cluster, household). Cells are packed into one int each (cluster * width + other).
    # Each table is summed and dropped before the next is built, except the three B-cubed
    # needs, so that at most three are held at once.
    entity_width = max(entities, default=0) + 1
    household_width = max(households, default=0) + 1
    same_household_pairs = _sum_pairs(
        Counter(
            cluster * household_width + household
            for cluster, household in zip(predicted, households, strict=True)
        ).values()
    )
    # An entity belongs to one household in the demo's truth; counting (cluster, household,
    # entity) cells keeps the figure right even if a truth ever broke that.
    same_household_same_entity_pairs = _sum_pairs(
        Counter(
            (cluster * household_width + household) * entity_width + entity
            for cluster, household, entity in zip(predicted, households, entities, strict=True)
        ).values()
    )
    household_false_merges = same_household_pairs - same_household_same_entity_pairs
    del households

    entity_sizes = Counter(entities)
    cluster_sizes = Counter(predicted)
    cluster_entity = Counter(
        cluster * entity_width + entity for cluster, entity in zip(predicted, entities, strict=True)
    )
    true_pairs = _sum_pairs(entity_sizes.values())
    predicted_pairs = _sum_pairs(cluster_sizes.values())
    true_positive_pairs = _sum_pairs(cluster_entity.values())

    # B-cubed: a record in cell (c, e) of size n has precision n/|c| and recall n/|e|; the n
    # records of the cell contribute n * n/|c| and n * n/|e|.
    bcubed_precision_sum = bcubed_recall_sum = 0.0
    for cell, count in cluster_entity.items():
        cluster, entity = divmod(cell, entity_width)
        bcubed_precision_sum += count * count / cluster_sizes[cluster]
        bcubed_recall_sum += count * count / entity_sizes[entity]

    pairwise_precision = _ratio(true_positive_pairs, predicted_pairs)
    pairwise_recall = _ratio(true_positive_pairs, true_pairs)
    bcubed_precision = _ratio(bcubed_precision_sum, records)
    bcubed_recall = _ratio(bcubed_recall_sum, records)
    return {
        "records_evaluated": records,
        "missing_from_clusters": missing,
        "clusters_not_in_truth": not_in_truth,
        "clusters_duplicate_keys": duplicates,
        "true_entities": len(entity_sizes),
        "predicted_clusters": len(cluster_sizes),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "true_positive_pairs": true_positive_pairs,
        "pairwise_precision": pairwise_precision,
        "pairwise_recall": pairwise_recall,
        "pairwise_f1": _f1(pairwise_precision, pairwise_recall),
        "bcubed_precision": bcubed_precision,
        "bcubed_recall": bcubed_recall,
        "bcubed_f1": _f1(bcubed_precision, bcubed_recall),
        "household_false_merges": household_false_merges,
    }


def format_report(result: dict[str, Any]) -> str:
    """The figures of :func:`score` as aligned text lines."""
    lines = [
        ("records evaluated", f"{result['records_evaluated']:,}"),
        ("missing from clusters (singletons)", f"{result['missing_from_clusters']:,}"),
        ("in clusters, not in truth (ignored)", f"{result['clusters_not_in_truth']:,}"),
        ("duplicate keys in clusters (ignored)", f"{result['clusters_duplicate_keys']:,}"),
        ("true entities", f"{result['true_entities']:,}"),
        ("predicted clusters", f"{result['predicted_clusters']:,}"),
        ("true pairs", f"{result['true_pairs']:,}"),
        ("predicted pairs", f"{result['predicted_pairs']:,}"),
        ("true-positive pairs", f"{result['true_positive_pairs']:,}"),
        ("pairwise precision", f"{result['pairwise_precision']:.4f}"),
        ("pairwise recall", f"{result['pairwise_recall']:.4f}"),
        ("pairwise F1", f"{result['pairwise_f1']:.4f}"),
        ("B-cubed precision", f"{result['bcubed_precision']:.4f}"),
        ("B-cubed recall", f"{result['bcubed_recall']:.4f}"),
        ("B-cubed F1", f"{result['bcubed_f1']:.4f}"),
        ("household false merges (pairs)", f"{result['household_false_merges']:,}"),
    ]
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"{label:<{width}}  {value:>12}" for label, value in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=Path, required=True, help="predicted clusters CSV")
    parser.add_argument("--truth", type=Path, required=True, help="ground_truth.csv")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    try:
        result = score(arguments.clusters, arguments.truth)
    except (OSError, ValueError) as error:
        sys.exit(f"cluster_score: {error}")
    print(json.dumps(result, indent=2) if arguments.json else format_report(result))


if __name__ == "__main__":
    main()
