"""`open_source()`: what a source is, from its content (never its name), and its reader."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from .base import SOURCE_TYPES, SourceError, SourceReader
from .delimited import ENCODING_SAMPLE_BYTES, DelimitedReader
from .mysql import MysqlReader
from .mysql_dump import MysqlDumpReader
from .spreadsheet import XlsReader, XlsxReader
from .sqlite import SqliteReader
from .streams import (
    OLE2_MAGIC,
    SQLITE_MAGIC,
    ZIP_MAGICS,
    ByteSource,
    compression_of,
    open_byte_source,
    refuse_non_data,
)

HEAD_BYTES = 64 * 1024  # what kind detection looks at
# Text has (almost) no control bytes; random or binary data has ~10 % of them.
BINARY_CONTROL_SHARE = 0.01
_CONTROL_BYTES = bytes(
    byte for byte in range(32) if byte not in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1A, 0x1B)
)
_SQL_DUMP_START = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:\s+|;|--[^\n]*\n|/\*.*?\*/|\#[^\n]*\n)*"
    rb"(?:CREATE|INSERT|REPLACE|DROP|SET|LOCK|USE|START|BEGIN|DELIMITER|ALTER)\s",
    re.IGNORECASE | re.DOTALL,
)
_SQL_DUMP_TOOL = re.compile(
    rb"^-- (?:MySQL dump|MariaDB dump|phpMyAdmin SQL Dump)", re.IGNORECASE | re.MULTILINE
)
_SQL_DUMP_STATEMENT = re.compile(rb"\bINSERT\s+INTO\b|\bCREATE\s+TABLE\b", re.IGNORECASE)
_MYSQL_URL = re.compile(r"^(?:mysql|mariadb)://", re.IGNORECASE)

# Which open_source() options mean something for which kind.
_OPTIONS = {
    "csv": {"encoding", "delimiter", "member"},
    "mysql_dump": {"encoding", "member", "table"},
    "xlsx": {"sheet"},
    "xls": {"sheet"},
    "sqlite": {"table", "query"},
    "mysql": {"table", "query", "cursor_column", "cursor_after"},
}


def open_source(
    source: str | os.PathLike[str],
    *,
    source_type: str | None = None,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    member: str | None = None,
    cursor_column: str | None = None,
    cursor_after: str | None = None,
) -> SourceReader:
    """The reader of `source`: a file path (kind detected from its bytes) or a mysql:// URL.

    ``source_type`` forces the kind (one of SOURCE_TYPES); compression is still detected. The
    other options apply to the kinds listed in ``_OPTIONS``; giving one to a source of another
    kind is an error (it would be silently ignored otherwise). Raises SourceError with a
    message for a person when the source cannot be read at all.
    """
    if source_type is not None and source_type not in SOURCE_TYPES:
        raise SourceError(
            f"unknown source_type {source_type!r}; choose one of {', '.join(SOURCE_TYPES)}"
        )
    options = {
        "sheet": sheet,
        "table": table,
        "query": query,
        "encoding": encoding,
        "delimiter": delimiter,
        "member": member,
        "cursor_column": cursor_column,
        "cursor_after": cursor_after,
    }
    if isinstance(source, str) and _MYSQL_URL.match(source):
        if source_type not in (None, "mysql"):
            raise SourceError(f"a mysql:// URL is a live MySQL source, not {source_type}")
        _check_options("mysql", options)
        return MysqlReader(
            source,
            table=table,
            query=query,
            cursor_column=cursor_column,
            cursor_after=cursor_after,
        )
    if source_type == "mysql":
        raise SourceError("source_type='mysql' needs a mysql://user:password@host:port/db URL")

    path = Path(source)
    if not path.exists():
        raise SourceError(f"{path} does not exist")
    if not path.is_file():
        raise SourceError(f"{path} is not a regular file")
    if path.stat().st_size == 0:
        raise SourceError(
            f"{path.name} is empty (0 bytes): there is nothing to import. The export or the "
            "upload probably failed; produce the file again."
        )
    with open(path, "rb") as file:
        head = file.read(HEAD_BYTES)
    refuse_non_data(head, path.name)

    kind = source_type
    byte_source: ByteSource | None = None
    text_head = b""
    if kind is None or kind in ("csv", "mysql_dump"):
        if kind is None:
            kind = _container_kind(path, head)
        if kind is None or kind in ("csv", "mysql_dump"):
            byte_source = open_byte_source(path, head, member)
            text_head = byte_source.read_head(ENCODING_SAMPLE_BYTES)
            if kind is None:
                kind = _text_kind(byte_source, text_head, encoding)
    _check_options(kind, options)

    if kind == "csv":
        if byte_source is None:  # set above for every text kind; for the type checker
            raise AssertionError("text source without a byte stream")
        return DelimitedReader(byte_source, head=text_head, encoding=encoding, delimiter=delimiter)
    if kind == "mysql_dump":
        if byte_source is None:
            raise AssertionError("text source without a byte stream")
        return MysqlDumpReader(byte_source, table=table, encoding=encoding)
    if kind == "xlsx":
        return XlsxReader(path, sheet=sheet)
    if kind == "xls":
        return XlsReader(path, sheet=sheet)
    return SqliteReader(path, table=table, query=query)


def _check_options(kind: str, options: dict[str, str | None]) -> None:
    given = {name for name, value in options.items() if value is not None}
    unexpected = sorted(given - _OPTIONS[kind])
    if unexpected:
        raise SourceError(
            f"option {', '.join(unexpected)} does not apply to this source: it is {kind} "
            f"(options for {kind}: {', '.join(sorted(_OPTIONS[kind]))})"
        )


def _container_kind(path: Path, head: bytes) -> str | None:
    """'sqlite', 'xls', 'xlsx' from the magic bytes, or None for (possibly compressed) text."""
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(OLE2_MAGIC):
        return "xls"
    if head.startswith(ZIP_MAGICS):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile as error:
            raise SourceError(f"{path.name} is a damaged zip archive: {error}") from error
        if "[Content_Types].xml" in names:
            if "xl/workbook.bin" in names:
                raise SourceError(
                    f"{path.name} is a binary Excel workbook (.xlsb); save it as .xlsx"
                )
            if any(name.startswith("xl/") for name in names):
                return "xlsx"
            raise SourceError(
                f"{path.name} is an Office document but not a workbook (Word, PowerPoint?): "
                "not a data file"
            )
        if "mimetype" in names and "content.xml" in names:
            raise SourceError(
                f"{path.name} is an OpenDocument file (LibreOffice); save it as .xlsx or CSV"
            )
    return None


def _text_kind(byte_source: ByteSource, text_head: bytes, encoding: str | None) -> str:
    """'mysql_dump' or 'csv' for a text stream, or SourceError when it is not text at all."""
    name = byte_source.name
    if not text_head:
        raise SourceError(f"{name} is empty after decompression: there is nothing to import")
    if byte_source.compression is not None:
        refuse_non_data(text_head, name)
        inner = compression_of(text_head)
        if text_head.startswith((SQLITE_MAGIC, OLE2_MAGIC)) or inner is not None:
            raise SourceError(
                f"{name} holds a database, a workbook or another archive inside its "
                f"{byte_source.compression} compression; decompress it and import what is inside"
            )
        if len(text_head) > 262 and text_head[257:262] == b"ustar":
            raise SourceError(f"{name} is a tar archive; extract it and import the files in it")
    sample = text_head[:HEAD_BYTES]
    is_utf16 = sample.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        encoding is not None and encoding.lower().replace("_", "-").startswith("utf-16")
    )
    if not is_utf16:
        control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if control > max(2, len(sample) * BINARY_CONTROL_SHARE):
            hint = ""
            if sample.count(b"\x00") > len(sample) // 3:
                hint = (
                    " (if it is UTF-16 text without a byte order mark, give encoding='utf-16-le')"
                )
            raise SourceError(
                f"{name} is not a data file: it is binary, not text ({control} control bytes in "
                f"the first {len(sample):,}){hint}. Export the data as CSV, XLSX, a SQLite "
                "database or a MySQL dump."
            )
    # a dump tool's signature, or SQL statements from the first word on
    if _SQL_DUMP_TOOL.search(sample[:4096]) or (
        _SQL_DUMP_START.match(sample) and _SQL_DUMP_STATEMENT.search(sample)
    ):
        return "mysql_dump"
    return "csv"
