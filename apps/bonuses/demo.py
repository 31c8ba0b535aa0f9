"""Demo bonuses: a quarterly CX plan, everyone enrolled, last quarter's run calculated by HR
(waiting for the HR approver). Idempotent: the plan and enrollments are created once."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.departments.models import Employee
from apps.kpis.models import KPI
from apps.kpis.periods import Period, PeriodType

from . import services
from .models import Plan, Run


def load(*, seed: int = 2026) -> dict[str, int]:
    plan = Plan.objects.filter(code="CX-Q").first()
    codes = ["service.csat", "delivery.on_time_rate", "warehouse.outbound_accuracy", "cx.nps"]
    kpis = {k.code: k for k in KPI.objects.filter(code__in=codes)}
    if len(kpis) < 4:
        return {"plans": 0}
    if plan is None:
        plan = services.plan_create(
            code="CX-Q", name="Quarterly CX bonus", period_type="quarter", currency="EUR",
            status="active", missing_data_policy="reweight",
            components=[
                {"kpi": kpis[code], "weight": Decimal(weight), "scope": "company"}
                for code, weight in zip(codes[:3], (40, 35, 25), strict=True)
            ],
            gates=[{"kpi": kpis["cx.nps"], "scope": "company", "minimum": Decimal(10),
                    "multiplier": Decimal(50)}],
        )  # fmt: skip
        for employee in Employee.objects.filter(leave_date__isnull=True).order_by("pk"):
            services.enrollment_create(
                employee=employee, plan=plan, target_amount=Decimal(1500 + employee.pk % 7 * 250),
                start_date=employee.hire_date,
            )  # fmt: skip
    quarter = Period.for_date(timezone.localdate(), PeriodType.QUARTER).previous()
    run = Run.objects.filter(plan=plan, period=quarter.key, is_simulation=False).first()
    if run is None:
        hr = get_user_model().objects.filter(username="hr").first()
        run = services.run_create(plan=plan, period=quarter.key)
        if hr is not None:
            run = services.run_calculate(run=run, user=hr)
    return {"plans": 1, "enrollments": plan.enrollments.count(), "run_lines": run.line_count}
