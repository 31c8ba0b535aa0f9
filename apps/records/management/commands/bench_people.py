"""The per-person calculators against issue 17's goal (PostgreSQL; SQLite printed too; figures
printed, nothing asserted):

    bench_people [--shipments 3000000] [--couriers 100000] [--tickets 200000] [--agents 2000]
                 [--repeat 5]

On a throwaway test database (``test_<name>_bench``), a month (2025-06) of shipments, each
crediting one of ``--couriers`` riders, and of tickets, each owned by one of ``--agents``
agents, loaded through ``services.records_load`` from CSV files. Then, in turn ``--repeat``
times, timed alone:

- ours: every per-person count the calculators make for the month (``computing._person_rows``:
  couriers, pickers, packers over the shipments, agents over the tickets and answers, the rows
  of results built in Python);
- hand-written: the GROUP BYs a DBA would write for the same counts — one over the shipments
  by courier, one over the tickets by agent, and the agents' median and p90 by
  ``percentile_cont``/``percentile_disc`` —

and the medians compared (goal: ours ≤ 1.5×), with a check that both give the same numbers.
Last, one whole ``compute_kpis 2025-06`` (company, departments and people, the results
written), timed, without a goal.
"""

import csv
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from apps.departments.catalog import load as load_departments
from apps.departments.models import Employee
from apps.kpis.catalog import load as load_kpis
from apps.kpis.models import KPIResult
from apps.kpis.periods import Period
from apps.records import selectors, services
from apps.records.catalog import load as load_records_catalog
from apps.records.models import Shipment, SupportTicket
from apps.records.services import computing
from cxoffice.benchmarks import throwaway_database

MONTH = Period.parse("2025-06")
GOAL = 1.5

HAND_SHIPMENTS = """
SELECT courier_id,
  count(*) FILTER (WHERE delivered_on IS NOT NULL OR promised_on < %(as_of)s),
  count(*) FILTER (WHERE delivered_on <= promised_on),
  count(*) FILTER (WHERE delivered_on IS NOT NULL AND first_attempt_ok IS NOT NULL),
  count(*) FILTER (WHERE delivered_on IS NOT NULL AND first_attempt_ok)
FROM records_shipment
WHERE promised_on BETWEEN %(start)s AND %(end)s AND status <> 'cancelled'
  AND courier_id IS NOT NULL
GROUP BY courier_id
"""
HAND_TICKETS = """
SELECT agent_id,
  count(*) FILTER (WHERE resolved_at >= %(from)s AND resolved_at < %(to)s
                   AND contacts_to_resolve IS NOT NULL),
  count(*) FILTER (WHERE resolved_at >= %(from)s AND resolved_at < %(to)s
                   AND contacts_to_resolve = 1)
FROM records_supportticket
WHERE agent_id IS NOT NULL AND (opened_at >= %(from)s AND opened_at < %(to)s
                                OR resolved_at >= %(from)s AND resolved_at < %(to)s)
GROUP BY agent_id
"""
HAND_DURATION = """
SELECT agent_id, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}),
  percentile_disc(0.9) WITHIN GROUP (ORDER BY {column}), avg({column})
FROM records_supportticket
WHERE agent_id IS NOT NULL AND {time} >= %(from)s AND {time} < %(to)s
  AND {column} IS NOT NULL
GROUP BY agent_id
"""


def courier(n: int) -> str:
    return f"R{n:06d}"


def agent(n: int) -> str:
    return f"A{n:05d}"


