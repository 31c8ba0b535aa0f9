"""Benchmarks of the records loader and calculators against the goals of issue 16 (PostgreSQL;
figures and verdicts printed, nothing asserted):

    bench_records [--rows N] [--departments 20] [--repeat 3] [--sqlite-rows N]

Like bench_bonus it runs on a throwaway test database (``test_<name>_bench``), created and
dropped around it. Each ratio is the loader's median over ``--repeat`` runs to the median of a
typed ``psql \\copy`` of the same file into a bare table (no keys, indexes or constraints),
measured in the same runs and timed by psql itself (``\\timing``). Every run, in turn: the
three files copied, then TRUNCATE records_shipment and four loads through
``services.records_load``, each timed alone:

1. the first file into the empty table (goal ≤ 1.5×);
2. the same file again, nothing changes (≤ 1.5×);
3. the same ids with every 10th row changed (a delivery an hour earlier, or the damage flag
   flipped where undelivered), into the table holding the first file (≤ 2×);
4. N new records into the table holding N (≤ 2.5×).

Then one month's delivery KPIs (``selectors.delivery_metrics``) against the single hand-written
GROUP BY that yields the same counts (≤ 1.1×, same numbers); the loader's max-RSS growth for N
and 3N rows, each in a fresh process (max RSS is a high-water mark) loading one file into the
empty table (≤ 200 MB and flat: 3N within 1.25× of N); and, without a goal, N shipments
(``--sqlite-rows``, 0 to leave out) loaded the same way into a throwaway SQLite file. Last, the
goal table with what was measured and a verdict per case.

The fresh processes run this command with ``--single-load ROWS`` (hidden): one file of ROWS
rows into the empty table, its seconds, counts and max-RSS growth printed as JSON.

Every file credits each shipment's courier (SPEC §5), one of 100,000 employees the benchmark
creates: the loader checks each employee number as it does department codes.
"""

import argparse
import contextlib
import csv
import datetime as dt
import importlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.departments.models import Department, Employee
from apps.kpis.periods import Period
from apps.records import selectors, services
from apps.records.models import WAREHOUSE_STAGES, Shipment, Stage
from apps.records.selectors import DeliveryCounts
from cxoffice.benchmarks import peak_kb, peak_reset, throwaway_database

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
    "courier",
]
COURIERS = 100_000  # each row credits one of them (SPEC §5), as a front line of riders would
CHANGED_EVERY = 10  # the third case's file: every 10th row differs from the first file
MEMORY_GOAL_MB = 200
FLAT = 1.25  # "flat": the 3N figure within this factor of the N figure


