"""Demo CX records (``manage.py load_demo``): the Olist sample's orders as shipments and its reviews
as CSAT answers, read from ``OLIST_SAMPLE_DIR`` (never copied into the repository; skipped when
the folder is absent), then the record-based KPIs computed for the months they cover — so the
load history, the record lists and the late-delivery tree have something to show. Idempotent: a
file is loaded once (loading is idempotent anyway), the computation replaces its own results."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMonth

from . import services
from .models import LoadJob, LoadStatus, RecordMapping, Shipment

FILES = [  # file, record kind, mapping
    ("olist_orders_dataset.csv", "shipments", "olist-orders"),
    ("olist_order_reviews_dataset.csv", "surveys", "olist-reviews-csat"),
]
MONTHS_COMPUTED = 6  # the busiest months of the sample


def load(*, seed: int = 2026) -> dict[str, int]:
    folder = Path(settings.OLIST_SAMPLE_DIR)
    if not folder.is_dir():
        return {"loaded_files": 0}
    loaded = 0
    for name, kind, mapping_name in FILES:
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
    months = (
        Shipment.objects.annotate(month=TruncMonth("promised_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-n")[:MONTHS_COMPUTED]
    )
    results = 0
    for row in months:
        if row["month"] is not None:
            period = row["month"].strftime("%Y-%m")
            results += services.kpi_results_compute(period=period)["results"]
    return {"loaded_files": loaded, "computed_results": results}
