"""The benchmark command runs end to end on a tiny data set.

It runs in a subprocess: the command sets up and tears down its own test database, which must
not meet pytest-django's. DATABASE_URL is passed on, so under scripts/with_postgres.sh it runs
on PostgreSQL too.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_scorecard_prints_the_figures():
    result = subprocess.run(
        [sys.executable, "manage.py", "bench_scorecard", "--kpis", "5", "--departments", "4",
         "--weeks", "6", "--bulk-rows", "500", "--repeat", "1"],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "selector, company" in out
    assert "API, company" in out
    assert "Bulk upsert of 500 results" in out
    assert out.count("rows/s") == 3
    assert "created=500 updated=0 unchanged=0" in out
    assert "created=0 updated=0 unchanged=500" in out
    assert "created=0 updated=500 unchanged=0" in out
