"""XLSX (own streaming parser, hardened) and XLS (xlrd) readers.

Each sheet's first non-empty row is its header; rows whose cells are all empty are skipped
(not data, no number), so a sheet formatted down to row 1,048,576 costs only the parsing of its
XML. Values become text by one rule set: integral numbers without ".0", dates and times
ISO-8601 (by the cell's number format), booleans "TRUE" / "FALSE", error cells as Excel shows
them ("#N/A"). Formulas are never evaluated: the value Excel cached when it last saved the file
is read (a formula never calculated has none: an empty cell), and a text cell that merely looks
like a formula ("=HYPERLINK(...)", "+1", "@SUM(A1)") is kept verbatim.

Why not openpyxl's read-only mode: it builds descriptor objects for every cell (4,500 rows/s on
the 50,000-row demo lead list) and, when a sheet has no <dimension> element (openpyxl's own
write-only files), parses the whole sheet once more just to open the workbook. This reader
feeds the sheet XML to expat's C parser with a small target object (no tree: 37,000 rows/s on
the same file, constant memory) and keeps openpyxl only for its number-format classification.

Hardening: the zip's central directory is checked for bomb-like sizes first
(`streams.check_zip_bomb`). Every XML part is refused if its prolog has a DOCTYPE: without a
DTD there are no entities, so no billion laughs and no external entities (XXE); the small parts
are parsed by defusedxml with ``forbid_dtd=True``, the big ones (sheets, shared strings) by
expat directly after that check (expat >= 2.4 also caps entity amplification). defusedxml is
installed for openpyxl too, which uses it automatically for the rest of the project.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from .base import (
    RAGGED_ROW,
    RowError,
    SourceError,
    SourceReader,
    SourceRow,
    datetime_text,
    number_text,
    timedelta_text,
    unique_column_names,
)
from .streams import check_zip_bomb

# a row as the sheet parsers give it: (1-based row index, [(1-based column index, text)])
SheetRow = tuple[int, list[tuple[int, str]]]


# <dimension ref="A1:K50001"/> comes before the sheet's data, within its first few hundred bytes.
DIMENSION_HEAD_BYTES = 1 << 16
_DIMENSION = re.compile(
    rb'<(?:[\w.-]+:)?dimension\b[^>]*?\bref="\$?[A-Za-z]+\$?(\d+)(?::\$?[A-Za-z]+\$?(\d+))?"'
)
# What reading a damaged part of the archive raises (zlib.error is not an OSError).
ESTIMATE_READ_ERRORS = (zipfile.BadZipFile, OSError, EOFError, KeyError, zlib.error)
_ROW_START = re.compile(rb"<(?:[\w.-]+:)?row[\s>/]")


def column_letter(index: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_text(value: Any) -> str | None:
    """A cell's Python value as text (None stays None: an empty cell)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return datetime_text(value)
    if isinstance(value, dt.timedelta):
        return timedelta_text(value)
    return str(value)


