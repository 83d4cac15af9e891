"""XLSX / XLS readers: value rules, blank rows, and the hardening against hostile workbooks."""

from __future__ import annotations

import datetime as dt
import shutil
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from ingestion.sources import RAGGED_ROW, RowError, SourceError, SourceRow, open_source, streams

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"

STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>
<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>
<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/>
<xf numFmtId="20"/><xf numFmtId="46"/></cellXfs>
</styleSheet>"""
DATE_STYLE, DATETIME_STYLE, TIME_STYLE, DURATION_STYLE = "1", "2", "3", "4"


def inline(reference: str, text: str) -> str:
    return (
        f'<c r="{reference}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'
    )


def sheet_xml(rows: str, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>'
    )


def write_xlsx(
    path: Path,
    sheets: dict[str, str],
    *,
    shared_strings: list[str] | None = None,
    styles: str = STYLES,
    workbook_prolog: str = "",
) -> Path:
    """A minimal, valid xlsx package with these sheets (name -> sheet XML)."""
    sheet_entries = "".join(
        f'<sheet name="{name}" sheetId="{position}" r:id="rId{position}"/>'
        for position, name in enumerate(sheets, start=1)
    )
    relations = "".join(
        f'<Relationship Id="rId{position}" Type="{RELATIONSHIPS}/worksheet" '
        f'Target="worksheets/sheet{position}.xml"/>'
        for position in range(1, len(sheets) + 1)
    )
    relations += f'<Relationship Id="rIdStyles" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
    if shared_strings is not None:
        relations += (
            f'<Relationship Id="rIdStrings" Type="{RELATIONSHIPS}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
            f'Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?>{workbook_prolog}<workbook xmlns="{MAIN}" '
            f'xmlns:r="{RELATIONSHIPS}"><sheets>{sheet_entries}</sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{PACKAGE}">{relations}</Relationships>',
        )
        archive.writestr("xl/styles.xml", styles)
        if shared_strings is not None:
            items = "".join(
                f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in shared_strings
            )
            archive.writestr(
                "xl/sharedStrings.xml", f'<?xml version="1.0"?><sst xmlns="{MAIN}">{items}</sst>'
            )
        for position, xml in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{position}.xml", xml)
    return path


def read_all(path: Path, **options: str) -> list[SourceRow | RowError]:
    with open_source(path, **options) as reader:
        return list(reader)


def test_xlsx_cells_become_text_by_the_value_rules(tmp_path):
    header = "".join(
        inline(f"{column}1", name)
        for column, name in zip(
            "ABCDEFGHIJ",
            ["id", "text", "number", "date", "moment", "time", "span", "flag", "err", "formula"],
            strict=True,
        )
    )
    row_2 = (
        '<c r="A2"><v>1</v></c>'
        '<c r="B2" t="s"><v>0</v></c>'
        '<c r="C2"><v>3.0</v></c>'
        f'<c r="D2" s="{DATE_STYLE}"><v>45853</v></c>'
        f'<c r="E2" s="{DATETIME_STYLE}"><v>45853.5</v></c>'
        f'<c r="F2" s="{TIME_STYLE}"><v>0.75</v></c>'
        f'<c r="G2" s="{DURATION_STYLE}"><v>1.5</v></c>'
        '<c r="H2" t="b"><v>1</v></c>'
        '<c r="I2" t="e"><v>#N/A</v></c>'
        '<c r="J2"><f>SUM(A2:C2)</f><v>4</v></c>'
    )
    row_3 = (
        '<c r="A3"><v>2</v></c>'
        '<c r="B3" t="inlineStr"><is><r><t>Rich </t></r><r><t>text</t></r>'
        "<rPh><t>phonetic</t></rPh></is></c>"
        '<c r="C3"><v>0.1</v></c>'
        '<c r="D3" s="1"/>'
        '<c r="H3" t="b"><v>0</v></c>'
        '<c r="J3" t="str"><f>"a"&amp;"b"</f><v>ab</v></c>'
    )
    row_4 = (
        '<c r="A4"><v>3</v></c>'
        '<c r="B4" t="s"><v>1</v></c>'
        '<c r="C4"><v>1E+20</v></c>'
        '<c r="J4"><f>NOW()</f></c>'  # a formula never calculated: no cached value
    )
    path = write_xlsx(
        tmp_path / "values.xlsx",
        {
            "Data": sheet_xml(
                f'<row r="1">{header}</row><row r="2">{row_2}</row>'
                f'<row r="3">{row_3}</row><row r="4">{row_4}</row>'
            )
        },
        shared_strings=["  padded  ", "line one_x000D_\nline two"],
    )
    items = read_all(path)
    assert [item.values for item in items] == [
        {
            "id": "1",
            "text": "  padded  ",
            "number": "3",
            "date": "2025-07-15",
            "moment": "2025-07-15T12:00:00",
            "time": "18:00:00",
            "span": "36:00:00",
            "flag": "TRUE",
            "err": "#N/A",
            "formula": "4",
        },
        {
            "id": "2",
            "text": "Rich text",
            "number": "0.1",
            "date": None,
            "moment": None,
            "time": None,
            "span": None,
            "flag": "FALSE",
            "err": None,
            "formula": "ab",
        },
        {
            "id": "3",
            "text": "line one\r\nline two",
            "number": "100000000000000000000",
            "date": None,
            "moment": None,
            "time": None,
            "span": None,
            "flag": None,
            "err": None,
            "formula": None,
        },
    ]
    assert [item.location for item in items] == [
        "sheet Data row 2",
        "sheet Data row 3",
        "sheet Data row 4",
    ]


def test_formula_like_text_cells_are_kept_verbatim(tmp_path):
    values = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]
    header = inline("A1", "id") + inline("B1", "shared") + inline("C1", "inline")
    rows = "".join(
        f'<row r="{row}"><c r="A{row}"><v>{row}</v></c><c r="B{row}" t="s"><v>{row - 2}</v></c>'
        f"{inline(f'C{row}', value)}</row>"
        for row, value in enumerate(values, start=2)
    )
    path = write_xlsx(
        tmp_path / "formulas.xlsx",
        {"Leads": sheet_xml(f'<row r="1">{header}</row>{rows}')},
        shared_strings=values,
    )
    assert [(item.values["shared"], item.values["inline"]) for item in read_all(path)] == [
        (value, value) for value in values
    ]


def test_a_sheet_with_two_to_the_twentieth_blank_rows_is_read_quickly(tmp_path):
    last = 2**20
    # rows Excel keeps for formatting: empty, or with styled cells holding nothing / a blank
    styled = range(last - 20_000, last)
    blank_rows = "".join(f'<row r="{row}"/>' for row in range(3, styled.start))
    styled_rows = "".join(
        f'<row r="{row}"><c r="A{row}" s="1"/>{inline(f"B{row}", " ")}</row>' for row in styled
    )
    xml = sheet_xml(
        f'<row r="1">{inline("A1", "id")}{inline("B1", "name")}</row>'
        f'<row r="2"><c r="A2"><v>1</v></c>{inline("B2", "first")}</row>'
        f"{blank_rows}{styled_rows}"
        f'<row r="{last}"><c r="A{last}"><v>2</v></c>{inline(f"B{last}", "last")}</row>'
    )
    path = write_xlsx(tmp_path / "formatted.xlsx", {"Data": xml})
    started = time.monotonic()
    items = read_all(path)
    elapsed = time.monotonic() - started
    assert items == [
        SourceRow(1, "sheet Data row 2", {"id": "1", "name": "first"}),
        SourceRow(2, f"sheet Data row {last}", {"id": "2", "name": "last"}),
    ]
    assert elapsed < 20, f"{elapsed:.1f} s for {last:,} blank rows"


def test_a_zip_bomb_is_refused_before_any_xml_is_parsed(tmp_path, monkeypatch):
    path = write_xlsx(
        tmp_path / "bomb.xlsx", {"Data": sheet_xml(f'<row r="1">{inline("A1", "id")}</row>')}
    )
    # a second sheet part of 100 MiB of blanks: it compresses about 1000 times
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet9.xml", "w", force_zip64=True) as member,
    ):
        block = b" " * (1 << 20)
        for _ in range(100):
            member.write(block)

    def parse_must_not_run(*arguments, **options):
        raise AssertionError("the workbook's XML was parsed")

    from ingestion.sources import spreadsheet

    monkeypatch.setattr(spreadsheet, "_parse_small_part", parse_must_not_run)
    monkeypatch.setattr(spreadsheet, "_feed_part", parse_must_not_run)
    with pytest.raises(
        SourceError,
        match=r"bomb.xlsx looks like a zip bomb: its member 'xl/worksheets/sheet9.xml' expands",
    ):
        open_source(path)


def test_a_workbook_declaring_more_than_the_total_limit_is_refused(demo_sources, monkeypatch):
    out_dir, manifest = demo_sources
    monkeypatch.setattr(streams, "ZIP_TOTAL_LIMIT", 10_000)
    with pytest.raises(
        SourceError, match=r"looks like a zip bomb: its members add up to [\d,]+ bytes"
    ):
        open_source(out_dir / manifest.source("lead_list_q3").file)


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10 if level > 1 else "&lol;" * 10}">'
        for level in range(1, 10)
    )
    + "]>"
)


def test_billion_laughs_in_a_sheet_is_refused(tmp_path):
    xml = sheet_xml(
        f'<row r="1">{inline("A1", "id")}</row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
        prolog=BILLION_LAUGHS,
    )
    path = write_xlsx(tmp_path / "laughs.xlsx", {"Data": xml})
    with pytest.raises(SourceError, match=r"its part xl/worksheets/sheet1.xml declares a DOCTYPE"):
        open_source(path)


def test_billion_laughs_in_the_workbook_part_is_refused(tmp_path):
    path = write_xlsx(
        tmp_path / "laughs.xlsx",
        {"Data": sheet_xml(f'<row r="1">{inline("A1", "id")}</row>')},
        workbook_prolog=BILLION_LAUGHS,
    )
    with pytest.raises(SourceError, match=r"its part xl/workbook.xml declares a DOCTYPE"):
        open_source(path)


def test_an_external_entity_is_refused(tmp_path):
    xxe = '<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    xml = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&secret;</t></is></c></row>', prolog=xxe
    )
    path = write_xlsx(tmp_path / "xxe.xlsx", {"Data": xml})
    with pytest.raises(SourceError, match="XXE"):
        open_source(path)


def test_openpyxl_elsewhere_in_the_project_is_hardened_by_defusedxml(tmp_path):
    import openpyxl
    from defusedxml import EntitiesForbidden

    assert openpyxl.DEFUSEDXML is True
    path = write_xlsx(
        tmp_path / "laughs.xlsx",
        {"Data": sheet_xml(f'<row r="1">{inline("A1", "id")}</row>')},
        workbook_prolog=BILLION_LAUGHS,
    )
    with pytest.raises(ValueError, match="Unable to read workbook") as refused:
        openpyxl.load_workbook(path, read_only=True)
    assert isinstance(refused.value.__cause__, EntitiesForbidden)


def test_all_sheets_are_read_in_order_each_with_its_header(tmp_path):
    path = write_xlsx(
        tmp_path / "two.xlsx",
        {
            "Leads": sheet_xml(
                f'<row r="1">{inline("A1", "id")}{inline("B1", "name")}</row>'
                f'<row r="2"><c r="A2"><v>1</v></c>{inline("B2", "Ann")}</row>'
            ),
            "Empty": sheet_xml(""),
            "More": sheet_xml(
                f'<row r="3">{inline("B3", "id")}{inline("C3", "email")}</row>'
                f'<row r="5"><c r="B5"><v>2</v></c>{inline("C5", "b@x.com")}</row>'
            ),
        },
    )
    with open_source(path) as reader:
        assert reader.columns == ("id", "name", "column_1", "email")
        assert reader.description["empty_sheets"] == ["Empty"]
        items = list(reader)
    assert items == [
        SourceRow(1, "sheet Leads row 2", {"id": "1", "name": "Ann"}),
        SourceRow(2, "sheet More row 5", {"column_1": None, "id": "2", "email": "b@x.com"}),
    ]
    with open_source(path, sheet="More") as reader:
        assert reader.columns == ("column_1", "id", "email")
    with pytest.raises(
        SourceError, match="has no sheet 'Notes'; its sheets are: Leads, Empty, More"
    ):
        open_source(path, sheet="Notes")


def test_a_value_beyond_the_header_is_a_ragged_row_error(tmp_path):
    xml = sheet_xml(
        f'<row r="1">{inline("A1", "id")}{inline("B1", "name")}</row>'
        f'<row r="2"><c r="A2"><v>1</v></c>{inline("D2", "stray")}</row>'
        f'<row r="3"><c r="A3"><v>2</v></c>{inline("B3", "Bob")}{inline("E3", "  ")}</row>'
    )
    items = read_all(write_xlsx(tmp_path / "ragged.xlsx", {"Data": xml}))
    assert items[0] == RowError(
        1,
        "sheet Data row 2",
        RAGGED_ROW,
        "the row has values beyond the header's last column B (the header is row 1)",
        '{"A2": "1", "D2": "stray"}',
    )
    assert items[1] == SourceRow(2, "sheet Data row 3", {"id": "2", "name": "Bob"})


def test_a_header_only_workbook_has_no_rows(tmp_path):
    xml = sheet_xml(f'<row r="1">{inline("A1", "id")}{inline("B1", "name")}</row>')
    with open_source(write_xlsx(tmp_path / "header.xlsx", {"Data": xml})) as reader:
        assert reader.columns == ("id", "name")
        assert reader.description["header_only"] is True
        assert list(reader) == []


def test_an_xlsx_renamed_to_csv_is_read_as_a_workbook(demo_sources, tmp_path):
    out_dir, manifest = demo_sources
    renamed = shutil.copyfile(
        out_dir / manifest.source("lead_list_q3").file, tmp_path / "leads.csv"
    )
    with open_source(renamed, sheet="Leads") as reader:
        assert reader.kind == "xlsx"
        assert sum(1 for _ in reader) == 150


def test_xls_workbooks_are_read_with_the_same_value_rules(tmp_path):
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Leads")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for column, name in enumerate(["id", "name", "zip", "joined", "flag", "price"]):
        sheet.write(0, column, name)
    sheet.write(1, 0, 1)
    sheet.write(1, 1, "  José  ")
    sheet.write(1, 2, 2116.0)
    sheet.write(1, 3, dt.datetime(2025, 7, 15), date_style)
    sheet.write(1, 4, True)
    sheet.write(1, 5, 12.5)
    sheet.write(3, 0, 2)  # row 3 stays blank
    sheet.write(3, 1, '=HYPERLINK("http://x")')
    path = tmp_path / "legacy.xls"
    book.save(str(path))
    with open_source(path) as reader:
        assert reader.kind == "xls"
        items = list(reader)
    assert items == [
        SourceRow(
            1,
            "sheet Leads row 2",
            {
                "id": "1",
                "name": "  José  ",
                "zip": "2116",
                "joined": "2025-07-15",
                "flag": "TRUE",
                "price": "12.5",
            },
        ),
        SourceRow(
            2,
            "sheet Leads row 4",
            {
                "id": "2",
                "name": '=HYPERLINK("http://x")',
                "zip": None,
                "joined": None,
                "flag": None,
                "price": None,
            },
        ),
    ]


def test_a_doctype_past_the_prolog_check_is_still_refused_by_the_parser(tmp_path, monkeypatch):
    from ingestion.sources import spreadsheet

    # the second lock alone: the streaming parser's target refuses any DOCTYPE it meets
    monkeypatch.setattr(spreadsheet, "_refuse_doctype", lambda head, part, path: None)
    xml = sheet_xml(
        f'<row r="1">{inline("A1", "id")}</row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
        prolog=BILLION_LAUGHS,
    )
    path = write_xlsx(tmp_path / "laughs.xlsx", {"Data": xml})
    with pytest.raises(SourceError, match=r"sheet 'Data' of laughs\.xlsx was refused: .*DOCTYPE"):
        open_source(path)


def test_xlsx_row_estimate_comes_from_each_sheets_used_range(tmp_path):
    def sheet(last_row: int, dimension: str | None) -> str:
        rows = f'<row r="2">{inline("A2", "Name")}</row>' + "".join(
            f'<row r="{n}">{inline(f"A{n}", f"Ann {n}")}</row>' for n in range(3, last_row + 1)
        )
        xml = sheet_xml(rows)
        if dimension is not None:
            xml = xml.replace("<sheetData>", f'<dimension ref="{dimension}"/><sheetData>')
        return xml

    both = write_xlsx(
        tmp_path / "both.xlsx",
        {"Leads": sheet(6, "A2:A6"), "More": sheet(4, "A1:$C$4"), "Empty": sheet_xml("")},
    )
    with open_source(both) as reader:
        # 4 rows below the header on row 2, 2 below the other's, none in the empty sheet
        assert reader.estimate_rows() == 6
        assert sum(isinstance(item, SourceRow) for item in reader) == 6
    with open_source(both, sheet="More") as reader:
        assert reader.estimate_rows() == 2
    # formatted empty rows count: an estimate, high rather than low
    formatted = write_xlsx(tmp_path / "formatted.xlsx", {"Leads": sheet(3, "A1:Z1048576")})
    with open_source(formatted) as reader:
        assert reader.estimate_rows() == 1048574
    # written without a used range (openpyxl's write-only mode): its row elements are counted,
    # across the 1 MiB reads of the part
    undimensioned = write_xlsx(tmp_path / "plain.xlsx", {"Leads": sheet(30_000, None)})
    with open_source(undimensioned) as reader:
        assert reader.estimate_rows() == 29_998
        assert sum(isinstance(item, SourceRow) for item in reader) == 29_998


def test_a_damaged_sheet_has_no_row_estimate_and_its_read_reports_the_damage(tmp_path):
    rows = "".join(f'<row r="{n}">{inline(f"A{n}", f"Name {n}")}</row>' for n in range(1, 3000))
    path = write_xlsx(tmp_path / "damaged.xlsx", {"Leads": sheet_xml(rows)})
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    data_start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    with path.open("r+b") as handle:  # garble the end of the sheet's compressed bytes
        handle.seek(data_start + member.compress_size - 64)
        handle.write(b"\xff" * 48)
    with open_source(path) as reader:
        assert reader.estimate_rows() is None
        with pytest.raises(SourceError):
            list(reader)
