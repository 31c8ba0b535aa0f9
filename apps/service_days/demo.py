"""Demo days of service (``manage.py load_demo``): the executives on the front line over the
last two quarters — some ahead of their quota, one behind — with findings, one of them already
turned into a BPI project. Idempotent: a day is created once per executive and date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from apps.departments.models import Department, Employee
from apps.feedback.models import Category
from apps.kpis.models import KPI

from . import services
from .models import Finding, Quota, ServiceDay

# executive, days ago, department, role, hours, customers, summary, findings
# (description, category, severity, responsible department, KPI code)
DAYS = [
    ("E0001", 20, "CS", "Hotline agent", "8", 41, "Answered calls on the returns line.",
     [("Refunds for damaged items need a supervisor; customers wait on hold.", "service",
       "high", "CS", "service.fcr_rate")]),
    ("E0002", 12, "DIST-N", "Delivery rider", "9", 27, "Rode with the evening shift.",
     [("Parcels packed after 14:00 miss the carrier's only pick-up.", "late_delivery", "high",
       "WH", "delivery.late_rate"),
      ("The address labels smear in the rain.", "damaged_goods", "medium", "DIST", None)]),
    ("E0002", 75, "WH", "Picker", "6", 0, "Picked and packed on the morning shift.", []),
    ("E0003", 5, "CS", "Chat agent", "7.5", 63, "Live chat during a promotion.",
     [("The product page shows stock the warehouse does not have.", "out_of_stock",
       "medium", "PROD", "product.out_of_stock_rate")]),
    ("E0003", 40, "DIST-S", "Delivery rider", "8", 22, "", []),
]  # fmt: skip


@transaction.atomic
def load(*, seed: int = 2026) -> dict[str, int]:
    if not Quota.objects.filter(executive__isnull=True).exists():
        services.quota_save(quota=Quota(), data={"days_per_quarter": 2})
    today = timezone.localdate()
    created = 0
    for number, ago, dept, role, hours, customers, summary, findings in DAYS:
        executive = Employee.objects.filter(employee_number=number, is_executive=True).first()
        department = Department.objects.filter(code=dept).first()
        day = today - dt.timedelta(days=ago)
        if executive is None or department is None:
            continue
        if ServiceDay.objects.filter(executive=executive, date=day).exists():
            continue
        kpis = {k.code: k for k in KPI.objects.filter(code__in=[f[4] for f in findings if f[4]])}
        categories = {c.code: c for c in Category.objects.filter(code__in=[f[1] for f in findings])}
        departments = {
            d.code: d for d in Department.objects.filter(code__in=[f[3] for f in findings])
        }
        services.service_day_create(
            user=None, executive=executive, date=day, department=department, role_played=role,
            hours=Decimal(hours), customers_served=customers, summary=summary,
            findings=[
                {"description": text, "category": categories.get(category), "severity": severity,
                 "department": departments.get(responsible), "kpi": kpis.get(kpi)}
                for text, category, severity, responsible, kpi in findings
            ],
        )  # fmt: skip
        created += 1
    first = Finding.objects.filter(description__startswith="Parcels packed after 14:00").first()
    if first is not None and first.bpi_project_id is None:
        services.finding_follow_up(user=None, finding=first)
    return {"service_days": created}
