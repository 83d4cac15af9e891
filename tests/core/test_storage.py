"""The landing zone: local disk by default, S3 (here moto's S3 server) when configured."""

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from moto.server import ThreadedMotoServer


def test_default_landing_zone_is_local_disk_under_var(settings):
    landing = storages["landing"]
    name = landing.save("raw-uploads/2026/11/23/20/leads.csv", ContentFile(b"a,b\n1,2\n"))
    try:
        assert landing.path(name).startswith(str(settings.VAR_DIR / "landing"))
        with landing.open(name) as handle:
            assert handle.read() == b"a,b\n1,2\n"
    finally:
        landing.delete(name)


@pytest.fixture
def s3_endpoint(monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield f"http://{host}:{port}"
    server.stop()


SAVE_TWICE = """
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import storages
landing = storages["landing"]
print(type(landing).__name__)
print(landing.save("raw-uploads/leads.csv", ContentFile(b"x\\n")))
print(landing.save("raw-uploads/leads.csv", ContentFile(b"y\\n")))
"""


def test_s3_landing_zone_configured_from_the_environment(s3_endpoint, tmp_path):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="landing")
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cmplatform.settings",
        "CMP_VAR_DIR": str(tmp_path),
        "LANDING_S3_BUCKET": "landing",
        "LANDING_S3_PREFIX": "cmp",
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", SAVE_TWICE],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    backend, first, second = result.stdout.split()
    assert backend == "S3Storage"
    assert first == "raw-uploads/leads.csv"
    assert second != first  # a landed file is never overwritten
    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket="landing")["Contents"])
    assert keys == sorted(f"cmp/{name}" for name in (first, second))
    head = client.head_object(Bucket="landing", Key=f"cmp/{first}")
    assert head["ServerSideEncryption"] == "AES256"
    body = client.get_object(Bucket="landing", Key=f"cmp/{first}")["Body"].read()
    assert body == b"x\n"
