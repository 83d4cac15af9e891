"""Settings come from the environment only: each run mode is resolved in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "run_mode": settings.RUN_MODE,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "options": settings.DATABASES["default"]["OPTIONS"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL,
    "landing": settings.STORAGES["landing"],
    "debug": settings.DEBUG,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
}, default=str))
"""
CLEAN_ENV_KEYS = (
    "DATABASE_URL",
    "REDIS_URL",
    "LANDING_S3_BUCKET",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "DEBUG",
    "HTTPS",
)


def run_probe(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV_KEYS}
    environment.update(
        DJANGO_SETTINGS_MODULE="cmplatform.settings", CMP_VAR_DIR=str(tmp_path), **variables
    )
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def probe(tmp_path: Path, **variables: str) -> dict:
    result = run_probe(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults(tmp_path):
    resolved = probe(tmp_path, SECRET_KEY="k" * 50)
    assert resolved["run_mode"] == "embedded"
    assert resolved["engine"] == "django.db.backends.sqlite3"
    assert resolved["options"]["transaction_mode"] == "IMMEDIATE"
    assert resolved["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert resolved["layer"] == "cmplatform.lib.channel_layer.ThreadSafeInMemoryChannelLayer"
    assert resolved["broker"] == "filesystem://localhost//"
    assert resolved["landing"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert resolved["landing"]["OPTIONS"]["location"] == str(tmp_path / "landing")
    assert resolved["debug"] is False
    assert resolved["ssl_redirect"] is True


def test_production_services_from_variables(tmp_path):
    resolved = probe(
        tmp_path,
        SECRET_KEY="k" * 50,
        DATABASE_URL="mysql://app:pw@db.internal:3306/cmplatform",
        REDIS_URL="redis://cache.internal:6379/0",
        LANDING_S3_BUCKET="landing-bucket",
    )
    assert resolved["run_mode"] == "production"
    assert resolved["engine"] == "django.db.backends.mysql"
    assert resolved["options"]["charset"] == "utf8mb4"
    assert resolved["options"]["isolation_level"] == "read committed"
    assert resolved["options"]["local_infile"] == 1
    assert "STRICT_ALL_TABLES" in resolved["options"]["init_command"]
    assert resolved["cache"] == "django_redis.cache.RedisCache"
    assert resolved["layer"] == "channels_redis.core.RedisChannelLayer"
    assert resolved["broker"] == "redis://cache.internal:6379/0"
    assert resolved["landing"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert resolved["landing"]["OPTIONS"]["bucket_name"] == "landing-bucket"


def test_secret_key_required_unless_debug(tmp_path):
    result = run_probe(tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required unless DEBUG is on" in result.stderr
    assert probe(tmp_path, DEBUG="1")["debug"] is True


def test_malformed_values_stop_the_process(tmp_path):
    result = run_probe(tmp_path, SECRET_KEY="k" * 50, DEBUG="flase")
    assert result.returncode != 0
    assert "DEBUG='flase' is not a boolean" in result.stderr
    result = run_probe(tmp_path, SECRET_KEY="k" * 50, DATABASE_URL="postgres://h/db")
    assert result.returncode != 0
    assert "supported are MySQL/MariaDB" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV_KEYS}
    environment.update(
        CMP_VAR_DIR=str(tmp_path),
        SECRET_KEY="a-long-random-production-secret-" + "x9Y2" * 10,
        ALLOWED_HOSTS="cmplatform.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def trusted_proxies(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """The API's ``NUM_PROXIES`` as the settings resolve it (proxy variables unset unless
    given)."""
    environment = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV_KEYS}
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "cmplatform.settings",
            "CMP_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "k" * 50,
            "BEHIND_TLS_PROXY": "",
            "API_TRUSTED_PROXIES": "",
            **variables,
        }
    )
    script = "from django.conf import settings; print(settings.REST_FRAMEWORK['NUM_PROXIES'])"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_api_trusts_as_many_forwarding_proxies_as_configured(tmp_path):
    def resolved(**variables: str) -> str:
        result = trusted_proxies(tmp_path, **variables)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert resolved() == "0"
    assert resolved(BEHIND_TLS_PROXY="true") == "1"
    assert resolved(BEHIND_TLS_PROXY="true", API_TRUSTED_PROXIES="2") == "2"
    assert resolved(BEHIND_TLS_PROXY="true", API_TRUSTED_PROXIES="0") == "0"
    result = trusted_proxies(tmp_path, API_TRUSTED_PROXIES="-1")
    assert result.returncode != 0
    assert "API_TRUSTED_PROXIES=-1 is below 0" in result.stderr
