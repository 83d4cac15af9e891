import pytest
from django.conf import settings

from cmplatform.celery import app as celery_app


@pytest.mark.django_db
def test_healthz_reports_every_component_and_the_run_mode(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["run_mode"] == settings.RUN_MODE
    assert body["checks"]["database"]["backend"] == settings.DATABASE_VENDOR
    assert all(check["ok"] for check in body["checks"].values())
    expected_cache = "RedisCache" if settings.REDIS_URL else "LocMemCache"
    assert body["checks"]["cache"]["backend"] == expected_cache
    expected_layer = "RedisChannelLayer" if settings.REDIS_URL else "ThreadSafeInMemoryChannelLayer"
    assert body["channel_layer"] == expected_layer
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_fails_with_503_when_the_broker_is_down(client, monkeypatch):
    # Nothing listens on port 9 of the loopback interface.
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    monkeypatch.setitem(celery_app.conf, "broker_transport", None)  # the URL's, not embedded's
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["ok"] is False
    assert "Error" in body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
