import pytest

from cmplatform.core.models import Person
from cmplatform.lib.pagination import CappedCountPaginator, keyset_pages
from tests.factories import person_create


class SmallCapPaginator(CappedCountPaginator):
    count_cap = 5


@pytest.mark.django_db
def test_count_stops_at_the_cap():
    for _ in range(7):
        person_create()
    paginator = SmallCapPaginator(Person.objects.order_by("id"), per_page=2)
    assert paginator.count == 5
    assert paginator.is_capped is True
    assert paginator.num_pages == 3
    assert [p.pk for p in paginator.page(1)] == list(
        Person.objects.order_by("id").values_list("pk", flat=True)[:2]
    )


@pytest.mark.django_db
def test_count_is_exact_below_the_cap():
    for _ in range(3):
        person_create()
    paginator = SmallCapPaginator(Person.objects.order_by("id"), per_page=2)
    assert paginator.count == 3
    assert paginator.is_capped is False


@pytest.mark.django_db
def test_keyset_pages_walk_every_row_once_in_key_order_in_any_row_shape():
    ids = [person_create(first_name=f"P{n}").pk for n in range(7)]
    persons = Person.objects.filter(pk__in=ids)

    instances = list(keyset_pages(persons, page_rows=3))
    tuples = list(keyset_pages(persons.values_list("pk", "first_name"), page_rows=3))
    keys = list(keyset_pages(persons.values_list("pk", flat=True), page_rows=3))

    assert [[p.pk for p in page] for page in instances] == [ids[0:3], ids[3:6], ids[6:7]]
    assert [row for page in tuples for row in page] == [(pk, f"P{n}") for n, pk in enumerate(ids)]
    assert keys == [ids[0:3], ids[3:6], ids[6:7]]
    assert list(keyset_pages(persons.none(), page_rows=3)) == []
