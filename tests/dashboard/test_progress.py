"""Live progress: a service publishes, the consumer forwards to signed-in browsers. Runs on
the in-memory channel layer, and on Redis when REDIS_URL is set."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from cmplatform.asgi import application
from cmplatform.lib.progress import progress_publish
from dashboard.routing import websocket_urlpatterns
from tests.factories import user_create


def run(coroutine):
    return asyncio.run(coroutine)


async def open_socket(user, topic: str) -> tuple[WebsocketCommunicator, bool, int | None]:
    """A WebSocket of ``user`` on a topic's progress: (communicator, connected, close code)."""
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/progress/{topic}/")
    communicator.scope["user"] = user
    connected, code = await communicator.connect()
    return communicator, connected, code


@pytest.mark.django_db(transaction=True)
def test_signed_in_user_receives_progress_of_the_topic():
    user = user_create("watcher", "viewer")

    async def scenario():
        communicator, connected, _ = await open_socket(user, "import.42")
        assert connected
        await sync_to_async(progress_publish)(
            topic="import.41", done=1, total=2, rate=1.0
        )  # another import: not forwarded
        await sync_to_async(progress_publish)(
            topic="import.42", done=250, total=1000, rate=50.0, inserted=200, errors=3
        )
        message = await communicator.receive_json_from(timeout=5)
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return message

    assert run(scenario()) == {
        "topic": "import.42",
        "done": 250,
        "total": 1000,
        "rate": 50.0,
        "percent": 25.0,
        "eta_seconds": 15.0,
        "inserted": 200,
        "errors": 3,
    }


@pytest.mark.django_db(transaction=True)
def test_a_socket_opened_late_is_sent_the_last_message_first():
    """A short import can finish before its page's socket opens: the outcome still arrives."""
    user = user_create("latecomer", "viewer")
    topic = f"test.{uuid.uuid4().hex}"  # nothing left from another run in a shared Redis

    async def scenario():
        for done in (500, 1000):
            await sync_to_async(progress_publish)(
                topic=topic, done=done, total=1000, rate=100.0, status="RUNNING"
            )
        await sync_to_async(progress_publish)(
            topic=topic, done=1000, total=1000, rate=0.0, status="COMPLETE"
        )
        communicator, connected, _ = await open_socket(user, topic)
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        assert await communicator.receive_nothing(timeout=0.3)
        # and what is published next follows as usual
        await sync_to_async(progress_publish)(
            topic=topic, done=1000, total=1000, rate=0.0, status="COMPLETE", errors=0
        )
        second = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return first, second

    first, second = run(scenario())
    assert (first["done"], first["status"], first["rate"]) == (1000, "COMPLETE", 0.0)
    assert second["errors"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_topic_without_messages_sends_nothing_on_connect():
    user = user_create("early", "viewer")
    topic = f"test.{uuid.uuid4().hex}"

    async def scenario():
        communicator, connected, _ = await open_socket(user, topic)
        assert connected
        quiet = await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return quiet

    assert run(scenario()) is True


def test_anonymous_connection_is_refused():
    async def scenario():
        _, connected, code = await open_socket(AnonymousUser(), "import.1")
        return connected, code

    assert run(scenario()) == (False, 4401)


@pytest.mark.django_db(transaction=True)
def test_a_user_without_a_role_is_refused():
    user = get_user_model().objects.create_user("no-role", password="correct-Horse-battery-9")

    async def scenario():
        _, connected, code = await open_socket(user, "import.1")
        return connected, code

    assert run(scenario()) == (False, 4403)


def test_foreign_origin_is_refused_by_the_asgi_application():
    async def scenario():
        communicator = WebsocketCommunicator(
            application, "/ws/progress/import.1/", headers=[(b"origin", b"https://evil.test")]
        )
        connected, _ = await communicator.connect()
        return connected

    assert run(scenario()) is False
