"""Time the scorecard and the bulk upsert of KPI results on a throwaway test database.

The configured database is never touched: like the test runner, the command creates a test
database (in memory on SQLite; ``test_<name>_bench`` elsewhere, so that a test suite on the same
server keeps its ``test_<name>``), migrates it and drops it afterwards. The data set is built
through the services: a root department over groups of five leaf departments, percent KPIs
(every tenth lower is better, in trees of five) with company targets, and weekly results of
every KPI × leaf department. Timed: the scorecard of the last full month (selector and API,
company and one group), its query count with a fifth of the KPIs, and the bulk upsert of new,
unchanged and changed results. Wall-clock min and median of ``--repeat`` runs after a counted
warm-up run; nothing is asserted.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import (
    CaptureQueriesContext,
)
from django.utils import timezone
from rest_framework.test import APIClient

from apps.departments.models import Department
from apps.departments.services import department_create
from apps.kpis.models import KPI, Aggregation, Direction, Frequency, KPIResult, Unit
from apps.kpis.periods import Period, PeriodType
from apps.kpis.services import kpi_create, kpi_results_bulk_upsert
from apps.targets.selectors import ScorecardRow, scorecard
from apps.targets.services import target_create
from cxoffice.benchmarks import throwaway_database

GROUP_SIZE = 5  # leaf departments per group; KPIs per KPI tree
LEVELS = {  # threshold, target, stretch, benchmark (percent)
    Direction.HIGHER_IS_BETTER: ("70", "80", "90", "85"),
    Direction.LOWER_IS_BETTER: ("30", "20", "10", "15"),
}


def queries_of(run: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)  # now: the next request empties the connection's query log


@contextmanager
def counted() -> Iterator[list[int]]:
    """Count queries without logging them (the debug cursor would skew bulk timings)."""
    count = [0]

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def flatten(rows: list[ScorecardRow]) -> list[ScorecardRow]:
    """A scorecard's rows and all their children."""
    return [r for row in rows for r in (row, *flatten(row.children))]


