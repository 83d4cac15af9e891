"""CSV / TSV reader: detection, bad inputs, raw text of bad rows, compression."""

from __future__ import annotations

import gzip
import random
import shutil
import zipfile
from pathlib import Path

import pytest

from ingestion.sources import (
    FIELD_TOO_LARGE,
    INVALID_ENCODING,
    MALFORMED_ROW,
    RAGGED_ROW,
    RowError,
    SourceError,
    SourceRow,
    open_source,
)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def read_all(path: Path, **options: str) -> list[SourceRow | RowError]:
    with open_source(path, **options) as reader:
        return list(reader)


def test_empty_file_is_refused(tmp_path):
    path = write(tmp_path / "leads.csv", b"")
    with pytest.raises(SourceError, match=r"leads.csv is empty \(0 bytes\)"):
        open_source(path)


def test_header_only_file_has_columns_and_no_rows(tmp_path):
    path = write(tmp_path / "leads.csv", b"id,First Name,Phone\r\n")
    with open_source(path) as reader:
        assert reader.columns == ("id", "First Name", "Phone")
        assert reader.description["header_only"] is True
        assert list(reader) == []


def test_file_of_blank_lines_has_no_header_and_no_rows(tmp_path):
    path = write(tmp_path / "leads.csv", b"\r\n\r\n   \r\n")
    with open_source(path) as reader:
        assert reader.columns == ()
        assert reader.description["header_only"] is True
        assert list(reader) == []


def test_cp1252_file_is_detected_and_decoded(tmp_path):
    text = "id\tName\r\n1\tJosé Peña\r\n2\tMary O\u2019Brien\r\n3\tMüller\r\n"
    # 0x81 is one of the five bytes cp1252 leaves undefined: read as latin-1 would
    data = text.encode("cp1252") + b"4\tA\x81B\r\n"
    path = write(tmp_path / "sms.txt", data)
    with open_source(path) as reader:
        assert reader.description["encoding"] == "cp1252"
        assert reader.description["delimiter"] == "\t"
        items = list(reader)
    assert [item.values["Name"] for item in items] == [
        "José Peña",
        "Mary O\u2019Brien",
        "Müller",
        "A\x81B",
    ]


def test_invalid_byte_in_a_utf8_file_is_one_row_error(tmp_path):
    data = (
        "id,name\n1,José\n2,Zoë\n".encode()
        + b"3,Ren\xe9e Smith\n"  # one cp1252 byte in a UTF-8 file
        + "4,François\n5,Ñandú\n".encode()
    )
    path = write(tmp_path / "mail.csv", data)
    with open_source(path) as reader:
        assert reader.description["encoding"] == "utf-8"
        items = list(reader)
    assert [type(item) for item in items] == [SourceRow, SourceRow, RowError, SourceRow, SourceRow]
    error = items[2]
    assert (error.number, error.location, error.error_type) == (3, "line 4", INVALID_ENCODING)
    assert error.raw == "3,Ren\\xe9e Smith\n"
    assert "\\xe9" in error.message
    assert [item.values["name"] for item in items if isinstance(item, SourceRow)] == [
        "José",
        "Zoë",
        "François",
        "Ñandú",
    ]


def test_binary_garbage_is_refused(tmp_path):
    garbage = random.Random(7).randbytes(20_000)
    path = write(tmp_path / "export.csv", b"id,name\n" + garbage)
    with pytest.raises(SourceError, match=r"export\.csv is not a data file: it is binary"):
        open_source(path)


def test_renamed_executables_are_refused(tmp_path):
    elf = shutil.copyfile("/bin/ls", tmp_path / "leads.csv")
    with pytest.raises(SourceError, match=r"leads.csv is not a data file: .*Linux executable"):
        open_source(elf)
    windows = write(tmp_path / "list.xlsx", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(120))
    with pytest.raises(SourceError, match=r"not a data file: .*Windows executable"):
        open_source(windows)
    mach_o = write(tmp_path / "contacts.sqlite", b"\xcf\xfa\xed\xfe" + bytes(60))
    with pytest.raises(SourceError, match=r"not a data file: .*Mach-O"):
        open_source(mach_o)
    # a forced kind does not let an executable through either
    with pytest.raises(SourceError, match="Linux executable"):
        open_source(elf, source_type="csv")


def test_nul_bytes_are_kept_in_values(tmp_path):
    path = write(tmp_path / "nul.csv", b'id,name\r\n1,Jo\x00hn\r\n2,"Ma\x00ry, Jr"\r\n')
    items = read_all(path)
    assert [item.values for item in items] == [
        {"id": "1", "name": "Jo\x00hn"},
        {"id": "2", "name": "Ma\x00ry, Jr"},
    ]


