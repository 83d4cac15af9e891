"""Byte streams of a file, decompressed on the fly (gzip, bzip2, xz, zip), and magic bytes.

A `ByteSource` knows how to open its stream afresh, so a reader can sample the beginning
(encoding, delimiter, header) and later stream the whole file from the start again.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from .base import SourceError

# What reading a (decompressed) stream raises when the file is damaged or truncated.
READ_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError)

# Refuse a zip whose members promise more than this in total (an xlsx's XML is parsed, and its
# shared strings are held in memory: a real workbook never comes near this).
ZIP_TOTAL_LIMIT = 4 * 1024**3
# ... or one member that expands more than ZIP_RATIO_LIMIT times and is larger than
# ZIP_RATIO_MIN_SIZE: real sheets and CSVs compress 5-30 times; deflate cannot exceed ~1030.
ZIP_RATIO_LIMIT = 200
ZIP_RATIO_MIN_SIZE = 64 * 1024**2

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
XZ_MAGIC = b"\xfd7zXZ\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a file entry first, or an empty archive
SQLITE_MAGIC = b"SQLite format 3\x00"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (also .doc, .msg: xlrd tells them apart)

# Things that are certainly not a data file, with a name a person recognises.
_EXECUTABLE_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "a Linux executable (ELF)"),
    (b"\xfe\xed\xfa\xce", "a macOS executable (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "a macOS executable (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "a macOS executable (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a macOS universal executable or a Java class file"),
    (b"#!", "a script"),
)
_OTHER_FORMAT_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"PAR1", "a Parquet file"),
    (b"\x00asm", "a WebAssembly module"),
)


def refuse_non_data(head: bytes, name: str) -> None:
    """Raise SourceError when `head` (the first bytes) shows an executable or a known non-data
    format."""
    for magic, what in _EXECUTABLE_MAGICS:
        if head.startswith(magic):
            raise SourceError(
                f"{name} is not a data file: it looks like {what}. Check that the right file "
                "was uploaded (renaming a file does not change what it is)."
            )
    # "MZ" alone could begin a CSV header; a Windows executable has NUL bytes right after it
    if head.startswith(b"MZ") and b"\x00" in head[:64]:
        raise SourceError(
            f"{name} is not a data file: it looks like a Windows executable (MZ/PE). Check "
            "that the right file was uploaded (renaming a file does not change what it is)."
        )
    for magic, what in _OTHER_FORMAT_MAGICS:
        if head.startswith(magic):
            raise SourceError(
                f"{name} is not a data file this importer reads: it looks like {what}. "
                "Export the data as CSV, XLSX, a SQLite database or a MySQL dump."
            )


def compression_of(head: bytes) -> str | None:
    """'gzip', 'bzip2', 'xz', 'zip' or None, from the first bytes of a file."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(BZIP2_MAGIC) and head[3:4].isdigit():
        return "bzip2"
    if head.startswith(XZ_MAGIC):
        return "xz"
    if head.startswith(ZIP_MAGICS):
        return "zip"
    return None


def check_zip_bomb(archive: zipfile.ZipFile, name: str, *, check_total: bool) -> None:
    """Refuse an archive whose central directory promises an absurd expansion.

    Python's zipfile stops a member at its declared size (and then fails its CRC check), so the
    declared sizes bound what decompression can produce: checking them is enough.
    """
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_MIN_SIZE and ratio > ZIP_RATIO_LIMIT:
            raise SourceError(
                f"{name} looks like a zip bomb: its member {info.filename!r} expands "
                f"{ratio:,.0f} times ({info.compress_size:,} bytes to {info.file_size:,}); "
                f"refused (limit {ZIP_RATIO_LIMIT}:1 above {ZIP_RATIO_MIN_SIZE:,} bytes)."
            )
    if check_total and total > ZIP_TOTAL_LIMIT:
        raise SourceError(
            f"{name} looks like a zip bomb: its members add up to {total:,} bytes uncompressed "
            f"(limit {ZIP_TOTAL_LIMIT:,}); refused."
        )


def data_members(archive: zipfile.ZipFile) -> list[str]:
    """The archive's file members, without folders and macOS / dot-file clutter."""
    return [
        info.filename
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and not Path(info.filename).name.startswith(".")
    ]


@dataclass(frozen=True)
class ByteSource:
    """A file's (decompressed) byte stream, opened afresh by `open()`."""

    path: Path
    compression: str | None = None  # None, "gzip", "bzip2", "xz" or "zip"
    member: str | None = None  # the zip member read, when compression == "zip"

    @property
    def name(self) -> str:
        """How messages name the stream: the file, and the member of a zip."""
        if self.member is not None:
            return f"{self.path.name} (member {self.member})"
        return self.path.name

    def open(self) -> IO[bytes]:
        """The decompressed stream from its first byte; the caller closes it."""
        try:
            if self.compression is None:
                return open(self.path, "rb", buffering=1 << 20)
            # the decompressing files are binary streams; typeshed does not say so
            if self.compression == "gzip":
                return cast(IO[bytes], gzip.open(self.path, "rb"))
            if self.compression == "bzip2":
                return cast(IO[bytes], bz2.open(self.path, "rb"))
            if self.compression == "xz":
                return cast(IO[bytes], lzma.open(self.path, "rb"))
            if self.compression == "zip":
                # the member keeps the archive's file open until the member itself is closed
                with zipfile.ZipFile(self.path) as archive:
                    return archive.open(self.member or "")
        except (OSError, zipfile.BadZipFile, lzma.LZMAError) as error:
            raise SourceError(f"{self.name} cannot be opened: {error}") from error
        raise ValueError(f"unknown compression {self.compression!r}")

    def read_head(self, size: int) -> bytes:
        """Up to `size` bytes from the start of the (decompressed) stream."""
        with self.open() as stream:
            try:
                return read_fully(stream, size)
            except READ_ERRORS as error:
                raise SourceError(
                    f"{self.name} cannot be decompressed: {error}. The file is damaged or "
                    "truncated; upload it again."
                ) from error


def read_fully(stream: IO[bytes], size: int) -> bytes:
    """Read until `size` bytes or the end of the stream (one read() may return less)."""
    parts = []
    remaining = size
    while remaining > 0:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def open_byte_source(path: Path, head: bytes, member: str | None) -> ByteSource:
    """The ByteSource of `path`: its compression from `head`, and for a zip the one member
    holding data (or the `member` asked for)."""
    compression = compression_of(head)
    if compression != "zip":
        if member is not None:
            raise SourceError(f"member={member!r} was given, but {path.name} is not a zip archive")
        return ByteSource(path, compression)
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip_bomb(archive, path.name, check_total=False)
            members = data_members(archive)
    except zipfile.BadZipFile as error:
        raise SourceError(f"{path.name} is a damaged zip archive: {error}") from error
    if member is not None:
        if member not in members:
            raise SourceError(
                f"{path.name} has no member {member!r}; its members are: {', '.join(members)}"
            )
        return ByteSource(path, "zip", member)
    if not members:
        raise SourceError(f"{path.name} is a zip archive with no file in it")
    if len(members) > 1:
        listed = ", ".join(members[:20]) + (" ..." if len(members) > 20 else "")
        raise SourceError(
            f"{path.name} is a zip archive of {len(members)} files ({listed}); choose the one "
            "to read with member=..."
        )
    return ByteSource(path, "zip", members[0])