class _SpreadsheetReader(SourceReader):
    """What XLSX and XLS share: per-sheet headers, blank-row skipping, numbering."""

    # set by the subclasses' constructors
    sheet_names: list[str]
    sheet_columns: dict[str, tuple[str, ...]]

    def _sheet_rows(self, sheet_name: str) -> Iterator[SheetRow]:
        """Every row of the sheet that has at least one non-empty cell, in order."""
        raise NotImplementedError

    def _scan_headers(self) -> bool:
        """Fill `sheet_columns` and `columns`; return whether any sheet has a data row."""
        self.sheet_columns = {}
        self.header_rows: dict[str, int] = {}
        has_rows = False
        for sheet_name in self.sheet_names:
            rows = self._sheet_rows(sheet_name)
            for row_index, cells in rows:
                if sheet_name not in self.sheet_columns:
                    self.header_rows[sheet_name] = row_index
                    self.sheet_columns[sheet_name] = _header(cells)
                    continue
                has_rows = True
                break
            if hasattr(rows, "close"):
                rows.close()
        union: dict[str, None] = {}
        for columns in self.sheet_columns.values():
            union.update(dict.fromkeys(columns))
        self.columns = tuple(union)
        return has_rows

    def __iter__(self) -> Iterator[SourceRow | RowError]:
        number = 0
        resume_after = self.resume_after
        for sheet_name in self.sheet_names:
            columns = self.sheet_columns.get(sheet_name)
            if columns is None:
                continue  # an empty sheet
            width = len(columns)
            header_pending = True
            for row_index, cells in self._sheet_rows(sheet_name):
                if header_pending:
                    header_pending = False
                    continue
                number += 1
                if number <= resume_after:
                    continue
                location = f"sheet {sheet_name} row {row_index}"
                values: list[str | None] = [None] * width
                beyond_header = False
                for column_index, text in cells:
                    if column_index > width:
                        # a stray blank beyond the header is no value; anything else is
                        beyond_header = beyond_header or not text.isspace()
                    else:
                        values[column_index - 1] = text
                if beyond_header:
                    raw = json.dumps(
                        {f"{column_letter(column)}{row_index}": text for column, text in cells},
                        ensure_ascii=False,
                    )
                    yield RowError(
                        number,
                        location,
                        RAGGED_ROW,
                        f"the row has values beyond the header's last column "
                        f"{column_letter(width)} (the header is row "
                        f"{self.header_rows[sheet_name]})",
                        raw,
                    )
                    continue
                yield SourceRow(number, location, dict(zip(columns, values, strict=True)))


def _header(cells: list[tuple[int, str]]) -> tuple[str, ...]:
    width = max(column for column, _ in cells)
    names: list[str | None] = [None] * width
    for column, text in cells:
        names[column - 1] = text
    return unique_column_names(names)


def _non_empty(cells: Iterable[tuple[int, str | None]]) -> list[tuple[int, str]]:
    """The cells that hold something; a whitespace-only cell counts as empty for this test."""
    kept = [(column, text) for column, text in cells if text is not None]
    if any(text.strip() for _, text in kept):
        return kept
    return []


