"""The records benchmark runs end to end on a tiny file (PostgreSQL only: it compares with
`psql \\copy`). In a subprocess, like the other benchmark commands: it sets up and drops its own
throwaway test database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_bench_records_prints_the_three_figures():
    if connection.vendor != "postgresql":
        pytest.skip("the records benchmark compares with psql \\copy: PostgreSQL only")
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_records", "--rows", "300", "--departments", "3"],
        cwd=ROOT,
        # the first load takes the rebuilding path (into the empty table), committed for real
        env={**os.environ, "RECORDS_REBUILD_MIN_ROWS": "100"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "(a) loader (fast path)" in out
    assert "first load into the empty table" in out
    assert "created 300" in out
    assert "the same file again (created 0, updated 0)" in out
    assert "hand-written: \\copy + one INSERT" in out
    assert "(b) one month, 3 departments" in out
    assert "same numbers: True" in out
    assert "(c) loader peak memory growth" in out
    assert "a second file of 300 new records into the table holding the first" in out
    assert "(created 300;" in out
