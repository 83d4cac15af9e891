"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.factories import user_create


@pytest.fixture
def client_as(db: None) -> Callable[[str], Client]:
    """A logged-in test client for a fresh user of the given role."""

    def make(role: str) -> Client:
        user = user_create(f"{role}-user", role)
        client = Client()
        client.force_login(user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def redis_url(settings: Any) -> str | None:
    return settings.REDIS_URL


def pytest_configure(config: Any) -> None:
    # WhiteNoise serves collected files from STATIC_ROOT and warns when it does not exist.
    from pathlib import Path

    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
