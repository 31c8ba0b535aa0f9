"""Benchmarks of the records loader and calculators (PostgreSQL; figures printed, nothing
asserted): bench_records [--rows N] [--departments 20] [--row-by-row]. Like bench_bonus it
runs on a throwaway test database (``test_<name>_bench``), created and dropped around it.

(a) load N shipment rows from CSV through the loader (its PostgreSQL fast path, or
    ``--row-by-row``) vs ``psql \\copy`` of the same file into a bare table; (b) one month's
    delivery KPIs for the departments vs the single hand-written GROUP BY that yields the same
    counts; (c) the loader's peak memory (max RSS growth) — run
    with two sizes to see it stay flat.
"""

import csv
import os
import resource
import shutil
import subprocess
import tempfile
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import utils as test_utils

from apps.departments.models import Department
from apps.kpis.periods import Period
from apps.records import selectors, services

HEADER = [
    "source_system",
    "source_record_id",
    "department",
    "ordered_at",
    "paid_at",
    "shipped_at",
    "delivered_at",
    "promised_at",
    "items_ordered",
    "items_delivered",
    "damaged",
]


def write_file(path: str, rows: int, departments: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            day = 1 + i % 28
            month = 1 + (i // 28) % 12
            out.writerow(
                [
                    "bench",
                    f"order-{i}",
                    departments[i % len(departments)],
                    f"2025-{month:02d}-{day:02d}T08:00:00+00:00",
                    f"2025-{month:02d}-{day:02d}T09:{i % 60:02d}:00+00:00",
                    f"2025-{month:02d}-{day:02d}T20:00:00+00:00",
                    "" if i % 9 == 0 else f"2025-{month:02d}-{day:02d}T23:00:00+00:00",
                    f"2025-{month:02d}-{min(day + 1 + i % 3, 28):02d}T23:59:00+00:00",
                    2,
                    2 if i % 11 else 1,
                    "1" if i % 97 == 0 else "0",
                ]
            )


HAND_WRITTEN = """
SELECT department_id,
  count(*) FILTER (WHERE delivered_on IS NOT NULL OR promised_on < %(as_of)s),
  count(*) FILTER (WHERE delivered_on IS NULL AND promised_on >= %(as_of)s),
  count(*) FILTER (WHERE delivered_on <= promised_on),
  count(*) FILTER (WHERE (delivered_on IS NOT NULL OR promised_on < %(as_of)s)
                   AND NOT coalesce(delivered_on <= promised_on, false)),
  count(*) FILTER (WHERE delivered_on IS NOT NULL AND first_attempt_ok IS NOT NULL),
  count(*) FILTER (WHERE delivered_on IS NOT NULL AND first_attempt_ok),
  count(*) FILTER (WHERE (delivered_on IS NOT NULL OR promised_on < %(as_of)s)
                   AND (damaged OR lost)),
  count(*) FILTER (WHERE delivered_on <= promised_on
                   AND coalesce(items_delivered >= items_ordered, true)),
  count(*) FILTER (WHERE delivered_on <= promised_on
                   AND coalesce(items_delivered >= items_ordered, true)
                   AND NOT damaged AND NOT lost AND documents_ok IS NOT false)
FROM records_shipment
WHERE promised_on BETWEEN %(start)s AND %(end)s AND status <> 'cancelled'
GROUP BY department_id
"""


class Command(BaseCommand):
    help = "Benchmark the records loader and the delivery calculators on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--departments", type=int, default=20)
        parser.add_argument(
            "--row-by-row",
            action="store_true",
            help="load through the row-by-row path (RowParser for every row) instead of the "
            "PostgreSQL fast path, for comparison",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmarks run on PostgreSQL (DATABASE_URL=postgres://…).")
        if min(options["rows"], options["departments"]) < 1:
            raise CommandError("--rows and --departments must be at least 1.")
        # As bench_bonus: a throwaway test database (test_<name>_bench), never the configured one.
        settings_dict = connection.settings_dict
        test_settings = settings_dict.setdefault("TEST", {})
        if not test_settings.get("NAME"):
            test_settings["NAME"] = f"test_{settings_dict['NAME']}_bench"
        test_utils.setup_test_environment()
        try:
            old_config = test_utils.setup_databases(
                verbosity=0, interactive=False, keepdb=False, serialized_aliases=set()
            )
            try:
                self.bench(options)
            finally:
                test_utils.teardown_databases(old_config, verbosity=0, keepdb=False)
        finally:
            test_utils.teardown_test_environment()

    def bench(self, options) -> None:
        rows, count = options["rows"], options["departments"]
        codes = [f"BENCH{n:02d}" for n in range(1, count + 1)]
        for code in codes:
            Department.objects.get_or_create(code=code, defaults={"name": f"Bench {code}"})
        folder = tempfile.mkdtemp(prefix="cxoffice-bench-")
        try:
            path = os.path.join(folder, "shipments.csv")
            started = time.perf_counter()
            write_file(path, rows, codes)
            self.stdout.write(
                f"file: {rows:,} rows, {os.path.getsize(path) / 1e6:.1f} MB, "
                f"written in {time.perf_counter() - started:.1f}s"
            )

            copy_seconds = self._psql_copy(path)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            report = services.records_load(
                kind="shipments",
                table=services.open_table(path),
                fast_path=not options["row_by_row"],
            )
            load_seconds = time.perf_counter() - started
            rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
            self.stdout.write(
                f"(a) loader ({'row by row' if options['row_by_row'] else 'fast path'}): "
                f"{load_seconds:.2f}s ({rows / load_seconds:,.0f} rows/s; created "
                f"{report.created:,}); psql \\copy into a bare table: {copy_seconds:.2f}s; "
                f"ratio {load_seconds / copy_seconds:.2f} (goal ≤ 2)"
            )
            self.stdout.write(
                f"(c) loader peak memory growth (max RSS): {rss_growth / 1024:.1f} MB "
                f"for {rows:,} rows"
            )

            period = Period.parse("2025-06")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE records_shipment")
            selectors.delivery_metrics(period)  # warm the cache once for both
            runs = 5
            started = time.perf_counter()
            for _ in range(runs):
                ours = selectors.delivery_metrics(period, as_of=period.end)
            ours_seconds = (time.perf_counter() - started) / runs
            started = time.perf_counter()
            for _ in range(runs):
                with connection.cursor() as cursor:
                    cursor.execute(
                        HAND_WRITTEN,
                        {"as_of": period.end, "start": period.start, "end": period.end},
                    )
                    hand = cursor.fetchall()
            hand_seconds = (time.perf_counter() - started) / runs
            same = all(
                ours[dept].due == due
                and ours[dept].on_time == on_time
                and ours[dept].otif == otif
                and ours[dept].perfect == perfect
                for dept, due, _pending, on_time, _late, _att, _ok, _dmg, otif, perfect in hand
            )
            self.stdout.write(
                f"(b) one month, {count} departments: calculators {ours_seconds * 1000:.1f} ms "
                f"(incl. the late-delivery tree), "
                f"hand-written GROUP BY {hand_seconds * 1000:.1f} ms; "
                f"ratio {ours_seconds / hand_seconds:.2f} (goal ≤ 1.5); same numbers: {same}"
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _psql_copy(self, path: str) -> float:
        psql = shutil.which("psql")
        if psql is None:
            raise CommandError("psql is needed for the \\copy comparison.")
        db = settings.DATABASES["default"]
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        args = [
            psql,
            "-h",
            db.get("HOST") or "localhost",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            "-d",
            db["NAME"],
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
        ]
        columns = ", ".join(f"{name} text" for name in HEADER)
        subprocess.run(  # noqa: S603 - psql with our own arguments
            [*args, "-c", f"DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare ({columns})"],
            check=True,
            env=env,
        )
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - psql with our own arguments
            [*args, "-c", f"\\copy bench_bare FROM '{path}' CSV HEADER"], check=True, env=env
        )
        seconds = time.perf_counter() - started
        subprocess.run([*args, "-c", "DROP TABLE bench_bare"], check=True, env=env)  # noqa: S603
        return seconds