class XlsxReader(_SpreadsheetReader):
    """Rows of an .xlsx / .xlsm workbook: all worksheets in order, or the one named `sheet`.

    ``columns`` is the union of the sheets' headers (in order of appearance); each row's
    ``values`` holds its own sheet's columns. A value in a column right of the header's last
    one makes its row a RowError ``ragged_row`` (a blank there is ignored). Locations are
    "sheet Leads row 5" (the Excel row number). The shared-strings table is held in memory
    (as in every xlsx reader); sheets are streamed, no XML tree is built.
    """

    kind = "xlsx"

    def __init__(self, path: Path, *, sheet: str | None = None) -> None:
        super().__init__()
        self.path = path
        try:
            self._archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise SourceError(f"{path.name} is a damaged xlsx (zip) file: {error}") from error
        try:
            check_zip_bomb(self._archive, path.name, check_total=True)
            self._read_structure()
            worksheets = list(self._sheet_parts)
            if sheet is not None and sheet not in self._sheet_parts:
                raise SourceError(
                    f"{path.name} has no sheet {sheet!r}; its sheets are: {', '.join(worksheets)}"
                )
            self.sheet_names = [sheet] if sheet is not None else worksheets
            has_rows = self._scan_headers()
        except BaseException:
            self.close()
            raise
        self.description = {
            "kind": self.kind,
            "file": path.name,
            "sheets": {name: list(columns) for name, columns in self.sheet_columns.items()},
            "header_rows": self.header_rows,
            "all_sheets": worksheets,
            "empty_sheets": [name for name in self.sheet_names if name not in self.sheet_columns],
            "epoch": "1904" if self._epoch.year == 1904 else "1900",
            "header_only": not has_rows,
            "columns": list(self.columns),
        }

    def close(self) -> None:
        self._archive.close()

    def estimate_rows(self) -> int | None:
        """The rows below each read sheet's header: from the used range its ``<dimension>``
        element gives (formatted empty rows make it high) or, for a sheet written without one,
        from counting its ``<row>`` elements (one pass over the compressed part, no parsing)."""
        total = 0
        try:
            for name in self.sheet_names:
                if name not in self.header_rows:
                    continue  # an empty sheet
                part = self._sheet_parts[name]
                last = self._last_row(part)
                if last is not None:
                    total += max(last - self.header_rows[name], 0)
                else:
                    total += max(self._row_elements(part) - 1, 0)
        except ESTIMATE_READ_ERRORS:
            return None  # a damaged part: the read itself reports it, row by row up to there
        return total

    def _last_row(self, part: str) -> int | None:
        """The last row of the sheet's used range, from the head of its XML."""
        with self._archive.open(part) as stream:
            head = stream.read(DIMENSION_HEAD_BYTES)
        found = _DIMENSION.search(head)
        if found is None:
            return None
        return int(found.group(2) or found.group(1))

    def _row_elements(self, part: str) -> int:
        rows, carry = 0, b""
        with self._archive.open(part) as stream:
            while block := stream.read(1 << 20):
                text = carry + block
                # a tag cut by the block's end is counted with the next block
                cut = text.rfind(b"<")
                if cut >= 0 and b">" not in text[cut:]:
                    text, carry = text[:cut], text[cut:]
                else:
                    carry = b""
                rows += len(_ROW_START.findall(text))
        return rows + len(_ROW_START.findall(carry))

    def _read_structure(self) -> None:
        """Sheets, their parts, the date system, the styles and where the shared strings are."""
        package_relations = _relations(self._archive, "_rels/.rels", "")
        workbook_part = next(
            (target for kind, target in package_relations.values() if kind == "officeDocument"),
            "xl/workbook.xml",
        )
        workbook = _parse_small_part(self._archive, workbook_part, self.path)
        namespace = workbook.tag[: workbook.tag.index("}") + 1] if "}" in workbook.tag else ""
        self._namespace = namespace
        properties = workbook.find(f"{namespace}workbookPr")
        is_1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self._epoch = MAC_EPOCH if is_1904 else WINDOWS_EPOCH
        folder = posixpath.dirname(workbook_part)
        relations_part = posixpath.join(
            folder, "_rels", posixpath.basename(workbook_part) + ".rels"
        )
        relations = _relations(self._archive, relations_part, folder)
        self._sheet_parts: dict[str, str] = {}
        sheets = workbook.find(f"{namespace}sheets")
        for sheet in sheets if sheets is not None else ():
            relation_id = next(
                (value for key, value in sheet.attrib.items() if key.endswith("}id")), None
            )
            kind, target = relations.get(relation_id or "", ("", ""))
            if kind == "worksheet":  # chart sheets and dialog sheets hold no rows
                self._sheet_parts[sheet.get("name", "")] = target
        by_kind = dict(relations.values())
        self._shared_strings_part = by_kind.get("sharedStrings")
        self._shared_strings: list[str] | None = None
        styles_part = by_kind.get("styles")
        self._date_styles = (
            _date_styles(_parse_small_part(self._archive, styles_part, self.path), namespace)
            if styles_part and styles_part in self._archive.NameToInfo
            else {}
        )

    def _strings(self) -> list[str]:
        """The shared-strings table, read on first use."""
        if self._shared_strings is None:
            target = _SharedStringsTarget(self._namespace)
            part = self._shared_strings_part
            if part and part in self._archive.NameToInfo:
                for _ in _feed_part(self._archive, part, self.path, target):
                    pass
            self._shared_strings = target.strings
        return self._shared_strings

    def _sheet_rows(self, sheet_name: str) -> Iterator[SheetRow]:
        target = _SheetTarget(
            self._namespace,
            strings=self._strings,
            date_styles=self._date_styles,
            epoch=self._epoch,
            where=f"sheet {sheet_name!r} of {self.path.name}",
        )
        rows = target.rows
        for _ in _feed_part(self._archive, self._sheet_parts[sheet_name], self.path, target):
            if rows:
                yield from rows
                rows.clear()


