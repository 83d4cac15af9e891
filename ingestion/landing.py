"""The landing zone: every file is stored before it is read, with its SHA-256.

Files land in the ``landing`` storage (local disk, or S3 through django-storages) as
``raw-uploads/YYYY/MM/DD/HH/<name>_<timestamp>``; the digest is computed while the bytes
stream through, so a file of any size is read once and never held in memory. The same bytes
land once: a second copy is removed again and the existing :class:`SourceFile` returned.
Reports written after an import go to ``reports/<import id>/`` in the same storage.

A file the platform staged itself (a dashboard upload, hashed when its last part arrived)
lands by :func:`land_staged`: its known digest is looked up first (the same bytes again cost
nothing), and on a local landing zone on the same file system it is hard-linked into place
instead of copied, so starting the import of a multi-gigabyte upload takes no time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction

from ingestion.models import SourceFile

COPY_BLOCK = 1 << 20
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def landing_storage() -> Storage:
    return storages["landing"]


class _HashingReader:
    """A file-like wrapper that hashes and counts what is read through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def landing_name(original_name: str, now: dt.datetime | None = None) -> str:
    """``raw-uploads/YYYY/MM/DD/HH/<name>_<timestamp>`` for a file called ``original_name``."""
    now = now or dt.datetime.now(dt.UTC)
    base = _UNSAFE_NAME.sub("_", Path(original_name).name).strip("._") or "upload"
    return f"raw-uploads/{now:%Y/%m/%d/%H}/{base[:150]}_{now:%Y%m%dT%H%M%S%fZ}"


def land_stream(
    handle: IO[bytes], original_name: str, *, uploaded_by: Any = None
) -> tuple[SourceFile, bool]:
    """Store the stream in the landing zone; return its :class:`SourceFile` and whether these
    bytes are new (``False``: the same SHA-256 had landed before, and that row is returned)."""
    storage = landing_storage()
    reader = _HashingReader(handle)
    name = storage.save(landing_name(original_name), File(reader, name=original_name))  # type: ignore[arg-type]
    return _record(
        sha256=reader.digest.hexdigest(),
        original_name=original_name,
        size=reader.size,
        name=name,
        uploaded_by=uploaded_by,
    )


def _record(
    *, sha256: str, original_name: str, size: int, name: str, uploaded_by: Any
) -> tuple[SourceFile, bool]:
    """The :class:`SourceFile` of bytes just stored as ``name`` (removed again when the same
    bytes had landed, concurrently or before)."""
    storage = landing_storage()
    existing = SourceFile.objects.filter(sha256=sha256).first()
    if existing is not None:
        storage.delete(name)
        return existing, False
    try:
        with transaction.atomic():
            source_file = SourceFile.objects.create(
                sha256=sha256,
                original_name=Path(original_name).name[:255],
                size=size,
                storage_name=name,
                uploaded_by=uploaded_by
                if getattr(uploaded_by, "is_authenticated", False)
                else None,
            )
    except IntegrityError:
        # The same bytes landed concurrently: keep the first copy.
        storage.delete(name)
        return SourceFile.objects.get(sha256=sha256), False
    return source_file, True


def land_staged(
    path: Path, original_name: str, *, sha256: str, uploaded_by: Any = None
) -> tuple[SourceFile, bool]:
    """Land a file the platform staged and hashed itself (see the module docstring); the
    staged file stays where it is."""
    existing = SourceFile.objects.filter(sha256=sha256).first()
    if existing is not None:
        return existing, False
    storage = landing_storage()
    name = landing_name(original_name)
    try:
        target = Path(storage.path(name))
    except NotImplementedError:  # S3: the bytes must travel
        with path.open("rb") as handle:
            name = storage.save(name, File(handle, name=original_name))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:  # another file system, or no hard links there
            with path.open("rb") as handle:
                name = storage.save(name, File(handle, name=original_name))
    return _record(
        sha256=sha256,
        original_name=original_name,
        size=path.stat().st_size,
        name=name,
        uploaded_by=uploaded_by,
    )


def land_path(path: str | os.PathLike[str], *, uploaded_by: Any = None) -> tuple[SourceFile, bool]:
    """:func:`land_stream` for a file on disk."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a readable file.")
    with path.open("rb") as handle:
        return land_stream(handle, path.name, uploaded_by=uploaded_by)


@contextlib.contextmanager
def local_copy(source_file: SourceFile) -> Iterator[Path]:
    """A local path of the landed file: the file itself on disk storage, else a temporary
    download (readers need to seek, and SQLite needs a path) removed afterwards."""
    storage = landing_storage()
    try:
        yield Path(storage.path(source_file.storage_name))
        return
    except NotImplementedError:
        pass
    directory = Path(settings.VAR_DIR) / "tmp"
    directory.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.NamedTemporaryFile(dir=directory, suffix=".landed") as target,
        storage.open(source_file.storage_name, "rb") as remote,
    ):
        while block := remote.read(COPY_BLOCK):
            target.write(block)
        target.flush()
        yield Path(target.name)


def report_name(batch_id: int, file_name: str) -> str:
    return f"reports/{batch_id}/{file_name}"
