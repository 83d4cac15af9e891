"""Values per second, per core, of the data-hygiene normalisers (cmplatform.lib.hygiene).

    python bench/hygiene_rates.py                    # rates on a 1M-row demo mail CSV
    python bench/hygiene_rates.py --accuracy-rows 50000   # + acceptance figures on demo truth
    python bench/hygiene_rates.py --check-prefixes   # + the full 10^6 NPA-NXX scan (minutes)

The mail CSV (``generate_demo_sources(rows=..., kinds=["mail_csv"])``, ~30 s for 1M rows) is
written once under ``--data-dir`` and reused. Every normaliser runs single-threaded over the
non-empty values of its columns twice: **cold** (all caches emptied first, so every distinct
value pays its first computation) and **warm** (second pass, caches full). Full names are not in
the mail CSV: they come from the demo's legacy dump, SMS and call-center records, generated in
memory. "library only" rows time the reference implementation each fast path is proven equal
to, on a sample.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import random
import resource
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cmplatform.demo import DemoPlan, generate_demo_sources
from cmplatform.lib import hygiene
from cmplatform.lib.hygiene import addresses, dates, emails, locations, names, phones

MAIL_FILE = "campaign_mail_2024.csv"


def _mail_columns(path: Path, columns: Sequence[str]) -> list[tuple[str, ...]]:
    """The given columns of every row of the mail CSV (only these, to keep memory small)."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        indexes = [header.index(column) for column in columns]
        return [tuple(row[index] for index in indexes) for row in reader]


def _time(function: Callable[..., object], values: Iterable[tuple[object, ...]]) -> float:
    """Seconds to call ``function(*value)`` for every value."""
    started = time.perf_counter()
    for value in values:
        function(*value)
    return time.perf_counter() - started


def _report(name: str, function: Callable[..., object], values: list[tuple[object, ...]]) -> None:
    """Print cold and warm rates of ``function`` over ``values``."""
    hygiene.clear_caches()
    cold = _time(function, values)
    warm = _time(function, values)
    distinct = len(set(values))
    print(
        f"{name:<28} {len(values):>9,} values ({distinct:>9,} distinct)  "
        f"cold {len(values) / cold:>10,.0f}/s   warm {len(values) / warm:>10,.0f}/s",
        flush=True,
    )


def _report_library(
    name: str, function: Callable[..., object], values: list[tuple[object, ...]]
) -> None:
    """Print the rate of a reference (library-only, uncached) implementation."""
    seconds = _time(function, values)
    print(f"{name:<28} {len(values):>9,} values  library only {len(values) / seconds:>10,.0f}/s")


def _full_names(rows: int, seed: int) -> list[tuple[object, ...]]:
    """Full-name cells of the demo's legacy dump, SMS and call records (generated in memory)."""
    plan = DemoPlan(rows=rows, seed=seed, kinds=["mysql_dump", "sms_tsv", "call_csv"])
    return [
        (row[1],) for kind in plan.kinds for _key, _entity, _household, row in plan.records(kind)
    ]


