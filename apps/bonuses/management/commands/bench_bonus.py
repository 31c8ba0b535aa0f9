"""Time and weigh the calculation of bonus runs at the front line's size, on a throwaway test
database (SQLite or PostgreSQL), against issue 17's goals; figures printed, nothing asserted.

    bench_bonus [--employees 10000,100000] [--departments 20] [--repeat 3]

The configured database is never touched: the command creates a test database (in memory on
SQLite, ``test_<name>_bench`` elsewhere) and drops it afterwards. The data set is built for the
largest size: employees hired before the last full quarter over ``--departments`` (5% move
mid-quarter, 10% enrolled mid-quarter); five quarterly KPIs as components — department CSAT,
three per employee (a QA score and two ratios, as riders' on-time and agents' FCR) and a
company ratio — and a company gate; company targets, and results for every department, every
employee and the company (employee results written in bulk). Each size enrolls the first that
many employees in its own plan. Measured per size: ``run_calculate`` ``--repeat`` times (min
and median wall time, SQL queries, the peak memory growth of the process while it runs), a
bare ``bulk_create`` of the same lines (min of ``--repeat``, the garbage collector paused as
run_calculate pauses it) and the ratio of the minimums (goal on PostgreSQL ≤ 1.5; before each
timed step the lines' table is vacuumed and checkpointed, ``benchmarks.settle``); then how the
cost grows (seconds per line of the largest over the smallest: linear ≈ 1) and the memory goal
(≤ 500 MB).
"""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from apps.bonuses.models import Enrollment, Line, Plan, Run
from apps.bonuses.services.plans import plan_create
from apps.bonuses.services.runs import run_calculate, run_create
from apps.departments.models import Assignment, Department, Employee
from apps.departments.services import department_create
from apps.kpis.models import KPI, Aggregation, Direction, Frequency, KPIResult, Unit
from apps.kpis.periods import Period, PeriodType
from apps.kpis.services import kpi_create, kpi_results_bulk_upsert
from apps.targets.services import target_create
from cxoffice.batch import gc_paused
from cxoffice.benchmarks import peak_kb, peak_reset, settle, throwaway_database

BATCH_SIZE = 2000  # as run_calculate's bulk_create (apps/bonuses/services/runs.py)
LINE_INSERT = 'INSERT INTO "bonuses_line"'
HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
# code, unit, aggregation, direction, component scope (None: the gate), weight, band
KPIS = [
    ("BENCH.CSAT", Unit.PERCENT, Aggregation.RATIO, HIGHER, "department", 30, (70, 80, 90)),
    ("BENCH.QA", Unit.SCORE, Aggregation.MEAN, HIGHER, "employee", 20, (3, 4, "4.6")),
    ("BENCH.OTD", Unit.PERCENT, Aggregation.RATIO, HIGHER, "employee", 20, (85, 92, 98)),
    ("BENCH.FCR", Unit.PERCENT, Aggregation.RATIO, HIGHER, "employee", 20, (60, 70, 85)),
    ("BENCH.RETAIN", Unit.PERCENT, Aggregation.RATIO, HIGHER, "company", 10, (70, 80, 90)),
    ("BENCH.NPS", Unit.SCORE, Aggregation.MEAN, HIGHER, None, 0, (None, 20, None)),
]
MEMORY_GOAL_MB = 500
RATIO_GOAL = 1.5


@dataclass
class DataSet:
    user: Any
    quarter: Period
    departments: list[Department]
    employees: list[Employee]
    kpis: list[KPI]  # in the order of KPIS: the gate's last
    transfers: int  # employees moving department mid-quarter


@contextmanager
def counted() -> Iterator[list[int]]:
    """Count queries (and line INSERT batches) without logging them (that would skew timings)."""
    count = [0, 0]

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        count[0] += 1
        count[1] += sql.startswith(LINE_INSERT)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def result_rows(kpis: list[KPI], data: DataSet, rng: random.Random) -> list[dict[str, Any]]:
    """The quarter's department and company results (see KPIS; employees': employee_results)."""
    rows: list[dict[str, Any]] = []
    for kpi, (*_spec, scope, _weight, _band) in zip(kpis, KPIS, strict=True):
        if scope == "employee":
            continue
        base = {"kpi": kpi.code, "period": data.quarter.key, "scope": scope or "company"}
        if kpi.unit == Unit.SCORE:  # the gate's NPS
            rows.append(base | {"value": 35})
            continue
        departments = [{"department": d.code} for d in data.departments]
        for holder in departments if scope == "department" else [{}]:
            denominator = rng.randint(200, 2000)
            share = rng.uniform(0.6, 0.98)
            rows.append(base | holder | {"numerator": round(denominator * share),
                                         "denominator": denominator})  # fmt: skip
    return rows