def test_ten_thousand_character_fields_are_read_whole(tmp_path):
    note = "x" * 10_000
    quoted = 'a "quoted" word, then ' + "y" * 10_000
    path = write(
        tmp_path / "notes.csv",
        f'id,note,quoted\n1,{note},"{quoted.replace(chr(34), chr(34) * 2)}"\n'.encode(),
    )
    (row,) = read_all(path)
    assert row.values == {"id": "1", "note": note, "quoted": quoted}


def test_a_field_over_the_size_limit_is_a_row_error_and_reading_goes_on(tmp_path):
    huge = "z" * (1024 * 1024 + 1)
    path = write(tmp_path / "big.csv", f"id,note\n1,ok\n2,{huge}\n3,fine\n".encode())
    items = read_all(path)
    assert [item.number for item in items] == [1, 2, 3]
    assert items[1].error_type == FIELD_TOO_LARGE
    assert items[1].raw == f"2,{huge}\n"
    assert items[2].values == {"id": "3", "note": "fine"}


def test_ragged_rows_are_row_errors_with_their_raw_text(tmp_path):
    data = b'id,name,phone\r\n1,Ann,555\r\n2,Bob\r\n3,"Cy\r\nSmith",555,extra\r\n4,Di,556\r\n'
    items = read_all(write(tmp_path / "ragged.csv", data))
    assert [(item.number, item.location, type(item)) for item in items] == [
        (1, "line 2", SourceRow),
        (2, "line 3", RowError),
        (3, "line 4", RowError),
        (4, "line 6", SourceRow),
    ]
    assert items[1].error_type == RAGGED_ROW
    assert items[1].message == "the row has 2 fields, the header has 3"
    assert items[1].raw == "2,Bob\r\n"
    assert items[2].raw == '3,"Cy\r\nSmith",555,extra\r\n'


def test_quoted_multi_line_fields_and_blank_lines(tmp_path):
    data = b'id,address\r\n\r\n1,"12 Main St\r\nApt 4"\r\n\r\n   \r\n,\r\n2,"PO Box 9"\r\n'
    with open_source(write(tmp_path / "mail.csv", data)) as reader:
        items = list(reader)
        assert reader.blank_rows_skipped == 4
    assert items == [
        SourceRow(1, "line 3", {"id": "1", "address": "12 Main St\r\nApt 4"}),
        SourceRow(2, "line 8", {"id": "2", "address": "PO Box 9"}),
    ]


def test_values_are_not_stripped_and_formula_like_values_are_kept(tmp_path):
    data = b'id,link,a,b,c\n1,"=HYPERLINK(""http://x"")",+1,-2,@SUM(A1)\n2, padded ,"",=1+1, \n'
    items = read_all(write(tmp_path / "formulas.csv", data))
    assert [item.values for item in items] == [
        {"id": "1", "link": '=HYPERLINK("http://x")', "a": "+1", "b": "-2", "c": "@SUM(A1)"},
        {"id": "2", "link": " padded ", "a": "", "b": "=1+1", "c": " "},
    ]


def test_a_quote_in_the_middle_of_a_field_is_a_row_error_not_a_silent_change(tmp_path):
    data = b'id,name,city\n1,"Bob" Smith,Tulsa\n2,Ann "Annie" Lee,Enid\n'
    items = read_all(write(tmp_path / "quotes.csv", data))
    assert items[0].error_type == MALFORMED_ROW
    assert items[0].raw == '1,"Bob" Smith,Tulsa\n'
    # a quote that does not open the field is only a character
    assert items[1].values == {"id": "2", "name": 'Ann "Annie" Lee', "city": "Enid"}


def test_an_unterminated_quote_is_a_row_error_holding_the_rest_of_the_file(tmp_path):
    data = b'id,name\n1,Ann\n2,"Bob\n3,Cy\n'
    items = read_all(write(tmp_path / "open_quote.csv", data))
    assert items[0].values == {"id": "1", "name": "Ann"}
    assert (items[1].number, items[1].error_type) == (2, MALFORMED_ROW)
    assert items[1].raw == '2,"Bob\n3,Cy\n'
    assert len(items) == 2


def test_duplicate_and_blank_header_names_are_made_unique(tmp_path):
    data = b"Phone,Phone,,Name, Phone_2 \n1,2,3,4,5\n"
    with open_source(write(tmp_path / "dupes.csv", data)) as reader:
        assert reader.columns == ("Phone", "Phone_3", "column_3", "Name", "Phone_2")
        assert next(iter(reader)).values["Phone_3"] == "2"


def test_delimiters_are_detected_and_can_be_given(tmp_path):
    piped = write(tmp_path / "piped.txt", b"id|name|note\n1|Ann|a,b\n2|Bob|c;d\n")
    with open_source(piped) as reader:
        assert reader.description["delimiter"] == "|"
        assert [item.values["note"] for item in reader] == ["a,b", "c;d"]
    with open_source(piped, delimiter=",") as reader:
        assert reader.columns == ("id|name|note",)
        assert [type(item) for item in reader] == [RowError, SourceRow]