class _SheetTarget:
    """Receives a sheet's XML from expat, element by element (no tree is built), and collects
    its non-blank rows as (row index, [(column index, text)]) in `rows`."""

    def __init__(
        self,
        namespace: str,
        *,
        strings: Callable[[], list[str]],
        date_styles: dict[str, str],
        epoch: dt.datetime,
        where: str,
    ) -> None:
        self.row_tag, self.cell_tag = f"{namespace}row", f"{namespace}c"
        self.value_tag, self.inline_tag = f"{namespace}v", f"{namespace}is"
        self.text_tag, self.phonetic_tag = f"{namespace}t", f"{namespace}rPh"
        self.strings = strings
        self.shared: list[str] | None = None
        self.date_styles = date_styles
        self.epoch = epoch
        self.where = where
        self.rows: list[SheetRow] = []
        self.row_index = 0
        self.column = 0
        self.cells: list[tuple[int, str]] = []
        self.cell_attributes: dict[str, str] = {}
        self.value: list[str] | None = None  # the <v> text of the current cell
        self.inline: list[str] | None = None  # the <is> text of the current cell
        self.collecting: list[str] | None = None  # where character data goes now
        self.in_phonetic = False

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == self.cell_tag:
            self.cell_attributes = attributes
            self.value = self.inline = None
        elif tag == self.value_tag:
            self.value = self.collecting = []
        elif tag == self.text_tag:
            if self.inline is not None and not self.in_phonetic:
                self.collecting = self.inline
        elif tag == self.row_tag:
            reference = attributes.get("r")
            self.row_index = int(reference) if reference else self.row_index + 1
            self.column = 0
            self.cells = []
        elif tag == self.inline_tag:
            self.inline = []
        elif tag == self.phonetic_tag:
            self.in_phonetic = True

    def data(self, text: str) -> None:
        if self.collecting is not None:
            self.collecting.append(text)

    def end(self, tag: str) -> None:
        if tag == self.cell_tag:
            self._end_cell()
        elif tag == self.value_tag or tag == self.text_tag:
            self.collecting = None
        elif tag == self.row_tag:
            cells = self.cells
            # whitespace-only cells alone do not make a row (a row of blanks is not data)
            for _, text in cells:
                if text and not text.isspace():
                    self.rows.append((self.row_index, cells))
                    break
        elif tag == self.phonetic_tag:
            self.in_phonetic = False

    def close(self) -> None:
        """Called by the parser at the end of the document."""

    def doctype(self, name: str, public_id: str | None, system_id: str | None) -> None:
        # _refuse_doctype has checked the prolog already: this is the second lock
        raise SourceError(f"{self.where} was refused: it declares a DOCTYPE ({name})")

    def _end_cell(self) -> None:
        attributes = self.cell_attributes
        reference = attributes.get("r")
        if reference:
            letters = reference.rstrip("0123456789")
            column = _column_indexes.get(letters) or _column_index(letters)
        else:
            column = self.column + 1
        self.column = column
        kind = attributes.get("t")
        if kind == "inlineStr":
            if self.inline is not None:
                self.cells.append((column, _ooxml_unescape("".join(self.inline))))
            return
        if self.value is None:
            return  # an empty (styled) cell, or a formula Excel never calculated
        value = "".join(self.value)
        if kind is None or kind == "n":
            text = _number_cell_text(value, attributes.get("s"), self.date_styles, self.epoch)
        elif kind == "s":
            if self.shared is None:
                self.shared = self.strings()
            try:
                text = self.shared[int(value)]
            except (IndexError, ValueError):
                raise SourceError(
                    f"{self.where} is damaged: cell {reference} refers to shared string "
                    f"{value!r}, which does not exist; open the file in Excel and save it again"
                ) from None
        elif kind == "b":
            text = "TRUE" if value in ("1", "true") else "FALSE"
        else:  # "str" (a formula's text result), "e" (#N/A...), "d" (an ISO 8601 date)
            text = value
        self.cells.append((column, text))