class Command(BaseCommand):
    help = "Time the scorecard and the bulk upsert of KPI results on a throwaway test database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kpis", type=int, default=50)
        parser.add_argument("--departments", type=int, default=20, help="leaf departments")
        parser.add_argument("--weeks", type=int, default=26)
        parser.add_argument("--bulk-rows", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument(
            "--keepdb", action="store_true", help="keep the test database (data rolled back)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if min(options["kpis"], options["departments"], options["weeks"], options["repeat"]) < 1:
            raise CommandError("--kpis, --departments, --weeks and --repeat must be at least 1.")
        if options["bulk_rows"] < 0:
            raise CommandError("--bulk-rows cannot be negative.")
        self.repeat: int = options["repeat"]
        self.rng = random.Random(2026)
        keepdb = options["keepdb"]
        with throwaway_database(keepdb=keepdb), transaction.atomic() if keepdb else nullcontext():
            self.bench(options)
            if keepdb:
                transaction.set_rollback(True)

    # -- the data set -------------------------------------------------------------------------

    def result_row(self, kpi: KPI, department: Department, period: Period) -> dict[str, Any]:
        denominator = self.rng.randint(50, 400)
        lower = kpi.direction == Direction.LOWER_IS_BETTER
        share = self.rng.uniform(0.05, 0.35) if lower else self.rng.uniform(0.6, 0.98)
        return {
            "kpi": kpi.code,
            "department": department.code,
            "period": period.key,
            "numerator": round(denominator * share),
            "denominator": denominator,
        }

    def result_rows(self, weeks: list[Period]) -> list[dict[str, Any]]:
        return [self.result_row(k, d, w) for w in weeks for k in self.kpis for d in self.leaves]

    def build(self, options: dict[str, Any]) -> None:
        self.user = get_user_model().objects.create_superuser("bench", "bench@example.com", None)
        root = department_create(code="BENCH", name="Benchmark company")
        n_leaves = options["departments"]
        self.groups = [
            department_create(code=f"G{g + 1:02d}", name=f"Group {g + 1}", parent=root)
            for g in range(math.ceil(n_leaves / GROUP_SIZE))
        ]
        self.leaves = [
            department_create(
                code=f"D{i + 1:03d}", name=f"Team {i + 1}", parent=self.groups[i // GROUP_SIZE]
            )
            for i in range(n_leaves)
        ]
        self.kpis: list[KPI] = []
        for i in range(options["kpis"]):
            direction = Direction.LOWER_IS_BETTER if i % 10 == 9 else Direction.HIGHER_IS_BETTER
            kpi = kpi_create(
                code=f"BENCH-{i + 1:03d}",
                name=f"Benchmark rate {i + 1}",
                department=self.leaves[i % n_leaves],
                parent=self.kpis[i - i % GROUP_SIZE] if i % GROUP_SIZE else None,
                unit=Unit.PERCENT,
                direction=direction,
                aggregation=Aggregation.RATIO,
                frequency=Frequency.WEEK,
                decimals=1,
            )
            threshold, target, stretch, benchmark = map(Decimal, LEVELS[direction])
            target_create(
                user=None, as_system=True, kpi=kpi, scope="company", threshold=threshold,
                target=target, stretch=stretch, benchmark=benchmark,
            )  # fmt: skip
            self.kpis.append(kpi)
        last_week = Period.for_date(timezone.localdate() - timedelta(days=7), PeriodType.WEEK)
        self.weeks = last_week.last(options["weeks"])
        kpi_results_bulk_upsert(user=self.user, rows=self.result_rows(self.weeks))
        month = Period.for_date(timezone.localdate(), PeriodType.MONTH).previous()
        while month.children(PeriodType.WEEK)[-1] > last_week:  # a week not yet reported
            month = month.previous()
        self.month = month

    # -- measuring ----------------------------------------------------------------------------

    def timed(self, label: str, run: Callable[[], object], note: str = "") -> None:
        """One warm-up run with its queries counted, then ``--repeat`` timed runs."""
        queries = queries_of(run)
        runs = []
        for _ in range(self.repeat):
            start = time.perf_counter()
            run()
            runs.append(time.perf_counter() - start)
        self.stdout.write(
            f"  {label:<30} min {min(runs):8.4f} s  median {statistics.median(runs):8.4f} s"
            f"  {queries:5d} queries  {note}"
        )

    def upsert(self, label: str, rows: list[dict[str, Any]]) -> None:
        with counted() as queries:
            start = time.perf_counter()
            counts = kpi_results_bulk_upsert(user=self.user, rows=rows)
            seconds = time.perf_counter() - start
        figures = " ".join(f"{key}={value}" for key, value in counts.items())
        self.stdout.write(
            f"  {label:<22} {seconds:8.3f} s  {len(rows) / seconds:10,.0f} rows/s"
            f"  {queries[0]:6d} queries  {figures}"
        )

    def api_get(self, department: str = "") -> None:
        query = {"period": self.month.key} | ({"department": department} if department else {})
        response = self.client.get("/api/v1/scorecards/", query)
        if response.status_code != 200:
            raise CommandError(f"API {query}: {response.status_code} {response.content!r}")

    def bench(self, options: dict[str, Any]) -> None:
        version = ".".join(str(part) for part in connection.get_database_version())
        self.stdout.write(
            f"Database: {connection.display_name} {version} "
            f"(test database {connection.settings_dict['NAME']})"
        )
        start = time.perf_counter()
        self.build(options)
        built = time.perf_counter() - start
        lower = sum(k.direction == Direction.LOWER_IS_BETTER for k in self.kpis)
        self.stdout.write(
            f"Data set: {len(self.kpis)} KPIs ({lower} lower is better, trees of {GROUP_SIZE})"
            f" × {len(self.leaves)} departments (in {len(self.groups)} groups under 1 root, "
            f"{Department.objects.count()} in all) × {len(self.weeks)} weeks "
            f"{self.weeks[0]}…{self.weeks[-1]} = {KPIResult.objects.count():,} results; "
            f"built in {built:.1f} s"
        )
        group = self.groups[0]
        rows = flatten(scorecard(period=self.month).rows)
        valued = sum(row.value.value is not None for row in rows)
        bases = ",".join(sorted({row.value.basis for row in rows}))
        dept_kpis = len(flatten(scorecard(period=self.month, department=group).rows))
        self.stdout.write(
            f"\nScorecard {self.month} ({self.repeat} runs after a counted warm-up run):"
        )
        self.timed(
            "selector, company",
            lambda: scorecard(period=self.month),
            f"{len(rows)} KPIs, {valued} valued ({bases})",
        )
        self.timed(
            f"selector, department {group.code}",
            lambda: scorecard(period=self.month, department=group),
            f"{dept_kpis} KPIs",
        )
        self.client = APIClient()
        self.client.force_authenticate(self.user)
        self.timed("API, company", self.api_get, "status 200")
        self.timed(f"API, department {group.code}", lambda: self.api_get(group.code), "status 200")

        small = self.kpis[: max(1, len(self.kpis) // 5)]
        full = queries_of(lambda: scorecard(period=self.month))
        with transaction.atomic():  # the other KPIs inactive, for this measurement only
            KPI.objects.exclude(pk__in=[k.pk for k in small]).update(is_active=False)
            fifth = queries_of(lambda: scorecard(period=self.month))
            transaction.set_rollback(True)
        self.stdout.write(
            f"  queries vs KPIs (company):     {len(small)} KPIs → {fifth} queries, "
            f"{len(self.kpis)} KPIs → {full} queries ({'equal' if fifth == full else 'NOT equal'})"
        )

        if options["bulk_rows"]:
            self.bench_bulk(options["bulk_rows"])

    def bench_bulk(self, count: int) -> None:
        per_week = len(self.kpis) * len(self.leaves)
        older = [self.weeks[0].shift(-n) for n in range(1, math.ceil(count / per_week) + 1)]
        rows = self.result_rows(older)[:count]
        self.stdout.write(
            f"\nBulk upsert of {count:,} results (kpi_results_bulk_upsert; {len(older)} older "
            f"weeks {older[-1]}…{older[0]} × KPIs × departments, one run each):"
        )
        self.upsert("new rows", rows)
        self.upsert("same rows again", rows)
        self.upsert(
            "every value changed", [{**r, "denominator": r["denominator"] + 1} for r in rows]
        )
        self.stdout.write(f"Results in the database: {KPIResult.objects.count():,}")
