import pytest

from ingestion.mapping import resolve_mapping
from ingestion.parallel import normalized_chunks
from ingestion.records import normalize_record
from ingestion.sources import RowError, open_source

HEADER = "record_id,First Name,Last Name,Phone,Email\n"


@pytest.fixture
def csv_with_bad_rows(tmp_path):
    lines = [HEADER]
    for number in range(1, 1_001):
        if number == 250:
            lines.append("250,too,many,fields,here,extra\n")  # a ragged row
        elif number == 600:
            lines.append(f"{number},,,,\n")  # no name, no contact: rejected by the rules
        else:
            lines.append(f"{number},Ann{number},Lee,(405) 235-{7000 + number % 1000:04d},\n")
    path = tmp_path / "leads.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", [0, 2])
def test_chunks_come_in_source_order_and_account_for_every_row(csv_with_bad_rows, workers):
    with open_source(csv_with_bad_rows) as reader:
        mapping = resolve_mapping(reader.columns)
        chunks = list(
            normalized_chunks(reader, mapping, chunk_rows=300, slice_rows=70, workers=workers)
        )
    assert [(c.index, c.first_row, c.last_row, c.rows_read) for c in chunks] == [
        (0, 1, 300, 300),
        (1, 301, 600, 300),
        (2, 601, 900, 300),
        (3, 901, 1000, 100),
    ]
    assert sum(c.rows_read for c in chunks) == 1_000
    assert [e.number for c in chunks for e in c.row_errors] == [250]
    assert all(isinstance(e, RowError) for c in chunks for e in c.row_errors)
    assert [r.row_number for c in chunks for r in c.rejected] == [600]
    records = [r for c in chunks for r in c.records]
    assert [r.row_number for r in records] == [n for n in range(1, 1_001) if n not in (250, 600)]
    assert records[0].source_key == "1"


def test_workers_give_exactly_the_in_process_result(csv_with_bad_rows):
    with open_source(csv_with_bad_rows) as reader:
        mapping = resolve_mapping(reader.columns)
        expected = [
            normalize_record(item, mapping) for item in reader if not isinstance(item, RowError)
        ]
    with open_source(csv_with_bad_rows) as reader:
        chunks = list(normalized_chunks(reader, mapping, chunk_rows=1_000, workers=2))
    assert len(chunks) == 1
    outcomes = sorted([*chunks[0].records, *chunks[0].rejected], key=lambda o: o.row_number)
    assert outcomes == expected


def test_bad_sizes_are_refused(csv_with_bad_rows):
    with open_source(csv_with_bad_rows) as reader, pytest.raises(ValueError, match="positive"):
        next(normalized_chunks(reader, resolve_mapping(reader.columns), chunk_rows=0))


def _count_rows_in_a_daemon(path, results):
    with open_source(path) as reader:
        chunks = normalized_chunks(reader, resolve_mapping(reader.columns), workers=2)
        results.put(sum(chunk.rows_read for chunk in chunks))


def test_a_daemonic_process_normalises_in_process_instead_of_failing(csv_with_bad_rows):
    # A Celery prefork child is daemonic, and daemonic processes may not have children.
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=_count_rows_in_a_daemon, args=(csv_with_bad_rows, results), daemon=True
    )
    process.start()
    process.join(timeout=120)
    assert process.exitcode == 0
    assert results.get(timeout=5) == 1_000