class _SharedStringsTarget:
    """Receives sharedStrings.xml from expat and collects each item's text in `strings`."""

    def __init__(self, namespace: str) -> None:
        self.item_tag, self.text_tag = f"{namespace}si", f"{namespace}t"
        self.phonetic_tag = f"{namespace}rPh"
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.collecting: list[str] | None = None
        self.in_phonetic = False

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        if tag == self.text_tag:
            if not self.in_phonetic:
                self.collecting = self.parts
        elif tag == self.item_tag:
            self.parts = []
        elif tag == self.phonetic_tag:
            self.in_phonetic = True

    def data(self, text: str) -> None:
        if self.collecting is not None:
            self.collecting.append(text)

    def end(self, tag: str) -> None:
        if tag == self.text_tag:
            self.collecting = None
        elif tag == self.item_tag:
            self.strings.append(_ooxml_unescape("".join(self.parts)))
        elif tag == self.phonetic_tag:
            self.in_phonetic = False

    def close(self) -> None:
        """Called by the parser at the end of the document."""

    def doctype(self, name: str, public_id: str | None, system_id: str | None) -> None:
        raise SourceError(f"the shared strings were refused: they declare a DOCTYPE ({name})")


WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)
_PRE_1900_LEAP_BUG_END = 60  # Excel's day 60 is the 29 February 1900 that never was
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# An XML declaration, comments and processing instructions may come before the root element;
# a DOCTYPE there is how entity bombs and external entities get in. A workbook never has one.
_PROLOG = re.compile(r"\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_ROOT_START = re.compile(r"<[A-Za-z_]")
_column_indexes: dict[str, int] = {}


def _column_index(reference: str) -> int:
    """ "AB12" -> 28."""
    letters = reference.rstrip("0123456789")
    index = _column_indexes.get(letters)
    if index is None:
        index = 0
        for letter in letters.upper():
            index = index * 26 + ord(letter) - 64
        _column_indexes[letters] = index
    return index


def _refuse_doctype(head: bytes, part: str, path: Path) -> None:
    """SourceError unless the part's prolog is free of DOCTYPE (see _PROLOG)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    prolog = _PROLOG.match(text)  # always matches (everything in it is optional)
    rest = text[prolog.end() if prolog else 0 :]
    if rest.startswith("<!DOCTYPE") or not _ROOT_START.match(rest):
        raise SourceError(
            f"{path.name} was refused: its part {part} declares a DOCTYPE (or hides its root "
            "element behind a long prolog), the pattern of XML entity bombs (billion laughs) "
            "and external-entity (XXE) attacks. A workbook saved by Excel or LibreOffice never "
            "does; re-export it."
        )


def _parse_small_part(archive: zipfile.ZipFile, part: str, path: Path) -> Any:
    """A small XML part (workbook, relationships, styles) parsed by defusedxml, DTDs refused."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        data = archive.read(part)
    except KeyError:
        raise SourceError(f"{path.name} is not a complete workbook: it has no {part}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise SourceError(f"{path.name} is damaged: {part} cannot be read: {error}") from error
    _refuse_doctype(data[:4096], part, path)
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise _xml_refused(path, part, error) from error
    except ParseError as error:
        raise SourceError(f"{path.name} is damaged: {part} is not valid XML: {error}") from error


def _feed_part(archive: zipfile.ZipFile, part: str, path: Path, target: Any) -> Iterator[None]:
    """Stream a big part (a sheet, the shared strings) into `target` through expat's C parser,
    after the DOCTYPE check: with no DTD there is no entity to expand (and expat >= 2.4 also
    caps entity amplification). Yields after each chunk, for the caller to take what the
    target collected."""
    from xml.etree.ElementTree import XMLParser

    # the DOCTYPE check below (and the target's doctype()) is what defusedxml would do
    parser = XMLParser(target=target)  # noqa: S314
    try:
        with archive.open(part) as stream:
            chunk = stream.read(1 << 16)
            _refuse_doctype(chunk[:4096], part, path)
            while chunk:
                parser.feed(chunk)
                yield
                chunk = stream.read(1 << 16)
            parser.close()
            yield
    except KeyError:
        raise SourceError(f"{path.name} is not a complete workbook: it has no {part}") from None
    except ParseError as error:
        raise SourceError(
            f"{path.name} is damaged: {part} is not valid XML ({error}); open it in Excel or "
            "LibreOffice and save it again"
        ) from error
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise SourceError(f"{path.name} is damaged: {part} cannot be read: {error}") from error


def _xml_refused(path: Path, part: str, error: Exception) -> SourceError:
    return SourceError(
        f"{path.name} was refused: its part {part} declares entities or external references "
        f"({type(error).__name__}), the pattern of XML bomb (billion laughs) and XXE attacks. "
        "A workbook saved by Excel or LibreOffice never does; re-export it."
    )


def _relations(archive: zipfile.ZipFile, part: str, folder: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (short type: "worksheet", "styles"..., part path in the archive)."""
    if part not in archive.NameToInfo:
        return {}
    tree = _parse_small_part(archive, part, Path(archive.filename or "workbook"))
    relations = {}
    for relation in tree:
        target = relation.get("Target", "")
        if relation.get("TargetMode") == "External":
            continue  # a link to another file: nothing in this archive
        if target.startswith("/"):
            resolved = target.lstrip("/")
        else:
            resolved = posixpath.normpath(posixpath.join(folder, target))
        kind = relation.get("Type", "").rsplit("/", 1)[-1]
        relations[relation.get("Id", "")] = (kind, resolved)
    return relations


def _date_styles(styles: Any, namespace: str) -> dict[str, str]:
    """Cell style index (the "s" attribute, as text) -> "date" | "time" | "datetime" |
    "timedelta", for the styles whose number format shows a date or a time."""
    from openpyxl.styles.numbers import (
        BUILTIN_FORMATS,
        is_date_format,
        is_datetime,
        is_timedelta_format,
    )

    custom = {
        number_format.get("numFmtId"): number_format.get("formatCode")
        for number_format in styles.iter(f"{namespace}numFmt")
    }
    kinds: dict[str, str] = {}
    cell_formats = styles.find(f"{namespace}cellXfs")
    for index, cell_format in enumerate(cell_formats if cell_formats is not None else ()):
        format_id = cell_format.get("numFmtId", "0")
        code = custom.get(format_id)
        if code is None and format_id.isdigit():
            code = BUILTIN_FORMATS.get(int(format_id))
        if code is None or not is_date_format(code):
            continue
        if is_timedelta_format(code):
            kinds[str(index)] = "timedelta"
        else:
            kinds[str(index)] = is_datetime(code) or "datetime"
    return kinds


def _ooxml_unescape(text: str) -> str:
    """Decode OOXML's _xHHHH_ escapes (Excel writes a carriage return as _x000D_)."""
    if "_x" in text:
        return _OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)
    return text


def _number_cell_text(
    value: str, style: str | None, date_styles: dict[str, str], epoch: dt.datetime
) -> str:
    """A numeric cell as text: a date / time when its style says so, else the number."""
    kind = date_styles.get(style) if style is not None else None
    if kind is not None:
        try:
            return _serial_text(float(value), kind, epoch) or value
        except ValueError:
            return value
    if value.isdigit():
        return value
    try:
        return number_text(float(value))
    except ValueError:
        return value  # not a number after all: keep what the file says


def _serial_text(serial: float, kind: str, epoch: dt.datetime) -> str | None:
    """An Excel date serial number as ISO text, by the cell's format; None if out of range."""
    if kind == "timedelta":
        return timedelta_text(dt.timedelta(days=serial))
    if epoch == WINDOWS_EPOCH and 1 <= serial < _PRE_1900_LEAP_BUG_END:
        serial += 1  # before 1 March 1900, Excel counts one day too many
    try:
        moment = epoch + dt.timedelta(days=serial)
    except OverflowError:
        return None
    # Excel keeps milliseconds at most: round away the float noise below them
    moment = moment.replace(microsecond=0) + dt.timedelta(
        milliseconds=round(moment.microsecond / 1000)
    )
    if 0 <= serial < 1 and kind != "date":
        return moment.time().isoformat()  # a time of day with no date
    if kind == "date" and moment.time() == dt.time(0):
        return moment.date().isoformat()  # a date-only format shows no time: there is none
    return datetime_text(moment)


class XlsReader(_SpreadsheetReader):
    """Rows of a legacy .xls (BIFF) workbook through xlrd; the same rules as `XlsxReader`.

    xlrd reads the whole file into memory (an .xls holds at most 65,536 rows per sheet).
    A date cell whose serial has no time part becomes "YYYY-MM-DD".
    """

    kind = "xls"

    def __init__(self, path: Path, *, sheet: str | None = None) -> None:
        super().__init__()
        import xlrd

        self.path = path
        try:
            self._book = xlrd.open_workbook(str(path), on_demand=True)
        except Exception as error:  # xlrd raises XLRDError, CompDocError, struct errors...
            raise SourceError(
                f"{path.name} cannot be read as an Excel 97-2003 workbook (.xls): {error}. If "
                "it is a Word or Outlook file it is not data; otherwise open it in Excel and "
                "save it as .xlsx."
            ) from error
        sheets = self._book.sheet_names()
        if sheet is not None and sheet not in sheets:
            raise SourceError(
                f"{path.name} has no sheet {sheet!r}; its sheets are: {', '.join(sheets)}"
            )
        self.sheet_names = [sheet] if sheet is not None else sheets
        has_rows = self._scan_headers()
        self.description = {
            "kind": self.kind,
            "file": path.name,
            "sheets": {name: list(columns) for name, columns in self.sheet_columns.items()},
            "header_rows": self.header_rows,
            "all_sheets": sheets,
            "empty_sheets": [name for name in self.sheet_names if name not in self.sheet_columns],
            "epoch": "1904" if self._book.datemode else "1900",
            "header_only": not has_rows,
            "columns": list(self.columns),
        }

    def close(self) -> None:
        self._book.release_resources()

    def _sheet_rows(self, sheet_name: str) -> Iterator[SheetRow]:
        import xlrd

        book = self._book
        sheet = book.sheet_by_name(sheet_name)
        datemode = book.datemode
        for row_position in range(sheet.nrows):
            cells = []
            for column_position, cell in enumerate(sheet.row(row_position)):
                cell_type = cell.ctype
                if cell_type in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    continue
                text: str | None
                if cell_type == xlrd.XL_CELL_DATE:
                    text = _xls_date_text(cell.value, datemode)
                elif cell_type == xlrd.XL_CELL_BOOLEAN:
                    text = "TRUE" if cell.value else "FALSE"
                elif cell_type == xlrd.XL_CELL_ERROR:
                    text = xlrd.error_text_from_code.get(cell.value) or f"#ERROR{cell.value}"
                else:
                    text = cell_text(cell.value)
                cells.append((column_position + 1, text))
            kept = _non_empty(cells)
            if kept:
                yield row_position + 1, kept


def _xls_date_text(serial: float, datemode: int) -> str:
    import xlrd

    try:
        value = xlrd.xldate.xldate_as_datetime(serial, datemode)
    except (xlrd.xldate.XLDateError, ValueError, OverflowError):
        return number_text(serial)
    if serial < 1:
        return value.time().isoformat()
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return datetime_text(value)