def write_file(
    path: str, rows: int, departments: list[str], prefix: str = "order", changed: bool = False
) -> None:
    """``changed``: every :data:`CHANGED_EVERY`-th row (from the first) delivered an hour
    earlier, or, where undelivered, with the damage flag flipped; the rest as without."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            day = 1 + i % 28
            month = 1 + (i // 28) % 12
            change = changed and i % CHANGED_EVERY == 0
            delivered = (
                ""
                if i % 9 == 0
                else f"2025-{month:02d}-{day:02d}T{22 if change else 23}:00:00+00:00"
            )
            damaged = i % 97 == 0
            if change and not delivered:
                damaged = not damaged
            out.writerow(
                [
                    "bench",
                    f"{prefix}-{i}",
                    departments[i % len(departments)],
                    f"2025-{month:02d}-{day:02d}T08:00:00+00:00",
                    f"2025-{month:02d}-{day:02d}T09:{i % 60:02d}:00+00:00",
                    f"2025-{month:02d}-{day:02d}T20:00:00+00:00",
                    delivered,
                    f"2025-{month:02d}-{min(day + 1 + i % 3, 28):02d}T23:59:00+00:00",
                    2,
                    2 if i % 11 else 1,
                    "1" if damaged else "0",
                    courier_number(i * 7919 % COURIERS),
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


class Command(BaseCommand):
    help = "Benchmark the records loader and the delivery calculators against issue 16's goals."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000, help="N, the shipments a file")
        parser.add_argument("--departments", type=int, default=20)
        parser.add_argument(
            "--repeat", type=int, default=3, help="runs of each load timed (medians compared)"
        )
        parser.add_argument(
            "--sqlite-rows",
            type=int,
            help="shipments loaded into a throwaway SQLite file (default N; 0 leaves it out)",
        )
        # The fresh process of one measured load (see the module's docstring), and the
        # benchmark's own throwaway database it loads into (else it makes its own).
        parser.add_argument("--single-load", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--bench-database", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["single_load"] is not None:
            self.single_load(options)
            return
        if connection.vendor != "postgresql":
            raise CommandError("The benchmarks run on PostgreSQL (DATABASE_URL=postgres://…).")
        if min(options["rows"], options["departments"], options["repeat"]) < 1:
            raise CommandError("--rows, --departments and --repeat must be at least 1.")
        if options["sqlite_rows"] is None:
            options["sqlite_rows"] = options["rows"]
        if options["sqlite_rows"] < 0:
            raise CommandError("--sqlite-rows must be 0 or more.")
        folder = tempfile.mkdtemp(prefix="cxoffice-bench-")
        try:
            with throwaway_database():  # test_<name>_bench, never the configured database
                verdicts = self.bench(options, folder)
            if options["sqlite_rows"]:
                self.bench_sqlite(options, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.goal_table(verdicts)

    # --- PostgreSQL -------------------------------------------------------------------------

    def bench(self, options, folder: str) -> list[tuple[str, str, str, bool]]:
        rows, count, repeat = options["rows"], options["departments"], options["repeat"]
        codes = department_codes(count)
        for code in codes:
            Department.objects.get_or_create(code=code, defaults={"name": f"Bench {code}"})
        ensure_couriers()
        started = time.perf_counter()
        first, changed, more = (
            os.path.join(folder, f"{n}.csv") for n in ("first", "changed", "more")
        )
        write_file(first, rows, codes)
        write_file(changed, rows, codes, changed=True)
        write_file(more, rows, codes, prefix="more")
        out = self.stdout.write
        out(
            f"PostgreSQL: files of {rows:,} shipments ({os.path.getsize(first) / 1e6:.1f} MB "
            f"each, {count} departments, each row crediting one of {COURIERS:,} couriers), "
            f"written in {time.perf_counter() - started:.1f}s; "
            f"{repeat} run{'s' if repeat > 1 else ''} of each case, in turn"
        )
        out(
            "Timed: each services.records_load(kind='shipments', table=open_table(file)) "
            "alone (pyarrow imported before); the \\copy of the same file into a bare typed "
            "table (no keys, indexes or constraints) by psql's \\timing. Each run: the three "
            "\\copy, TRUNCATE records_shipment, then cases 1 to 4 in order."
        )
        tenth = len(range(0, rows, CHANGED_EVERY))
        cases = [  # title, file, goal, expected (created, updated, skipped)
            ("first load into an empty table", first, 1.5, (rows, 0, 0)),
            ("the same file again (nothing changes)", first, 1.5, (0, 0, rows)),
            (
                f"a file where {100 // CHANGED_EVERY} % of the rows changed",
                changed,
                2.0,
                (0, tenth, rows - tenth),
            ),
            ("N new records into a table holding N", more, 2.5, (rows, 0, 0)),
        ]
        load_libraries()
        copies: dict[str, list[float]] = {first: [], changed: [], more: []}
        loads: list[list[float]] = [[] for _ in cases]
        reports: list[list[services.LoadReport]] = [[] for _ in cases]
        for _turn in range(repeat):
            for path, seconds in copies.items():
                seconds.append(self._copy(path))
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE records_shipment")
            for n, (_title, path, _goal, _expected) in enumerate(cases):
                seconds, report = timed_load(path)
                loads[n].append(seconds)
                reports[n].append(report)
        self._psql("DROP TABLE bench_bare")
        runs = [(f"\\copy {Path(p).stem}", v) for p, v in copies.items()]
        runs += [(f"case {n}", v) for n, v in enumerate(loads, 1)]
        listed = "; ".join(f"{label} " + ", ".join(f"{t:.3f}" for t in v) for label, v in runs)
        out(f"runs (s): {listed} — medians below")
        verdicts = []
        for n, (title, path, goal, expected) in enumerate(cases, 1):
            seconds, copy = statistics.median(loads[n - 1]), statistics.median(copies[path])
            ratio = seconds / copy
            counts = {(r.created, r.updated, r.skipped, r.rejected) for r in reports[n - 1]}
            right = counts == {(*expected, 0)}
            out(
                f"({n}) {title}: {seconds:.3f}s ({rows / seconds:,.0f} rows/s); "
                f"{' / '.join(describe(c) for c in sorted(counts))}"
                f"{'' if right else ' — expected ' + describe((*expected, 0))}; "
                f"\\copy of {Path(path).name} {copy:.3f}s; ratio {ratio:.2f} (goal ≤ {goal:g})"
            )
            measured = f"{ratio:.2f}×" + ("" if right else ", counts wrong")
            verdicts.append((title, f"≤ {goal:g}×", measured, right and ratio <= goal))
        # The calculators on the table the runs left (2N shipments), before the memory loads
        # empty it; the goal table keeps the order.
        compute = self.bench_compute(count, runs=max(5, repeat))
        return [*verdicts, self.bench_memory(options), compute]

    def bench_memory(self, options) -> tuple[str, str, str, bool]:
        """One fresh process per size: max RSS only ever rises, so a second load in the same
        process would show only what it adds above the first's peak (see :func:`peak_reset`)."""
        rows = options["rows"]
        growth = {}
        for size in (rows, 3 * rows):
            result = self._single_load(
                size, options["departments"], bench_database=connection.settings_dict["NAME"]
            )
            growth[size] = result["growth_mb"]
            if result["created"] != size:
                raise CommandError(
                    f"The memory load of {size:,} rows created {result['created']:,}."
                )
        threshold = getattr(settings, "RECORDS_REBUILD_MIN_ROWS", None)
        if threshold and rows < threshold <= 3 * rows:
            self.stdout.write(
                f"    note: RECORDS_REBUILD_MIN_ROWS={threshold:,} lies between the two sizes: "
                "the loader may take different paths for them, so they are not comparable"
            )
        small, large = growth[rows], growth[3 * rows]
        flat = large <= FLAT * small
        met = flat and max(small, large) <= MEMORY_GOAL_MB
        factor = f" {large / small:.2f}×" if small else ""
        self.stdout.write(
            f"(6) loader memory growth (the peak RSS of a load above the RSS before it; a fresh "
            f"process per size, Django, psycopg and pyarrow loaded and connected, one file into "
            f"the empty table): "
            f"{rows:,} rows {small:.1f} MB, {3 * rows:,} rows {large:.1f} MB{factor}; "
            f"{'flat' if flat else 'NOT flat'} (goal ≤ {MEMORY_GOAL_MB} MB, 3N within {FLAT}× of N)"
        )
        return (
            "loader memory growth (max RSS growth), N and 3N rows",
            f"≤ {MEMORY_GOAL_MB} MB, flat",
            f"{small:.1f} MB, {large:.1f} MB ({'flat' if flat else 'grows' + factor})",
            met,
        )

    def bench_compute(self, count: int, *, runs: int) -> tuple[str, str, str, bool]:
        period = Period.parse("2025-06")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE records_shipment")
        statement = hand_written(selectors.stage_standards())
        params = {"as_of": period.end, "start": period.start, "end": period.end}
        selectors.delivery_metrics(period)  # the table into the server's cache once for both
        times: dict[str, list[float]] = {"ours": [], "hand": []}
        for _ in range(runs):  # in turn, medians compared
            started = time.perf_counter()
            ours = selectors.delivery_metrics(period, as_of=period.end)
            times["ours"].append(time.perf_counter() - started)
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                hand = cursor.fetchall()
            times["hand"].append(time.perf_counter() - started)
        ours_seconds, hand_seconds = (statistics.median(times[k]) for k in ("ours", "hand"))
        fields = [f for f in DeliveryCounts.__dataclass_fields__ if f != "late_by_stage"]
        same = len(hand) == len(ours) - 1 and all(  # ours also has the company's total
            [getattr(ours[dept], f) for f in fields]
            + [ours[dept].late_by_stage[s] for s in selectors.STAGE_SECONDS_COLUMN]
            == list(numbers)
            for dept, *numbers in hand
        )
        ratio = ours_seconds / hand_seconds
        self.stdout.write(
            f"(5) one month, {count} departments, {Shipment.objects.count():,} shipments (the "
            f"table after the last run): calculators {ours_seconds * 1000:.1f} ms, the "
            f"hand-written GROUP BY with the same "
            f"{len(fields) + len(selectors.STAGE_SECONDS_COLUMN)} counts per department "
            f"{hand_seconds * 1000:.1f} ms (medians of {runs} in turn); ratio {ratio:.2f} "
            f"(goal ≤ 1.1); same numbers: {same}"
        )
        return (
            "the calculators vs the hand-written GROUP BY",
            "≤ 1.1×, same numbers",
            f"{ratio:.2f}×, same numbers: {same}",
            same and ratio <= 1.1,
        )

    # --- SQLite and the fresh processes -----------------------------------------------------

    def bench_sqlite(self, options, folder: str) -> None:
        rows = options["sqlite_rows"]
        result = self._single_load(
            rows,
            options["departments"],
            env={"DATABASE_URL": f"sqlite:///{os.path.join(folder, 'records.sqlite3')}"},
        )
        self.stdout.write(
            f"SQLite (a throwaway database file, a fresh process; no goal): {rows:,} shipments "
            f"into the empty table through the same records_load in {result['seconds']:.3f}s "
            f"({rows / result['seconds']:,.0f} rows/s; {describe(result_counts(result))}; "
            f"max RSS growth {result['growth_mb']:.1f} MB)"
        )

    def _single_load(
        self, rows: int, departments: int, *, bench_database: str = "", env: dict | None = None
    ) -> dict:
        """This command with ``--single-load`` in a fresh process (same settings and
        environment, ``env`` added); what it printed."""
        args = [
            sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_records",
            "--single-load", str(rows), "--departments", str(departments),
        ]  # fmt: skip
        if bench_database:
            args += ["--bench-database", bench_database]
        done = subprocess.run(  # noqa: S603 - this command, with our own arguments
            args, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise CommandError(
                f"The load of {rows:,} rows in a fresh process failed:\n{done.stderr}"
            )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def single_load(self, options) -> None:
        """One file of ``--single-load`` rows into the empty table; prints a JSON line."""
        rows, name = options["single_load"], options["bench_database"]
        if rows < 1:
            raise CommandError("--single-load must be at least 1.")
        if name:  # the benchmark's throwaway database, made and dropped by the caller
            if not name.startswith("test_"):
                raise CommandError("--bench-database names a throwaway test database.")
            connection.close()
            connection.settings_dict["NAME"] = name
            self._single_load_here(rows, options["departments"], truncate=True)
            return
        if connection.vendor == "sqlite":  # a file next to the configured one, not in memory
            path = Path(connection.settings_dict["NAME"])
            test = connection.settings_dict.setdefault("TEST", {})
            test.setdefault("NAME", str(path.with_name(f"test_{path.stem}_bench{path.suffix}")))
        with throwaway_database():
            self._single_load_here(rows, options["departments"], truncate=False)

    def _single_load_here(self, rows: int, departments: int, *, truncate: bool) -> None:
        for code in department_codes(departments):
            Department.objects.get_or_create(code=code, defaults={"name": f"Bench {code}"})
        ensure_couriers()
        if truncate:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE records_shipment")
        load_libraries()  # before the baseline, like Django and the connection
        with tempfile.TemporaryDirectory(prefix="cxoffice-bench-") as folder:
            path = os.path.join(folder, "shipments.csv")
            write_file(path, rows, department_codes(departments))
            before = peak_reset()
            seconds, report = timed_load(path)
            growth = peak_kb() - before
        result = {
            "rows": rows,
            "seconds": seconds,
            "growth_mb": growth / 1024,
            **{k: getattr(report, k) for k in ("created", "updated", "skipped", "rejected")},
        }
        self.stdout.write(json.dumps(result))

    # --- output and psql --------------------------------------------------------------------

    def goal_table(self, verdicts: list[tuple[str, str, str, bool]]) -> None:
        lines = [("case", "goal", "measured", "verdict")] + [
            (case, goal, measured, "met" if met else "MISSED")
            for case, goal, measured, met in verdicts
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(4)]
        self.stdout.write("")
        for n, line in enumerate(lines):
            self.stdout.write(
                "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
            )
            if n == 0:
                self.stdout.write("|" + "|".join("-" * (w + 2) for w in widths) + "|")

    def _copy(self, path: str) -> float:
        """A typed ``\\copy`` of the file into a fresh bare table; its seconds by psql's timing."""
        typed = ", ".join(f"{name} {TYPES.get(name, 'text')}" for name in HEADER)
        output = self._psql(
            "SET client_min_messages = warning; DROP TABLE IF EXISTS bench_bare; "
            f"CREATE TABLE bench_bare ({typed})",
            "\\timing on",
            f"\\copy bench_bare FROM '{path}' CSV HEADER",
        )
        times = re.findall(r"^Time: ([\d.]+) ms", output, flags=re.MULTILINE)
        if not times:
            raise CommandError(f"psql printed no timing for the \\copy: {output!r}")
        return float(times[-1]) / 1000

    def _psql(self, *commands: str) -> str:
        """Run psql commands on the benchmark's database; what it printed."""
        psql = shutil.which("psql")
        if psql is None:
            raise CommandError("psql is needed for the \\copy comparison.")
        db = settings.DATABASES["default"]
        # "Time: 12.345 ms" in English with a decimal point, whatever the user's locale.
        env = {
            **os.environ,
            "PGPASSWORD": db.get("PASSWORD") or "",
            "LC_ALL": "C",
            "PGCLIENTENCODING": "UTF8",
        }
        args = [
            psql, "-h", db.get("HOST") or "localhost", "-p", str(db.get("PORT") or 5432),
            "-U", db.get("USER") or "postgres", "-d", db["NAME"], "-q", "-v", "ON_ERROR_STOP=1",
        ]  # fmt: skip
        for command in commands:
            args += ["-c", command]
        done = subprocess.run(args, check=True, env=env, capture_output=True, text=True)  # noqa: S603 - psql with our own arguments
        return done.stdout


def load_libraries() -> None:
    """Arrow's libraries (about 100 MB of code and tables, a few tenths of a second), if
    installed, loaded before anything is measured: what is measured is the load's own."""
    for module in ("pyarrow", "pyarrow.compute", "pyarrow.csv"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)


def courier_number(n: int) -> str:
    return f"R{n:06d}"


def ensure_couriers() -> None:
    """The employees the files credit (made once per database)."""
    if Employee.objects.filter(employee_number=courier_number(0)).exists():
        return
    hired = dt.date(2024, 1, 1)
    Employee.objects.bulk_create(
        (
            Employee(employee_number=courier_number(n), full_name=f"Rider {n}", hire_date=hired)
            for n in range(COURIERS)
        ),
        batch_size=5_000,
    )


def department_codes(count: int) -> list[str]:
    return [f"BENCH{n:02d}" for n in range(1, count + 1)]


def timed_load(path: str) -> tuple[float, services.LoadReport]:
    started = time.perf_counter()
    report = services.records_load(kind="shipments", table=services.open_table(path))
    return time.perf_counter() - started, report


def result_counts(result: dict) -> tuple[int, int, int, int]:
    return result["created"], result["updated"], result["skipped"], result["rejected"]


def describe(counts: tuple[int, int, int, int]) -> str:
    created, updated, skipped, rejected = counts
    text = f"created {created:,}, updated {updated:,}, skipped {skipped:,}"
    return text + (f", rejected {rejected:,}" if rejected else "")
