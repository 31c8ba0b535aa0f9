"""Benchmark the scorecard and the bulk upsert of KPI results on a throwaway test database.

``python manage.py bench_scorecard [--kpis 50] [--departments 20] [--weeks 26]
[--bulk-rows 100000] [--repeat 5] [--keepdb]``

The configured database is never touched: like the test runner, the command creates a test
database with Django's test utilities (in memory on SQLite; ``test_<name>_bench`` elsewhere — not
``test_<name>``, so that a test suite running on the same server keeps its own database), runs
the migrations there and drops it afterwards. The data set is built through the services: a root
department, groups of five leaf departments under it, percent KPIs (every tenth lower is better,
in trees of five) with company targets, and weekly results of every KPI × leaf department.

Timed: the scorecard of the last full month (selector and API, company and one group), the
query count of the company scorecard with a fifth of the KPIs next to all of them, and the bulk
upsert of new, unchanged and changed results. Times are wall clock (min and median of
``--repeat`` runs after one counted warm-up run); nothing is asserted.
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
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
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

GROUP_SIZE = 5  # leaf departments per group; KPIs per KPI tree
LEVELS = {  # threshold, target, stretch, benchmark (percent)
    Direction.HIGHER_IS_BETTER: ("70", "80", "90", "85"),
    Direction.LOWER_IS_BETTER: ("30", "20", "10", "15"),
}


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
        settings_dict = connection.settings_dict
        test_settings = settings_dict.setdefault("TEST", {})
        if connection.vendor != "sqlite" and not test_settings.get("NAME"):
            test_settings["NAME"] = f"test_{settings_dict['NAME']}_bench"
        setup_test_environment()
        try:
            old_config = setup_databases(
                verbosity=0, interactive=False, keepdb=keepdb, serialized_aliases=set()
            )
            try:
                with transaction.atomic() if keepdb else nullcontext():
                    self.bench(options)
                    if keepdb:
                        transaction.set_rollback(True)
            finally:
                teardown_databases(old_config, verbosity=0, keepdb=keepdb)
        finally:
            teardown_test_environment()

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
        rows = [
            self.result_row(kpi, leaf, week)
            for week in self.weeks
            for kpi in self.kpis
            for leaf in self.leaves
        ]
        kpi_results_bulk_upsert(user=self.user, rows=rows)
        month = Period.for_date(timezone.localdate(), PeriodType.MONTH).previous()
        while month.children(PeriodType.WEEK)[-1] > last_week:  # a week not yet reported
            month = month.previous()
        self.month = month

    # -- measuring ----------------------------------------------------------------------------

    def timed(self, label: str, run: Callable[[], object], note: str = "") -> int:
        """One warm-up run with its queries captured, then ``--repeat`` timed runs."""
        with CaptureQueriesContext(connection) as captured:
            run()
        queries = len(captured)  # now: a request (below) empties the connection's query log
        runs = []
        for _ in range(self.repeat):
            start = time.perf_counter()
            run()
            runs.append(time.perf_counter() - start)
        self.stdout.write(
            f"  {label:<30} min {min(runs):8.4f} s  median {statistics.median(runs):8.4f} s"
            f"  {queries:5d} queries  {note}"
        )
        return queries

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
            f" × {len(self.leaves)} departments (under {len(self.groups)} groups and 1 root, "
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
        client = APIClient()
        client.force_authenticate(self.user)

        def api(**params: str) -> Callable[[], object]:
            def get() -> object:
                response = client.get("/api/v1/scorecards/", {"period": self.month.key, **params})
                if response.status_code != 200:
                    raise CommandError(f"API {params}: {response.status_code} {response.content}")
                return response

            return get

        self.timed("API, company", api(), "status 200")
        self.timed(f"API, department {group.code}", api(department=group.code), "status 200")

        small = self.kpis[: max(1, len(self.kpis) // 5)]
        with CaptureQueriesContext(connection) as captured:
            scorecard(period=self.month)
        full = len(captured)
        with transaction.atomic():  # the other KPIs inactive, for this measurement only
            KPI.objects.exclude(pk__in=[k.pk for k in small]).update(is_active=False)
            with CaptureQueriesContext(connection) as captured:
                scorecard(period=self.month)
            fifth = len(captured)
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
        rows = [
            self.result_row(kpi, leaf, week) for week in older for kpi in self.kpis
            for leaf in self.leaves
        ][:count]  # fmt: skip
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
