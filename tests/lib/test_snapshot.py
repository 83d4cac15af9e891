"""consistent_reads: one snapshot for a long walk on MariaDB; SQLite's reads left alone."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction

from cmplatform.core.models import Person
from cmplatform.lib.snapshot import consistent_reads
from tests.factories import person_create


def _rescore_elsewhere(person_id: int, score: int) -> None:
    """An import's change, committed by another connection."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("UPDATE persons SET score = %s WHERE id = %s", [score, person_id])
        if not other.get_autocommit():
            other.commit()
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_walk_sees_the_database_as_of_its_first_read() -> None:
    person = person_create(score=10)
    with consistent_reads():
        first = Person.objects.get(pk=person.pk).score
        if connection.vendor == "mysql":
            _rescore_elsewhere(person.pk, 90)
            # the change is committed, and this walk still reads its snapshot
            assert Person.objects.get(pk=person.pk).score == first == 10
        else:
            # SQLite: no transaction is held open (it would take the write lock)
            assert not connection.in_atomic_block
    if connection.vendor == "mysql":
        assert Person.objects.get(pk=person.pk).score == 90


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_its_own_view_is_kept() -> None:
    person = person_create(score=10)
    with transaction.atomic(), consistent_reads():
        assert Person.objects.get(pk=person.pk).score == 10
