"""Streaming writers: each consumes an iterator of row tuples and writes one file.

All writers produce byte-identical output for identical input (no timestamps, fixed zip
metadata for the xlsx) and never hold more than one batch of rows in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path

from .sources import SourceDef

MYSQL_ROWS_PER_INSERT = 1000
SQLITE_ROWS_PER_BATCH = 5000

# mysql_real_escape_string, as mysqldump applies it
_MYSQL_ESCAPES = str.maketrans(
    {
        "\0": "\\0",
        "\n": "\\n",
        "\r": "\\r",
        "\\": "\\\\",
        "'": "\\'",
        '"': '\\"',
        "\x1a": "\\Z",
    }
)


def mysql_literal(value: object) -> str:
    """``value`` as mysqldump writes it in an INSERT: NULL, a bare integer or a quoted string."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).translate(_MYSQL_ESCAPES) + "'"


_MYSQL_COLUMN_TYPES = {
    "owner_id": "int(11) NOT NULL AUTO_INCREMENT",
    "owner_name": "varchar(255) DEFAULT NULL",
    "mail_addr1": "varchar(255) DEFAULT NULL",
    "mail_city": "varchar(100) DEFAULT NULL",
    "mail_state": "varchar(30) DEFAULT NULL",
    "mail_zip": "varchar(10) DEFAULT NULL",
    "county": "varchar(100) DEFAULT NULL",
    "phone_1": "varchar(30) DEFAULT NULL",
    "phone_2": "varchar(30) DEFAULT NULL",
    "email": "varchar(255) DEFAULT NULL",
    "lead_status": "varchar(30) DEFAULT NULL",
    "created_at": "datetime DEFAULT NULL",
    "updated_at": "datetime DEFAULT NULL",
}

_DUMP_HEADER = """\
-- MySQL dump 10.13  Distrib 5.7.42, for Linux (x86_64)
--
-- Host: 10.20.0.14    Database: mineral_crm
-- ------------------------------------------------------
-- Server version\t5.7.42-log

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `{table}`
--

DROP TABLE IF EXISTS `{table}`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8 */;
CREATE TABLE `{table}` (
{columns}
  PRIMARY KEY (`{key}`),
  KEY `idx_owner_name` (`owner_name`),
  KEY `idx_mail_zip` (`mail_zip`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `{table}`
--

LOCK TABLES `{table}` WRITE;
/*!40000 ALTER TABLE `{table}` DISABLE KEYS */;
"""

_DUMP_FOOTER = """\
/*!40000 ALTER TABLE `{table}` ENABLE KEYS */;
UNLOCK TABLES;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2019-07-01  2:14:07
"""


def write_mysql_dump(path: Path, source: SourceDef, rows: Iterable[tuple]) -> None:
    """A mysqldump file: schema, then extended INSERTs of :data:`MYSQL_ROWS_PER_INSERT` rows."""
    table = source.table
    columns = "\n".join(f"  `{column}` {_MYSQL_COLUMN_TYPES[column]}," for column in source.columns)
    prefix = f"INSERT INTO `{table}` VALUES "  # noqa: S608 (text written to a file, never run)
    with open(path, "w", encoding="utf-8", newline="\n") as dump_file:
        dump_file.write(_DUMP_HEADER.format(table=table, columns=columns, key=source.key_column))
        remaining_rows = iter(rows)
        while True:
            batch = list(islice(remaining_rows, MYSQL_ROWS_PER_INSERT))
            if not batch:
                break
            dump_file.write(prefix)
            dump_file.write(
                ",".join("(" + ",".join(map(mysql_literal, row)) + ")" for row in batch)
            )
            dump_file.write(";\n")
        dump_file.write(_DUMP_FOOTER.format(table=table))


