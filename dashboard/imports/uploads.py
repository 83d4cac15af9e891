"""Staged uploads: a browser upload of any size, received in parts, before it is imported.

A file is sent in parts (``static/dashboard/imports.js`` slices it into 8 MiB parts) that are
appended to ``<VAR_DIR>/uploads/<upload id>/file/<file name>``; the part's ``offset`` says where it
belongs, so that

* a retried part (its response was lost) is harmless: the bytes already received are compared
  with the part's, never written twice;
* a resumed upload (a reload, a dropped connection, another day) asks for the server's offset
  and continues there;
* a part for a later offset (a gap) or whose bytes differ from those received is refused with
  the server's offset.

Nothing is ever held in memory beyond one block. A finished upload has its SHA-256 computed
and waits for the operator's mapping (see :mod:`dashboard.imports.services`); it reaches the
landing zone only when its import starts. Each upload belongs to the user who created it;
another user sees no such upload. Uploads nobody touched for :data:`KEEP_SECONDS` are removed
when the next one is created. With several web servers, ``VAR_DIR`` must be shared storage
(or the load balancer sticky), as every part of an upload must reach the same directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.files.move import file_move_safe

BLOCK_BYTES = 1 << 20
# The parts the browser sends; a part may be up to PART_MAX_BYTES (a request that size is
# spooled to disk by the web server, never held in memory).
PART_BYTES = 8 << 20
PART_MAX_BYTES = 64 << 20
# The largest file accepted; room is also checked on disk when an upload is created.
FILE_MAX_BYTES = 100 << 30
# Disk space left free besides the upload itself.
FREE_MARGIN_BYTES = 1 << 30
KEEP_SECONDS = 7 * 24 * 3600
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class Readable(Protocol):
    """What a part is read from: a request body, a file."""

    def read(self, size: int, /) -> bytes: ...


class UploadError(Exception):
    """An upload request that cannot be honoured; ``status`` is the HTTP status to answer
    with, ``offset`` the bytes the server holds (when known), ``code`` what went wrong:
    ``offset`` (send from the server's offset instead), ``mismatch`` (other bytes than those
    received: another file), ``complete``, ``incomplete``, ``imported`` (it became an import)
    or ``invalid``."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        offset: int | None = None,
        code: str = "invalid",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.offset = offset
        self.code = code


@dataclass
class StagedUpload:
    """An upload in the staging area: who sent it, the file's name and declared size, its
    SHA-256 once complete, and the import it became once started."""

    upload_id: str
    user_id: int
    name: str
    size: int
    created_at: str
    sha256: str = ""
    batch_id: int | None = None

    @property
    def directory(self) -> Path:
        return uploads_root() / self.upload_id

    @property
    def data_path(self) -> Path:
        """Where the bytes are received, under the file's own (made safe) name: what the
        readers say about the file then names the operator's file."""
        safe = _UNSAFE_NAME.sub("_", self.name).strip("._") or "upload"
        return self.directory / "file" / safe[:150]

    @property
    def received(self) -> int:
        """Bytes received so far (the offset the next part must start at)."""
        try:
            return self.data_path.stat().st_size
        except FileNotFoundError:
            return self.size if self.sha256 else 0

    @property
    def is_complete(self) -> bool:
        return bool(self.sha256)

    @property
    def created(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at)


def uploads_root() -> Path:
    return Path(settings.VAR_DIR) / "uploads"


def _save(upload: StagedUpload) -> None:
    """Write the upload's description atomically (a reader never sees half a file)."""
    target = upload.directory / "meta.json"
    scratch = upload.directory / "meta.json.new"
    scratch.write_text(json.dumps(asdict(upload)), encoding="utf-8")
    os.replace(scratch, target)


