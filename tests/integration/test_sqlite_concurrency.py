"""SQLite under several people at once: the server `make demo` runs, eight clients writing.

The embedded default (a SQLite file) is what demos and small pilots run on. Before its settings
asked for a WAL journal, IMMEDIATE transactions and a busy timeout, two concurrent writers were
enough for a 500 ("database is locked"). Here a real ``manage.py runserver`` (threaded, as in
``make demo``) serves a SQLite file of its own, in both suite runs, and eight client threads
write employees, bulk KPI results and feedback at the same time. Every answer must be a 2xx and
every row must be in the database exactly once.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
CLIENTS = 8
ROUNDS = 6  # each round: one employee, one bulk of KPI results, one feedback item
BULK_ROWS = 20
REQUESTS = CLIENTS * ROUNDS * 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sqlite_server():
    """(base URL, database file, token): a migrated SQLite file with the catalog, served by
    runserver on a free loopback port, a superuser's API token."""
    folder = Path(tempfile.mkdtemp(prefix="cxoffice-sqlite-"))
    database = folder / "cxoffice.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CELERY_")},
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "false",
    }
    server = None
    try:
        for command in (["migrate", "--noinput", "-v", "0"], ["load_catalog", "-v", "0"]):
            subprocess.run(
                [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
            )
        token = (
            subprocess.run(
                [
                    PYTHON,
                    "manage.py",
                    "shell",
                    "--no-imports",
                    "-c",
                    "from django.contrib.auth import get_user_model\n"
                    "from rest_framework.authtoken.models import Token\n"
                    "user = get_user_model().objects.create_superuser('root', 'r@x.org', 'x')\n"
                    "print(Token.objects.create(user=user).key)",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = _free_port()
        log = (folder / "server.log").open("wb")
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert server.poll() is None, (folder / "server.log").read_text()
                assert time.monotonic() < deadline, "runserver did not start in 60 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", database, token, folder / "server.log"
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=15)
        shutil.rmtree(folder, ignore_errors=True)


def _post(base: str, token: str, path: str, body: dict) -> int:
    request = urllib.request.Request(  # noqa: S310 - a loopback URL built by this test
        base + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_eight_concurrent_writers_on_sqlite_get_no_error_and_write_every_row_once(sqlite_server):
    base, database, token, server_log = sqlite_server
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        start.wait()
        for round_ in range(ROUNDS):
            employee = {
                "employee_number": f"C{number}-{round_}",
                "full_name": f"Concurrent {number}.{round_}",
                "hire_date": "2024-01-01",
                "department": "CS",
            }
            # Each client and round owns its periods: weeks 1..20 of a year of its own.
            results = [
                {
                    "kpi": "service.fcr_rate",
                    "department": "CS",
                    "period": f"{2000 + number * ROUNDS + round_}-W{week:02d}",
                    "value": "80",
                }
                for week in range(1, BULK_ROWS + 1)
            ]
            feedback = {
                "channel": "web",
                "received_at": "2026-01-05T09:30:00Z",
                "customer_ref": f"C{number}-{round_}",
                "text": "Parcel late",
                "severity": "low",
                "department": "DIST",
            }
            answers = [
                _post(base, token, "/api/v1/employees/", employee),
                _post(base, token, "/api/v1/kpi-results/bulk/", {"results": results}),
                _post(base, token, "/api/v1/feedback/", feedback),
            ]
            with lock:
                statuses.update(answers)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a client hung"

    assert sum(statuses.values()) == REQUESTS
    log = server_log.read_text()
    first_error = log[log.find("Traceback") :][:4000] if "Traceback" in log else log[-3000:]
    assert set(statuses) <= {200, 201}, (statuses, first_error)
    with sqlite3.connect(database) as db:
        employees = db.execute(
            "SELECT employee_number, COUNT(*) FROM departments_employee "
            "WHERE employee_number LIKE 'C%-%' GROUP BY employee_number"
        ).fetchall()
        results = db.execute(
            "SELECT period, COUNT(*) FROM kpis_kpiresult GROUP BY kpi_id, department_id, period"
        ).fetchall()
        feedback = db.execute(
            "SELECT customer_ref, COUNT(*) FROM feedback_feedback GROUP BY customer_ref"
        ).fetchall()
    assert len(employees) == CLIENTS * ROUNDS
    assert {n for _, n in employees} == {1}
    assert len(results) == CLIENTS * ROUNDS * BULK_ROWS
    assert {n for _, n in results} == {1}
    assert len(feedback) == CLIENTS * ROUNDS
    assert {n for _, n in feedback} == {1}
