"""Demo BPI projects (``manage.py load_demo``): one per stage of the flow, on the worst gaps —
late deliveries, first-contact resolution, out-of-stock — owned by the demo project owner and
sponsored by executives. Idempotent: projects are created once, by code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from apps.departments.models import Department, Employee
from apps.kpis.models import KPI

from . import services
from .models import Project, Status

DAY = dt.timedelta(days=1)

# code, title, problem, root cause, kpi, department, goal, start (days from today), length (days),
# the moves to make after creation
PROJECTS = [
    ("BPI-LATE-N", "Cut late deliveries in the North",
     "One order in ten arrives after the promised date in the North region.",
     "Carrier hand-over happens once a day; orders packed after 14:00 wait a day.",
     "delivery.late_rate", "DIST-N", "5", -60, 120,
     [Status.APPROVED, Status.IN_PROGRESS]),
    ("BPI-FCR", "Solve it on the first contact",
     "Customers call back about the same problem.",
     "Agents cannot issue refunds without a supervisor.",
     "service.fcr_rate", "CS", "80", -150, 100,
     [Status.APPROVED, Status.IN_PROGRESS]),
    ("BPI-OOS", "Fewer out-of-stock items",
     "Best sellers go out of stock on weekends.", "",
     "product.out_of_stock_rate", "PROD", "2", -200, 90,
     [Status.APPROVED, Status.IN_PROGRESS, Status.COMPLETED]),
    ("BPI-PACK", "Packing standard for fragile goods",
     "Glassware arrives broken.", "", "delivery.damage_loss_rate", "WH", "0.5", 7, 60, []),
]  # fmt: skip


@transaction.atomic
def load(*, seed: int = 2026) -> dict[str, int]:
    User = get_user_model()
    owner = Employee.objects.filter(user__username="owner").first()
    admin = User.objects.filter(username="admin").first()
    sponsor = Employee.objects.filter(employee_number="E0002").first()  # the COO
    if owner is None or admin is None or sponsor is None:
        return {"projects": 0}
    today = timezone.localdate()
    created = 0
    for code, title, problem, cause, kpi_code, dept, goal, start, days, moves in PROJECTS:
        kpi = KPI.objects.filter(code=kpi_code).first()
        department = Department.objects.filter(code=dept).first()
        if Project.objects.filter(code=code).exists() or kpi is None or department is None:
            continue
        start_date = today + dt.timedelta(days=start)
        project = services.project_create(
            user=None, code=code, title=title, problem=problem, root_cause=cause, owner=owner,
            sponsor=sponsor, priority="high", start_date=start_date,
            due_date=start_date + dt.timedelta(days=days), departments=[department],
            kpi_links=[{"kpi": kpi, "department": department, "goal": Decimal(goal)}],
            milestones=[
                {"title": "Measure the current process", "due_date": start_date + DAY * 14,
                 "done_on": start_date + DAY * 12 if start < -14 else None},
                {"title": "Pilot the new process", "due_date": start_date + DAY * (days // 2)},
            ],
        )  # fmt: skip
        for to in moves:
            services.project_transition(user=admin, project=project, to=to)
        if moves:
            percent = 100 if Status.COMPLETED in moves else 40
            services.update_add(
                user=admin, project=project, progress_percent=percent,
                note="Kick-off done; first measurements in.",
                date=min(today, start_date + dt.timedelta(days=20)),
            )  # fmt: skip
        created += 1
    return {"projects": created}
