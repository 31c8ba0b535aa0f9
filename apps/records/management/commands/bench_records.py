"""Benchmarks of the records loader and calculators (PostgreSQL; figures printed, nothing
asserted): bench_records [--rows N] [--departments 20] [--repeat 3] [--row-by-row]. Like
bench_bonus it runs on a throwaway test database (``test_<name>_bench``), created and dropped
around it.

(a) load N shipment rows from CSV through the loader (its PostgreSQL fast path, or
    ``--row-by-row``) into the empty table, then the same file again (and, after (b), a file
    of as many new records into the full table), vs ``psql \\copy`` of the same file into a
    bare table (no keys, indexes or constraints; text columns, and typed ones), and vs the
    plainest hand-written load: the \\copy plus one INSERT … SELECT of the copied rows into
    records_shipment as it is, without checks. The first load and both \\copy are timed
    ``--repeat`` times in turn and their medians compared; (b) one month's delivery KPIs
    for the departments (with the late-delivery tree's counts) vs the single hand-written
    GROUP BY that yields the same counts; (c) the loader's peak memory (max RSS growth) — run
    with two sizes to see it stay flat.
"""

import csv
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.departments.models import Department
from apps.kpis.periods import Period
from apps.records import selectors, services
from apps.records.models import WAREHOUSE_STAGES, Shipment, Stage
from apps.records.selectors import DeliveryCounts
from cxoffice.benchmarks import throwaway_database

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


