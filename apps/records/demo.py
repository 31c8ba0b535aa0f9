"""Demo CX records (``manage.py load_demo``), made here so a new machine needs nothing else: a
quarter of shipments, support tickets and survey answers — the last complete quarter before
today — each crediting the demo's people (SPEC §5): riders of Distribution North and South as
couriers, warehouse associates as pickers and packers, customer service agents on tickets and
answers. Deterministic for a seed and a day; loaded through the loader like any file (the load
history shows three jobs), then the record-based KPIs are computed for its months.

When the Olist sample is there (``OLIST_SAMPLE_DIR``, never copied into the repository), its
orders and reviews are loaded too. Idempotent: a demo file is loaded once, the computation
replaces its own results.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.departments.models import Assignment
from apps.kpis.periods import Period

from . import services
from .models import LoadDoor, LoadJob, LoadStatus, RecordMapping, Shipment

OLIST_FILES = [  # file, record kind, mapping
    ("olist_orders_dataset.csv", "shipments", "olist-orders"),
    ("olist_order_reviews_dataset.csv", "surveys", "olist-reviews-csat"),
]
MONTHS_COMPUTED = 6  # the busiest months of the Olist sample
SOURCE = "demo-shop"
ORDERS_A_DAY = 36
TICKETS_A_DAY = 16
ANSWERS_A_DAY = 10


def load(*, seed: int = 2026) -> dict[str, int]:
    quarter = last_quarter(timezone.localdate())
    loaded = _load_generated(quarter, seed)
    loaded += _load_olist()
    months = {
        Period.for_date(quarter.start.replace(month=quarter.start.month + n), "month").key
        for n in range(3)
    }
    months |= _olist_months()
    results = sum(services.kpi_results_compute(period=m)["results"] for m in sorted(months))
    return {"loaded_files": loaded, "computed_results": results}


def last_quarter(today: dt.date) -> Period:
    return Period.for_date(today, "quarter").previous()


def _staff(*codes: str) -> list[tuple[str, str]]:
    """(employee number, department code) of who works in ``codes`` now."""
    return list(
        Assignment.objects.filter(department__code__in=codes, end_date__isnull=True)
        .order_by("employee__employee_number")
        .values_list("employee__employee_number", "department__code")
    )


def _load_generated(quarter: Period, seed: int) -> int:
    riders, warehouse, agents = _staff("DIST-N", "DIST-S"), _staff("WH"), _staff("CS")
    if not (riders and warehouse and agents):
        return 0
    rng = random.Random(f"{seed}-{quarter.key}")
    days = [
        quarter.start + dt.timedelta(days=n) for n in range((quarter.end - quarter.start).days + 1)
    ]
    each = [(day, n) for day in days for n in range(ORDERS_A_DAY)]
    files = {
        "shipments": [shipment(rng, day, n, riders, warehouse) for day, n in each],
        "tickets": [ticket(rng, day, n, agents) for day, n in each if n < TICKETS_A_DAY],
        "surveys": [answer(rng, day, n, agents) for day, n in each if n < ANSWERS_A_DAY],
    }
    loaded = 0
    for kind, rows in files.items():
        name = f"demo {kind} {quarter.key}"
        if LoadJob.objects.filter(file_name=name, status=LoadStatus.DONE).exists():
            continue
        job = services.load_job_start(kind=kind, door=LoadDoor.COMMAND, file_name=name)
        services.load_job_run(job=job, table=services.table_from_rows(rows))
        loaded += 1
    return loaded


def _at(day: dt.date, hour: float) -> dt.datetime:
    zone = timezone.get_default_timezone()
    return dt.datetime.combine(day, dt.time(), tzinfo=zone) + dt.timedelta(hours=hour)


def _iso(moment: dt.datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def shipment(rng: random.Random, day: dt.date, n: int, riders, warehouse) -> dict[str, Any]:
    """One order: paid, picked, packed and shipped within the day or the next, promised for
    three days on, delivered by a rider of its region — most on time, some a day or two late,
    a few still on the road."""
    courier, region = riders[rng.randrange(len(riders))]
    ordered = _at(day, rng.uniform(7, 22))
    paid = ordered + dt.timedelta(minutes=rng.uniform(1, 90))
    picked = paid + dt.timedelta(hours=rng.uniform(1, 14 if rng.random() < 0.9 else 30))
    packed = picked + dt.timedelta(hours=rng.uniform(0.2, 3 if rng.random() < 0.9 else 8))
    shipped = packed + dt.timedelta(hours=rng.uniform(1, 10))
    transit = rng.uniform(8, 60) if rng.random() < 0.88 else rng.uniform(60, 120)
    delivered = None if rng.random() < 0.02 else shipped + dt.timedelta(hours=transit)
    items = rng.choice([1, 1, 1, 2, 2, 3, 4])
    return {
        "source_system": SOURCE,
        "source_record_id": f"SO-{day:%Y%m%d}-{n:03d}",
        "department": region,
        "order_ref": f"O{day:%y%m%d}{n:03d}",
        "ordered_at": _iso(ordered),
        "paid_at": _iso(paid),
        "picked_at": _iso(picked),
        "packed_at": _iso(packed),
        "shipped_at": _iso(shipped),
        "delivered_at": _iso(delivered),
        "promised_at": _iso(_at(day + dt.timedelta(days=3), 20)),
        "first_attempt_ok": "" if delivered is None else ("yes" if rng.random() < 0.93 else "no"),
        "damaged": "yes" if rng.random() < 0.012 else "no",
        "items_ordered": items,
        "items_delivered": items if rng.random() < 0.97 else items - 1,
        "courier": courier,
        "picker": warehouse[rng.randrange(len(warehouse))][0],
        "packer": warehouse[rng.randrange(len(warehouse))][0],
    }


def ticket(rng: random.Random, day: dt.date, n: int, agents) -> dict[str, Any]:
    agent, department = agents[rng.randrange(len(agents))]
    opened = _at(day, rng.uniform(0, 24))
    answered = None if rng.random() < 0.03 else opened + dt.timedelta(hours=rng.expovariate(1 / 3))
    resolved = (
        None
        if answered is None or rng.random() < 0.08
        else answered + dt.timedelta(hours=rng.expovariate(1 / 20))
    )
    return {
        "source_system": SOURCE,
        "source_record_id": f"TK-{day:%Y%m%d}-{n:03d}",
        "department": department,
        "opened_at": _iso(opened),
        "first_response_at": _iso(answered),
        "resolved_at": _iso(resolved),
        "contacts_to_resolve": "" if resolved is None else rng.choice([1, 1, 1, 1, 2, 2, 3]),
        "channel": rng.choice(["chat", "e-mail", "phone"]),
        "category": rng.choice(["where is my order", "returns", "payment", "damaged item"]),
        "agent": agent,
    }


def answer(rng: random.Random, day: dt.date, n: int, agents) -> dict[str, Any]:
    agent, department = agents[rng.randrange(len(agents))]
    nps = n % 2 == 0
    return {
        "source_system": SOURCE,
        "source_record_id": f"SV-{day:%Y%m%d}-{n:03d}",
        "department": department,
        "survey_type": "nps" if nps else "csat",
        "score": rng.choice([3, 6, 7, 8, 9, 9, 10, 10]) if nps else rng.choice([2, 3, 4, 4, 5, 5]),
        "answered_at": _iso(_at(day, rng.uniform(8, 23))),
        "channel": "e-mail",
        "agent": agent,
    }


def _load_olist() -> int:
    folder = Path(settings.OLIST_SAMPLE_DIR)
    if not folder.is_dir():
        return 0
    loaded = 0
    for name, kind, mapping_name in OLIST_FILES:
        path = folder / name
        mapping = RecordMapping.objects.filter(name=mapping_name).first()
        done = LoadJob.objects.filter(file_name=name, status=LoadStatus.DONE).exists()
        if done or mapping is None or not path.is_file():
            continue
        job = services.load_job_start(
            kind=kind, door="command", file_name=name, file_path=str(path), mapping=mapping
        )
        services.load_job_run(job=job)
        loaded += 1
    return loaded


def _olist_months() -> set[str]:
    months = (
        Shipment.objects.exclude(source_system=SOURCE)
        .annotate(month=TruncMonth("promised_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-n")[:MONTHS_COMPUTED]
    )
    return {row["month"].strftime("%Y-%m") for row in months if row["month"] is not None}
