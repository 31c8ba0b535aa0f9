"""Real workers: a Redis server and ``celery -A cxoffice worker`` processes, no eager mode.

Runs in both suite runs of ``make test``, each time on a database of its own that the worker
processes share with this test: a SQLite *file* in a temporary folder (the SQLite run), or a
fresh database on the throwaway PostgreSQL server (the PostgreSQL run, through the COPY path).
Nothing here goes through pytest-django's test database: the worker is another process.

1. a load of the Olist orders and a KPI computation go through the broker; the on-time result
   equals an independent count of the file;
2. a worker is SIGKILLed in the middle of a large load: nothing of that file is written; a new
   worker runs the same load again: every row exactly once; a third run changes nothing;
3. a bonus run split into chunk tasks over two workers gets exactly the lines of the same run
   calculated in-process; killing the workers mid-run leaves the run not calculated, and
   calculating again on a new worker completes it with no duplicate line.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
OLIST_ORDERS = Path("/work/shared/data/olist/olist_orders_dataset.csv")
BIG_ROWS = 120_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _stop(process: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture
def redis_url(tmp_path_factory):
    if shutil.which("redis-server") is None:
        subprocess.run([str(ROOT / "scripts/system_deps.sh"), "redis"], check=True)
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is not installed (scripts/system_deps.sh redis)"
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    server = subprocess.Popen(
        [
            redis_server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def ready() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        _wait(ready, 20, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(server)


@pytest.fixture
def database_url():
    """A database of this test's own, migrated, with the catalog loaded."""
    base = os.environ.get("DATABASE_URL", "")
    folder = tempfile.mkdtemp(prefix="cxoffice-workers-")
    dropper = None
    if base.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"cx_workers_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = base.rsplit("/", 1)[0] + f"/{name}"

        def dropper():
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    else:
        url = f"sqlite:///{folder}/cxoffice.sqlite3"
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("CELERY_BROKER_URL", None)
    try:
        for command in (["migrate", "--noinput", "-v", "0"], ["load_catalog"]):
            subprocess.run(
                [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
            )
        yield url
    finally:
        if dropper:
            dropper()
        shutil.rmtree(folder, ignore_errors=True)


def procfile_command(process: str) -> str:
    """The command of one process type of the Procfile (the production process model)."""
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{process}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"the Procfile has no {process} process")


