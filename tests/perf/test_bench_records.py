"""The records benchmark runs end to end on a tiny file and prints issue 16's goal table
(PostgreSQL only: it compares with `psql \\copy`). In a subprocess, like the other benchmark
commands: it sets up and drops its own throwaway test database (and SQLite file). Wall times
are not asserted; what each case did, and that every line of the table is there, are."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

CASES = {  # the goal table's case: its goal, and the counts its line must report
    "first load into an empty table": ("≤ 1.5×", "created 300, updated 0, skipped 0;"),
    "the same file again (nothing changes)": ("≤ 1.5×", "created 0, updated 0, skipped 300;"),
    "a file where 10 % of the rows changed": ("≤ 2×", "created 0, updated 30, skipped 270;"),
    "N new records into a table holding N": ("≤ 2.5×", "created 300, updated 0, skipped 0;"),
}


def test_bench_records_prints_every_case_and_the_goal_table():
    if connection.vendor != "postgresql":
        pytest.skip("the records benchmark compares with psql \\copy: PostgreSQL only")
    command = ["bench_records", "--rows", "300", "--departments", "3", "--repeat", "1"]
    result = subprocess.run(
        [sys.executable, "manage.py", *command, "--sqlite-rows", "300"],
        cwd=ROOT,
        # the first load (and the memory loads) take the path of a large file into the empty
        # table, as a million rows do, committed for real
        env={**os.environ, "RECORDS_REBUILD_MIN_ROWS": "100"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    lines = out.splitlines()

    for n, (case, (_goal, counts)) in enumerate(CASES.items(), 1):
        [line] = [line for line in lines if line.startswith(f"({n}) {case}: ")]
        assert counts in line, line
        assert re.search(r"\\copy of \w+\.csv [\d.]+s; ratio [\d.]+ \(goal", line), line
    assert re.search(
        r"^\(5\) one month, 3 departments, 600 shipments .* same numbers: True$", out, re.M
    )
    assert re.search(
        r"^\(6\) loader memory growth .*: 300 rows [\d.]+ MB, 900 rows [\d.]+ MB", out, re.M
    )
    assert re.search(
        r"^SQLite .*: 300 shipments .* in [\d.]+s \([\d,]+ rows/s; created 300, updated 0, "
        r"skipped 0;",
        out,
        re.M,
    )

    header, rule, *table = [
        [cell.strip() for cell in line.split("|")[1:-1]] for line in lines if line.startswith("|")
    ]
    assert header == ["case", "goal", "measured", "verdict"]
    assert {*"".join(rule)} == {"-"}
    rows = {case: cells for case, *cells in table}
    goals = {case: goal for case, (goal, _counts) in CASES.items()}
    goals["loader memory growth (max RSS growth), N and 3N rows"] = "≤ 200 MB, flat"
    goals["the calculators vs the hand-written GROUP BY"] = "≤ 1.1×, same numbers"
    assert list(rows) == list(goals)  # one line per case, in the order
    for case, (goal, measured, verdict) in rows.items():
        assert goal == goals[case]
        assert verdict in {"met", "MISSED"}, (case, verdict)
        assert "counts wrong" not in measured, case
    memory = rows["loader memory growth (max RSS growth), N and 3N rows"][1]
    assert re.fullmatch(r"[\d.]+ MB, [\d.]+ MB \((flat|grows [\d.]+×)\)", memory), memory
    assert rows["the calculators vs the hand-written GROUP BY"][1].endswith("same numbers: True")
