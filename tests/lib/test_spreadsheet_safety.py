from __future__ import annotations

import pytest

from cmplatform.lib.spreadsheet_safety import safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("\tTAB", "'\tTAB"),
        ("+14325550100", "+14325550100"),
        ("-12.5", "-12.5"),
        ("Smith", "Smith"),
        (42, 42),
        (None, None),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected
