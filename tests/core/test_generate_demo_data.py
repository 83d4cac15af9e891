import csv
import json

import pytest
from django.core.management import CommandError, call_command


def test_command_writes_sources_ground_truth_and_manifest(tmp_path, capsys):
    call_command("generate_demo_data", "--rows", "500", "--out", str(tmp_path), verbosity=0)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == 500
    assert sum(source["rows"] for source in manifest["sources"]) == 500
    with (tmp_path / "ground_truth.csv").open(newline="", encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 500
    output = capsys.readouterr().out
    assert "Wrote 500 records of 440 people (duplicate rate 12.0%)" in output
    assert "legacy_owners.sql" in output


def test_command_writes_only_the_chosen_kind(tmp_path):
    call_command(
        "generate_demo_data", "--rows", "200", "--out", str(tmp_path), "--sources", "mail_csv",
        verbosity=0,
    )  # fmt: skip
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "campaign_mail_2024.csv",
        "ground_truth.csv",
        "manifest.json",
    ]


def test_command_refuses_zero_rows(tmp_path):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_demo_data", "--rows", "0", "--out", str(tmp_path))
    assert list(tmp_path.iterdir()) == []
