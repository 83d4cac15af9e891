"""Landing a file the platform staged itself: its known digest first, then a hard link on a
local landing zone, a copy into S3 (moto's server)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.test import override_settings
from moto.server import ThreadedMotoServer

from ingestion.landing import land_path, land_staged, landing_storage
from ingestion.models import SourceFile

pytestmark = pytest.mark.django_db

CONTENT = b"name,phone\r\nAda,432-555-0101\r\n"
BUCKET = "staged-landing"


def staged(tmp_path: Path, content: bytes = CONTENT) -> tuple[Path, str]:
    path = tmp_path / "upload.data"
    path.write_bytes(content)
    return path, hashlib.sha256(content).hexdigest()


def test_a_staged_file_is_linked_into_a_local_landing_zone(tmp_path: Path) -> None:
    # staged under the same var/ folder as the landing zone, as the dashboard's uploads are
    staging = Path(settings.VAR_DIR) / "uploads" / tmp_path.name
    staging.mkdir(parents=True)
    path, digest = staged(staging)
    source_file, is_new = land_staged(path, "week 48 leads.csv", sha256=digest)
    assert is_new
    assert (source_file.sha256, source_file.size) == (digest, len(CONTENT))
    assert source_file.original_name == "week 48 leads.csv"
    landed = Path(landing_storage().path(source_file.storage_name))
    assert source_file.storage_name.startswith("raw-uploads/")
    assert landed.stat().st_ino == path.stat().st_ino  # the same bytes, not a copy
    path.unlink()  # the staging area lets its copy go
    assert landed.read_bytes() == CONTENT


def test_known_bytes_land_once_without_being_stored_again(tmp_path: Path) -> None:
    first, _ = land_path(staged(tmp_path)[0])
    landing = Path(settings.VAR_DIR) / "landing"
    files_before = sorted(landing.rglob("*"))
    (tmp_path / "again").mkdir()
    path, digest = staged(tmp_path / "again")
    again, is_new = land_staged(path, "same.csv", sha256=digest)
    assert (again.pk, is_new) == (first.pk, False)
    assert sorted(landing.rglob("*")) == files_before
    assert SourceFile.objects.count() == 1


@pytest.fixture
def s3_landing(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # moto keeps its buckets per process: a bucket of this test's own
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    backend = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "file_overwrite": False,
        },
    }
    with override_settings(STORAGES={**settings.STORAGES, "landing": backend}):
        yield endpoint
    server.stop()


def test_a_staged_file_is_copied_into_s3(tmp_path: Path, s3_landing: str) -> None:
    path, digest = staged(tmp_path)
    source_file, is_new = land_staged(path, "leads.csv", sha256=digest)
    assert is_new and source_file.size == len(CONTENT)
    client = boto3.client("s3", endpoint_url=s3_landing, region_name="us-east-1")
    body = client.get_object(Bucket=BUCKET, Key=source_file.storage_name)["Body"].read()
    assert body == CONTENT
    assert path.read_bytes() == CONTENT  # the staged copy is left to the staging area
    assert os.path.exists(path)
