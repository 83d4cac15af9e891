"""States and ZIP codes."""

from __future__ import annotations

from cmplatform.lib.hygiene.locations import ZipResult, normalize_state, normalize_zip


def test_states_from_codes_names_and_old_abbreviations() -> None:
    cases = {
        "ok": "OK", "OK": "OK", "Oklahoma": "OK", "OKLAHOMA": "OK", "Okla.": "OK",
        "Tex.": "TX", "tex": "TX", "N. Dak.": "ND", "New  Mexico": "NM", "new mexico": "NM",
        "District of Columbia": "DC", "Washington D.C.": "DC", "Puerto Rico": "PR",
        "U.S. Virgin Islands": "VI", "AE": "AE", " tx ": "TX", "Calif.": "CA", "Penna.": "PA",
    }  # fmt: skip
    for raw, code in cases.items():
        assert normalize_state(raw) == code, raw
    for raw in ("", None, "XX", "Texass", "T", 12):
        assert normalize_state(raw) is None


def test_zip_codes_in_every_written_form() -> None:
    assert normalize_zip("73102") == ZipResult("73102", None, None)
    assert normalize_zip("73102-1234") == ZipResult("73102", "1234", None)
    assert normalize_zip("731021234") == ZipResult("73102", "1234", None)
    assert normalize_zip("73102 1234") == ZipResult("73102", "1234", None)
    assert normalize_zip("73102.0") == ZipResult("73102", None, None)
    assert normalize_zip(73102) == ZipResult("73102", None, None)
    assert normalize_zip(73102.0) == ZipResult("73102", None, None)
    assert normalize_zip(" 73102 ") == ZipResult("73102", None, None)
    assert normalize_zip("73102-0000") == ZipResult("73102", None, None)


def test_lost_leading_zeros_restored_only_for_zero_zip_states() -> None:
    assert normalize_zip("2116", "MA") == ZipResult("02116", None, None)
    assert normalize_zip(2116, "Massachusetts") == ZipResult("02116", None, None)
    assert normalize_zip("2116-1234", "MA") == ZipResult("02116", "1234", None)
    assert normalize_zip("21161234", "MA") == ZipResult("02116", "1234", None)
    assert normalize_zip("601", "PR") == ZipResult("00601", None, None)
    assert normalize_zip("6103", "CT") == ZipResult("06103", None, None)
    assert normalize_zip("9012", "AE") == ZipResult("09012", None, None)
    # no state, another state, or a ZIP outside the state's ranges: never guessed
    assert normalize_zip("2116") == ZipResult(None, None, "too short")
    assert normalize_zip("2116", "TX") == ZipResult(None, None, "too short")
    assert normalize_zip("7310", "NJ") == ZipResult("07310", None, None)
    assert normalize_zip("2116", "PR") == ZipResult(None, None, "too short")


def test_bad_zip_codes_say_why() -> None:
    assert normalize_zip("") == ZipResult(None, None, "empty")
    assert normalize_zip(None) == ZipResult(None, None, "empty")
    assert normalize_zip("00000") == ZipResult(None, None, "zero zip")
    assert normalize_zip("ABCDE") == ZipResult(None, None, "not a zip code")
    assert normalize_zip("731023") == ZipResult(None, None, "too long")
    assert normalize_zip("73102-12") == ZipResult(None, None, "invalid zip+4")
    assert normalize_zip("73-102-1234") == ZipResult(None, None, "not a zip code")
