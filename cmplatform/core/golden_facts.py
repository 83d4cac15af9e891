"""Keeping ``golden_facts`` and ``golden_campaigns`` in step with the data they summarise.

A priority list asks of each golden record it walks what its cluster (the record and its
duplicates) holds: contact points, touches per channel, campaigns. Asked of the source tables
that is two correlated sub-queries per record (~13 µs each at 10M persons); asked of these
summaries it is one primary-key look-up. They are derived data: whatever changes contact points,
touchpoints or cluster links calls :func:`golden_facts_refresh` in the same transaction
(ingestion per chunk, golden-record runs, merges, unmerges, audited edits), and
:func:`golden_facts_rebuild` recomputes them all (the migration that created them, and
``manage.py golden_facts_rebuild`` after a restore or a hand-made bulk change).
``golden_campaigns.score`` is the golden record's score, so that a campaign's members read in
score order from one index; :func:`golden_scores_sync` copies scores changed in bulk outside
the application (``manage.py golden_facts_rebuild --scores``).

Set-based: the persons to refresh are staged, their golden records and cluster members found
with joins, each source table aggregated once per call, and the summary rows replaced; no
statement per person. Each statement names a staging table once (MySQL cannot reopen a
temporary table within a statement), and the facts are one grouped pass over the cluster
members with the four source tables joined (a third of the time of aggregating each table
into an intermediate table and grouping that).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from cmplatform.core.models import Channel
from cmplatform.lib.bulk import (
    Column,
    ColumnType,
    delete_from_staging,
    staging_create,
    staging_drop,
    staging_load,
)

CHANNELS = [str(channel) for channel in Channel]
COUNTS = ("phones", "emails", "addresses", *(f"{channel}_touches" for channel in CHANNELS))
LATEST = tuple(f"{channel}_last_at" for channel in CHANNELS)
# Persons per transaction of a rebuild (a primary-key range of ``persons``).
REBUILD_RANGE = 50_000

_IDS = "stg_facts_ids"
_GOLDEN = "stg_facts_golden"
_MEMBERS = "stg_facts_members"
_ID = [Column("id", ColumnType.BIGINT)]
_MEMBER = [Column("golden", ColumnType.BIGINT), Column("member", ColumnType.BIGINT)]


def golden_facts_refresh(*, person_ids: Iterable[int], using: str = DEFAULT_DB_ALIAS) -> int:
    """Recompute the summaries of the clusters of ``person_ids``: each person's golden record,
    and the person itself (one just linked as a duplicate loses the row it had as a golden
    record). Runs in the caller's transaction when there is one. Returns the golden records
    that have facts now."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    connection = connections[using]
    with transaction.atomic(using=using):
        staging_create(connection, name=_IDS, columns=_ID, index=["id"])
        staging_load(connection, name=_IDS, columns=_ID, rows=((pk,) for pk in ids))
        return _refresh_staged(connection)


