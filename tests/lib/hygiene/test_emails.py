"""E-mail normalisation: exact examples, placeholders, fast path proven equal to
email-validator."""

from __future__ import annotations

import random
import string

from cmplatform.lib.hygiene import emails
from cmplatform.lib.hygiene.emails import (
    EmailResult,
    normalize_email,
    normalize_email_with_library,
)


def test_cleans_case_brackets_and_mailto() -> None:
    assert normalize_email(" <John.Smith@Gmail.COM> ") == EmailResult(
        " <John.Smith@Gmail.COM> ", "john.smith@gmail.com", True, None
    )
    assert normalize_email("mailto:a.b@x.org").email == "a.b@x.org"
    assert normalize_email("John Smith <JS@Example.net>").email == "js@example.net"
    assert normalize_email("jane_doe+farm@okstate.edu").email == "jane_doe+farm@okstate.edu"


def test_placeholders_are_invalid_but_kept() -> None:
    for raw in (
        "none@none.com",
        "NONE@NONE.COM",
        "noemail@gmail.com",
        "na@na.com",
        "no@email.com",
        "x@x.com",
        "test@test.com",
        "unknown@yahoo.com",
        "someone@example.com",
    ):
        result = normalize_email(raw)
        assert (result.is_valid, result.reason) == (False, "placeholder"), raw
        assert result.email == raw.strip().lower()


def test_bad_syntax_is_invalid_with_the_library_reason() -> None:
    assert normalize_email("") == EmailResult("", None, False, "empty")
    assert normalize_email(None) == EmailResult("", None, False, "empty")
    result = normalize_email("john..smith@gmail.com")
    assert (result.email, result.is_valid) == (None, False)
    assert result.reason == "An email address cannot have two periods in a row."
    assert normalize_email("john@gmail").reason == (
        "The part after the @-sign is not valid. It should have a period."
    )
    assert normalize_email("john@host.test").is_valid is False
    assert normalize_email("not an email").is_valid is False


def test_internationalised_addresses_go_to_the_library() -> None:
    assert normalize_email("José@Correo.MX") == EmailResult(
        "José@Correo.MX", "josé@correo.mx", True, None
    )


def _random_local_part(rng: random.Random) -> str:
    alphabet = string.ascii_lowercase + string.digits + "._+-"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))


def _random_domain(rng: random.Random) -> str:
    labels = [
        "".join(
            rng.choice(string.ascii_lowercase + string.digits + "-")
            for _ in range(rng.randint(1, 8))
        )
        for _ in range(rng.randint(1, 3))
    ]
    top_level = rng.choice(
        ("com", "net", "org", "io", "co", "us", "c0m", "1", "test", "local", "x")
    )
    return ".".join([*labels, top_level])


def test_fast_path_gives_exactly_the_library_result_on_generated_addresses() -> None:
    rng = random.Random(11)
    fast_path_used = 0
    for _ in range(4000):
        raw = f"{_random_local_part(rng)}@{_random_domain(rng)}"
        if rng.random() < 0.3:
            raw = raw.upper()
        if rng.random() < 0.1:
            raw = f" <{raw}> "
        if emails._is_plain(emails._clean(raw)):
            fast_path_used += 1
        assert normalize_email(raw) == normalize_email_with_library(raw), raw
    assert fast_path_used > 800


def test_fast_path_agrees_on_edge_cases() -> None:
    long_label = "a" * 63
    for raw in (
        "a@b.c", "a.@x.com", ".a@x.com", "a@-x.com", "a@x-.com", "a@x--y.com", "a@x.123",
        f"{'a' * 64}@x.com", f"{'a' * 65}@x.com", f"a@{long_label}.com", f"a@{long_label}a.com",
        f"a@{'.'.join([long_label] * 4)}.com", "a@b.onion", "a@b.arpa", "a@localhost",
        '"a b"@x.com', "a@[1.2.3.4]", "a_b@x_y.com", "ab--cd@x.com", "a@xn--p1ai.com",
    ):  # fmt: skip
        assert normalize_email(raw) == normalize_email_with_library(raw), raw
