from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cmplatform.lib import env


def test_boolean_accepts_common_spellings_and_rejects_typos():
    assert env.boolean("X", False, environ={"X": "Yes"}) is True
    assert env.boolean("X", True, environ={"X": "off"}) is False
    assert env.boolean("X", True, environ={}) is True
    with pytest.raises(ImproperlyConfigured, match=r"X='flase' is not a boolean"):
        env.boolean("X", False, environ={"X": "flase"})


def test_integer_parses_and_checks_bounds():
    assert env.integer("N", 5, environ={"N": " 42 "}) == 42
    assert env.integer("N", 5, environ={}) == 5
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env.integer("N", 5, environ={"N": "4k"})
    with pytest.raises(ImproperlyConfigured, match="below 0"):
        env.integer("N", 5, minimum=0, environ={"N": "-1"})


def test_string_required_without_default():
    with pytest.raises(ImproperlyConfigured, match="NEEDED is required"):
        env.string("NEEDED", environ={})
    assert env.string("NEEDED", environ={"NEEDED": " v "}) == "v"


def test_list_drops_blank_items():
    assert env.string_list("L", [], environ={"L": "a, b,,c ,"}) == ["a", "b", "c"]
    assert env.string_list("L", ["d"], environ={}) == ["d"]


def test_path_must_be_absolute():
    assert env.path("P", Path("/x"), environ={"P": "/srv/var"}) == Path("/srv/var")
    with pytest.raises(ImproperlyConfigured, match="must be absolute"):
        env.path("P", Path("/x"), environ={"P": "var"})


def test_secret_from_file(tmp_path):
    secret_file = tmp_path / "key"
    secret_file.write_text("s3cret\n", encoding="utf-8")
    assert env.secret("KEY", environ={"KEY_FILE": str(secret_file)}) == "s3cret"
    assert env.secret("KEY", environ={"KEY": "direct"}) == "direct"
    assert env.secret("KEY", environ={}) is None


def test_secret_errors_are_explicit(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env.secret("KEY", environ={"KEY": "a", "KEY_FILE": str(empty)})
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        env.secret("KEY", environ={"KEY_FILE": str(empty)})
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env.secret("KEY", environ={"KEY_FILE": str(tmp_path / "missing")})


def test_probability_parses_and_refuses_values_outside_zero_to_one():
    assert env.probability("P", 0.97, environ={}) == 0.97
    assert env.probability("P", 0.97, environ={"P": " 0.5 "}) == 0.5
    with pytest.raises(ImproperlyConfigured, match="not a probability"):
        env.probability("P", 0.97, environ={"P": "1.5"})
    with pytest.raises(ImproperlyConfigured, match="not a number"):
        env.probability("P", 0.97, environ={"P": "high"})
