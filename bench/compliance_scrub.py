"""Compliance scrub at scale on MariaDB: full re-scrub, incremental change list, point check.

Seeds a scratch database (set-based, with MariaDB's ``seq_1_to_N`` sequence tables, so seeding
costs minutes, not hours): ``--persons`` golden records in 50 real area codes, each with one or
two phone numbers (1.2 per person), ``--dnc`` numbers on the national registry in the same area
codes (every 8th number of each area code's space: about one in eight of our numbers is
listed), a state list for the state-list states, 0.5% of persons with an internal DNC or opt-out
suppression, fresh coverage for every area code and state, and three recent call attempts for
1% of persons. Then measures, through the platform's own code:

* **full scrub**: ``compliance.scrub.scrub_all`` (every phone and golden record), twice: the
  first writes every status, the re-scrub finds them in place (the nightly case);
* **incremental**: a change list of ``--change`` numbers (half additions of our unlisted numbers,
  half deletions of listed ones) loaded with ``load_registry`` (landing, batch, reconciliation,
  then the rescrub of the persons holding a changed number);
* **point check**: ``compliance.services.may_contact`` for ``--checks`` random persons
  (p50/p95/p99 in ms, each evaluation stored as in production).

Prints the figures; sets innodb_buffer_pool_size (8 GiB by default, as deploy/mariadb.cnf).
    .venv/bin/python bench/compliance_scrub.py --persons 10000000 --dnc 50000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import MySQLdb

ROOT = Path(__file__).resolve().parent.parent
NPAS = 50
# Each area code's number space: NXX 200-999 x 10,000 lines = 8,000,000 numbers.
SPACE = 8_000_000


def sql(cursor: MySQLdb.cursors.Cursor, statement: str, *params: object) -> float:
    started = time.perf_counter()
    cursor.execute(statement, params or None)
    return time.perf_counter() - started


def number_expression(npa_index: str, line: str) -> str:
    """SQL for the E.164 number ``line`` (0..SPACE-1) of the area code at ``npa_index``."""
    return (
        f"CONCAT('+1', (SELECT npa FROM bench_npas WHERE k = {npa_index}), "
        f"LPAD(200 + ({line}) DIV 10000, 3, '0'), LPAD(({line}) MOD 10000, 4, '0'))"
    )


def seed(connection: MySQLdb.Connection, persons: int, dnc: int) -> dict[str, float]:
    cursor = connection.cursor()
    timings: dict[str, float] = {}
    sql(cursor, "SET SESSION unique_checks = 0")
    sql(cursor, "DROP TABLE IF EXISTS bench_npas")
    sql(cursor, "CREATE TABLE bench_npas (k INT PRIMARY KEY, npa CHAR(3), state CHAR(2))")
    sql(
        cursor,
        "INSERT INTO bench_npas SELECT ROW_NUMBER() OVER (ORDER BY npa) - 1, npa, state "
        "FROM area_codes WHERE NOT is_toll_free AND state <> '' AND npa NOT IN "
        "('555') ORDER BY npa LIMIT %s",
        NPAS,
    )
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    timings["persons"] = sql(
        cursor,
        "INSERT INTO persons (id, first_name, middle_name, last_name, suffix, first_name_key, "
        "last_name_key, state, county, zip5, is_original, is_duplicate, is_manual_override, "
        "manual_override_fields, survivorship, lead_status, score, source, created_at, "
        "updated_at) SELECT seq, 'JOHN', '', CONCAT('SMITH', seq MOD 50000), '', 'john', "
        "CONCAT('smith', seq MOD 50000), n.state, 'COUNTY', LPAD(seq MOD 99999, 5, '0'), 1, 0, "
        "0, '[]', '{}', 'new', seq MOD 100, 'bench', %s, %s "
        f"FROM seq_1_to_{persons} JOIN bench_npas n ON n.k = seq MOD {NPAS}",
        now,
        now,
    )
    connection.commit()
    # 1.2 numbers per person: every person one, every fifth a second one. The line is a
    # scrambled function of the person id so numbers spread over the area code's space.
    phone_select = (
        "SELECT {id}, {number}, {number}, {number}, 'unknown', {primary}, 1, 'UNCHECKED', "
        "%s, %s, seq FROM seq_1_to_{count}{where}"
    )
    for label, primary, salt, where in (
        ("phones", 1, 7919, ""),
        ("phones2", 0, 104729, " WHERE seq MOD 5 = 0"),
    ):
        line = f"(seq * {salt} + 12345) MOD {SPACE}"
        number = number_expression(f"(seq MOD {NPAS})", line)
        ident = "seq" if primary else f"{persons} + seq"
        timings[label] = sql(
            cursor,
            "INSERT IGNORE INTO phone_numbers (id, raw, e164, number_key, phone_type, is_primary, "
            "is_valid, dnc_status, created_at, updated_at, person_id) "
            + phone_select.format(
                id=ident, number=number, primary=primary, count=persons, where=where
            ),
            now,
            now,
        )
        connection.commit()
    per_npa = dnc // NPAS
    today = dt.date.today().isoformat()
    # Every 8th number of each area code's space, in primary-key order per area code.
    timings["dnc_federal"] = 0.0
    for k in range(NPAS):
        timings["dnc_federal"] += sql(
            cursor,
            "INSERT INTO dnc_federal (phone, npa, added_on, import_batch_id, loaded_at) "
            f"SELECT {number_expression(str(k), '(seq - 1) * 8')}, "
            f"(SELECT npa FROM bench_npas WHERE k = {k}), %s, NULL, %s "
            f"FROM seq_1_to_{per_npa}",
            today,
            now,
        )
        connection.commit()
    timings["dnc_state"] = sql(
        cursor,
        "INSERT IGNORE INTO dnc_state (phone, state, list_version_date, loaded_at) "
        "SELECT p.e164, n.state, %s, %s FROM phone_numbers p "
        "JOIN bench_npas n ON n.npa = SUBSTR(p.e164, 3, 3) WHERE p.id MOD 50 = 0",
        today,
        now,
    )
    timings["suppressions"] = sql(
        cursor,
        "INSERT INTO compliance_suppressions (person_id, identifier_type, identifier, channel, "
        "reason, source, received_at, message, note, review, request, is_active, "
        "lifted_reason, created_at) SELECT seq, 'person', '', 'all', IF(seq MOD 2, "
        "'DNC_INTERNAL', 'OPTED_OUT'), 'file', %s, '', '', '', '', 1, '', %s "
        f"FROM seq_1_to_{persons} WHERE seq MOD 400 IN (7, 8)",
        now,
        now,
    )
    sql(
        cursor,
        "INSERT INTO dnc_registry_coverage (kind, scope, as_of, full_list_on, updated_at) "
        "SELECT 'federal', npa, %s, %s, %s FROM bench_npas",
        today,
        today,
        now,
    )
    sql(
        cursor,
        "INSERT INTO dnc_registry_coverage (kind, scope, as_of, full_list_on, updated_at) "
        "SELECT 'state', s.state, %s, %s, %s FROM (SELECT 'CO' state UNION SELECT 'FL' UNION "
        "SELECT 'IN' UNION SELECT 'LA' UNION SELECT 'MA' UNION SELECT 'MO' UNION SELECT 'OK' "
        "UNION SELECT 'PA' UNION SELECT 'TN' UNION SELECT 'TX' UNION SELECT 'WY') s",
        today,
        today,
        now,
    )
    timings["touchpoints"] = sql(
        cursor,
        "INSERT INTO touchpoints (person_id, channel, occurred_at, status, metadata, source, "
        "created_at) SELECT p.seq, 'call', NOW() - INTERVAL h.seq HOUR, 'no_answer', '{}', "
        f"'bench', %s FROM seq_1_to_{persons} p JOIN seq_1_to_3 h WHERE p.seq MOD 100 = 3",
        now,
    )
    connection.commit()
    sql(cursor, "ANALYZE TABLE persons, phone_numbers, dnc_federal, dnc_state")
    return timings


def change_list(connection: MySQLdb.Connection, count: int, path: Path) -> None:
    """Half additions (our numbers not listed), half deletions (our listed numbers)."""
    cursor = connection.cursor()
    half = count // 2
    cursor.execute(
        "SELECT e164 FROM phone_numbers p WHERE NOT EXISTS (SELECT 1 FROM dnc_federal d "
        "WHERE d.phone = p.e164) LIMIT %s",
        (half,),
    )
    added = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT e164 FROM phone_numbers p WHERE EXISTS (SELECT 1 FROM dnc_federal d "
        "WHERE d.phone = p.e164 AND d.removed_on IS NULL) LIMIT %s",
        (count - half,),
    )
    deleted = [row[0] for row in cursor.fetchall()]
    with path.open("w") as handle:
        handle.writelines(f"{n[2:5]},{n[5:]},A\n" for n in added)
        handle.writelines(f"{n[2:5]},{n[5:]},D\n" for n in deleted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=10_000_000)
    parser.add_argument("--dnc", type=int, default=50_000_000)
    parser.add_argument("--change", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=2_000)
    parser.add_argument("--database", default="cmpbench_compliance")
    parser.add_argument("--buffer-pool-gb", type=int, default=8)
    parser.add_argument("--reuse", action="store_true", help="Skip seeding (same database).")
    parser.add_argument("--skip-full", action="store_true", help="No full scrub (with --reuse).")
    args = parser.parse_args()

    server = MySQLdb.connect(host="127.0.0.1", user="root", local_infile=1)
    cursor = server.cursor()
    cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {args.buffer_pool_gb << 30}")
    var_dir = Path(tempfile.mkdtemp(prefix="cmp-bench-compliance-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"mysql://root@127.0.0.1:3306/{args.database}",
        "CMP_VAR_DIR": str(var_dir),
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "cmplatform.settings",
    }
    if not args.reuse:
        cursor.execute(f"DROP DATABASE IF EXISTS {args.database}")
        cursor.execute(
            f"CREATE DATABASE {args.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        database = MySQLdb.connect(host="127.0.0.1", user="root", database=args.database)
        started = time.perf_counter()
        timings = seed(database, args.persons, args.dnc)
        print(
            f"seeded {args.persons:,} persons, ~{int(args.persons * 1.2):,} phones, "
            f"{args.dnc:,} national DNC numbers in {time.perf_counter() - started:.0f} s "
            f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())})",
            flush=True,
        )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from cmplatform.core.models import Person
    from compliance.scrub import scrub_all
    from compliance.selectors import status_counts
    from compliance.services import may_contact

    labels = ["first scrub (every status new)", "full re-scrub (statuses in place)"]
    if args.reuse:
        labels = [] if args.skip_full else ["full re-scrub (statuses in place)"]
    for label in labels:
        result = scrub_all()
        print(
            f"{label}: {result.phones:,} phones and {result.persons:,} golden records in "
            f"{result.seconds:.1f} s ("
            + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in result.phases.items())
            + ")",
            flush=True,
        )
    print(f"  call statuses: {status_counts('call')}", flush=True)

    database = MySQLdb.connect(host="127.0.0.1", user="root", database=args.database)
    path = var_dir / "changes.txt"
    change_list(database, args.change, path)
    started = time.perf_counter()
    call_command(
        "load_registry",
        str(path),
        "--kind",
        "federal",
        "--change-list",
        "--list-date",
        dt.date.today().isoformat(),
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )
    print(
        f"incremental: change list of {args.change:,} numbers loaded and rescrubbed in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )

    rng = random.Random(5)
    ids = [rng.randint(1, args.persons) for _ in range(args.checks)]
    at = dt.datetime.now(dt.UTC).replace(hour=17, minute=0)
    may_contact(person_id=ids[0], channel="call", at=at)  # warm caches (windows, zones)
    latencies = []
    decisions: dict[str, int] = {}
    for person_id in ids:
        started = time.perf_counter()
        decision = may_contact(person_id=person_id, channel="call", at=at)
        latencies.append((time.perf_counter() - started) * 1000)
        decisions[decision.decision] = decisions.get(decision.decision, 0) + 1
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"point check may_contact(call): {args.checks:,} persons, p50 {quantiles[49]:.2f} ms, "
        f"p95 {quantiles[94]:.2f} ms, p99 {quantiles[98]:.2f} ms ({decisions})",
        flush=True,
    )
    unscrubbed = Person.objects.filter(is_duplicate=False, call_status="").count()
    if unscrubbed:
        raise SystemExit(f"error: {unscrubbed:,} golden records were left unscrubbed")


if __name__ == "__main__":
    main()