class Workers:
    """Starts worker processes and runs Django snippets against the shared database."""

    def __init__(self, database_url: str, broker_url: str, folder: Path, **env: str) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": broker_url,
            "DJANGO_SETTINGS_MODULE": "cxoffice.settings",
            **env,
        }
        self.folder = folder
        self.processes: list[subprocess.Popen] = []
        from celery import Celery

        self.app = Celery("cxoffice-test-client", broker=broker_url, backend=broker_url)

    def start(self, name: str) -> subprocess.Popen:
        """A worker as production runs it: the Procfile's ``worker`` command (through a shell,
        as honcho runs it), one process, named ``name``."""
        log = (self.folder / f"{name}.log").open("wb")
        args = f"--pool=solo -n {name}@%h --without-gossip --without-mingle --without-heartbeat"
        env = {**self.env, "CELERY_WORKER_ARGS": args,
               "PATH": f"{Path(PYTHON).parent}:{os.environ.get('PATH', '')}"}  # fmt: skip
        process = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + procfile_command("worker")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        _wait(
            lambda: (
                process.poll() is None
                and any(
                    r for r in self.app.control.ping(timeout=0.5) if f"{name}@" in next(iter(r))
                )
            ),
            60,
            f"worker {name} to answer a ping",
            interval=0.5,
        )
        return process

    def django(self, code: str):
        """Run ``code`` (which sets ``result``) in a Django process; return result as JSON."""
        script = "import django, json\ndjango.setup()\n" + code + "\nprint(json.dumps(result))\n"
        env = {k: v for k, v in self.env.items() if not k.startswith("CELERY_")}
        done = subprocess.run(
            [PYTHON, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_job(self, kind: str, path: Path, mapping: str | None = None) -> int:
        return self.django(
            "from apps.records import services\n"
            "from apps.records.models import RecordMapping\n"
            f"mapping = RecordMapping.objects.filter(name={mapping!r}).first()\n"
            f"job = services.load_job_start(kind={kind!r}, door='admin', file_name={path.name!r}, "
            f"file_path={str(path)!r}, mapping=mapping)\n"
            "result = job.pk"
        )

    def stop_all(self) -> None:
        for process in self.processes:
            _stop(process, signal.SIGKILL)


def _independent_on_time(month: str) -> tuple[int, int]:
    on_time = due = 0
    with OLIST_ORDERS.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            promised = row["order_estimated_delivery_date"][:10]
            if promised[:7] != month or row["order_status"] in ("canceled", "unavailable"):
                continue
            due += 1
            delivered = row["order_delivered_customer_date"][:10]
            on_time += bool(delivered and delivered <= promised)
    return on_time, due


def _big_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            [
                "source_system",
                "source_record_id",
                "ordered_at",
                "paid_at",
                "shipped_at",
                "delivered_at",
                "promised_at",
            ]
        )
        for i in range(rows):
            day = 1 + i % 28
            out.writerow(
                [
                    "bench",
                    f"order-{i}",
                    f"2026-02-{day:02d}T08:00:00+00:00",
                    f"2026-02-{day:02d}T09:00:00+00:00",
                    f"2026-02-{day:02d}T18:00:00+00:00",
                    "" if i % 7 == 0 else f"2026-03-{day:02d}T10:00:00+00:00",
                    f"2026-03-{day:02d}T00:00:00+00:00",
                ]
            )


def test_load_and_compute_on_real_workers_and_a_killed_load(redis_url, database_url, tmp_path):
    workers = Workers(database_url, redis_url, tmp_path)
    try:
        first = workers.start("first")
        # 1. load + compute through the broker
        job = workers.start_job("shipments", OLIST_ORDERS, "olist-orders")
        summary = workers.app.send_task("apps.records.tasks.load_records_file", args=[job]).get(
            timeout=180
        )
        assert (summary["status"], summary["created"], summary["rejected"]) == ("done", 4071, 0)
        computed = workers.app.send_task("apps.records.tasks.compute_kpis", args=["2018-03"]).get(
            timeout=180
        )
        assert computed["results"] > 0
        stored = workers.django(
            "from apps.kpis.models import KPIResult\n"
            "r = KPIResult.objects.get(kpi__code='delivery.on_time_rate', scope='company', "
            "period='2018-03')\n"
            "result = [int(r.numerator), int(r.denominator), r.source]"
        )
        assert stored == [*_independent_on_time("2018-03"), "computed"]

        # 2. SIGKILL in the middle of a large load
        big = tmp_path / "big.csv"
        _big_file(big, BIG_ROWS)
        job = workers.start_job("shipments", big)
        _stop(first)  # only the victim may take the task
        victim = workers.start("victim")
        task = workers.app.send_task("apps.records.tasks.load_records_file", args=[job])

        def loading():
            result = workers.app.AsyncResult(task.id)
            return result.state == "PROGRESS" and (result.info or {}).get("done", 0) > 0

        _wait(loading, 120, "the load to report progress")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=15)
        count_sql = (
            "from apps.records.models import Shipment, LoadJob\n"
            "from django.db.models import Count\n"
            "q = Shipment.objects.filter(source_system='bench')\n"
            "dupes = q.values('source_record_id').annotate(n=Count('id')).filter(n__gt=1).count()\n"
            f"result = [q.count(), dupes, LoadJob.objects.get(pk={job}).status]"
        )
        assert workers.django(count_sql) == [0, 0, "running"]  # nothing half-written

        workers.start("second")
        rerun = workers.app.send_task("apps.records.tasks.load_records_file", args=[job]).get(
            timeout=600
        )
        assert (rerun["status"], rerun["created"], rerun["read"]) == ("done", BIG_ROWS, BIG_ROWS)
        assert workers.django(count_sql) == [BIG_ROWS, 0, "done"]
        again = workers.app.send_task("apps.records.tasks.load_records_file", args=[job]).get(
            timeout=600
        )
        assert (again["created"], again["updated"], again["skipped"]) == (0, 0, BIG_ROWS)
        assert workers.django(count_sql) == [BIG_ROWS, 0, "done"]
    finally:
        workers.stop_all()


BONUS_EMPLOYEES = 3_000
BONUS_CHUNK = 100

