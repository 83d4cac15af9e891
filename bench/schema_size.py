"""Measure the canonical schema's footprint on MariaDB and project it to 84M persons.

Fills a scratch database with N synthetic persons (set-based INSERT ... SELECT from MariaDB's
sequence engine), one address and 1.3 phones per person, an e-mail for 60%, then reads InnoDB's
own statistics: average row size, data and index bytes per table and per index, and the plans
of typical priority-list queries. Prints the figures and the linear projection to 84M.

    .venv/bin/python bench/schema_size.py --rows 1000000

Sets innodb_buffer_pool_size (8 GB by default, as deploy/mariadb.cnf) and says so.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import MySQLdb

PROJECT = Path(__file__).resolve().parents[1]
TARGET_PERSONS = 84_000_000
FIRST = "'JAMES','MARY','ROBERT','PATRICIA','JOHN','JENNIFER','MICHAEL','LINDA','WILLIAM','ELIZABETH','DAVID','BARBARA','RICHARD','SUSAN','JOSEPH','JESSICA','THOMAS','SARAH','CHARLES','KAREN'"  # noqa: E501
LAST = "'SMITH','JOHNSON','WILLIAMS','BROWN','JONES','GARCIA','MILLER','DAVIS','RODRIGUEZ','MARTINEZ','HERNANDEZ','LOPEZ','GONZALEZ','WILSON','ANDERSON','THOMAS','TAYLOR','MOORE','JACKSON','MARTIN'"  # noqa: E501
STATES = "'TX','OK','NM','ND','CO','WY','LA','KS','PA','WV','OH','MT','CA','FL','AZ','IL','NY','GA'"
STATUSES = "'new','attempted','contacted','interested','offer_sent','under_contract','closed_won','closed_lost','not_interested'"  # noqa: E501


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default="cmp_bench_schema")
    parser.add_argument("--buffer-pool-gb", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    arguments = parser.parse_args()
    rows = arguments.rows

    server = MySQLdb.connect(host="127.0.0.1", user="root", charset="utf8mb4")
    cursor = server.cursor()
    cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {arguments.buffer_pool_gb << 30}")
    cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size")
    version, pool = cursor.fetchone()
    print(f"MariaDB {version}, innodb_buffer_pool_size = {int(pool) >> 30} GiB (set by this bench)")
    cursor.execute(f"DROP DATABASE IF EXISTS `{arguments.database}`")
    cursor.execute(
        f"CREATE DATABASE `{arguments.database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )

    os.environ.update(
        DATABASE_URL=f"mysql://root@127.0.0.1:3306/{arguments.database}",
        DJANGO_SETTINGS_MODULE="cmplatform.settings",
    )
    os.environ.setdefault("SECRET_KEY", "bench-only")
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cursor.execute(f"USE `{arguments.database}`")

    fill = [
        (
            "persons",
            f"""INSERT INTO persons (first_name, middle_name, last_name, suffix, first_name_key,
                last_name_key, state, county, zip5, is_original, is_duplicate, is_manual_override,
                manual_override_fields, lead_status, score, source, created_at, updated_at)
            SELECT ELT(1 + seq % 20, {FIRST}), IF(seq % 3 = 0, 'A', ''),
                   CONCAT(ELT(1 + (seq DIV 20) % 20, {LAST}), IF(seq % 7 = 0, 'SON', '')),
                   IF(seq % 50 = 0, 'JR', ''), ELT(1 + seq % 20, {FIRST}),
                   CONCAT(ELT(1 + (seq DIV 20) % 20, {LAST}), IF(seq % 7 = 0, 'SON', '')),
                   ELT(1 + seq % 18, {STATES}), CONCAT('County ', seq % 97),
                   LPAD(seq % 99999, 5, '0'), 1, 0, 0, '[]', ELT(1 + (seq DIV 7) % 9, {STATUSES}),
                   (seq * 37) % 101, 'legacy_owners', NOW(6) - INTERVAL (seq % 2000) DAY, NOW(6)
            FROM seq_1_to_{rows}""",
        ),
        (
            "addresses",
            """INSERT INTO addresses (person_id, street, city, state, zip5, zip4, county,
                address_key, is_primary, created_at, updated_at)
            SELECT id, CONCAT(id % 9999, ' N MAIN ST APT ', id % 40), 'MIDLAND', state, zip5,
                   LPAD(id % 9999, 4, '0'), county,
                   CONCAT(id % 9999, ' N MAIN ST APT ', id % 40, '|', zip5), 1, NOW(6), NOW(6)
            FROM persons""",
        ),
        (
            "phone_numbers",
            """INSERT INTO phone_numbers (person_id, raw, e164, number_key, phone_type,
                is_primary, is_valid, dnc_status, created_at, updated_at)
            SELECT p.id, CONCAT('(432) ', LPAD((p.id * 7 + n.seq) % 10000000, 7, '0')),
                   CONCAT('+1432', LPAD((p.id * 7 + n.seq) % 10000000, 7, '0')),
                   CONCAT('+1432', LPAD((p.id * 7 + n.seq) % 10000000, 7, '0')),
                   'unknown', n.seq = 1, 1, 'UNCHECKED', NOW(6), NOW(6)
            FROM persons p JOIN seq_1_to_2 n ON n.seq = 1 OR p.id % 10 < 3""",
        ),
        (
            "email_addresses",
            """INSERT INTO email_addresses (person_id, email, is_primary, is_verified, is_valid,
                opt_out_status, created_at, updated_at)
            SELECT id, LOWER(CONCAT(first_name_key, '.', last_name_key, id, '@gmail.com')),
                   1, 0, 1, 'CLEAR', NOW(6), NOW(6)
            FROM persons WHERE id % 10 < 6""",
        ),
    ]
    for table, sql in fill:
        started = time.perf_counter()
        cursor.execute(sql)
        server.commit()
        elapsed = time.perf_counter() - started
        print(f"filled {table:<16} {cursor.rowcount:>11,} rows in {elapsed:6.1f} s")

    tables = [table for table, _ in fill]
    cursor.execute(f"ANALYZE TABLE {', '.join(tables)}")
    cursor.fetchall()
    print()
    print(
        f"{'table':<16} {'rows':>11} {'avg row B':>10} {'data MiB':>9} {'index MiB':>10}"
        f" {'at 84M persons GiB (data+index)':>32}"
    )
    total_projected = 0.0
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        (count,) = cursor.fetchone()
        cursor.execute(
            "SELECT data_length, index_length FROM information_schema.TABLES "
            "WHERE table_schema = %s AND table_name = %s",
            (arguments.database, table),
        )
        data, index = cursor.fetchone()
        projected = (data + index) * TARGET_PERSONS / rows / (1 << 30)
        total_projected += projected
        print(
            f"{table:<16} {count:>11,} {data / max(count, 1):>10.0f} {data / 2**20:>9.1f}"
            f" {index / 2**20:>10.1f} {projected:>32.1f}"
        )
    print(f"{'total':<16} {'':>11} {'':>10} {'':>9} {'':>10} {total_projected:>32.1f}")

    print()
    print("Per index (InnoDB pages x 16 KiB; PRIMARY is the clustered data):")
    cursor.execute(
        "SELECT table_name, index_name, stat_value * @@innodb_page_size "
        "FROM mysql.innodb_index_stats "
        "WHERE database_name = %s AND stat_name = 'size' AND table_name IN %s "
        "ORDER BY table_name, index_name",
        (arguments.database, tables),
    )
    for table, index, size in cursor.fetchall():
        projected = size * TARGET_PERSONS / rows / (1 << 30)
        print(f"  {table:<16} {index:<36} {size / 2**20:>8.1f} MiB  → {projected:6.1f} GiB at 84M")

    from cmplatform.core.models import Person

    queries = {
        "state+status by score": Person.objects.golden()
        .filter(state="TX", lead_status="interested")
        .order_by("-score", "-id")[:50],
        "state+county by score": Person.objects.filter(state="OK", county="County 5").order_by(
            "-score", "-id"
        )[:50],
        "zip by score": Person.objects.filter(zip5="00042").order_by("-score", "-id")[:50],
        "name+zip match key": Person.objects.filter(
            last_name_key="SMITH", first_name_key="JAMES", zip5="00042"
        ),
        "recently updated": Person.objects.order_by("-updated_at", "-id")[:50],
    }
    print()
    print("Plans and timings (warm, median of 20):")
    for name, queryset in queries.items():
        plan = queryset.explain()
        durations = []
        for _ in range(20):
            started = time.perf_counter()
            list(queryset.all())  # a fresh clone: no result cache
            durations.append(time.perf_counter() - started)
        durations.sort()
        key = next(line for line in plan.splitlines() if line.strip())
        print(f"  {name:<24} {durations[10] * 1000:7.2f} ms  {key}")

    if not arguments.keep:
        cursor.execute(f"DROP DATABASE `{arguments.database}`")
    server.close()


if __name__ == "__main__":
    main()
