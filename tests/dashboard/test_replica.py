"""Reading one's own writes with a lagging read replica.

The router is installed as production installs it, but the ``replica`` alias is left out: a
read routed to the replica then fails with ``ConnectionDoesNotExist``, and a read that stays on
the primary works. That shows which database each request read from."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.http import QueryDict
from django.test import override_settings
from django.utils.connection import ConnectionDoesNotExist
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cmplatform.core.services import person_update
from cmplatform.lib.generation import PERSONS, data_generation_bump, data_generation_settled
from cmplatform.lib.replica import primary_pin, primary_pinned
from dashboard.lists import criteria
from dashboard.lists.cached import cached_page
from tests.dashboard.test_api import upload
from tests.factories import person_create, user_create

pytestmark = pytest.mark.django_db

WITH_REPLICA = override_settings(
    READ_REPLICA_URL="mysql://reader.example/cmp",
    DATABASE_ROUTERS=["cmplatform.lib.replica.ReplicaRouter"],
    REPLICA_MAX_LAG_SECONDS=30,
)


@pytest.fixture(autouse=True)
def clean_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_a_user_reads_the_primary_after_their_own_change_and_others_the_replica(
    client_as: Callable,
) -> None:
    person = person_create(state="TX")
    operator, viewer = client_as("operator"), client_as("viewer")
    with WITH_REPLICA:
        for client in (operator, viewer):
            with pytest.raises(ConnectionDoesNotExist):
                client.get(f"/leads/{person.pk}/")
        # A refused change pins nothing; a GET pins nothing.
        assert viewer.post("/lists/save/", {"name": "Mine", "query": "state=TX"}).status_code == 403
        assert not primary_pinned(viewer.user.pk)
        saved = operator.post("/lists/save/", {"name": "Texas", "query": "state=TX"})
        assert saved.status_code == 302
        assert primary_pinned(operator.user.pk)
        assert operator.get(f"/leads/{person.pk}/").status_code == 200
        assert operator.get("/lists/", {"state": "TX"}).status_code == 200
        with pytest.raises(ConnectionDoesNotExist):
            viewer.get(f"/leads/{person.pk}/")
        # once the lag has passed, the replica again
        cache.delete(f"replica:primary-pin:{operator.user.pk}")
        with pytest.raises(ConnectionDoesNotExist):
            operator.get(f"/leads/{person.pk}/")


def test_an_api_client_reads_the_primary_after_its_own_upload(
    django_capture_on_commit_callbacks: Callable,
) -> None:
    person = person_create(state="TX")
    user = user_create("integrator", "operator")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    with WITH_REPLICA:
        with pytest.raises(ConnectionDoesNotExist):
            client.get(f"/api/persons/{person.pk}/")
        with django_capture_on_commit_callbacks():
            assert client.post("/api/imports/", upload(), format="multipart").status_code == 201
        # the token's user, authenticated by the API view, was pinned
        assert primary_pinned(user.pk)
        assert client.get(f"/api/persons/{person.pk}/").status_code == 200


def test_without_a_replica_nothing_is_pinned(client_as: Callable) -> None:
    operator = client_as("operator")
    assert operator.post("/lists/save/", {"name": "Texas", "query": "state=TX"}).status_code == 302
    primary_pin(operator.user.pk)
    assert not primary_pinned(operator.user.pk)
    assert data_generation_settled(PERSONS)


def test_lists_read_within_the_lag_after_a_change_are_not_cached() -> None:
    first = person_create(state="TX", score=10)
    query = criteria.parse(QueryDict("state=TX"))[0]
    assert query is not None
    with override_settings(READ_REPLICA_URL="mysql://reader.example/cmp"):
        data_generation_bump(PERSONS)
        assert not data_generation_settled(PERSONS)
        assert [p.pk for p in cached_page(query).rows] == [first.pk]
        # a read just after the change may be the replica's past: not kept
        second = person_create(state="TX", score=20)
        assert [p.pk for p in cached_page(query).rows] == [second.pk, first.pk]
        cache.set("generation:persons:at", time.time() - 31)
        with override_settings(REPLICA_MAX_LAG_SECONDS=30):
            assert data_generation_settled(PERSONS)
            assert [p.pk for p in cached_page(query).rows] == [second.pk, first.pk]
            person_create(state="TX", score=30)
            # settled: this page is cached, until the next change
            assert [p.pk for p in cached_page(query).rows] == [second.pk, first.pk]


def test_an_edit_makes_cached_list_pages_unreachable(
    django_capture_on_commit_callbacks: Callable,
) -> None:
    person = person_create(state="TX", score=10, lead_status="new")
    query = criteria.parse(QueryDict("lead_status=interested"))[0]
    assert query is not None
    assert cached_page(query).rows == []
    with django_capture_on_commit_callbacks(execute=True):
        person_update(person=person, changes={"lead_status": "interested"}, by=None, origin="test")
    assert [p.pk for p in cached_page(query).rows] == [person.pk]


@pytest.mark.django_db(transaction=True)
def test_under_asgi_a_user_reads_the_primary_after_their_own_change() -> None:
    import asyncio

    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    person = person_create(state="TX")
    operator = user_create("async-operator", "operator")

    async def visit() -> tuple[int, int, bool]:
        client = AsyncClient()
        await client.aforce_login(operator)
        with pytest.raises(ConnectionDoesNotExist):
            await client.get(f"/leads/{person.pk}/")
        saved = await client.post("/lists/save/", {"name": "Texas", "query": "state=TX"})
        pinned = await sync_to_async(primary_pinned)(operator.pk)
        page = await client.get(f"/leads/{person.pk}/")
        return saved.status_code, page.status_code, pinned

    with WITH_REPLICA:
        assert asyncio.run(visit()) == (302, 200, True)
