import pytest

from cmplatform.core.models import Person
from cmplatform.lib.pagination import CappedCountPaginator
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