def test_utf16_with_a_byte_order_mark_is_read(tmp_path):
    text = "id\tname\r\n1\tJosé\r\n"
    path = write(tmp_path / "unicode.txt", b"\xff\xfe" + text.encode("utf-16-le"))
    with open_source(path) as reader:
        assert reader.description["encoding"] == "utf-16"
        assert [item.values for item in reader] == [{"id": "1", "name": "José"}]


def test_gzip_and_single_member_zip_are_read_transparently(tmp_path):
    data = b"id,name\n1,Ann\n2,Bob\n"
    compressed = write(tmp_path / "leads.csv.gz", gzip.compress(data))
    archive = tmp_path / "leads.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("export/leads.csv", data)
        zipped.writestr("__MACOSX/export/._leads.csv", b"\x00\x05\x16\x07")
    for path, compression in ((compressed, "gzip"), (archive, "zip")):
        with open_source(path) as reader:
            assert reader.description["compression"] == compression
            assert [item.values["name"] for item in reader] == ["Ann", "Bob"]


def test_a_zip_of_several_files_needs_a_member(tmp_path):
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("mail.csv", b"id,name\n1,Ann\n")
        zipped.writestr("calls.csv", b"id;name\n7;Bob\n")
    with pytest.raises(SourceError, match=r"zip archive of 2 files \(mail.csv, calls.csv\)"):
        open_source(archive)
    with open_source(archive, member="calls.csv") as reader:
        assert reader.description["member"] == "calls.csv"
        assert [item.values for item in reader] == [{"id": "7", "name": "Bob"}]
    with pytest.raises(SourceError, match=r"has no member 'other\.csv'"):
        open_source(archive, member="other.csv")


def test_skip_to_resumes_after_a_row_counting_row_errors(tmp_path):
    data = b"id,name\n1,Ann\n2\n\n3,Cy\n4,Di\n"
    path = write(tmp_path / "resume.csv", data)
    with open_source(path) as reader:
        reader.skip_to(2)
        assert list(reader) == [
            SourceRow(3, "line 5", {"id": "3", "name": "Cy"}),
            SourceRow(4, "line 6", {"id": "4", "name": "Di"}),
        ]


def test_options_of_another_kind_and_unknown_kinds_are_refused(tmp_path):
    path = write(tmp_path / "leads.csv", b"id,name\n1,Ann\n")
    with pytest.raises(SourceError, match="option sheet does not apply to this source: it is csv"):
        open_source(path, sheet="Leads")
    with pytest.raises(SourceError, match="unknown source_type 'parquet'"):
        open_source(path, source_type="parquet")
    with pytest.raises(SourceError, match="does not exist"):
        open_source(tmp_path / "missing.csv")


def test_a_truncated_gzip_file_is_a_clear_error_after_the_rows_it_gave(tmp_path):
    lines = b"".join(b"%d,name %d\n" % (number, number) for number in range(1, 200_001))
    compressed = gzip.compress("id,name\n0,José\n".encode() + lines)
    path = write(tmp_path / "cut.csv.gz", compressed[: len(compressed) // 2])
    received = []
    with pytest.raises(SourceError, match=r"cut\.csv\.gz could not be read past line \d+"):
        for item in open_source(path):
            received.append(item)
    assert received
    assert [item.number for item in received] == list(range(1, len(received) + 1))


def test_a_truncated_gzip_file_of_ascii_is_refused_when_opened(tmp_path):
    lines = b"".join(b"%d,name %d\n" % (number, number) for number in range(1, 200_001))
    compressed = gzip.compress(b"id,name\n" + lines)
    path = write(tmp_path / "cut.csv.gz", compressed[: len(compressed) // 2])
    with pytest.raises(SourceError, match=r"cut\.csv\.gz cannot be decompressed: .*truncated"):
        open_source(path)


@pytest.mark.parametrize(
    ("data", "expected", "rows"),
    [
        (b"name,phone\r\nAnn,1\r\nBob,2\r\n", 2, 2),
        (b"name,phone\nAnn,1\nBob,2", 2, 2),  # no line break after the last row
        (b"\n\nname,phone\nAnn,1\n", 1, 1),  # blank lines before the header
        (b'name,note\nAnn,"two\nlines"\nBob,x\n', 3, 2),  # a field spanning lines: high
        (b"name,phone\n", 0, 0),
    ],
)
def test_row_estimate_counts_the_lines_after_the_header(tmp_path, data, expected, rows):
    with open_source(write(tmp_path / "rows.csv", data)) as reader:
        assert reader.estimate_rows() == expected
        assert sum(isinstance(item, SourceRow) for item in reader) == rows
    with gzip.open(tmp_path / "rows.csv.gz", "wb") as packed:
        packed.write(data)
    with open_source(tmp_path / "rows.csv.gz") as reader:
        assert reader.estimate_rows() == expected  # through the decompressed stream