def _peak_memory_megabytes() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_rates(data_dir: Path, rows: int, full_name_rows: int, seed: int) -> None:
    """Generate (once) and measure."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / MAIL_FILE
    marker = data_dir / f".rows-{rows}-seed-{seed}"
    if not (path.exists() and marker.exists()):
        started = time.perf_counter()
        generate_demo_sources(rows=rows, out_dir=data_dir, seed=seed, kinds=["mail_csv"])
        marker.touch()
        print(f"generated {rows:,} mail rows in {time.perf_counter() - started:.0f} s")
    print(f"per core, Python {sys.version.split()[0]}, data {path}\n")

    phone_values = [row for row in _mail_columns(path, ["Phone"]) if row[0]]
    _report("phones.normalize_phone", phones.normalize_phone, phone_values)
    _report_library(
        "phones (phonenumbers)", phones.normalize_phone_with_library, phone_values[:50_000]
    )
    fast_share = sum(phones._normalize_nanp_fast(value) is not None for (value,) in phone_values)
    print(f"{'':28} fast path share {100 * fast_share / len(phone_values):.2f} %")
    del phone_values

    email_values = [row for row in _mail_columns(path, ["Email"]) if row[0]]
    _report("emails.normalize_email", emails.normalize_email, email_values)
    _report_library(
        "emails (email-validator)", emails.normalize_email_with_library, email_values[:50_000]
    )
    del email_values

    name_values = _mail_columns(path, ["First Name", "Last Name"])
    _report(
        "names.normalize_name_parts",
        lambda first, last: names.normalize_name_parts(first, None, last, None),
        name_values,
    )
    del name_values

    state_values = _mail_columns(path, ["State"])
    _report("locations.normalize_state", locations.normalize_state, state_values)
    zip_values = [row for row in _mail_columns(path, ["ZIP", "State"]) if row[0]]
    _report("locations.normalize_zip", locations.normalize_zip, zip_values)
    del state_values, zip_values

    date_values = _mail_columns(path, ["Mailed On"])
    _report("dates.parse_date (MM/DD/YYYY)", dates.parse_date, date_values)
    # legacy CRM time stamps: one per row, nearly all distinct
    rng = random.Random(seed)
    iso_values = [
        (
            f"{rng.randint(2006, 2019)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        )
        for _ in range(len(date_values))
    ]
    _report("dates.parse_date (ISO ts)", dates.parse_date, iso_values)
    _report_library("dates (strptime)", dates.parse_date_with_library, date_values[:50_000])
    del date_values, iso_values

    address_values = [
        row for row in _mail_columns(path, ["Mailing Address", "City", "State", "ZIP"]) if row[0]
    ]
    _report("addresses.normalize_address", addresses.normalize_address, address_values)
    sample = [(street,) for street, *_rest in address_values[:10_000]]
    _report_library("addresses (scourgify)", addresses.standardize_street_with_library, sample)
    hygiene.clear_caches()
    results = [addresses.normalize_address(*row) for row in address_values]
    standardized = sum(result.is_standardized for result in results)
    fast = sum(
        addresses._standardize_fast(addresses._pre_clean(street, "", None, None).upper())
        is not None
        or addresses._special_form(addresses._pre_clean(street, "", None, None).upper()) is not None
        for street, *_rest in address_values
    )
    print(
        f"{'':28} standardised {100 * standardized / len(results):.2f} %, "
        f"fast path or box/rural rule {100 * fast / len(results):.2f} %"
    )
    del address_values, results

    full_name_values = _full_names(full_name_rows, seed)
    _report("names.parse_full_name", names.parse_full_name, full_name_values)
    _report_library(
        "full names (nameparser)", names.parse_full_name_with_library, full_name_values[:20_000]
    )
    print(
        f"\npeak memory of this process (value lists included): {_peak_memory_megabytes():.0f} MB"
    )


# ---------------------------------------------------------------------------------------------
# acceptance figures against the generator's truth


def _fold(text: str) -> str:
    text = text.replace("\u2019", "'")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def run_accuracy(rows: int, seed: int) -> None:
    """Phones standardised, names parsed correctly and addresses standardised on demo records,
    compared with what the generator wrote (recorded by wrapping its render functions)."""
    import phonenumbers

    from cmplatform.demo import render
    from cmplatform.demo.sources import SOURCES

    with render.recording() as written:
        shown_names, written_phones = written.names, written.phones
        plan = DemoPlan(rows=rows, seed=seed)
        print(f"\nacceptance on {rows:,} demo records (seed {seed})")
        full_name_columns = {
            "mysql_dump": "owner_name",
            "sms_tsv": "Name",
            "call_csv": "Owner Name",
        }
        split_columns = {
            "sqlite": ("FirstName", "MiddleName", "LastName", "Suffix"),
            "mail_csv": ("First Name", None, "Last Name", None),
            "xlsx": ("first_name", None, "last_name", "suffix"),
        }
        street_columns = {
            "mysql_dump": ("mail_addr1", "mail_city", "mail_state", "mail_zip"),
            "sqlite": ("Address", "City", "State", "Zip"),
            "mail_csv": ("Mailing Address", "City", "State", "ZIP"),
            "sms_tsv": ("Address", "City", "St", "Zip"),
            "call_csv": ("Street", "Town", "State", "Postal Code"),
            "xlsx": ("address", "city", "state", "zip"),
        }
        for kind in plan.kinds:
            columns = SOURCES[kind].columns
            names_total = names_correct = streets_total = streets_standardized = 0
            for _key, _entity, _household, row in plan.records(kind):
                first, _middle, last, suffix = shown_names[-1]
                cells = dict(zip(columns, row, strict=True))
                if kind in full_name_columns:
                    raw = str(cells[full_name_columns[kind]])
                    result = names.parse_full_name(raw)
                else:
                    first_column, middle_column, last_column, suffix_column = split_columns[kind]
                    raw = f"{cells[first_column]} {cells[last_column]}"
                    result = names.normalize_name_parts(
                        cells[first_column],
                        cells[middle_column] if middle_column else None,
                        cells[last_column],
                        cells[suffix_column] if suffix_column else None,
                    )
                    if '"' in str(cells[first_column]):
                        first = str(cells[first_column]).split('"')[0].strip()
                    raw = " ".join(
                        str(cells[column] or "") for column in split_columns[kind] if column
                    )
                words = {_fold(word).strip(".,") for word in raw.split()}
                bare_suffix = suffix.upper().replace(".", "")
                expected_suffix = (
                    names.GENERATIONAL_SUFFIXES.get(bare_suffix, suffix)
                    if suffix and _fold(suffix).strip(".") in words
                    else ""
                )
                names_total += 1
                names_correct += (
                    _fold(result.first) == _fold(first)
                    and _fold(result.last) == _fold(last)
                    and result.suffix == expected_suffix
                )
                street, city, state, zip_code = (cells[column] for column in street_columns[kind])
                if street:
                    streets_total += 1
                    streets_standardized += addresses.normalize_address(
                        street, city, state, zip_code
                    ).is_standardized
            print(
                f"  {kind:<11} names parsed correctly {100 * names_correct / names_total:6.2f} % "
                f"of {names_total:>7,}   streets standardised "
                f"{100 * streets_standardized / max(streets_total, 1):6.2f} % "
                f"of {streets_total:>7,}"
            )
    valid = standardized = invalid_truth = 0
    for written, digits in written_phones.items():
        if digits not in "".join(character for character in written if character.isdigit()):
            continue  # the generator wrote a junk value ("N/A", "555-1234") instead
        if not phonenumbers.is_valid_number(phonenumbers.parse(digits, "US")):
            invalid_truth += 1
            continue
        valid += 1
        standardized += phones.normalize_phone(written).e164 == f"+1{digits}"
    print(
        f"  phones: {100 * standardized / valid:.3f} % of {valid:,} distinct valid written numbers "
        f"standardised to their true E.164 ({invalid_truth} generated numbers that phonenumbers "
        "itself calls invalid left out)"
    )


# ---------------------------------------------------------------------------------------------
# the NPA-NXX claim of the phone fast path


def _scan_prefixes(bounds: tuple[int, int]) -> list[str]:
    """Prefixes in ``[low, high)`` whose numbers phonenumbers does not judge alike."""
    import phonenumbers
    from phonenumbers import PhoneNumber

    def verdict(national_number: int) -> tuple[bool, int]:
        number = PhoneNumber(country_code=1, national_number=national_number)
        is_valid = phonenumbers.is_valid_number(number)
        return is_valid, phonenumbers.number_type(number) if is_valid else -1

    low, high = bounds
    rng = random.Random(low)
    line_dependent = []
    for prefix in range(low, high):
        base = prefix * 10_000
        first = verdict(base + rng.randrange(10_000))
        # every 7th digit, random last three: a pattern that looks past the NXX shows here
        if any(
            verdict(base + seventh * 1000 + rng.randrange(1000)) != first for seventh in range(10)
        ):
            line_dependent.append(f"{prefix:06d}")
    return line_dependent


def run_prefix_check() -> None:
    """Scan all 800,000 NPA-NXX prefixes the fast path can see (first digit 2-9)."""
    started = time.perf_counter()
    chunks = [(low, low + 10_000) for low in range(200_000, 1_000_000, 10_000)]
    with multiprocessing.Pool(os.cpu_count()) as pool:
        found = sorted(prefix for chunk in pool.map(_scan_prefixes, chunks) for prefix in chunk)
    expected = sorted(phones.LINE_DEPENDENT_PREFIXES)
    print(
        f"\nNPA-NXX scan: {len(found)} line-dependent prefixes {found} "
        f"({'matches' if found == expected else 'DIFFERS FROM'} LINE_DEPENDENT_PREFIXES) "
        f"in {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="mail CSV rows")
    parser.add_argument("--full-name-rows", type=int, default=200_000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench/hygiene"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accuracy-rows", type=int, default=0, help="0: skip")
    parser.add_argument("--check-prefixes", action="store_true")
    parser.add_argument("--skip-rates", action="store_true")
    arguments = parser.parse_args()
    if not arguments.skip_rates:
        run_rates(arguments.data_dir, arguments.rows, arguments.full_name_rows, arguments.seed)
    if arguments.accuracy_rows:
        run_accuracy(arguments.accuracy_rows, arguments.seed)
    if arguments.check_prefixes:
        run_prefix_check()


if __name__ == "__main__":
    main()
