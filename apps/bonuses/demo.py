"""Demo bonuses: a quarterly CX plan with everyone enrolled, and two front-line plans whose
components measure each person (SPEC §5) — riders on their own on-time and first-attempt rates,
customer-service agents on their own FCR and CSAT — beside their department's and the company's
numbers, so factors differ from person to person; last quarter's runs calculated by HR (waiting
for the HR approver). Idempotent: plans and enrollments are created once."""

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
    plans = [plan, *_front_line_plans()]
    quarter = Period.for_date(timezone.localdate(), PeriodType.QUARTER).previous()
    hr = get_user_model().objects.filter(username="hr").first()
    lines = 0
    for each in plans:
        run = Run.objects.filter(
            plan=each, period=quarter.key, is_simulation=False, corrects__isnull=True
        ).first()
        if run is None:
            run = services.run_create(plan=each, period=quarter.key)
            if hr is not None:
                run = services.run_calculate(run=run, user=hr)
        lines += run.line_count
    return {
        "plans": len(plans),
        "enrollments": sum(p.enrollments.count() for p in plans),
        "run_lines": lines,
    }


# code, name, departments enrolled, components (KPI, weight, scope, threshold, target, stretch)
FRONT_LINE = [
    ("RIDERS-Q", "Quarterly rider bonus", ("DIST-N", "DIST-S"), [
        ("delivery.on_time_rate", 50, "employee", 85, 92, 97),
        ("delivery.first_attempt_success_rate", 20, "employee", 88, 93, 97),
        ("delivery.on_time_rate", 15, "department", 85, 92, 97),
        ("service.csat", 15, "company", 75, 82, 90),
    ]),
    ("AGENTS-Q", "Quarterly service agent bonus", ("CS",), [
        ("service.fcr_rate", 40, "employee", 65, 75, 85),
        ("service.csat", 30, "employee", 75, 82, 90),
        ("service.csat", 30, "department", 75, 82, 90),
    ]),
]  # fmt: skip


def _front_line_plans() -> list[Plan]:
    """The riders' and agents' plans: a person's own numbers count (their department's when
    their own rests on fewer records than the minimum sample)."""
    made = []
    for code, name, departments, components in FRONT_LINE:
        plan = Plan.objects.filter(code=code).first()
        if plan is None:
            kpis = {k.code: k for k in KPI.objects.filter(code__in={c[0] for c in components})}
            if len(kpis) < len({c[0] for c in components}):
                continue
            plan = services.plan_create(
                code=code, name=name, period_type="quarter", currency="EUR", status="active",
                missing_data_policy="zero",
                components=[
                    {"kpi": kpis[kpi], "weight": Decimal(weight), "scope": scope,
                     "low_sample": "department" if scope == "employee" else "own",
                     "threshold": Decimal(low), "target": Decimal(mid), "stretch": Decimal(high)}
                    for kpi, weight, scope, low, mid, high in components
                ],
            )  # fmt: skip
            people = Employee.objects.filter(
                leave_date__isnull=True,
                assignments__department__code__in=departments,
                assignments__end_date__isnull=True,
            ).distinct()
            for employee in people.order_by("pk"):
                amount = Decimal(600 + employee.pk % 5 * 100)
                services.enrollment_create(
                    employee=employee, plan=plan, target_amount=amount,
                    start_date=employee.hire_date,
                )  # fmt: skip
        made.append(plan)
    return made
