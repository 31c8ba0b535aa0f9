"""Time the calculation of a bonus run on a throwaway test database (SQLite or PostgreSQL).

The configured database is never touched: as bench_scorecard, the command creates a test
database (in memory on SQLite, ``test_<name>_bench`` elsewhere) and drops it afterwards. The data
set is built quickly (departments, KPIs, targets, results and plans through the services;
employees, assignments and enrollments in bulk): ``--employees`` hired before the last full
quarter over ``--departments`` (5% move mid-quarter, 10% enrolled mid-quarter), five quarterly
KPIs (3 department ratios, 1 per employee, 1 company ratio) and a company gate KPI with company
targets and results. Measured: ``run_calculate`` ``--repeat`` times (min / median wall time,
SQL queries, also for a plan enrolling a tenth of the employees), a bare ``bulk_create`` of the
same lines (min of ``--repeat``; with the garbage collector paused, as run_calculate pauses it)
and the ratio of the minimums (goal ≤ 3). Nothing is asserted.
"""

from __future__ import annotations

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
from apps.kpis.models import KPI, Aggregation, Direction, Frequency, Unit
from apps.kpis.periods import Period, PeriodType
from apps.kpis.services import kpi_create, kpi_results_bulk_upsert
from apps.targets.services import target_create
from cxoffice.batch import gc_paused
from cxoffice.benchmarks import throwaway_database

BATCH_SIZE = 2000  # as run_calculate's bulk_create (apps/bonuses/services/runs.py)
LINE_INSERT = 'INSERT INTO "bonuses_line"'
HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
# code, unit, aggregation, direction, component scope (None: the gate), weight, band
KPIS = [
    ("BENCH.CSAT", Unit.PERCENT, Aggregation.RATIO, HIGHER, "department", 30, (70, 80, 90)),
    ("BENCH.FCR", Unit.PERCENT, Aggregation.RATIO, HIGHER, "department", 20, (60, 70, 85)),
    ("BENCH.LATE", Unit.PERCENT, Aggregation.RATIO, LOWER, "department", 20, (10, 6, 3)),
    ("BENCH.QA", Unit.SCORE, Aggregation.MEAN, HIGHER, "employee", 20, (3, 4, "4.6")),
    ("BENCH.RETAIN", Unit.PERCENT, Aggregation.RATIO, HIGHER, "company", 10, (70, 80, 90)),
    ("BENCH.NPS", Unit.SCORE, Aggregation.MEAN, HIGHER, None, 0, (None, 20, None)),
]


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
    """The quarter's results: per department, per employee or for the company (see KPIS)."""
    rows: list[dict[str, Any]] = []
    for kpi, (*_spec, scope, _weight, _band) in zip(kpis, KPIS, strict=True):
        base = {"kpi": kpi.code, "period": data.quarter.key, "scope": scope or "company"}
        if kpi.unit == Unit.SCORE:  # the gate's NPS, or the employee's QA score
            holders = [{"employee": e.employee_number} for e in data.employees] if scope else [{}]
            rows += [base | h | {"value": round(rng.uniform(2.5, 5) if scope else 35, 1)}
                     for h in holders]  # fmt: skip
            continue
        departments = [{"department": d.code} for d in data.departments]
        for holder in departments if scope == "department" else [{}]:
            denominator = rng.randint(200, 2000)
            share = rng.uniform(0.01, 0.12) if kpi.direction == LOWER else rng.uniform(0.6, 0.98)
            rows.append(base | holder | {"numerator": round(denominator * share),
                                         "denominator": denominator})  # fmt: skip
    return rows


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
    return data


class Command(BaseCommand):
    help = "Time the calculation of a bonus run against a bare bulk_create of its lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--employees", type=int, default=10_000)
        parser.add_argument("--departments", type=int, default=20)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["employees"], options["departments"], options["repeat"]) < 1:
            raise CommandError("--employees, --departments and --repeat must be at least 1.")
        with throwaway_database():
            self.bench(options["employees"], options["departments"], options["repeat"])

    def calculate(self, run: Run, user: Any) -> tuple[float, int, int]:
        """One calculation: seconds, queries, line INSERT batches."""
        with counted() as queries:
            start = time.perf_counter()
            run_calculate(run=run, user=user)
            seconds = time.perf_counter() - start
        return seconds, queries[0], queries[1]

    def bench(self, employees: int, departments: int, repeat: int) -> None:
        version = ".".join(str(part) for part in connection.get_database_version())
        self.stdout.write(
            f"Database: {connection.display_name} {version} "
            f"(test database {connection.settings_dict['NAME']})"
        )
        start = time.perf_counter()
        data = build_dataset(employees=employees, departments=departments)
        plan = bonus_plan("BENCH", data.kpis)
        enroll(plan, data.employees, data.quarter)
        tenth = data.employees[: max(1, employees // 10)]
        small_plan = bonus_plan("BENCH-TENTH", data.kpis)
        enroll(small_plan, tenth, data.quarter)
        self.stdout.write(
            f"Data set: {employees:,} enrolled employees ({data.transfers:,} moving mid-quarter)"
            f" across {departments} departments; plan of 5 components (3 department, 1 employee,"
            f" 1 company) and 1 company gate; quarter {data.quarter}; "
            f"built in {time.perf_counter() - start:.1f} s"
        )

        run = run_create(plan=plan, period=data.quarter.key)
        runs = [self.calculate(run, data.user) for _ in range(repeat)]
        calc = min(r[0] for r in runs)
        small = self.calculate(run_create(plan=small_plan, period=data.quarter.key), data.user)
        run.refresh_from_db()
        same = len({n - inserts for _s, n, inserts in (runs[-1], small)}) == 1
        self.stdout.write(
            f"\nrun_calculate, {run.line_count:,} lines ({repeat} runs of the same run; total "
            f"{run.total_amount:,} {plan.currency}):\n  wall time     min {calc:8.3f} s  median "
            f"{statistics.median(r[0] for r in runs):8.3f} s"
        )
        for count, (_s, queries, inserts) in ((employees, runs[-1]), (len(tenth), small)):
            self.stdout.write(
                f"  queries       {count:>6,} employees: {queries:4d} = {queries - inserts} + "
                f"{inserts} line INSERT batches" + ("" if count == employees else
                (" (the same but for the INSERT batches)" if same else " (NOT the same)"))
            )  # fmt: skip

        fields = [f.attname for f in Line._meta.concrete_fields if f.name not in ("id", "run")]
        rows = list(Line.objects.filter(run=run).values(*fields))
        copy = run_create(plan=plan, period=data.quarter.key, is_simulation=True)
        bulk = []
        for _ in range(repeat):
            lines = [Line(run=copy, **row) for row in rows]
            # Under the same garbage-collector pause as run_calculate's (cxoffice.batch): the
            # ratio then measures the calculation's own work, not the collector's.
            with counted() as bulk_queries, gc_paused():
                start = time.perf_counter()
                Line.objects.bulk_create(lines, batch_size=BATCH_SIZE)
                bulk.append(time.perf_counter() - start)
            Line.objects.filter(run=copy).delete()
        ratio = calc / min(bulk)
        self.stdout.write(
            f"\nbare Line.objects.bulk_create of the same {len(rows):,} lines (batch_size="
            f"{BATCH_SIZE}, garbage collector paused as in run_calculate, {repeat} runs):\n"
            f"  wall time     min {min(bulk):8.3f} s  "
            f"({bulk_queries[0]} queries)\n\nratio calculation / bulk_create (minimums): "
            f"{ratio:.2f} — goal ≤ 3: {'goal met' if ratio <= 3 else 'goal missed'}"
        )
