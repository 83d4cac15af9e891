"""The embedded broker writes message files atomically: a consumer never reads half a message."""

from __future__ import annotations

from pathlib import Path
from queue import Empty
from typing import Any

import pytest
from kombu import Connection

from cmplatform.lib import celery_filesystem
from cmplatform.lib.celery_filesystem import Transport


def _connection(folder: Path) -> Connection:
    return Connection(
        "filesystem://localhost//",
        transport=Transport,
        transport_options={
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    )


def test_no_consumable_file_exists_while_a_message_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "control").mkdir()
    seen_while_writing: list[list[str]] = []
    real_dumps = celery_filesystem.dumps

    def spying_dumps(message: Any) -> str:
        seen_while_writing.append(sorted(p.name for p in tmp_path.glob("*.msg")))
        return real_dumps(message)

    monkeypatch.setattr(celery_filesystem, "dumps", spying_dumps)
    with _connection(tmp_path) as connection:
        channel = connection.default_channel
        channel._put("imports", {"batch": 7})
        first = sorted(p.name for p in tmp_path.glob("*.msg"))
        channel._put("imports", {"batch": 8})
        # while each message was written only the messages complete before it could be seen
        assert len(first) == 1
        assert seen_while_writing == [[], first]
        received = [channel._get("imports")["batch"] for _ in range(2)]
        assert sorted(received) == [7, 8]  # same-millisecond messages come in either order


def test_a_file_still_being_written_is_not_taken(tmp_path: Path) -> None:
    (tmp_path / "control").mkdir()
    partial = tmp_path / ".1_x.imports.msg.part"
    partial.write_bytes(b"")
    with _connection(tmp_path) as connection:
        channel = connection.default_channel
        channel._put("imports", {"batch": 9})
        assert channel._get("imports") == {"batch": 9}
        with pytest.raises(Empty):
            channel._get("imports")
    assert partial.exists()
