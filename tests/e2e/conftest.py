"""A real platform for browser tests: a fresh database migrated and loaded with demo data
through the real commands, served by ``manage.py serve`` (daphne with WebSockets and an
in-process Celery worker in the embedded mode; with ``DATABASE_URL``/``REDIS_URL`` set, the same
server on a scratch MariaDB database and Redis with a Celery worker process beside it), driven
by Playwright in Debian's chromium.

Screenshots go to ``$CMP_SCREENSHOTS`` (``docs/screenshots`` refreshes the README's pictures),
else to a temporary directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "e2e-Correct-horse-42"
DEMO_ROWS = "600"
SERVER_START_SECONDS = 60


@dataclass
class Platform:
    url: str
    demo: Path
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        return _manage(self.env, *args)


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _scratch_mysql(url: str, name: str) -> str:
    """A fresh MariaDB database beside the test server's (dropped first if left over)."""
    import dj_database_url
    import MySQLdb

    config = dj_database_url.parse(url)
    connection = MySQLdb.connect(
        host=config["HOST"], port=int(config["PORT"] or 3306), user=config["USER"],
        password=config["PASSWORD"],
    )  # fmt: skip
    cursor = connection.cursor()
    cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    connection.close()
    base = url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"The server exited:\n{log.read_text()[-4000:]}")
        try:
            # A loopback http:// URL built here, never user input.
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"The server did not answer in time:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    var = tmp_path_factory.mktemp("e2e-var")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "LANDING_S3_BUCKET")
    }
    env.update(
        CMP_VAR_DIR=str(var), DEBUG="0", HTTPS="false", SECRET_KEY="e2e-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost", E2E_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1",
    )  # fmt: skip
    if env.get("DATABASE_URL", "").startswith("mysql"):
        env["DATABASE_URL"] = _scratch_mysql(env["DATABASE_URL"], "cmplatform_e2e")
    _manage(env, "migrate", "--no-input", "-v", "0")
    _manage(env, "collectstatic", "--no-input", "-v", "0")
    for role in ("admin", "operator", "viewer"):
        _manage(env, "create_role_user", role, "--role", role, "--password-env", "E2E_PASSWORD")
    demo = var / "demo"
    _manage(env, "generate_demo_data", "--rows", DEMO_ROWS, "--out", str(demo))
    _manage(env, "ingest", str(demo / "legacy_contacts.sqlite"))
    _manage(env, "ingest", str(demo / "campaign_mail_2024.csv"))  # touchpoints for timelines
    registry = demo / "registry"
    _manage(env, "generate_demo_registry", "--out", str(registry))
    today = time.strftime("%Y-%m-%d", time.gmtime())
    _manage(env, "load_registry", str(registry / "dnc_federal_full.txt"), "--kind", "federal",
            "--list-date", today)  # fmt: skip
    _manage(env, "scrub")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = var / "server.log"
    processes = []
    with log.open("wb") as output:
        serve = [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(port)]
        processes.append(
            subprocess.Popen(
                serve,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        if env.get("REDIS_URL"):
            # Production layout: the Celery worker is its own process.
            worker = [sys.executable, "-m", "celery", "-A", "cmplatform", "worker",
                      "--concurrency", "1", "--pool", "solo", "--loglevel", "WARNING"]  # fmt: skip
            processes.append(
                subprocess.Popen(
                    worker,
                    cwd=ROOT,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        try:
            _wait_ready(url, processes[0], log)
            yield Platform(url=url, demo=demo, env=env)
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    target = os.environ.get("CMP_SCREENSHOTS")
    path = Path(target) if target else Path(tempfile_dir()) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tempfile_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="cmp-e2e-")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        raise AssertionError(
            f"Chromium is not installed at {CHROMIUM} (apt-get install chromium); "
            "the dashboard's browser tests need it."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()
