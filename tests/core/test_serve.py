"""`manage.py serve` in the embedded mode, as the quick start runs it: a real daphne server
with a Celery worker thread that consumes tasks other processes publish to the file queue."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PUBLISH_PING = """
import django
django.setup()
from cmplatform.core.tasks import ping
print(ping.delay().get(timeout=60))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def embedded_env(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "LANDING_S3_BUCKET")
    }
    environment.update(
        CMP_VAR_DIR=str(tmp_path),
        SECRET_KEY="serve-test-secret-key-" + "x" * 40,
        HTTPS="false",
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="cmplatform.settings",
    )
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=PROJECT, env=environment, check=True
        )
    return environment


def test_serve_answers_http_and_runs_tasks_on_its_worker_thread(embedded_env):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=PROJECT,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = fetch(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, "server did not come up"
        health = json.loads(body)
        assert health["run_mode"] == "embedded"
        assert health["checks"]["broker"]["backend"] == "filesystem"

        assert fetch(f"{base}/admin/login/")[0] == 200
        assert fetch(f"{base}/static/cmplatform/favicon.svg")[0] == 200

        published = subprocess.run(
            [sys.executable, "-c", PUBLISH_PING],
            cwd=PROJECT,
            env=embedded_env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert published.returncode == 0, published.stderr
        assert published.stdout.strip() == "{'pong': 'ok', 'database': 'sqlite'}"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Celery worker thread started in this process." in output
