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
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "(a) loader (fast path)" in out
    assert "created 300" in out
    assert "(b) one month, 3 departments" in out
    assert "same numbers: True" in out
    assert "(c) loader peak memory growth" in out
