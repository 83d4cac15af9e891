"""Streaming readers of every source kind, behind one interface (plain Python, no Django).

    with open_source(path_or_url, table=..., sheet=...) as reader:
        reader.columns        # ("owner_id", "owner_name", ...): the header, made unique
        reader.description    # what was detected: kind, encoding, delimiter, table, ...
        reader.skip_to(n)     # optional: resume after row n
        for item in reader:   # SourceRow | RowError, numbered 1, 2, 3... in source order
            ...

Kinds (detected from the content, never the file name; ``source_type=`` forces one):

=========== ===================================================================================
csv         CSV / TSV / pipe / semicolon text; encoding from a BOM or the first non-ASCII bytes
            (UTF-8, else cp1252); delimiter detected among , TAB ; | ; gzip, bzip2, xz and
            one-member zip decompressed on the fly (``member=`` picks one of several).
xlsx        Excel 2007+ workbooks, sheet XML streamed through expat (DOCTYPE refused, so no
            entity bomb or XXE; defusedxml for the small parts; zip-bomb checks first); all
            worksheets or ``sheet=``; cached formula values, never evaluated.
xls         Excel 97-2003 workbooks (xlrd).
sqlite      SQLite database files, read-only: ``table=`` (default: the only table) or a
            ``query=`` (anything but reading is refused by an authorizer).
mysql       A live server, ``mysql://user:password@host:port/database``: ``table=`` or
            ``query=``, streamed by a server-side cursor in a read-only transaction;
            ``cursor_column=`` / ``cursor_after=`` for incremental pulls.
mysql_dump  A mysqldump ``.sql`` file (plain or compressed): INSERT statements parsed as data,
            no statement ever executed; ``table=`` (default: the only table with INSERTs).
=========== ===================================================================================

What every reader promises (the engine relies on it):

- Nothing is dropped silently. A row that cannot be read is yielded as a `RowError` (with its
  raw text verbatim, undecodable bytes as ``\\xNN``) in its place in the numbering; a source
  that cannot be read at all raises `SourceError` with a message saying what to do. Blank
  rows (no value, or only whitespace) are not data: skipped, not numbered.
- ``number`` is the 1-based ordinal among the rows and row errors of one read, stable across
  re-reads of the same source with the same options (files: source order; SQLite tables:
  rowid order; MySQL tables: primary-key order; a query: its ORDER BY, so give it one).
- Values are text or None, never altered (no stripping); None is SQL NULL or an empty
  spreadsheet cell (a CSV has no NULL: an empty field is ""). Numbers from spreadsheets and
  SQLite REAL: integral ones without ".0"; dates ISO-8601; booleans "TRUE" / "FALSE" from
  spreadsheets. MySQL and dump values are the server's / the dump's own text.
- Memory is constant in the source's size (an xlsx's shared strings excepted).
- A damaged or truncated file raises SourceError where the damage is met (the rows before it
  were yielded); a lost MySQL connection raises SourceError("... lost after N rows ..."):
  the engine keeps its committed chunks and resumes with `skip_to` (or ``cursor_after=``).
- `skip_to(n)` resumes after row n: files re-read and skip (cheap: no row objects are built),
  SQLite and MySQL skip in the database (OFFSET). MySQL incremental pulls resume with
  ``cursor_after=<last committed cursor value>`` instead, numbering from 1 again.
"""

from .base import (
    BINARY_VALUE,
    FIELD_TOO_LARGE,
    INVALID_ENCODING,
    MALFORMED_ROW,
    RAGGED_ROW,
    SOURCE_TYPES,
    UNSUPPORTED_STATEMENT,
    RowError,
    SourceError,
    SourceReader,
    SourceRow,
)
from .detection import open_source

__all__ = [
    "BINARY_VALUE",
    "FIELD_TOO_LARGE",
    "INVALID_ENCODING",
    "MALFORMED_ROW",
    "RAGGED_ROW",
    "SOURCE_TYPES",
    "UNSUPPORTED_STATEMENT",
    "RowError",
    "SourceError",
    "SourceReader",
    "SourceRow",
    "open_source",
]