def golden_facts_rebuild(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Recompute every summary, a primary-key range of persons per transaction (a range
    committed stays correct if a later one fails). Returns the golden records with facts."""
    connection = connections[using]
    persons = connection.ops.quote_name("persons")
    written = 0
    for start in _person_ranges(connection):
        with transaction.atomic(using=using):
            staging_create(connection, name=_IDS, columns=_ID, index=["id"])
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {_IDS} (id) SELECT id FROM {persons} WHERE id >= %s AND id < %s",
                    (start, start + REBUILD_RANGE),
                )
            written += _refresh_staged(connection)
    return written


def golden_scores_sync(*, using: str = DEFAULT_DB_ALIAS) -> int:
    """Copy ``persons.score`` into ``golden_campaigns`` where they differ, a primary-key range
    of persons per transaction: after scores were changed in bulk outside the application
    (its own edits keep them in step). Returns the rows changed."""
    connection = connections[using]
    persons = connection.ops.quote_name("persons")
    if connection.vendor == "mysql":
        statement = (
            f"UPDATE golden_campaigns gc JOIN {persons} p ON p.id = gc.person_id "
            "SET gc.score = p.score "
            "WHERE gc.person_id >= %s AND gc.person_id < %s AND gc.score <> p.score"
        )
    else:
        statement = (
            f"UPDATE golden_campaigns SET score = (SELECT p.score FROM {persons} p "
            "WHERE p.id = golden_campaigns.person_id) "
            "WHERE person_id >= %s AND person_id < %s AND score <> (SELECT p.score "
            f"FROM {persons} p WHERE p.id = golden_campaigns.person_id)"
        )
    changed = 0
    for start in _person_ranges(connection):
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(statement, (start, start + REBUILD_RANGE))
            changed += int(cursor.rowcount)
    return changed


def _person_ranges(connection: BaseDatabaseWrapper) -> range:
    """The first ids of the :data:`REBUILD_RANGE`-wide primary-key ranges covering
    ``persons`` (none when it is empty)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {connection.ops.quote_name('persons')}")
        low, high = cursor.fetchone()
    if low is None:
        return range(0)
    return range(low, high + 1, REBUILD_RANGE)


def _refresh_staged(connection: BaseDatabaseWrapper) -> int:
    """Replace the summaries of the persons staged in ``stg_facts_ids`` and of their golden
    records."""
    for name, columns in ((_GOLDEN, _ID), (_MEMBERS, _MEMBER)):
        staging_create(connection, name=name, columns=columns, index=[columns[0].name])
    with connection.cursor() as cursor:
        # The golden record of each staged person that still exists.
        cursor.execute(
            f"INSERT INTO {_GOLDEN} (id) SELECT DISTINCT "
            "CASE WHEN p.is_duplicate THEN p.merged_into_id ELSE p.id END "
            f"FROM {_IDS} s JOIN persons p ON p.id = s.id"
        )
        # Cluster members: the golden record itself (a duplicate always points at a golden
        # record, never at another duplicate), then its duplicates (merged_into index).
        cursor.execute(f"INSERT INTO {_MEMBERS} (golden, member) SELECT id, id FROM {_GOLDEN}")
        cursor.execute(
            f"INSERT INTO {_MEMBERS} (golden, member) SELECT g.id, p.id "
            f"FROM {_GOLDEN} g JOIN persons p ON p.merged_into_id = g.id "
            "WHERE p.is_duplicate = %s",
            (True,),
        )
    for table in ("golden_facts", "golden_campaigns"):
        for staged in (_IDS, _GOLDEN):
            delete_from_staging(
                connection, target=table, staging=staged, key="person_id", staged_key="id"
            )
    # One pass over the members, each source table joined on its person-leading index; the
    # joins multiply a member's rows (two phones x three touches: six), so each count is of
    # distinct rows.
    counts = [f"COUNT(DISTINCT {alias}.id)" for alias in ("ph", "em", "ad")] + [
        "COUNT(DISTINCT CASE WHEN t.channel = %s THEN t.id END)" for _ in CHANNELS
    ]
    latest = ["MAX(CASE WHEN t.channel = %s THEN t.occurred_at END)" for _ in CHANNELS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO golden_facts (person_id, {', '.join((*COUNTS, *LATEST))}) "
            f"SELECT m.golden, {', '.join(counts + latest)} FROM {_MEMBERS} m "
            "LEFT JOIN phone_numbers ph ON ph.person_id = m.member "
            "LEFT JOIN email_addresses em ON em.person_id = m.member "
            "LEFT JOIN addresses ad ON ad.person_id = m.member "
            "LEFT JOIN touchpoints t ON t.person_id = m.member "
            "GROUP BY m.golden "
            # A record holding nothing gets no row.
            "HAVING COUNT(ph.id) + COUNT(em.id) + COUNT(ad.id) + COUNT(t.id) > 0",
            (*CHANNELS, *CHANNELS),
        )
        written = int(cursor.rowcount)
        cursor.execute(
            "INSERT INTO golden_campaigns (person_id, campaign_id, score) "
            f"SELECT DISTINCT m.golden, t.campaign_id, g.score FROM {_MEMBERS} m "
            "JOIN touchpoints t ON t.person_id = m.member "
            "JOIN persons g ON g.id = m.golden WHERE t.campaign_id IS NOT NULL"
        )
    for name in (_IDS, _GOLDEN, _MEMBERS):
        staging_drop(connection, name=name)
    return written
