"""Demo weekly review (``manage.py load_demo``): last week's actions and its stored review (not
sent: the demo has no recipients). Idempotent: actions are created once per objective and week,
and a stored week is kept as it is."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.bpi.models import Project
from apps.departments.models import Employee
from apps.kpis.models import KPI
from apps.kpis.periods import Period, PeriodType

from . import services
from .models import ReviewAction, WeeklyReview

# objective, owner's employee number, days after the review week's Monday, KPI, BPI project
ACTIONS = [
    ("Agree a second daily carrier pick-up in the North", "E0002", 10, "delivery.late_rate",
     "BPI-LATE-N"),
    ("Let agents refund damaged items up to 50 EUR without a supervisor", "E0003", 14,
     "service.fcr_rate", "BPI-FCR"),
    ("Check the product pages that showed stock we did not have", "E0013", 7,
     "product.out_of_stock_rate", None),
]  # fmt: skip


@transaction.atomic
def load(*, seed: int = 2026) -> dict[str, int]:
    week = Period.for_date(timezone.localdate(), PeriodType.WEEK).previous()
    created = 0
    for objective, number, days, kpi, project in ACTIONS:
        owner = Employee.objects.filter(employee_number=number).first()
        if (
            owner is None
            or ReviewAction.objects.filter(week=week.key, objective=objective).exists()
        ):
            continue
        services.action_create(
            week=week.key, objective=objective, owner=owner,
            due_date=week.start + dt.timedelta(days=days),
            kpi=KPI.objects.filter(code=kpi).first(),
            bpi_project=Project.objects.filter(code=project).first() if project else None,
        )  # fmt: skip
        created += 1
    stored = WeeklyReview.objects.filter(week=week.key).exists()
    if not stored:
        services.review_snapshot(week=week)
    return {"actions_created": created, "review_stored": int(not stored)}