def write_file(path: str, rows: int, departments: list[str], prefix: str = "order") -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            day = 1 + i % 28
            month = 1 + (i // 28) % 12
            out.writerow(
                [
                    "bench",
                    f"{prefix}-{i}",
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


TYPES = {
    **{name: "timestamptz" for name in HEADER if name.endswith("_at")},
    "items_ordered": "integer",
    "items_delivered": "integer",
    "damaged": "boolean",
}

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
                   AND (damaged IS NOT NULL OR lost IS NOT NULL)),
  count(*) FILTER (WHERE (delivered_on IS NOT NULL OR promised_on < %(as_of)s)
                   AND (damaged OR lost)),
  count(*) FILTER (WHERE (delivered_on IS NOT NULL OR promised_on < %(as_of)s)
                   AND items_ordered IS NOT NULL AND items_delivered IS NOT NULL),
  count(*) FILTER (WHERE delivered_on <= promised_on AND items_delivered >= items_ordered),
  count(*) FILTER (WHERE (delivered_on IS NOT NULL OR promised_on < %(as_of)s)
                   AND items_ordered IS NOT NULL AND items_delivered IS NOT NULL
                   AND (damaged IS NOT NULL OR lost IS NOT NULL)),
  count(*) FILTER (WHERE delivered_on <= promised_on AND items_delivered >= items_ordered
                   AND (damaged IS NOT NULL OR lost IS NOT NULL)
                   AND NOT coalesce(damaged OR lost, false) AND documents_ok IS NOT false)
  {stages}
FROM records_shipment
WHERE promised_on BETWEEN %(start)s AND %(end)s AND status <> 'cancelled'
GROUP BY department_id
"""


def hand_written(standards: dict) -> str:
    """The single GROUP BY with the late-delivery tree's counts too (a late order counts for
    each stage that overran its standard, or where it is stuck; the warehouse for any of its
    stages), as the delivery KPIs include them."""
    late = (
        "(delivered_on IS NOT NULL OR promised_on < %(as_of)s) "
        "AND NOT coalesce(delivered_on <= promised_on, false)"
    )

    def overran(stage) -> str:
        seconds = int(standards[stage] * 3600)
        column = selectors.STAGE_SECONDS_COLUMN[stage]
        return f"{column} > {seconds} OR stuck_stage = '{stage}'"

    stages = []
    for stage in selectors.STAGE_SECONDS_COLUMN:
        condition = overran(stage)
        if stage == Stage.WAREHOUSE:
            condition = " OR ".join([condition, *(overran(s) for s in WAREHOUSE_STAGES)])
        stages.append(f",\n  count(*) FILTER (WHERE {late} AND ({condition}))")
    return HAND_WRITTEN.replace("{stages}", "".join(stages))


FLOOR = """
INSERT INTO records_shipment (source_system, source_record_id, department_id, order_ref, status,
  ordered_at, paid_at, shipped_at, delivered_at, promised_at, items_ordered, items_delivered,
  damaged, lost, promised_on, delivered_on, stuck_stage)
SELECT b.source_system, b.source_record_id, d.id, '',
  CASE WHEN b.delivered_at <> '' THEN 'delivered' ELSE 'in_transit' END,
  b.ordered_at::timestamptz, nullif(b.paid_at, '')::timestamptz,
  nullif(b.shipped_at, '')::timestamptz, nullif(b.delivered_at, '')::timestamptz,
  b.promised_at::timestamptz, b.items_ordered::int, b.items_delivered::int, b.damaged = '1',
  false, (b.promised_at::timestamptz AT TIME ZONE 'UTC')::date,
  (nullif(b.delivered_at, '')::timestamptz AT TIME ZONE 'UTC')::date, ''
FROM bench_bare b JOIN departments_department d ON d.code = b.department
"""


class Command(BaseCommand):
    help = "Benchmark the records loader and the delivery calculators on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--departments", type=int, default=20)
        parser.add_argument(
            "--repeat", type=int, default=3, help="runs of each load timed (medians compared)"
        )
        parser.add_argument(
            "--row-by-row",
            action="store_true",
            help="load through the row-by-row path (RowParser for every row) instead of the "
            "PostgreSQL fast path, for comparison",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmarks run on PostgreSQL (DATABASE_URL=postgres://…).")
        if min(options["rows"], options["departments"], options["repeat"]) < 1:
            raise CommandError("--rows, --departments and --repeat must be at least 1.")
        with throwaway_database():  # test_<name>_bench, never the configured database
            self.bench(options)

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
            self.bench_load(path, rows, row_by_row=options["row_by_row"], repeat=options["repeat"])
            self.bench_compute(count)
            # The monthly case: as many new records again, into the table that holds the first.
            more = os.path.join(folder, "more.csv")
            write_file(more, rows, codes, prefix="more")
            seconds, report = self._load(more, options["row_by_row"])
            self.stdout.write(
                f"    a second file of {rows:,} new records into the table holding the first: "
                f"{seconds:.2f}s (created {report.created:,}; the table keeps its indexes "
                f"and upserts)"
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def bench_load(self, path: str, rows: int, *, row_by_row: bool, repeat: int) -> None:
        """Each of the three timed in turn, ``repeat`` times, and the medians compared: one
        run of each varies by a third on a shared machine."""
        text = ", ".join(f"{name} text" for name in HEADER)
        typed = ", ".join(f"{name} {TYPES.get(name, 'text')}" for name in HEADER)
        copy = f"\\copy bench_bare FROM '{path}' CSV HEADER"
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        times: dict[str, list[float]] = {"typed": [], "text": [], "load": []}
        for turn in range(repeat):
            self._psql(
                "SET client_min_messages = warning; DROP TABLE IF EXISTS bench_bare; "
                f"CREATE TABLE bench_bare ({typed})"
            )
            times["typed"].append(self._psql(copy))
            self._psql(f"DROP TABLE bench_bare; CREATE TABLE bench_bare ({text})")
            times["text"].append(self._psql(copy))
            if turn == 0:
                # The plainest hand-written load: no checks, no repeats, no derived durations;
                # one INSERT of the copied rows into the table as it is (its keys, indexes).
                floor_seconds = self._psql(FLOOR)
            self._psql("DROP TABLE bench_bare; TRUNCATE records_shipment")
            seconds, report = self._load(path, row_by_row)
            times["load"].append(seconds)
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        text_seconds, typed_seconds, seconds = (
            statistics.median(times[k]) for k in ("text", "typed", "load")
        )
        out = self.stdout.write
        runs = "; ".join(f"{k} " + ", ".join(f"{t:.2f}" for t in v) for k, v in times.items())
        out(f"runs (s): {runs} — medians below")
        out(f"psql \\copy into a bare table (no keys, indexes or constraints), text columns: "
            f"{text_seconds:.2f}s; typed columns: {typed_seconds:.2f}s")  # fmt: skip
        out(
            f"(a) loader ({'row by row' if row_by_row else 'fast path'}), first load into the "
            f"empty table: {seconds:.2f}s ({rows / seconds:,.0f} rows/s; created "
            f"{report.created:,}); ratio {seconds / text_seconds:.2f} to the text \\copy, "
            f"{seconds / typed_seconds:.2f} to the typed one (goal ≤ 2)"
        )
        again_seconds, again = self._load(path, row_by_row)
        out(
            f"    the same file again (created {again.created}, updated {again.updated}): "
            f"{again_seconds:.2f}s; ratio {again_seconds / text_seconds:.2f} / "
            f"{again_seconds / typed_seconds:.2f}"
        )
        floor = text_seconds + floor_seconds
        out(
            f"    hand-written: \\copy + one INSERT … SELECT of the copied rows into "
            f"records_shipment as it is (no checks): {floor:.2f}s; ratio "
            f"{floor / text_seconds:.2f} / {floor / typed_seconds:.2f}; the loader takes "
            f"{seconds / floor:.2f}× that"
        )
        out(
            f"(c) loader peak memory growth (max RSS): {rss_growth / 1024:.1f} MB for {rows:,} rows"
        )

    def _load(self, path: str, row_by_row: bool):
        started = time.perf_counter()
        report = services.records_load(kind="shipments", table=services.open_table(path))
        return time.perf_counter() - started, report

    def bench_compute(self, count: int) -> None:
        period = Period.parse("2025-06")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE records_shipment")
        statement = hand_written(selectors.stage_standards())
        params = {"as_of": period.end, "start": period.start, "end": period.end}
        selectors.delivery_metrics(period)  # warm the cache once for both
        runs = 5
        started = time.perf_counter()
        for _ in range(runs):
            ours = selectors.delivery_metrics(period, as_of=period.end)
        ours_seconds = (time.perf_counter() - started) / runs
        started = time.perf_counter()
        for _ in range(runs):
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                hand = cursor.fetchall()
        hand_seconds = (time.perf_counter() - started) / runs
        fields = [f for f in DeliveryCounts.__dataclass_fields__ if f != "late_by_stage"]
        same = len(hand) == len(ours) - 1 and all(  # ours also has the company's total
            [getattr(ours[dept], f) for f in fields]
            + [ours[dept].late_by_stage[s] for s in selectors.STAGE_SECONDS_COLUMN]
            == list(numbers)
            for dept, *numbers in hand
        )
        self.stdout.write(
            f"(b) one month, {count} departments, {Shipment.objects.count():,} shipments: "
            f"calculators {ours_seconds * 1000:.1f} ms, the hand-written GROUP BY with the same "
            f"{len(fields) + len(selectors.STAGE_SECONDS_COLUMN)} counts per department "
            f"{hand_seconds * 1000:.1f} ms; ratio {ours_seconds / hand_seconds:.2f} "
            f"(goal ≤ 1.5); same numbers: {same}"
        )

    def _psql(self, command: str) -> float:
        """Run one psql command on the benchmark's database; its wall time."""
        psql = shutil.which("psql")
        if psql is None:
            raise CommandError("psql is needed for the \\copy comparison.")
        db = settings.DATABASES["default"]
        env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
        args = [
            psql, "-h", db.get("HOST") or "localhost", "-p", str(db.get("PORT") or 5432),
            "-U", db.get("USER") or "postgres", "-d", db["NAME"], "-q", "-v", "ON_ERROR_STOP=1",
            "-c", command,
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(args, check=True, env=env)  # noqa: S603 - psql with our own arguments
        return time.perf_counter() - started
