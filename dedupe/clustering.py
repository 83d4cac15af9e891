"""From scored pairs to clusters and golden records. Pure Python.

Clustering is transitive (union-find) over the pairs above the auto-merge threshold, strongest
first, with guards: two clusters are joined only when no person of one is guarded against a
person of the other (:func:`dedupe.scoring.guard`) and no manual decision keeps them apart. A
manual "same person" decision joins first and unconditionally.

The golden record of a cluster is chosen by the business rules, in order: verified by a person
(a manual decision or a manual override), the most recent source, the most complete, a verified
e-mail, a verified phone; the lowest id breaks ties, so the same input always gives the same
golden ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from dedupe.scoring import Features


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """Two persons (indices into the feature list, ``i < j``) and their match probability."""

    i: int
    j: int
    probability: float


class Clusters:
    """Union-find over person indices that keeps each cluster's member list."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.members: dict[int, list[int]] = {}

    def find(self, index: int) -> int:
        parent = self.parent
        root = index
        while parent[root] != root:
            root = parent[root]
        while parent[index] != root:  # path compression
            parent[index], index = root, parent[index]
        return root

    def group(self, root: int) -> list[int]:
        return self.members.get(root, [root])

    def union(self, a: int, b: int) -> int:
        """Join the clusters of ``a`` and ``b``; the smaller root index stays the root."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return root_a
        if root_b < root_a:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.members[root_a] = self.group(root_a) + self.group(root_b)
        self.members.pop(root_b, None)
        return root_a

    def groups(self) -> Iterable[list[int]]:
        """Every cluster of two or more."""
        return self.members.values()


def cluster(
    size: int,
    pairs: Iterable[ScoredPair],
    *,
    keep_apart: Callable[[int, int], bool],
    join_first: Iterable[tuple[int, int]] = (),
) -> Clusters:
    """Cluster ``size`` persons: ``join_first`` pairs (manual decisions) unconditionally, then
    ``pairs`` strongest first, refusing any join that would put two persons that
    ``keep_apart`` in one cluster."""
    clusters = Clusters(size)
    for a, b in join_first:
        clusters.union(a, b)
    ordered = sorted(pairs, key=lambda pair: (-pair.probability, pair.i, pair.j))
    for pair in ordered:
        root_i, root_j = clusters.find(pair.i), clusters.find(pair.j)
        if root_i == root_j:
            continue
        group_i, group_j = clusters.group(root_i), clusters.group(root_j)
        if any(keep_apart(x, y) for x in group_i for y in group_j):
            continue
        clusters.union(root_i, root_j)
    return clusters


def golden_rank(person: Features, manual_golden: bool) -> tuple[object, ...]:
    """Sort key: the golden record of a cluster is its smallest member by this key."""
    return (
        not (manual_golden or person.is_manual),
        -person.updated,
        -person.completeness,
        not person.has_verified_email,
        not person.has_verified_phone,
        person.person_id,
    )


def choose_golden(members: Sequence[Features], manual_golden: set[int]) -> Features:
    """The member the business rules make the golden record."""
    return min(members, key=lambda p: golden_rank(p, p.person_id in manual_golden))