def employee_results(kpis: list[KPI], data: DataSet, rng: random.Random) -> None:
    """Every employee's own results of the employee-scope KPIs, in bulk (as a computation of
    their records would write them: source computed, numerator, denominator, sample)."""
    quarter = data.quarter
    period = {"period": quarter.key, "period_type": quarter.type, "period_start": quarter.start,
              "period_end": quarter.end, "period_anchor": quarter.anchor}  # fmt: skip
    results = []
    for kpi, (*_spec, scope, _weight, _band) in zip(kpis, KPIS, strict=True):
        if scope != "employee":
            continue
        for person in data.employees:
            if kpi.unit == Unit.SCORE:
                value = Decimal(str(round(rng.uniform(2.5, 5), 1)))
                extra = {"value": value, "sample_size": 40}
            else:
                denominator = rng.randint(20, 400)
                numerator = round(denominator * rng.uniform(0.55, 1))
                extra = {"value": (Decimal(numerator * 100) / denominator).quantize(
                    Decimal("0.00000001")), "numerator": numerator, "denominator": denominator,
                    "sample_size": denominator}  # fmt: skip
            results.append(KPIResult(kpi=kpi, scope="employee", employee=person,
                                     source="computed", **period, **extra))  # fmt: skip
    KPIResult.objects.bulk_create(results, batch_size=5_000)


def bonus_plan(code: str, kpis: list[KPI]) -> Plan:
    """A quarterly plan: the first five KPIs as components (30/20/20/20/10), the sixth a gate."""
    parts = list(zip(kpis, KPIS, strict=True))
    return plan_create(
        code=code, name=f"Benchmark plan {code}", period_type="quarter", currency="EUR",
        components=[{"kpi": k, "weight": Decimal(spec[5]), "scope": spec[4]}
                    for k, spec in parts[:-1]],
        gates=[{"kpi": k, "minimum": Decimal(20), "multiplier": Decimal(50), "scope": "company"}
               for k, _spec in parts[-1:]],
    )  # fmt: skip


def enroll(plan: Plan, employees: list[Employee], quarter: Period, seed: int = 1) -> None:
    """One open enrollment each, varied targets; one in ten joins mid-quarter."""
    rng = random.Random(seed)
    Enrollment.objects.bulk_create(
        Enrollment(
            employee=e, plan=plan, target_amount=Decimal(rng.randrange(500, 5001, 50)),
            start_date=quarter.start + timedelta(days=rng.randint(1, 60)) if i % 10 == 3
            else e.hire_date,
        )
        for i, e in enumerate(employees)
    )  # fmt: skip


def build_dataset(*, employees: int, departments: int, seed: int = 2026) -> DataSet:
    """Everything one bonus run needs, for ``employees`` people (see the module docstring)."""
    rng = random.Random(seed)
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", None)
    quarter = Period.for_date(timezone.localdate(), PeriodType.QUARTER).previous()  # last full
    depts = [department_create(code=f"BD{i + 1:03d}", name=f"Bench team {i + 1}")
             for i in range(departments)]  # fmt: skip
    people = Employee.objects.bulk_create(
        Employee(employee_number=f"B{i + 1:06d}", full_name=f"Bench Employee {i + 1}",
                 hire_date=quarter.start - timedelta(days=rng.randint(30, 3000)))
        for i in range(employees)
    )  # fmt: skip
    assignments = []
    for i, person in enumerate(people):
        home = depts[i % departments]
        if i % 20 == 7 and departments > 1:  # 5%: moves to the next department mid-quarter
            moved = quarter.start + timedelta(days=rng.randint(20, 70))
            assignments += [
                Assignment(employee=person, department=home, start_date=person.hire_date,
                           end_date=moved - timedelta(days=1)),
                Assignment(employee=person, department=depts[(i + 1) % departments],
                           start_date=moved),
            ]  # fmt: skip
        else:
            assignments.append(Assignment(employee=person, department=home,
                                          start_date=person.hire_date))  # fmt: skip
    Assignment.objects.bulk_create(assignments)
    kpis = []
    for code, unit, aggregation, direction, _scope, _weight, band in KPIS:
        kpi = kpi_create(code=code, name=code.title(), unit=unit, aggregation=aggregation,
                         direction=direction, frequency=Frequency.QUARTER, decimals=1)  # fmt: skip
        threshold, target, stretch = (None if v is None else Decimal(v) for v in band)
        target_create(user=None, as_system=True, kpi=kpi, scope="company", threshold=threshold,
                      target=target, stretch=stretch)  # fmt: skip
        kpis.append(kpi)
    data = DataSet(user, quarter, depts, people, kpis, len(assignments) - employees)
    kpi_results_bulk_upsert(user=user, rows=result_rows(kpis, data, rng))
    employee_results(kpis, data, rng)
    return data


