"""bench_people runs (a small month here; the figures of issue 17 come from running it by hand
with its defaults) and its per-person counts agree with the hand-written GROUP BYs."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_people_prints_the_figures_with_the_same_numbers():
    """In a subprocess: the command sets up and drops its own test database (DATABASE_URL is
    passed on, so under scripts/with_postgres.sh it runs on PostgreSQL)."""
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_people", "--shipments", "3000", "--couriers", "90",
         "--tickets", "1500", "--agents", "15", "--repeat", "1"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3,000 shipments in 2025-06 crediting 90 couriers" in result.stdout
    assert "for 105 people" in result.stdout  # 90 couriers and 15 agents, each with results
    assert "same numbers: True" in result.stdout
