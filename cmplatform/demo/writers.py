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
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from .sources import SourceDef

MYSQL_ROWS_PER_INSERT = 1000
SQLITE_BATCH = 5000

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


def mysql_literal(v: object) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).translate(_MYSQL_ESCAPES) + "'"


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


def write_mysql_dump(path: Path, src: SourceDef, rows: Iterable[tuple]) -> None:
    table = src.table
    columns = "\n".join(f"  `{c}` {_MYSQL_COLUMN_TYPES[c]}," for c in src.columns)
    lit = mysql_literal
    prefix = f"INSERT INTO `{table}` VALUES "  # noqa: S608 (text written to a file, never run)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(_DUMP_HEADER.format(table=table, columns=columns, key=src.key_column))
        it: Iterator[tuple] = iter(rows)
        while True:
            batch = list(islice(it, MYSQL_ROWS_PER_INSERT))
            if not batch:
                break
            out.write(prefix)
            out.write(",".join("(" + ",".join(map(lit, row)) + ")" for row in batch))
            out.write(";\n")
        out.write(_DUMP_FOOTER.format(table=table))


def write_sqlite(path: Path, src: SourceDef, rows: Iterable[tuple]) -> None:
    if path.exists():
        path.unlink()
    cols = src.columns
    decl = ",\n  ".join(
        ["id INTEGER PRIMARY KEY"]
        + [f"{c} {'VARCHAR(50)' if c != 'LastModified' else 'TEXT'}" for c in cols[1:]]
    )
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        # identifiers below are this module's constants, never user input
        con.execute(f"CREATE TABLE {src.table} (\n  {decl}\n)")
        con.execute(f"CREATE INDEX idx_{src.table}_lastname ON {src.table} (LastName)")
        insert = f"INSERT INTO {src.table} VALUES ({','.join('?' * len(cols))})"  # noqa: S608
        it = iter(rows)
        con.execute("BEGIN")
        while True:
            batch = list(islice(it, SQLITE_BATCH))
            if not batch:
                break
            con.executemany(insert, batch)
        con.execute("COMMIT")
    finally:
        con.close()


def write_delimited(path: Path, src: SourceDef, rows: Iterable[tuple]) -> None:
    with open(path, "w", encoding=src.encoding, newline="", errors="strict") as out:
        if src.quoting == "none":
            # plain TSV, no quoting: the generator never puts tabs or newlines in a field
            term = src.line_terminator
            delim = src.delimiter
            out.write(delim.join(src.columns) + term)
            for row in rows:
                out.write(delim.join(map(str, row)) + term)
            return
        writer = csv.writer(
            out,
            delimiter=src.delimiter,
            lineterminator=src.line_terminator,
            quoting=csv.QUOTE_MINIMAL,
        )
        writer.writerow(src.columns)
        writer.writerows(rows)


# ---------------------------------------------------------------------------------------------
# xlsx

FIXED_ZIP_TIME = (2025, 10, 1, 8, 0, 0)
FIXED_DOC_TIME = dt.datetime(2025, 10, 1, 8, 0, 0)

NOTES_LINES = (
    "Lead list Q3 2025 - exported from LeadPro (vendor file #LP-2025-0931)",
    "Leads are on the 'Leads' sheet. Phone/ZIP columns were reformatted by the vendor.",
    "Do NOT mail anyone flagged DNC in the CRM. Dedupe against legacy owners before upload.",
    "Questions: data team",
)


class _DeterministicZipFile(zipfile.ZipFile):
    """ZipFile that stamps every member with a fixed time so the xlsx bytes are reproducible."""

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = self._info(arcname or os.path.basename(filename))
        info.file_size = os.path.getsize(filename)
        with open(filename, "rb") as src, self.open(info, "w") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def write_xlsx(path: Path, src: SourceDef, rows: Iterable[tuple]) -> None:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook(write_only=True)
    wb.properties.creator = "LeadPro Export"
    wb.properties.lastModifiedBy = "LeadPro Export"
    wb.properties.created = FIXED_DOC_TIME
    wb.properties.modified = FIXED_DOC_TIME
    leads = wb.create_sheet(src.sheet)
    leads.append(list(src.columns))
    for row in rows:
        leads.append(row)
    notes = wb.create_sheet("Notes")
    for line in NOTES_LINES:
        notes.append([line])
    archive = _DeterministicZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()


WRITERS = {
    "mysql_dump": write_mysql_dump,
    "sqlite": write_sqlite,
    "delimited": write_delimited,
    "xlsx": write_xlsx,
}