class Command(BaseCommand):
    help = "Time and weigh bonus runs of the front line's size against a bare write of their lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--employees", default="10000,100000", help="sizes, comma-separated (ascending)"
        )
        parser.add_argument("--departments", type=int, default=20)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sizes = sorted(int(size) for size in str(options["employees"]).split(","))
        except ValueError as error:
            raise CommandError("--employees: whole numbers, comma-separated.") from error
        if min(sizes[0], options["departments"], options["repeat"]) < 1:
            raise CommandError("--employees, --departments and --repeat must be at least 1.")
        with throwaway_database():
            self.bench(sizes, options["departments"], options["repeat"])

    def calculate(self, run: Run, user: Any) -> tuple[float, int, int, float]:
        """One calculation: seconds, queries, line INSERT batches, peak memory growth (MB)."""
        settle(Line._meta.db_table)
        gc.collect()
        before = peak_reset()
        with counted() as queries:
            start = time.perf_counter()
            run_calculate(run=run, user=user)
            seconds = time.perf_counter() - start
        return seconds, queries[0], queries[1], (peak_kb() - before) / 1024

    def bare_write(self, run: Run, repeat: int) -> float:
        """The minimum over ``repeat`` of a bare bulk_create of the run's lines (read back)."""
        fields = [f.attname for f in Line._meta.concrete_fields if f.name not in ("id", "run")]
        rows = list(Line.objects.filter(run=run).values(*fields))
        copy = run_create(plan=run.plan, period=run.period, is_simulation=True)
        times = []
        for _ in range(repeat):
            lines = [Line(run=copy, **row) for row in rows]
            settle(Line._meta.db_table)
            # Under the same garbage-collector pause as run_calculate's (cxoffice.batch): the
            # ratio then measures the calculation's own work, not the collector's.
            with gc_paused():
                start = time.perf_counter()
                Line.objects.bulk_create(lines, batch_size=BATCH_SIZE)
                times.append(time.perf_counter() - start)
            Line.objects.filter(run=copy).delete()
        copy.delete()
        return min(times)

    def bench(self, sizes: list[int], departments: int, repeat: int) -> None:
        version = ".".join(str(part) for part in connection.get_database_version())
        self.stdout.write(
            f"Database: {connection.display_name} {version} "
            f"(test database {connection.settings_dict['NAME']})"
        )
        start = time.perf_counter()
        data = build_dataset(employees=sizes[-1], departments=departments)
        self.stdout.write(
            f"Data set: {sizes[-1]:,} employees ({data.transfers:,} moving mid-quarter) across "
            f"{departments} departments; plans of 5 components (1 department, 3 employee, "
            f"1 company) and 1 company gate; quarter {data.quarter}; built in "
            f"{time.perf_counter() - start:.1f} s"
        )
        measured = []
        for size in sizes:
            plan = bonus_plan(f"BENCH-{size}", data.kpis)
            enroll(plan, data.employees[:size], data.quarter)
            run = run_create(plan=plan, period=data.quarter.key)
            runs = [self.calculate(run, data.user) for _ in range(repeat)]
            run.refresh_from_db()
            calc = min(r[0] for r in runs)
            memory = max(r[3] for r in runs)
            bare = self.bare_write(run, repeat)
            _seconds, queries, inserts, _memory = runs[-1]
            ratio = calc / bare
            measured.append((size, calc, memory, queries - inserts, ratio))
            self.stdout.write(
                f"\n{size:,} employees → {run.line_count:,} lines (total {run.total_amount:,} "
                f"{plan.currency}); run_calculate min {calc:.3f} s, median "
                f"{statistics.median(r[0] for r in runs):.3f} s ({repeat} runs); "
                f"{queries - inserts} queries + {inserts} line INSERT batches; peak memory "
                f"growth {memory:.1f} MB; bare bulk_create of the same lines {bare:.3f} s; "
                f"ratio {ratio:.2f}"
            )
        small, large = measured[0], measured[-1]
        growth = (large[1] / large[0]) / (small[1] / small[0])
        self.stdout.write("")
        self.stdout.write(
            f"cost per line, {large[0]:,} over {small[0]:,} employees: {growth:.2f} "
            f"(linear ≈ 1); queries {small[3]} and {large[3]} (besides the INSERT batches)"
        )
        worst_memory = max(m[2] for m in measured)
        worst_ratio = max(m[4] for m in measured)
        self.stdout.write(
            f"peak memory growth ≤ {MEMORY_GOAL_MB} MB: {worst_memory:.1f} MB — "
            f"{'met' if worst_memory <= MEMORY_GOAL_MB else 'MISSED'}"
        )
        verdict = "met" if worst_ratio <= RATIO_GOAL else "MISSED"
        if connection.vendor != "postgresql":
            verdict += " (the goal is PostgreSQL's; printed for comparison)"
        self.stdout.write(f"time ≤ {RATIO_GOAL}× the bare write: {worst_ratio:.2f}× — {verdict}")
