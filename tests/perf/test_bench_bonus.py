"""A bonus run's query count does not grow with the number of employees, and bench_bonus runs.

The data set is bench_bonus's own (employees, assignments, enrollments and employee results in
bulk): a plan of 5 components (1 department, 3 employee, 1 company) and 1 company gate, with a
tenth of the people joining mid-quarter and one in twenty moving department mid-quarter.
"""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from apps.bonuses.management.commands.bench_bonus import (
    BATCH_SIZE,
    LINE_INSERT,
    bonus_plan,
    build_dataset,
    enroll,
)
from apps.bonuses.models import Line
from apps.bonuses.services.runs import run_calculate, run_create, run_is_stale
from apps.kpis.models import KPIResult

ROOT = Path(__file__).resolve().parents[2]

# run_calculate's queries besides the line INSERTs, measured the same for 100 and 1,000
# employees on SQLite and PostgreSQL (one chunk): the test transaction's savepoint and its
# release, the run locked, the enrolled employees' ids (the chunks), the old lines deleted,
# run_inputs' 8 reads (components, gates, enrollments with employees, departments,
# assignments, result_book's department tree, results, targets), the adjustments and the run
# saved. Each further chunk of BONUS_RUN_CHUNK employees adds run_inputs' 8 and the adjustments.
FIXED_QUERIES = 15
# The line INSERTs come in batches of at most 2,000 rows (runs.py): one INSERT for 1,000 lines on
# PostgreSQL, but Django caps a SQLite statement at 999 parameters (features.max_query_params),
# i.e. 62 lines of 16 columns (today): 17 INSERTs for 1,000 lines. So one bound for 100 and 1,000
# employees: the fixed queries, the INSERTs of 1,000 lines on this database and a margin of 2.


def line_batches(count: int) -> int:
    """How many INSERTs Django's bulk_create needs for ``count`` lines on this database."""
    fields = [f for f in Line._meta.concrete_fields if not f.primary_key]
    size = min(BATCH_SIZE, connection.ops.bulk_batch_size(fields, [None] * count) or count)
    return math.ceil(count / size)


MAX_QUERIES = FIXED_QUERIES + line_batches(1000) + 2  # 17 on PostgreSQL, 33 on SQLite


@pytest.mark.django_db
@pytest.mark.parametrize("employees", [100, 1000])
def test_run_queries_do_not_grow_with_employees(employees, django_assert_max_num_queries):
    data = build_dataset(employees=employees, departments=5)
    plan = bonus_plan("BENCH", data.kpis)
    enroll(plan, data.employees, data.quarter)
    run = run_create(plan=plan, period=data.quarter.key)

    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        run = run_calculate(run=run, user=data.user)

    inserts = [q for q in captured.captured_queries if q["sql"].startswith(LINE_INSERT)]
    assert len(captured) - len(inserts) == FIXED_QUERIES  # exactly: no query per employee
    assert len(inserts) == line_batches(employees)
    amounts = list(Line.objects.filter(run=run).values_list("amount", flat=True))
    assert len(amounts) == run.line_count == employees
    assert run.total_amount == sum(amounts)
    assert run.blocking_issues == []


def test_bench_bonus_prints_the_figures():
    """In a subprocess: the command sets up and drops its own test database (DATABASE_URL is
    passed on, so under scripts/with_postgres.sh it runs on PostgreSQL)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_bonus", "--employees", "100,200", "--departments",
         "4", "--repeat", "1"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "200 employees → 200 lines" in result.stdout
    assert "cost per line, 200 over 100 employees" in result.stdout
    assert "peak memory growth ≤ 500 MB" in result.stdout


@pytest.mark.django_db
def test_a_run_in_chunks_writes_the_lines_of_a_run_in_one(settings):
    """Chunks of 7 employees: the same lines, amounts and total as one chunk, and the run
    still goes stale when one input changes."""
    data = build_dataset(employees=40, departments=3)
    plan = bonus_plan("BENCH", data.kpis)
    enroll(plan, data.employees, data.quarter)
    run = run_calculate(run=run_create(plan=plan, period=data.quarter.key), user=data.user)
    whole = sorted(Line.objects.filter(run=run).values_list("employee_id", "amount", "flags"))
    settings.BONUS_RUN_CHUNK = 7
    again = run_calculate(run=run, user=data.user)
    chunked = sorted(Line.objects.filter(run=run).values_list("employee_id", "amount", "flags"))
    assert chunked == whole
    assert len(chunked) == again.line_count == 40
    assert again.total_amount == sum(amount for _e, amount, _f in whole)
    assert not run_is_stale(again)
    result = KPIResult.objects.filter(scope="employee", employee=data.employees[20]).first()
    result.value += 1
    result.save()
    assert run_is_stale(again)
