from cmplatform.lib.normalize import email_key, name_key, phone_number_key, phone_to_e164


def test_name_key_folds_accents_case_and_punctuation():
    assert name_key("O'Brien-Núñez ") == "OBRIENNUNEZ"
    assert name_key("de la Cruz") == "DELACRUZ"
    assert name_key("") == ""


def test_email_key_trims_and_lowercases_like_the_ingestion_normaliser():
    assert email_key("  John.Smith@Gmail.COM ") == "john.smith@gmail.com"
    assert email_key("<Jo@X.com>") == email_key("mailto:jo@x.com") == "jo@x.com"
    assert email_key(" Not An Address ") == "not an address"


def test_phone_to_e164_accepts_common_us_formats():
    for raw in ("(405) 235-7100", "405.235.7100", "+1 405-235-7100", "1-405-235-7100"):
        assert phone_to_e164(raw) == "+14052357100"


def test_phone_to_e164_rejects_invalid_numbers():
    assert phone_to_e164("555-1234") is None
    assert phone_to_e164("N/A") is None
    assert phone_to_e164("+1 555-555-0123") is None


def test_phone_number_key_prefers_e164_and_keeps_invalid_raw():
    assert phone_number_key(raw="(405) 235-7100", e164="+14052357100") == "+14052357100"
    assert phone_number_key(raw="555-1234", e164=None) == "x5551234"
    assert phone_number_key(raw=" N/A ", e164=None) == "xN/A"