@contextlib.contextmanager
def upload_locked(upload: StagedUpload) -> Iterator[StagedUpload]:
    """Hold the upload's lock (parts, the finish and the start of one upload run one at a
    time, whichever process serves them) and yield its current state."""
    with (upload.directory / "lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield _load(upload.directory)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load(directory: Path) -> StagedUpload:
    data = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    return StagedUpload(**data)


def upload_get(*, upload_id: str, user: Any) -> StagedUpload:
    """The user's upload ``upload_id``; :class:`UploadError` (404) for anyone else's or an
    unknown one."""
    if not _UPLOAD_ID.match(upload_id):
        raise UploadError("No such upload.", status=404)
    try:
        upload = _load(uploads_root() / upload_id)
    except (FileNotFoundError, ValueError, TypeError) as error:
        raise UploadError("No such upload.", status=404) from error
    if upload.user_id != user.pk:
        raise UploadError("No such upload.", status=404)
    return upload


def uploads_of(user: Any) -> list[StagedUpload]:
    """The user's uploads not yet imported, newest first."""
    root = uploads_root()
    if not root.is_dir():
        return []
    found = []
    for directory in root.iterdir():
        try:
            upload = _load(directory)
        except (FileNotFoundError, NotADirectoryError, ValueError, TypeError):
            continue
        if upload.user_id == user.pk and upload.batch_id is None:
            found.append(upload)
    return sorted(found, key=lambda upload: upload.created_at, reverse=True)


def uploads_purge(*, older_than_seconds: int = KEEP_SECONDS) -> int:
    """Remove uploads untouched for ``older_than_seconds``; return how many."""
    root = uploads_root()
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_seconds
    removed = 0
    for directory in root.iterdir():
        try:
            touched = max(
                (p.stat().st_mtime for p in directory.rglob("*") if p.is_file()),
                default=directory.stat().st_mtime,
            )
        except (FileNotFoundError, NotADirectoryError):
            continue
        if touched < cutoff:
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
    return removed


def _check_name_and_size(name: str, size: int) -> str:
    name = Path(name.replace("\\", "/")).name.strip()
    if not name:
        raise UploadError("The file needs a name.")
    if size <= 0:
        raise UploadError("The file is empty: there is nothing to import.")
    if size > FILE_MAX_BYTES:
        raise UploadError(
            f"The file has {size:,} bytes; at most {FILE_MAX_BYTES:,} are accepted here. "
            "Import it with manage.py ingest instead."
        )
    root = uploads_root()
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if free < size + FREE_MARGIN_BYTES:
        raise UploadError(
            f"The server has {free:,} bytes free for uploads; this file needs {size:,}. "
            "Ask an administrator to make room.",
            status=507,
        )
    return name[:255]


def upload_create(*, user: Any, name: str, size: int) -> StagedUpload:
    """Open a new upload of ``size`` bytes called ``name`` for ``user``."""
    name = _check_name_and_size(name, size)
    uploads_purge()
    upload = StagedUpload(
        upload_id=secrets.token_hex(16),
        user_id=user.pk,
        name=name,
        size=size,
        created_at=dt.datetime.now(dt.UTC).isoformat(),
    )
    upload.data_path.parent.mkdir(parents=True)
    upload.data_path.touch()
    _save(upload)
    return upload


def _read_exactly(stream: Readable, length: int) -> Iterator[bytes]:
    """``length`` bytes of ``stream`` in blocks; :class:`UploadError` if it ends early."""
    left = length
    while left:
        block = stream.read(min(BLOCK_BYTES, left))
        if not block:
            raise UploadError(
                f"The part ended after {length - left:,} of its {length:,} bytes; send it again."
            )
        left -= len(block)
        yield block


def upload_append(*, upload: StagedUpload, offset: int, length: int, stream: Readable) -> int:
    """Write the part of ``length`` bytes read from ``stream`` at ``offset``; return the bytes
    now received. Bytes already received are compared, not rewritten (a retried part)."""
    if length <= 0:
        raise UploadError("The part is empty.")
    if length > PART_MAX_BYTES:
        raise UploadError(f"A part may have at most {PART_MAX_BYTES:,} bytes, not {length:,}.")
    with upload_locked(upload) as current:
        if current.is_complete:
            raise UploadError(
                "This upload is complete; it takes no more parts.", status=409, code="complete"
            )
        received = current.received
        if offset < 0 or offset > received:
            raise UploadError(
                f"The part starts at byte {offset:,} but the server holds {received:,} bytes; "
                f"continue from byte {received:,}.",
                status=409,
                offset=received,
                code="offset",
            )
        if offset + length > current.size:
            raise UploadError(
                f"The part ends at byte {offset + length:,}, past the file's declared size of "
                f"{current.size:,} bytes.",
                offset=received,
            )
        with current.data_path.open("r+b") as data:
            data.seek(offset)
            position = offset
            for block in _read_exactly(stream, length):
                keep = max(0, min(len(block), received - position))
                # Already received (a retried part): the bytes must be the same ones.
                if keep and data.read(keep) != block[:keep]:
                    raise UploadError(
                        f"The bytes at {position:,} differ from those received before: "
                        "this is another file. Start a new upload.",
                        status=409,
                        offset=received,
                        code="mismatch",
                    )
                if keep < len(block):
                    data.seek(position + keep)
                    data.write(block[keep:])
                position += len(block)
        return current.received


def upload_complete(*, upload: StagedUpload) -> StagedUpload:
    """Mark the upload complete once every byte is in; compute its SHA-256 (one read)."""
    with upload_locked(upload) as current:
        if current.is_complete:
            return current
        received = current.received
        if received != current.size:
            raise UploadError(
                f"The server holds {received:,} of the file's {current.size:,} bytes; "
                "send the rest first.",
                status=409,
                offset=received,
                code="incomplete",
            )
        digest = hashlib.sha256()
        with current.data_path.open("rb") as data:
            while block := data.read(BLOCK_BYTES):
                digest.update(block)
        current.sha256 = digest.hexdigest()
        _save(current)
        return current


def upload_from_file(*, user: Any, uploaded: Any) -> StagedUpload:
    """Stage a whole file posted in one request (a form without JavaScript): Django has
    spooled it to a temporary file beyond FILE_UPLOAD_MAX_MEMORY_SIZE; it is moved, not
    copied, when it can be."""
    upload = upload_create(user=user, name=uploaded.name or "upload", size=uploaded.size or 0)
    temporary = getattr(uploaded, "temporary_file_path", None)
    if temporary is not None:
        file_move_safe(temporary(), str(upload.data_path), allow_overwrite=True)
        with contextlib.suppress(FileNotFoundError):
            uploaded.close()  # its temporary file has moved: nothing left to delete
    else:
        with upload.data_path.open("wb") as data:
            for block in uploaded.chunks(BLOCK_BYTES):
                data.write(block)
    return upload_complete(upload=upload)


def upload_discard(*, upload: StagedUpload) -> None:
    """Remove the upload and its bytes; :class:`UploadError` (409) once its import started.
    Under the upload's lock, as a start: a start at the same moment either ends first (the
    discard is then refused) or no longer finds the upload."""
    with upload_locked(upload) as current:
        if current.batch_id is not None:
            raise UploadError(
                f"The upload of {current.name} became import {current.batch_id}; "
                "it can no longer be discarded.",
                status=409,
                code="imported",
            )
        shutil.rmtree(upload.directory, ignore_errors=True)


def upload_mark_imported(*, upload: StagedUpload, batch_id: int) -> None:
    """Record the import the upload became and drop its bytes (they are in the landing zone
    now); the description stays, so that a repeated start finds the import. Call it holding
    the upload's lock."""
    upload.batch_id = batch_id
    _save(upload)
    upload.data_path.unlink(missing_ok=True)