SETUP_RUN = """
from apps.bonuses.management.commands.bench_bonus import bonus_plan, build_dataset, enroll
from apps.bonuses.services import run_create
data = build_dataset(employees={employees}, departments=4)
plan = bonus_plan("WORKERS", data.kpis)
enroll(plan, data.employees, data.quarter)
run = run_create(plan=plan, period=data.quarter.key)
result = [run.pk, data.user.pk]
"""
LINES = """
from apps.bonuses.models import Line, Run
run = Run.everything.get(pk={run})
lines = sorted(
    [l.employee_id, str(l.amount), l.flags, l.components, l.explanation]
    for l in Line.objects.filter(run=run)
)
shadows = Run.everything.filter(shadow_of=run).count()
result = [run.status, run.line_count, str(run.total_amount), run.fingerprint, shadows, lines]
"""
SECOND_RUN = """
from apps.bonuses.management.commands.bench_bonus import KPIS, bonus_plan, enroll
from apps.bonuses.models import Run
from apps.bonuses.services import run_create
from apps.departments.models import Employee
from apps.kpis.models import KPI
from apps.kpis.periods import Period
first = Run.objects.get(pk={run})
plan = bonus_plan("WORKERS-2", [KPI.objects.get(code=spec[0]) for spec in KPIS])
people = list(Employee.objects.filter(employee_number__startswith="B").order_by("pk"))
enroll(plan, people, Period.parse(first.period))
result = run_create(plan=plan, period=first.period).pk
"""
IN_PROCESS = """
from django.contrib.auth import get_user_model
from apps.bonuses.models import Run
from apps.bonuses.services import run_calculate, run_create
real = Run.objects.get(pk={run})
twin = run_create(plan=real.plan, period=real.period, is_simulation=True)
run_calculate(run=twin, user=get_user_model().objects.get(pk={user}))
result = twin.pk
"""


def test_a_bonus_run_split_over_two_workers_and_a_killed_one(redis_url, database_url, tmp_path):
    workers = Workers(database_url, redis_url, tmp_path, BONUS_RUN_CHUNK=str(BONUS_CHUNK))
    try:
        run, user = workers.django(SETUP_RUN.format(employees=BONUS_EMPLOYEES))
        twin = workers.django(IN_PROCESS.format(run=run, user=user))  # no broker: one process
        expected = workers.django(LINES.format(run=twin))
        assert expected[:2] == ["calculated", BONUS_EMPLOYEES]

        # 1. two workers share the chunks; the lines are exactly the in-process run's
        workers.start("one")
        workers.start("two")
        workers.app.send_task("apps.bonuses.tasks.calculate_run", args=[run, user])
        _wait(lambda: workers.django(LINES.format(run=run))[0] == "calculated", 300, "the run")
        split = workers.django(LINES.format(run=run))
        assert split[1:4] == expected[1:4]  # lines, total and fingerprint
        assert split[4] == 0  # no shadow left
        assert split[5] == expected[5]  # every line, amount, flag, component, sentence
        logs = [(tmp_path / f"{name}.log").read_text() for name in ("one", "two")]
        assert all("calculate_run_chunk" in log for log in logs), "both workers took chunks"

        # 2. the workers killed mid-run: the run is left as it was (here: draft again)
        second = workers.django(SECOND_RUN.format(run=run))
        workers.app.send_task("apps.bonuses.tasks.calculate_run", args=[second, user])

        def started() -> bool:
            counts = workers.django(
                "from apps.bonuses.models import Line, Run\n"
                f"shadow = Run.everything.filter(shadow_of_id={second}).first()\n"
                "result = Line.objects.filter(run=shadow).count() if shadow else 0"
            )
            return 0 < counts < BONUS_EMPLOYEES

        _wait(started, 120, "the first chunks of the second run", interval=0.05)
        workers.stop_all()
        killed = workers.django(LINES.format(run=second))
        assert killed[:2] == ["draft", 0]  # not calculated, no line of its own

        # 3. calculating again on a new worker completes it: every line once
        workers.start("three")
        workers.app.send_task("apps.bonuses.tasks.calculate_run", args=[second, user])
        _wait(lambda: workers.django(LINES.format(run=second))[0] == "calculated", 300, "retry")
        retried = workers.django(LINES.format(run=second))
        assert retried[1] == BONUS_EMPLOYEES
        assert retried[4] == 0
        assert len({line[0] for line in retried[5]}) == BONUS_EMPLOYEES  # no duplicate
        assert [line[:2] for line in retried[5]] == [line[:2] for line in expected[5]]
    finally:
        workers.stop_all()