def write_sqlite(path: Path, source: SourceDef, rows: Iterable[tuple]) -> None:
    """A fresh SQLite file with one table (and an index on ``LastName``), filled in batches."""
    if path.exists():
        path.unlink()
    columns = source.columns
    column_declarations = ",\n  ".join(
        ["id INTEGER PRIMARY KEY"]
        + [
            f"{column} {'VARCHAR(50)' if column != 'LastModified' else 'TEXT'}"
            for column in columns[1:]
        ]
    )
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # a throw-away file written once: durability would only cost time
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        # identifiers below are this module's constants, never user input
        table = source.table
        connection.execute(f"CREATE TABLE {table} (\n  {column_declarations}\n)")
        connection.execute(f"CREATE INDEX idx_{table}_lastname ON {table} (LastName)")
        insert = f"INSERT INTO {table} VALUES ({','.join('?' * len(columns))})"  # noqa: S608
        remaining_rows = iter(rows)
        connection.execute("BEGIN")
        while True:
            batch = list(islice(remaining_rows, SQLITE_ROWS_PER_BATCH))
            if not batch:
                break
            connection.executemany(insert, batch)
        connection.execute("COMMIT")
    finally:
        connection.close()


def write_delimited(path: Path, source: SourceDef, rows: Iterable[tuple]) -> None:
    """A CSV / TSV file in the source's encoding, delimiter, line terminator and quoting."""
    with open(path, "w", encoding=source.encoding, newline="", errors="strict") as out_file:
        if source.quoting == "none":
            # plain TSV, no quoting: the generator never puts tabs or newlines in a field
            line_terminator = source.line_terminator
            delimiter = source.delimiter
            out_file.write(delimiter.join(source.columns) + line_terminator)
            for row in rows:
                out_file.write(delimiter.join(map(str, row)) + line_terminator)
            return
        writer = csv.writer(
            out_file,
            delimiter=source.delimiter,
            lineterminator=source.line_terminator,
            quoting=csv.QUOTE_MINIMAL,
        )
        writer.writerow(source.columns)
        writer.writerows(rows)


# ---------------------------------------------------------------------------------------------
# xlsx

FIXED_ZIP_TIME = (2025, 10, 1, 8, 0, 0)
FIXED_DOCUMENT_TIME = dt.datetime(2025, 10, 1, 8, 0, 0)

NOTES_LINES = (
    "Lead list Q3 2025 - exported from LeadPro (vendor file #LP-2025-0931)",
    "Leads are on the 'Leads' sheet. Phone/ZIP columns were reformatted by the vendor.",
    "Do NOT mail anyone flagged DNC in the CRM. Dedupe against legacy owners before upload.",
    "Questions: data team",
)


class _DeterministicZipFile(zipfile.ZipFile):
    """ZipFile that stamps every member with a fixed time so the xlsx bytes are reproducible."""

    def _fixed_info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16  # fixed permissions: the umask must not leak in
        return info

    # parameter names as in zipfile.ZipFile, which callers may pass by keyword
    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: str | bytes,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._fixed_info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self,
        filename: str | os.PathLike[str],
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        info = self._fixed_info(arcname or os.path.basename(filename))
        info.file_size = os.path.getsize(filename)
        with open(filename, "rb") as member_source, self.open(info, "w") as member_target:
            shutil.copyfileobj(member_source, member_target, 1 << 20)


def write_xlsx(path: Path, source: SourceDef, rows: Iterable[tuple]) -> None:
    """A workbook with the data sheet and a text-only ``Notes`` sheet, with fixed metadata."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    # write-only mode streams rows to a temporary file instead of holding them all
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "LeadPro Export"
    workbook.properties.lastModifiedBy = "LeadPro Export"
    workbook.properties.created = FIXED_DOCUMENT_TIME
    workbook.properties.modified = FIXED_DOCUMENT_TIME
    leads = workbook.create_sheet(source.sheet)
    leads.append(list(source.columns))
    for row in rows:
        leads.append(row)
    notes = workbook.create_sheet("Notes")
    for line in NOTES_LINES:
        notes.append([line])
    archive = _DeterministicZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(workbook, archive).save()


Writer = Callable[[Path, SourceDef, Iterable[tuple]], None]

WRITERS: dict[str, Writer] = {
    "mysql_dump": write_mysql_dump,
    "sqlite": write_sqlite,
    "delimited": write_delimited,
    "xlsx": write_xlsx,
}