class Command(BaseCommand):
    help = "Benchmark the per-person calculators (SPEC §5) against hand-written GROUP BYs."

    def add_arguments(self, parser):
        parser.add_argument("--shipments", type=int, default=3_000_000)
        parser.add_argument("--couriers", type=int, default=100_000)
        parser.add_argument("--tickets", type=int, default=200_000)
        parser.add_argument("--agents", type=int, default=2_000)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args, **options):
        names = ("shipments", "couriers", "tickets", "agents", "repeat")
        if min(options[name] for name in names) < 1:
            raise CommandError("Every count must be at least 1.")
        folder = tempfile.mkdtemp(prefix="cxoffice-bench-")
        try:
            with throwaway_database():
                self.bench(options, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def bench(self, options, folder: str) -> None:
        load_departments()
        load_kpis()
        load_records_catalog()
        hired = dt.date(2024, 1, 1)
        Employee.objects.bulk_create(
            [Employee(employee_number=courier(n), full_name=f"Rider {n}", hire_date=hired)
             for n in range(options["couriers"])]
            + [Employee(employee_number=agent(n), full_name=f"Agent {n}", hire_date=hired)
               for n in range(options["agents"])],
            batch_size=5_000,
        )  # fmt: skip
        started = time.perf_counter()
        shipments = os.path.join(folder, "shipments.csv")
        tickets = os.path.join(folder, "tickets.csv")
        self.write_shipments(shipments, options["shipments"], options["couriers"])
        self.write_tickets(tickets, options["tickets"], options["agents"])
        written = time.perf_counter() - started
        started = time.perf_counter()
        for kind, path in (("shipments", shipments), ("tickets", tickets)):
            services.records_load(kind=kind, table=services.open_table(path))
        loaded = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE records_shipment")
            cursor.execute("ANALYZE records_supportticket")
        self.stdout.write(
            f"{connection.display_name}: {Shipment.objects.count():,} shipments in {MONTH.key} "
            f"crediting {options['couriers']:,} couriers, {SupportTicket.objects.count():,} "
            f"tickets owned by {options['agents']:,} agents; files written in {written:.1f}s, "
            f"loaded in {loaded:.1f}s"
        )
        as_of = MONTH.end + dt.timedelta(days=1)
        computing._person_rows(MONTH, as_of)  # the tables into the server's cache, once
        times: dict[str, list[float]] = {"ours": [], "hand": []}
        for _ in range(options["repeat"]):
            started = time.perf_counter()
            ours = computing._person_rows(MONTH, as_of)
            times["ours"].append(time.perf_counter() - started)
            started = time.perf_counter()
            hand = self.hand_written(as_of)
            times["hand"].append(time.perf_counter() - started)
        ours_s, hand_s = (statistics.median(times[k]) for k in ("ours", "hand"))
        same = self.same(ours, hand)
        ratio = ours_s / hand_s
        self.stdout.write(
            f"runs (s): ours {', '.join(f'{t:.3f}' for t in times['ours'])}; hand-written "
            f"{', '.join(f'{t:.3f}' for t in times['hand'])}"
        )
        self.stdout.write(
            f"per-person computation: {len(ours):,} result rows for "
            f"{len({r['employee'] for r in ours}):,} people in {ours_s:.3f}s; the hand-written "
            f"GROUP BYs {hand_s:.3f}s (medians of {options['repeat']} in turn); ratio "
            f"{ratio:.2f} (goal ≤ {GOAL}); same numbers: {same}; "
            f"{'met' if same and ratio <= GOAL else 'MISSED'}"
            + (
                ""
                if connection.vendor == "postgresql"
                else " (SQLite: the hand-written side counts only, no medians; the goal is "
                "PostgreSQL's)"
            )
        )
        started = time.perf_counter()
        summary = services.kpi_results_compute(period=MONTH.key, as_of=as_of)
        whole = time.perf_counter() - started
        people = KPIResult.objects.filter(scope="employee", period=MONTH.key).count()
        self.stdout.write(
            f"compute_kpis {MONTH.key} (company, departments and people, written): {whole:.1f}s; "
            f"{summary['results']:,} results ({people:,} of people), created "
            f"{summary['created']:,} (no goal)"
        )

    def write_shipments(self, path: str, rows: int, couriers: int) -> None:
        """A month of orders: one in 9 delivered a day late, one in 13 a failed first
        attempt; each crediting a courier (spread by a prime stride)."""
        with open(path, "w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["source_system", "source_record_id", "department", "ordered_at",
                          "shipped_at", "delivered_at", "promised_at", "first_attempt_ok",
                          "courier"])  # fmt: skip
            for i in range(rows):
                day = 1 + i % 30
                delivered = min(day + (1 if i % 9 == 0 else 0), 30)
                out.writerow([
                    "bench", f"order-{i}", "DIST", f"2025-06-{day:02d}T08:00:00+00:00",
                    f"2025-06-{day:02d}T12:00:00+00:00",
                    f"2025-06-{delivered:02d}T{18 if i % 9 else 23}:00:00+00:00",
                    f"2025-06-{min(day + i % 2, 30):02d}T20:00:00+00:00",
                    "0" if i % 13 == 0 else "1", courier(i * 7919 % couriers),
                ])  # fmt: skip

    def write_tickets(self, path: str, rows: int, agents: int) -> None:
        """A month of tickets: first reply 1 to 12 hours after opening, resolved the next day
        in 1 to 3 contacts, each owned by an agent."""
        with open(path, "w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["source_system", "source_record_id", "department", "opened_at",
                          "first_response_at", "resolved_at", "contacts_to_resolve",
                          "agent"])  # fmt: skip
            for i in range(rows):
                day = 1 + i % 29
                out.writerow([
                    "bench", f"ticket-{i}", "CS", f"2025-06-{day:02d}T08:{i % 60:02d}:00+00:00",
                    f"2025-06-{day:02d}T{9 + i % 12:02d}:{i % 60:02d}:00+00:00",
                    f"2025-06-{day + 1:02d}T10:00:00+00:00", 1 + i % 3 if i % 4 else 1,
                    agent(i * 31 % agents),
                ])  # fmt: skip

    def hand_written(self, as_of: dt.date) -> dict:
        start, end = MONTH.start, MONTH.end
        opened, closed = selectors.period_bounds(MONTH)  # the month in the server's time zone
        ops = connection.ops
        bounds = {
            "from": ops.adapt_datetimefield_value(opened),
            "to": ops.adapt_datetimefield_value(closed),
        }
        as_of, start, end = (ops.adapt_datefield_value(d) for d in (as_of, start, end))
        found = {}
        with connection.cursor() as cursor:
            cursor.execute(HAND_SHIPMENTS, {"as_of": as_of, "start": start, "end": end})
            found["shipments"] = cursor.fetchall()
            cursor.execute(HAND_TICKETS, bounds)
            found["tickets"] = cursor.fetchall()
            found["frt"] = []
            if connection.vendor != "postgresql":
                return found  # SQLite has no percentile functions: counts only
            for name, column, at in (
                ("frt", "first_response_seconds", "opened_at"),
                ("resolution", "resolution_seconds", "resolved_at"),
            ):
                cursor.execute(HAND_DURATION.format(column=column, time=at), bounds)
                found[name] = cursor.fetchall()
        return found

    def same(self, ours: list[dict], hand: dict) -> bool:
        """The numerators and denominators of every courier's and agent's rates, and the
        agents' median first response (hours), agree."""
        mine = {(r["kpi"], r["employee"]): r for r in ours}
        checks = 0
        for person, due, on_time, attempted, first_ok in hand["shipments"]:
            row = mine.get(("delivery.on_time_rate", person))
            if due and (row is None or (row["numerator"], row["denominator"]) != (on_time, due)):
                return False
            row = mine.get(("delivery.first_attempt_success_rate", person))
            if attempted and (
                row is None or (row["numerator"], row["denominator"]) != (first_ok, attempted)
            ):
                return False
            checks += 1
        for person, resolved, first in hand["tickets"]:
            row = mine.get(("service.fcr_rate", person))
            if resolved and (
                row is None or (row["numerator"], row["denominator"]) != (first, resolved)
            ):
                return False
            checks += 1
        for person, n, median, _p90, _mean in hand["frt"]:
            row = mine.get(("service.first_response_time", person))
            hours = (Decimal(str(median)) / 3600).quantize(Decimal("0.01"))
            if row is None or row["sample_size"] != n:
                return False
            if row["value"].quantize(Decimal("0.01")) != hours:
                return False
        return checks > 0
